/* trace.c - the strict, bounded CSV trace reader. */
#define _POSIX_C_SOURCE 200809L
#include "trace.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/buf.h"
#include "../util/files.h"
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

/* The reader's state, fed one line at a time (from memory or from a file in chunks). */
struct reader {
    const char *file;
    size_t line;
    double *t, *v;
    size_t n, cap;
    struct nf_err *err;
};

static int feed(struct reader *R, const char *p, size_t ll)
{
    R->line++;
    const char *file = R->file;
    size_t line = R->line;
    struct nf_err *err = R->err;
    if (ll > 0 && p[ll - 1] == '\r')
        ll--;
    if (line == 1) {
        if (ll >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
            p += 3;
            ll -= 3;
        }
        if (ll != sizeof header - 1 || memcmp(p, header, ll) != 0)
            return bad(err, file, line, "bad header \"%s\"; expected t_seconds,value", p, ll);
        return NF_OK;
    }
    if (ll == 0)
        return bad(err, file, line, "empty line%s", "", 0);
    const char *comma = memchr(p, ',', ll);
    if (comma == NULL || memchr(comma + 1, ',', ll - (size_t)(comma + 1 - p)) != NULL)
        return bad(err, file, line, "expected two fields t_seconds,value, got \"%s\"", p, ll);
    const char *ts = p, *vs = comma + 1;
    size_t tl = (size_t)(comma - p), vl = ll - tl - 1;
    double tv, vv;
    if (nf_parse_double(ts, tl, &tv, NULL) != NF_OK)
        return bad(err, file, line, "t_seconds \"%s\" is not numeric", ts, tl);
    if (nf_parse_double(vs, vl, &vv, NULL) != NF_OK)
        return bad(err, file, line, "value \"%s\" is not numeric", vs, vl);
    if (tv < 0)
        return bad(err, file, line, "t_seconds \"%s\" is negative", ts, tl);
    if (tv > NF_TRACE_T_MAX)
        return bad(err, file, line, "t_seconds \"%s\" is past the limit of 1e10 s", ts, tl);
    if (vv < 0)
        return bad(err, file, line, "value \"%s\" is negative", vs, vl);
    if (vv > NF_TRACE_VALUE_MAX)
        return bad(err, file, line, "value \"%s\" is larger than the limit of 1e12", vs, vl);
    if (R->n > 0) {
        double prev = R->t[R->n - 1], gap = tv - prev;
        if (tv <= prev)
            return bad(err, file, line,
                       tv == prev ? "time \"%s\" repeats the previous row's"
                                  : "time \"%s\" goes backwards",
                       ts, tl);
        if (gap < NF_TRACE_STEP_MIN_S)
            return bad(err, file, line,
                       "time \"%s\" comes less than 1 s after the previous row's (rows are "
                       "intervals of at least 1 s)",
                       ts, tl);
        if (gap > NF_TRACE_STEP_MAX_S)
            return bad(err, file, line,
                       "time \"%s\" comes more than a day after the previous row's (a gap "
                       "that long is not a demand trace)",
                       ts, tl);
        if (tv - R->t[0] > NF_TRACE_SPAN_MAX_S)
            return bad(err, file, line,
                       "time \"%s\" makes the trace longer than its limit of 800 days", ts, tl);
    }
    if (R->n == NF_TRACE_ROWS_MAX)
        return nf_err_set(err, NF_E_TOO_BIG, "%s:%zu: more than %zu rows", file, line,
                          NF_TRACE_ROWS_MAX);
    if (R->n == R->cap) {
        size_t nc = R->cap ? R->cap * 2 : 1024;
        if (nc > NF_TRACE_ROWS_MAX)
            nc = NF_TRACE_ROWS_MAX;
        double *nt = realloc(R->t, nc * sizeof *nt);
        if (nt == NULL)
            return nf_err_set(err, NF_E_NOMEM, "%s: out of memory", file);
        R->t = nt;
        double *nv = realloc(R->v, nc * sizeof *nv);
        if (nv == NULL)
            return nf_err_set(err, NF_E_NOMEM, "%s: out of memory", file);
        R->v = nv;
        R->cap = nc;
    }
    R->t[R->n] = tv;
    R->v[R->n] = vv;
    R->n++;
    return NF_OK;
}

static int finish(struct reader *R, struct nf_trace *out, int rc)
{
    if (rc == NF_OK && R->line == 0)
        rc = nf_err_set(R->err, NF_E_INPUT, "%s:1: empty file; expected the header t_seconds,value",
                        R->file);
    if (rc == NF_OK && R->n < 2)
        rc = nf_err_set(R->err, NF_E_INPUT,
                        "%s:%zu: needs at least two data rows (the gap between rows is the "
                        "interval)",
                        R->file, R->line);
    if (rc != NF_OK) {
        free(R->t);
        free(R->v);
        return rc;
    }
    snprintf(out->file, sizeof out->file, "%s", R->file);
    out->t = R->t;
    out->v = R->v;
    out->n = R->n;
    out->end = R->t[R->n - 1] + (R->t[R->n - 1] - R->t[R->n - 2]);
    return NF_OK;
}

int nf_trace_parse(const char *data, size_t len, const char *file, struct nf_trace *out,
                   struct nf_err *err)
{
    memset(out, 0, sizeof *out);
    char shown[NF_PATH_SHOWN_MAX + 1];
    struct reader R = {.file = nf_path_shown(file, shown), .err = err};
    if (len > NF_TRACE_FILE_MAX)
        return nf_err_set(err, NF_E_TOO_BIG, "%s: larger than the %zu-byte limit", R.file,
                          NF_TRACE_FILE_MAX);
    const char *p = data, *endp = data + len;
    int rc = NF_OK;
    while (p < endp && rc == NF_OK) {
        const char *nl = memchr(p, '\n', (size_t)(endp - p));
        const char *eol = nl ? nl : endp;
        rc = feed(&R, p, (size_t)(eol - p));
        p = nl ? nl + 1 : endp;
    }
    return finish(&R, out, rc);
}

int nf_trace_load(const char *path, struct nf_trace *out, struct nf_err *err)
{
    memset(out, 0, sizeof *out);
    int fd;
    int rc = nf_file_open_read(path, NULL, NF_TRACE_FILE_MAX, &fd, err);
    if (rc != NF_OK)
        return rc;
    char shown[NF_PATH_SHOWN_MAX + 1];
    struct reader R = {.file = nf_path_shown(path, shown), .err = err};
    /* read in chunks, keeping only the rows: the memory is the rows', not the file's */
    enum { CHUNK = 65536 };
    char *chunk = malloc(CHUNK); /* not static: two threads may load traces at once */
    char *carry = malloc(NF_TRACE_LINE_MAX + 1);
    size_t ncarry = 0, total = 0;
    if (carry == NULL || chunk == NULL)
        rc = nf_err_set(err, NF_E_NOMEM, "%s: out of memory", R.file);
    while (rc == NF_OK) {
        ssize_t got = read(fd, chunk, CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = nf_err_set(err, NF_E_IO, "%s: read failed: %s", R.file, strerror(errno));
            break;
        }
        total += (size_t)got;
        if (total > NF_TRACE_FILE_MAX) {
            rc = nf_err_set(err, NF_E_TOO_BIG, "%s: larger than the %zu-byte limit", R.file,
                            NF_TRACE_FILE_MAX);
            break;
        }
        if (got == 0) {
            if (ncarry > 0)
                rc = feed(&R, carry, ncarry);
            break;
        }
        const char *p = chunk, *endp = chunk + got;
        while (p < endp && rc == NF_OK) {
            const char *nl = memchr(p, '\n', (size_t)(endp - p));
            size_t part = (size_t)((nl ? nl : endp) - p);
            if (ncarry + part > NF_TRACE_LINE_MAX) {
                rc = nf_err_set(err, NF_E_INPUT, "%s:%zu: line longer than %d bytes", R.file,
                                R.line + 1, NF_TRACE_LINE_MAX);
                break;
            }
            memcpy(carry + ncarry, p, part);
            ncarry += part;
            if (nl == NULL)
                break;
            rc = feed(&R, carry, ncarry);
            ncarry = 0;
            p = nl + 1;
        }
    }
    free(carry);
    free(chunk);
    if (fd != STDIN_FILENO)
        close(fd);
    return finish(&R, out, rc);
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
