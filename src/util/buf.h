/* buf.h - a growable byte buffer with a hard, named size cap.
 *
 * Contract
 *   Every buffer has a `limit` set at init: appending past it fails with NF_E_TOO_BIG and
 *   leaves the contents as they were. The data is always NUL-terminated (the NUL is not
 *   counted in `len`). Failures are sticky: once an append fails, `b->status` keeps the first
 *   error and later appends do nothing, so a writer may append freely and check once at the
 *   end. The buffer owns its memory; nf_buf_free() releases it and leaves an empty buffer.
 */
#ifndef NF_BUF_H
#define NF_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "err.h"

struct nf_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t limit;
    int status; /* NF_OK, or the first error */
};

void nf_buf_init(struct nf_buf *b, size_t limit);
void nf_buf_free(struct nf_buf *b);
void nf_buf_reset(struct nf_buf *b); /* len = 0, status = NF_OK; keeps memory */

int nf_buf_append(struct nf_buf *b, const void *p, size_t n);
int nf_buf_puts(struct nf_buf *b, const char *s);
/* Append each string up to the NULL that ends the list. */
int nf_buf_putv(struct nf_buf *b, ...) __attribute__((sentinel));

/* One byte; the common case (room, no error) inline. */
static inline int nf_buf_putc(struct nf_buf *b, char c)
{
    if (b->status == NF_OK && b->len + 2 <= b->cap && b->len < b->limit) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return NF_OK;
    }
    return nf_buf_append(b, &c, 1);
}

/* Concatenate the strings up to the NULL into out[cap] (always NUL-terminated). NF_OK, or
 * NF_E_TOO_BIG when they did not fit (then `out` holds what did). A cheap snprintf("%s%s")
 * for hot paths. */
int nf_strjoin(char *out, size_t cap, ...) __attribute__((sentinel));
int nf_buf_printf(struct nf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append `s` as a JSON string literal (quotes included); control characters escaped. */
int nf_buf_json_str(struct nf_buf *b, const char *s);
/* Append `s` with the five HTML special characters escaped. */
int nf_buf_html(struct nf_buf *b, const char *s);
/* Append a finite double the shortest way that round-trips ("%.17g" trimmed); non-finite
 * values are written as JSON null. */
int nf_buf_json_num(struct nf_buf *b, double v);

/* Read a whole file (path "-" = stdin) into `b`, bounded by b->limit, under the rules of
 * nf_file_open_read() (files.h): regular files only, too large refused before reading.
 * `what` names the input in error messages (the path itself when it is `path`). */
int nf_buf_read_file(struct nf_buf *b, const char *path, const char *what, struct nf_err *err);

#endif
