/* files.h - files named by the user: read bounded, written without harming what a path names.
 *
 * Contract
 *   Reading: only regular files are read ("-" is standard input). A directory, FIFO, device
 *   or socket is refused with NF_E_INPUT before anything blocks on it, and a regular file
 *   larger than the caller's limit is refused by its size, before it is read. A missing file
 *   is NF_E_NOT_FOUND. All three are exit status 2: the user named the wrong thing.
 *
 *   Writing (nf_outfile): the target is checked when the command starts, so a bad path fails
 *   before any work is done, and again when writing. A target that exists must be a regular
 *   file: a symbolic link, directory, FIFO, device or socket is refused (NF_E_USAGE, exit 2)
 *   and left untouched; the check opens with O_NOFOLLOW | O_NONBLOCK and fstat()s what it
 *   opened, so nothing is followed, blocked on or raced between a check and a use. The content
 *   goes to a temporary file beside the target, which then replaces it by rename(): a reader
 *   sees the old report or the new one, never half of one, and a failed write leaves the old
 *   one. An existing target's mode (and, for root, its owner) is kept. "-" writes to standard
 *   output. A failure to write (disk full) is NF_E_IO, exit 1.
 *
 *   Messages name a path through nf_path_shown(): long paths lose their middle, never the
 *   reason that follows them, and control bytes are never printed.
 */
#ifndef NF_FILES_H
#define NF_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Longest path shown in a message, in bytes (the middle of a longer one becomes "..."). */
#define NF_PATH_SHOWN_MAX 96

/* `path` for a message: at most NF_PATH_SHOWN_MAX bytes, its middle elided when longer, bytes
 * outside printable ASCII as '?'. out must hold NF_PATH_SHOWN_MAX + 1 bytes. Returns out. */
const char *nf_path_shown(const char *path, char out[NF_PATH_SHOWN_MAX + 1]);

/* Open `path` for reading under the rules above; "-" gives STDIN_FILENO (not size-checked).
 * `what` names the input in messages ("config file", "--trace"); NULL: the path itself. */
int nf_file_open_read(const char *path, const char *what, size_t limit, int *fd,
                      struct nf_err *err);

struct nf_outfile {
    char path[4096];
    char what[64]; /* the option, for messages: "--html" */
    bool to_stdout;
    bool exists; /* a regular file was there when checked */
    mode_t mode; /* its mode, kept */
    uid_t uid;
    gid_t gid;
};

/* Check `path` as an output target (see the contract). NF_OK, or NF_E_USAGE with why. */
int nf_outfile_check(struct nf_outfile *o, const char *path, const char *what, struct nf_err *err);
/* Write `len` bytes of `data` to the checked target (checking it again first). */
int nf_outfile_write(const struct nf_outfile *o, const void *data, size_t len, struct nf_err *err);

#endif
