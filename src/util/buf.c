/* buf.c - bounded growable buffers, and whole-file reads and writes through them. */
#define _POSIX_C_SOURCE 200809L
#include "buf.h"
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void nf_buf_init(struct nf_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
    b->status = NF_OK;
}

void nf_buf_free(struct nf_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->status = NF_OK;
}

void nf_buf_reset(struct nf_buf *b)
{
    b->len = 0;
    b->status = NF_OK;
    if (b->data != NULL)
        b->data[0] = '\0';
}

static int grow(struct nf_buf *b, size_t need)
{
    if (need <= b->cap)
        return NF_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > ((size_t)-1) / 2)
            return NF_E_NOMEM;
        cap *= 2;
    }
    /* never allocate more than limit + 1 (the NUL) */
    if (cap > b->limit + 1)
        cap = b->limit + 1;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        return NF_E_NOMEM;
    b->data = p;
    b->cap = cap;
    return NF_OK;
}

int nf_buf_append(struct nf_buf *b, const void *p, size_t n)
{
    if (b->status != NF_OK)
        return b->status;
    if (n > b->limit || b->len > b->limit - n) {
        b->status = NF_E_TOO_BIG;
        return b->status;
    }
    int rc = grow(b, b->len + n + 1);
    if (rc != NF_OK) {
        b->status = rc;
        return rc;
    }
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return NF_OK;
}

int nf_buf_puts(struct nf_buf *b, const char *s)
{
    return nf_buf_append(b, s, strlen(s));
}

int nf_buf_putv(struct nf_buf *b, ...)
{
    va_list ap;
    va_start(ap, b);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        nf_buf_append(b, s, strlen(s));
    va_end(ap);
    return b->status;
}

int nf_strjoin(char *out, size_t cap, ...)
{
    if (cap == 0)
        return NF_E_TOO_BIG;
    va_list ap;
    va_start(ap, cap);
    size_t len = 0;
    int rc = NF_OK;
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;) {
        size_t n = strlen(s);
        if (n >= cap - len) {
            n = cap - len - 1;
            rc = NF_E_TOO_BIG;
        }
        memcpy(out + len, s, n);
        len += n;
        if (rc != NF_OK)
            break;
    }
    va_end(ap);
    out[len] = '\0';
    return rc;
}

static int nf_buf_vprintf(struct nf_buf *b, const char *fmt, va_list ap)
{
    if (b->status != NF_OK)
        return b->status;
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->status = NF_E_INTERNAL;
        return b->status;
    }
    if ((size_t)n < sizeof small)
        return nf_buf_append(b, small, (size_t)n);
    if ((size_t)n > b->limit || b->len > b->limit - (size_t)n) {
        b->status = NF_E_TOO_BIG;
        return b->status;
    }
    int rc = grow(b, b->len + (size_t)n + 1);
    if (rc != NF_OK) {
        b->status = rc;
        return rc;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return NF_OK;
}

int nf_buf_printf(struct nf_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = nf_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int nf_buf_json_str(struct nf_buf *b, const char *s)
{
    nf_buf_putc(b, '"');
    const char *run = s;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        const char *esc = NULL;
        char hex[8];
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(hex, sizeof hex, "\\u%04x", c);
                esc = hex;
            } else if (c >= 0x80) {
                /* JSON is UTF-8: a byte that does not start a valid character becomes
                 * U+FFFD, never a raw byte; a valid one is copied whole */
                size_t n = nf_utf8_len((const unsigned char *)p);
                if (n == 0)
                    esc = "\\ufffd";
                else
                    p += n - 1;
            }
        }
        if (esc != NULL) {
            nf_buf_append(b, run, (size_t)(p - run));
            nf_buf_puts(b, esc);
            run = p + 1;
        }
    }
    nf_buf_puts(b, run);
    return nf_buf_putc(b, '"');
}

int nf_buf_html(struct nf_buf *b, const char *s)
{
    const char *run = s;
    for (const char *p = s; *p; p++) {
        const char *esc = NULL;
        switch (*p) {
        case '&':
            esc = "&amp;";
            break;
        case '<':
            esc = "&lt;";
            break;
        case '>':
            esc = "&gt;";
            break;
        case '"':
            esc = "&quot;";
            break;
        case '\'':
            esc = "&#39;";
            break;
        }
        if (esc != NULL) {
            nf_buf_append(b, run, (size_t)(p - run));
            nf_buf_puts(b, esc);
            run = p + 1;
        }
    }
    return nf_buf_puts(b, run);
}

int nf_buf_json_num(struct nf_buf *b, double v)
{
    if (!isfinite(v))
        return nf_buf_puts(b, "null");
    if (v == 0)
        return nf_buf_putc(b, '0'); /* also folds -0 */
    char tmp[40];
    if (v == floor(v) && fabs(v) < 1e15) { /* whole numbers as integers, never 1.7e+09 */
        snprintf(tmp, sizeof tmp, "%.0f", v);
        return nf_buf_puts(b, tmp);
    }
    /* the shortest %.*g that reads back as the same double */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    return nf_buf_puts(b, tmp);
}

static int nf_buf_read_fd(struct nf_buf *b, int fd, const char *what, struct nf_err *err)
{
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return nf_err_set(err, NF_E_IO, "%s: read failed: %s", what, strerror(errno));
        }
        if (n == 0)
            break;
        int rc = nf_buf_append(b, chunk, (size_t)n);
        if (rc == NF_E_TOO_BIG)
            return nf_err_set(err, rc, "%s: larger than the %zu-byte limit", what, b->limit);
        if (rc != NF_OK)
            return nf_err_set(err, rc, "%s: %s", what, nf_strerror(rc));
    }
    if (b->data == NULL) /* empty input: still give a NUL-terminated buffer */
        return nf_buf_append(b, "", 0) == NF_OK
                   ? NF_OK
                   : nf_err_set(err, NF_E_NOMEM, "%s: out of memory", what);
    return NF_OK;
}

int nf_buf_read_file(struct nf_buf *b, const char *path, const char *what, struct nf_err *err)
{
    int fd;
    int rc = nf_file_open_read(path, what != NULL && strcmp(what, path) == 0 ? NULL : what,
                               b->limit, &fd, err);
    if (rc != NF_OK)
        return rc;
    char shown[NF_PATH_SHOWN_MAX + 1];
    rc = nf_buf_read_fd(
        b, fd, what != NULL && strcmp(what, path) != 0 ? what : nf_path_shown(path, shown), err);
    if (fd != STDIN_FILENO)
        close(fd);
    return rc;
}
