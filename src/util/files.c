/* files.c - reading and writing the files a user names, without surprises (see files.h). */
#define _GNU_SOURCE /* O_NOFOLLOW, O_CLOEXEC with glibc's strict modes */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *nf_path_shown(const char *path, char out[NF_PATH_SHOWN_MAX + 1])
{
    size_t n = strlen(path), o = 0;
    const size_t keep_head = NF_PATH_SHOWN_MAX / 3, keep_tail = NF_PATH_SHOWN_MAX - keep_head - 3;
    for (size_t i = 0; i < n; i++) {
        if (n > NF_PATH_SHOWN_MAX && i == keep_head) {
            memcpy(out + o, "...", 3);
            o += 3;
            i = n - keep_tail - 1;
            continue;
        }
        unsigned char c = (unsigned char)path[i];
        out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[o] = '\0';
    return out;
}

static const char *nf_file_type_phrase(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO (named pipe)";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISLNK(mode))
        return "a symbolic link";
    if (S_ISREG(mode))
        return "a regular file";
    return "not a regular file";
}

/* A phrase for errno after open() of a path, better than strerror where it misleads. */
static const char *open_reason(int e)
{
    switch (e) {
    case ENOENT:
        return "no such file or directory";
    case ENOTDIR:
        return "a part of the path before the last '/' is not a directory";
    case EACCES:
    case EPERM:
        return "permission denied";
    case ENAMETOOLONG:
        return "the path is too long";
    case ELOOP:
        return "too many symbolic links";
    default:
        return strerror(e);
    }
}

int nf_file_open_read(const char *path, const char *what, size_t limit, int *fd, struct nf_err *err)
{
    char shown[NF_PATH_SHOWN_MAX + 1];
    const char *name = what != NULL ? what : nf_path_shown(path, shown);
    if (path[0] == '\0')
        return nf_err_set(err, NF_E_USAGE, "%s: no file name given", name);
    if (strcmp(path, "-") == 0) {
        *fd = STDIN_FILENO;
        return NF_OK;
    }
    /* O_NONBLOCK: a FIFO with no writer must not hang us before fstat() says what it is */
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (f < 0) {
        int e = errno;
        if (what != NULL && strcmp(what, path) != 0)
            return nf_err_set(err, e == ENOENT ? NF_E_NOT_FOUND : NF_E_INPUT,
                              "%s: cannot open %s: %s", what, nf_path_shown(path, shown),
                              open_reason(e));
        return nf_err_set(err, e == ENOENT ? NF_E_NOT_FOUND : NF_E_INPUT, "%s: cannot open: %s",
                          nf_path_shown(path, shown), open_reason(e));
    }
    struct stat st;
    if (fstat(f, &st) != 0) {
        int e = errno;
        close(f);
        return nf_err_set(err, NF_E_IO, "%s: %s", name, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(f);
        if (what == NULL)
            return nf_err_set(
                err, NF_E_INPUT, "%s: is %s, not a regular file%s", name,
                nf_file_type_phrase(st.st_mode),
                S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) ? " (use - for standard input)" : "");
        return nf_err_set(
            err, NF_E_INPUT, "%s: %s is %s, not a regular file%s", name, nf_path_shown(path, shown),
            nf_file_type_phrase(st.st_mode),
            S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) ? " (use - for standard input)" : "");
    }
    if ((size_t)st.st_size > limit) {
        close(f);
        return nf_err_set(err, NF_E_TOO_BIG, "%s: %lld bytes, larger than the %zu-byte limit", name,
                          (long long)st.st_size, limit);
    }
    int flags = fcntl(f, F_GETFL);
    if (flags >= 0)
        (void)fcntl(f, F_SETFL, flags & ~O_NONBLOCK);
    *fd = f;
    return NF_OK;
}

/* ---- output ------------------------------------------------------------------------------ */

static int tmp_name(const struct nf_outfile *o, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s.tmp.%ld", o->path, (long)getpid());
    return n > 0 && (size_t)n < cap ? NF_OK : NF_E_USAGE;
}

/* The directory part of o->path, for messages: "." when there is none. */
static void dir_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(out, cap, ".");
    else if (slash == path)
        snprintf(out, cap, "/");
    else
        snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

/* Is the target, as it is now, one we may replace? Fills o->exists and the mode. */
static int check_target(struct nf_outfile *o, struct nf_err *err)
{
    char shown[NF_PATH_SHOWN_MAX + 1];
    nf_path_shown(o->path, shown);
    int f = open(o->path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (f < 0) {
        int e = errno;
        struct stat lst;
        if (e == ENOENT) {
            o->exists = false;
            return NF_OK;
        }
        if (lstat(o->path, &lst) == 0) {
            if (S_ISLNK(lst.st_mode))
                return nf_err_set(err, NF_E_USAGE,
                                  "%s: %s is a symbolic link; nodefleet does not write through "
                                  "links (name the file itself)",
                                  o->what, shown);
            if (!S_ISREG(lst.st_mode))
                return nf_err_set(err, NF_E_USAGE,
                                  "%s: %s is %s, not a regular file; refusing to replace it",
                                  o->what, shown, nf_file_type_phrase(lst.st_mode));
        }
        return nf_err_set(err, NF_E_USAGE, "%s: cannot write %s: %s", o->what, shown,
                          open_reason(e));
    }
    struct stat st;
    int rc = fstat(f, &st);
    close(f);
    if (rc != 0)
        return nf_err_set(err, NF_E_IO, "%s: %s: %s", o->what, shown, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return nf_err_set(err, NF_E_USAGE,
                          "%s: %s is %s, not a regular file; refusing to replace it", o->what,
                          shown, nf_file_type_phrase(st.st_mode));
    o->exists = true;
    o->mode = st.st_mode & 07777;
    o->uid = st.st_uid;
    o->gid = st.st_gid;
    return NF_OK;
}

int nf_outfile_check(struct nf_outfile *o, const char *path, const char *what, struct nf_err *err)
{
    memset(o, 0, sizeof *o);
    snprintf(o->what, sizeof o->what, "%s", what);
    if (path[0] == '\0')
        return nf_err_set(err, NF_E_USAGE, "%s: no file name given", what);
    if (strcmp(path, "-") == 0) {
        o->to_stdout = true;
        return NF_OK;
    }
    size_t n = strlen(path);
    if (n >= sizeof o->path - 32)
        return nf_err_set(err, NF_E_USAGE, "%s: the path is too long", what);
    memcpy(o->path, path, n + 1);
    char shown[NF_PATH_SHOWN_MAX + 1];
    if (path[n - 1] == '/')
        return nf_err_set(err, NF_E_USAGE, "%s: %s ends in '/': name a file, not a directory", what,
                          nf_path_shown(path, shown));
    int rc = check_target(o, err);
    if (rc != NF_OK)
        return rc;
    /* The new content is made beside the target: make sure that can be done now, before
     * the work whose result it is. */
    char tmp[sizeof o->path + 32];
    if (tmp_name(o, tmp, sizeof tmp) != NF_OK)
        return nf_err_set(err, NF_E_USAGE, "%s: the path is too long", what);
    int f = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f < 0) {
        int e = errno;
        char dir[sizeof o->path], dshown[NF_PATH_SHOWN_MAX + 1];
        dir_of(path, dir, sizeof dir);
        nf_path_shown(dir, dshown);
        struct stat dst;
        if (e == ENOENT && stat(dir, &dst) != 0)
            return nf_err_set(err, NF_E_USAGE, "%s: cannot write %s: directory %s does not exist",
                              what, nf_path_shown(path, shown), dshown);
        return nf_err_set(err, NF_E_USAGE,
                          "%s: cannot write %s: cannot create a file in %s (needed to replace "
                          "it whole): %s",
                          what, nf_path_shown(path, shown), dshown, open_reason(e));
    }
    close(f);
    unlink(tmp);
    return NF_OK;
}

static int write_all(int f, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(f, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int nf_outfile_write(const struct nf_outfile *o, const void *data, size_t len, struct nf_err *err)
{
    if (o->to_stdout) {
        if (write_all(STDOUT_FILENO, data, len) != 0)
            return nf_err_set(err, NF_E_IO, "%s: cannot write to standard output: %s", o->what,
                              strerror(errno));
        return NF_OK;
    }
    char shown[NF_PATH_SHOWN_MAX + 1];
    nf_path_shown(o->path, shown);
    /* checked again: what the path names may have changed while we worked */
    struct nf_outfile now = *o;
    int rc = check_target(&now, err);
    if (rc != NF_OK)
        return rc;
    char tmp[sizeof o->path + 32];
    if (tmp_name(o, tmp, sizeof tmp) != NF_OK)
        return nf_err_set(err, NF_E_USAGE, "%s: the path is too long", o->what);
    int f = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (f < 0)
        return nf_err_set(err, NF_E_IO, "%s: cannot create a file beside %s: %s", o->what, shown,
                          strerror(errno));
    if (now.exists) {
        (void)fchmod(f, now.mode);
        /* best effort: a file root replaces keeps its owner if it can */
        int owned = geteuid() == 0 ? fchown(f, now.uid, now.gid) : 0;
        (void)owned;
    }
    int bad = write_all(f, data, len) != 0 || fsync(f) != 0;
    int e = errno;
    if (close(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad || rename(tmp, o->path) != 0) {
        if (!bad)
            e = errno;
        unlink(tmp);
        return nf_err_set(err, NF_E_IO, "%s: cannot write %s: %s", o->what, shown, strerror(e));
    }
    return NF_OK;
}
