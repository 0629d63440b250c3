/* err.h - the one error enum of nodefleet, and the caller-owned error detail.
 *
 * Contract
 *   Every fallible function returns an int: NF_OK (0) on success, or one code below.
 *   Human-readable detail goes into a caller-owned `struct nf_err` (may be NULL when the
 *   caller does not care). Codes are only ever appended to the list: a retired code keeps
 *   its number forever, so logs and exit statuses stay comparable across versions.
 *   nf_err_exit_status() maps a code to the process exit status: 2 for bad usage, config or
 *   input; 1 for everything that went wrong at run time.
 */
#ifndef NF_ERR_H
#define NF_ERR_H

#include <stdbool.h>
#include <stddef.h>

/* X(name, number, exit status, message) */
#define NF_ERRORS(X)                                                                               \
    X(NF_OK, 0, 0, "ok")                                                                           \
    X(NF_E_USAGE, 1, 2, "bad usage")                                                               \
    X(NF_E_CONFIG, 2, 2, "bad configuration")                                                      \
    X(NF_E_INPUT, 3, 2, "bad input")                                                               \
    X(NF_E_NOMEM, 4, 1, "out of memory")                                                           \
    X(NF_E_IO, 5, 1, "input/output error")                                                         \
    X(NF_E_TOO_BIG, 6, 2, "input exceeds its size limit")                                          \
    X(NF_E_INTERNAL, 7, 1, "internal error (a broken invariant)")                                  \
    X(NF_E_NOT_FOUND, 8, 2, "not found")                                                           \
    X(NF_E_UNAVAILABLE, 9, 1, "service unavailable")                                               \
    X(NF_E_CONFLICT, 10, 1, "a conditional write lost (another writer holds the lease)")           \
    X(NF_E_AWS, 11, 1, "AWS refused the request")                                                  \
    X(NF_E_KUBE, 12, 1, "the Kubernetes API server refused the request")

enum nf_errcode {
#define NF__ERR_ENUM(name, num, status, text) name = num,
    NF_ERRORS(NF__ERR_ENUM)
#undef NF__ERR_ENUM
};

#define NF_ERR_MSG_MAX 256

struct nf_err {
    int code;
    char msg[NF_ERR_MSG_MAX];
};

/* Record `code` and a printf-style message in `err` (when not NULL); returns `code`. */
int nf_err_set(struct nf_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the message already in `err` with "prefix: " (bounded); returns err->code. */
int nf_err_prefix(struct nf_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* `in` as one line of valid UTF-8 for a terminal or a log: control characters written as
 * \n, \t, \x1b, bytes that are not UTF-8 as \xff; cut to fit `cap` (with its NUL) at a
 * character's end. Returns the length written. Every nf_err message goes through it. */
size_t nf_text_escape(const char *in, char *out, size_t cap);
/* Length of the valid UTF-8 character at p (1 to 4 bytes; C1 controls are not valid here),
 * or 0 when p does not start one. */
size_t nf_utf8_len(const unsigned char *p);
/* Is `s` already one line of valid UTF-8 without control characters? */
bool nf_text_is_clean(const char *s);

const char *nf_strerror(int code);
const char *nf_errname(int code);
int nf_err_exit_status(int code);

#endif
