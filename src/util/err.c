/* err.c - error codes, names and the caller-owned detail buffer. */
#define _POSIX_C_SOURCE 200809L
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int nf_err_set(struct nf_err *err, int code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
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
    return err->code;
}

void nf_err_clear(struct nf_err *err)
{
    if (err == NULL)
        return;
    err->code = NF_OK;
    err->msg[0] = '\0';
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
