/* trace.c - the strict, bounded CSV trace reader. */
#define _POSIX_C_SOURCE 200809L
#include "trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/buf.h"
#include "../util/parse.h"

static const char header[] = "t_seconds,value";

/* Show at most this much of a bad field in a message. */
#define NF_TRACE_SHOW_MAX 40

static int bad(struct nf_err *err, const char *file, size_t line, const char *fmt, const char *a,
               size_t alen)
{
    char what[256];
    char shown[NF_TRACE_SHOW_MAX * 2 + 8];
    size_t o = 0;
    for (size_t i = 0; i < alen && i < NF_TRACE_SHOW_MAX; i++) {
        unsigned char c = (unsigned char)a[i];
        shown[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (alen > NF_TRACE_SHOW_MAX) {
        memcpy(shown + o, "...", 3);
        o += 3;
    }
    shown[o] = '\0';
    snprintf(what, sizeof what, fmt, shown);
    return nf_err_set(err, NF_E_INPUT, "%s:%zu: %s", file, line, what);
}

int nf_trace_parse(const char *data, size_t len, const char *file, struct nf_trace *out,
                   struct nf_err *err)
{
    memset(out, 0, sizeof *out);
    if (len > NF_TRACE_FILE_MAX)
        return nf_err_set(err, NF_E_TOO_BIG, "%s: larger than the %zu-byte limit", file,
                          NF_TRACE_FILE_MAX);
    const char *p = data, *endp = data + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    size_t line = 0;
    size_t cap = 0, n = 0;
    double *t = NULL, *v = NULL;
    int rc = NF_OK;
    while (p < endp) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(endp - p));
        const char *eol = nl ? nl : endp;
        size_t ll = (size_t)(eol - p);
        if (ll > 0 && p[ll - 1] == '\r')
            ll--;
        if (line == 1) {
            if (ll != sizeof header - 1 || memcmp(p, header, ll) != 0) {
                rc = bad(err, file, line, "bad header \"%s\"; expected t_seconds,value", p, ll);
                goto fail;
            }
        } else {
            if (ll == 0) {
                rc = bad(err, file, line, "empty line%s", "", 0);
                goto fail;
            }
            const char *comma = memchr(p, ',', ll);
            if (comma == NULL || memchr(comma + 1, ',', ll - (size_t)(comma + 1 - p)) != NULL) {
                rc = bad(err, file, line, "expected two fields t_seconds,value, got \"%s\"", p, ll);
                goto fail;
            }
            const char *ts = p, *vs = comma + 1;
            size_t tl = (size_t)(comma - p), vl = ll - tl - 1;
            double tv, vv;
            if (nf_parse_double(ts, tl, &tv, NULL) != NF_OK) {
                rc = bad(err, file, line, "t_seconds \"%s\" is not numeric", ts, tl);
                goto fail;
            }
            if (nf_parse_double(vs, vl, &vv, NULL) != NF_OK) {
                rc = bad(err, file, line, "value \"%s\" is not numeric", vs, vl);
                goto fail;
            }
            if (tv < 0) {
                rc = bad(err, file, line, "t_seconds \"%s\" is negative", ts, tl);
                goto fail;
            }
            if (vv < 0) {
                rc = bad(err, file, line, "value \"%s\" is negative", vs, vl);
                goto fail;
            }
            if (n > 0 && tv <= t[n - 1]) {
                rc = bad(err, file, line,
                         tv == t[n - 1] ? "time \"%s\" repeats the previous row's"
                                        : "time \"%s\" goes backwards",
                         ts, tl);
                goto fail;
            }
            if (n == NF_TRACE_ROWS_MAX) {
                rc = nf_err_set(err, NF_E_TOO_BIG, "%s:%zu: more than %zu rows", file, line,
                                NF_TRACE_ROWS_MAX);
                goto fail;
            }
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 1024;
                double *nt = realloc(t, nc * sizeof *nt);
                if (nt == NULL) {
                    rc = nf_err_set(err, NF_E_NOMEM, "%s: out of memory", file);
                    goto fail;
                }
                t = nt;
                double *nv = realloc(v, nc * sizeof *nv);
                if (nv == NULL) {
                    rc = nf_err_set(err, NF_E_NOMEM, "%s: out of memory", file);
                    goto fail;
                }
                v = nv;
                cap = nc;
            }
            t[n] = tv;
            v[n] = vv;
            n++;
        }
        p = nl ? nl + 1 : endp;
    }
    if (line == 0) {
        rc = nf_err_set(err, NF_E_INPUT, "%s:1: empty file; expected the header t_seconds,value",
                        file);
        goto fail;
    }
    if (n < 2) {
        rc = nf_err_set(err, NF_E_INPUT,
                        "%s:%zu: needs at least two data rows (the gap between rows is the "
                        "interval)",
                        file, line);
        goto fail;
    }
    snprintf(out->file, sizeof out->file, "%s", file);
    out->t = t;
    out->v = v;
    out->n = n;
    out->end = t[n - 1] + (t[n - 1] - t[n - 2]);
    return NF_OK;
fail:
    free(t);
    free(v);
    return rc;
}

int nf_trace_load(const char *path, struct nf_trace *out, struct nf_err *err)
{
    struct nf_buf b;
    nf_buf_init(&b, NF_TRACE_FILE_MAX);
    int rc = nf_buf_read_file(&b, path, path, err);
    if (rc == NF_OK)
        rc = nf_trace_parse(b.data, b.len, path, out, err);
    nf_buf_free(&b);
    return rc;
}

void nf_trace_free(struct nf_trace *tr)
{
    free(tr->t);
    free(tr->v);
    tr->t = tr->v = NULL;
    tr->n = 0;
}

double nf_trace_value_at(const struct nf_trace *tr, size_t *cursor, double t)
{
    size_t i = *cursor < tr->n ? *cursor : 0;
    if (tr->t[i] > t)
        i = 0; /* time went back: restart */
    while (i + 1 < tr->n && tr->t[i + 1] <= t)
        i++;
    *cursor = i;
    return tr->v[i];
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int nf_trace_percentile(const struct nf_trace *tr, double pct, double *out, struct nf_err *err)
{
    if (!(pct > 0 && pct <= 100))
        return nf_err_set(err, NF_E_USAGE, "percentile %g is not in (0, 100]", pct);
    double *s = malloc(tr->n * sizeof *s);
    if (s == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    memcpy(s, tr->v, tr->n * sizeof *s);
    qsort(s, tr->n, sizeof *s, cmp_double);
    size_t rank = (size_t)ceil(pct / 100.0 * (double)tr->n);
    if (rank < 1)
        rank = 1;
    *out = s[rank - 1];
    free(s);
    return NF_OK;
}
