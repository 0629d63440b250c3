/* err.c - error codes, names and the caller-owned detail buffer. */
#define _POSIX_C_SOURCE 200809L
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when it is not one. */
size_t nf_utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    size_t more;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        more = 1;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        more = 2;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        more = 3;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i <= more; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((more == 2 && cp < 0x800) || (more == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
        return 0;
    return more + 1;
}

size_t nf_text_escape(const char *in, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t o = 0;
    while (*p && o + 1 < cap) {
        size_t n = nf_utf8_len(p);
        char esc[8] = "";
        if (n == 1 && (*p < 0x20 || *p == 0x7f)) {
            if (*p == '\n')
                memcpy(esc, "\\n", 3);
            else if (*p == '\r')
                memcpy(esc, "\\r", 3);
            else if (*p == '\t')
                memcpy(esc, "\\t", 3);
            else
                snprintf(esc, sizeof esc, "\\x%02x", *p);
        } else if (n == 0) {
            snprintf(esc, sizeof esc, "\\x%02x", *p);
        }
        if (esc[0]) {
            size_t el = strlen(esc);
            if (o + el + 1 > cap)
                break;
            memcpy(out + o, esc, el);
            o += el;
            p++;
            continue;
        }
        if (o + n + 1 > cap)
            break;
        memcpy(out + o, p, n);
        o += n;
        p += n;
    }
    out[o] = '\0';
    return o;
}

bool nf_text_is_clean(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = nf_utf8_len(p);
        if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f)))
            return false;
        p += n;
    }
    return true;
}

/* Messages end up on terminals and in JSON logs: one line of valid UTF-8, whatever a
 * server or a file put into them. */
static void clean(struct nf_err *err)
{
    if (nf_text_is_clean(err->msg))
        return;
    char raw[NF_ERR_MSG_MAX];
    memcpy(raw, err->msg, sizeof raw);
    nf_text_escape(raw, err->msg, sizeof err->msg);
}

int nf_err_set(struct nf_err *err, int code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    clean(err);
    return code;
}

int nf_err_prefix(struct nf_err *err, const char *fmt, ...)
{
    if (err == NULL)
        return NF_E_INTERNAL;
    char prefix[NF_ERR_MSG_MAX];
    char old[NF_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* both parts may be long: cut, never overflow */
    size_t pl = strnlen(prefix, sizeof err->msg - 3);
    memcpy(err->msg, prefix, pl);
    memcpy(err->msg + pl, ": ", 2);
    size_t room = sizeof err->msg - pl - 3;
    size_t ol = strnlen(old, room);
    memcpy(err->msg + pl + 2, old, ol);
    err->msg[pl + 2 + ol] = '\0';
    clean(err);
    return err->code;
}

const char *nf_strerror(int code)
{
    switch (code) {
#define NF__ERR_TEXT(name, num, status, text)                                                      \
    case num:                                                                                      \
        return text;
        NF_ERRORS(NF__ERR_TEXT)
#undef NF__ERR_TEXT
    }
    return "unknown error";
}

const char *nf_errname(int code)
{
    switch (code) {
#define NF__ERR_NAME(name, num, status, text)                                                      \
    case num:                                                                                      \
        return #name;
        NF_ERRORS(NF__ERR_NAME)
#undef NF__ERR_NAME
    }
    return "NF_E_?";
}

int nf_err_exit_status(int code)
{
    switch (code) {
#define NF__ERR_STATUS(name, num, status, text)                                                    \
    case num:                                                                                      \
        return status;
        NF_ERRORS(NF__ERR_STATUS)
#undef NF__ERR_STATUS
    }
    return 1;
}
