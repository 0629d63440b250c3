/* expo.c - text exposition writer, byte-compatible with the reference implementation. */
#include "expo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nf_expo_float(double v, char *out)
{
    if (isnan(v)) {
        snprintf(out, 32, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, 32, "%s", v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (v == 0) {
        snprintf(out, 32, "0");
        return;
    }
    /* shortest decimal digits that read back as v, via %e */
    char e[40];
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    const char *p = e;
    bool neg = *p == '-';
    if (neg)
        p++;
    char digits[24];
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    int x = (int)strtol(p + 1, NULL, 10); /* the exponent of d.ddd, as %e wrote it */
    int dp = x + 1;                       /* digits before the decimal point */
    /* Go: %e when x < -4 || x >= eprec, eprec = 6 for shortest, or nd when smaller and the
     * number is an integer written in full */
    int eprec = 6;
    if (eprec > nd && nd >= dp)
        eprec = nd;
    size_t o = 0;
    if (neg)
        out[o++] = '-';
    if (x < -4 || x >= eprec) {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            memcpy(out + o, digits + 1, (size_t)nd - 1);
            o += (size_t)nd - 1;
        }
        snprintf(out + o, 32 - o, "e%c%02d", x < 0 ? '-' : '+', abs(x));
        return;
    }
    if (dp <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = 0; i < -dp; i++)
            out[o++] = '0';
        memcpy(out + o, digits, (size_t)nd);
        o += (size_t)nd;
    } else if (dp >= nd) {
        memcpy(out + o, digits, (size_t)nd);
        o += (size_t)nd;
        for (int i = nd; i < dp; i++)
            out[o++] = '0';
    } else {
        memcpy(out + o, digits, (size_t)dp);
        o += (size_t)dp;
        out[o++] = '.';
        memcpy(out + o, digits + dp, (size_t)(nd - dp));
        o += (size_t)(nd - dp);
    }
    out[o] = '\0';
}

static bool legacy_name(const char *s, bool colon_ok)
{
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_' ||
          (colon_ok && s[0] == ':')))
        return false;
    for (const char *p = s + 1; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || (colon_ok && *p == ':')))
            return false;
    return true;
}

/* escape \ and newline (HELP), plus " when `quotes` (label values, quoted names) */
static void escaped(struct nf_buf *b, const char *s, bool quotes)
{
    const char *run = s;
    for (const char *p = s; *p; p++) {
        const char *esc = NULL;
        if (*p == '\\')
            esc = "\\\\";
        else if (*p == '\n')
            esc = "\\n";
        else if (quotes && *p == '"')
            esc = "\\\"";
        if (esc) {
            nf_buf_append(b, run, (size_t)(p - run));
            nf_buf_puts(b, esc);
            run = p + 1;
        }
    }
    nf_buf_puts(b, run);
}

static void quoted(struct nf_buf *b, const char *s)
{
    nf_buf_putc(b, '"');
    escaped(b, s, true);
    nf_buf_putc(b, '"');
}

static void family_name(struct nf_buf *b, const char *name)
{
    if (legacy_name(name, true))
        nf_buf_puts(b, name);
    else
        quoted(b, name);
}

void nf_expo_family(struct nf_buf *b, const char *name, const char *help, const char *type)
{
    if (help != NULL) {
        nf_buf_puts(b, "# HELP ");
        family_name(b, name);
        nf_buf_putc(b, ' ');
        escaped(b, help, false);
        nf_buf_putc(b, '\n');
    }
    nf_buf_puts(b, "# TYPE ");
    family_name(b, name);
    nf_buf_printf(b, " %s\n", type);
}

void nf_expo_sample(struct nf_buf *b, const char *name, const char *suffix,
                    const struct nf_label *labels, size_t nlabels, double value, bool has_ts,
                    int64_t ts_ms)
{
    char full[512];
    snprintf(full, sizeof full, "%s%s", name, suffix ? suffix : "");
    bool legacy = legacy_name(full, true);
    if (legacy)
        nf_buf_puts(b, full);
    if (!legacy || nlabels > 0) {
        nf_buf_putc(b, '{');
        if (!legacy) {
            quoted(b, full);
            if (nlabels > 0)
                nf_buf_putc(b, ',');
        }
        for (size_t i = 0; i < nlabels; i++) {
            if (i)
                nf_buf_putc(b, ',');
            if (legacy_name(labels[i].name, false))
                nf_buf_puts(b, labels[i].name);
            else
                quoted(b, labels[i].name);
            nf_buf_putc(b, '=');
            quoted(b, labels[i].value);
        }
        nf_buf_putc(b, '}');
    }
    char num[32];
    nf_expo_float(value, num);
    nf_buf_printf(b, " %s", num);
    if (has_ts)
        nf_buf_printf(b, " %lld", (long long)ts_ms);
    nf_buf_putc(b, '\n');
}

/* Labels limit for histogram lines: the caller's plus le. */
#define NF_EXPO_LABELS_MAX 16

void nf_expo_histogram(struct nf_buf *b, const char *name, const struct nf_label *labels,
                       size_t nlabels, const double *bounds, const double *cumulative,
                       size_t nbuckets, double sum, double count)
{
    struct nf_label ls[NF_EXPO_LABELS_MAX + 1];
    if (nlabels > NF_EXPO_LABELS_MAX)
        nlabels = NF_EXPO_LABELS_MAX;
    if (nlabels > 0) /* memcpy from NULL is undefined even for 0 bytes */
        memcpy(ls, labels, nlabels * sizeof *ls);
    char le[32];
    ls[nlabels] = (struct nf_label){.name = "le", .value = le};
    bool has_inf = false;
    for (size_t i = 0; i < nbuckets; i++) {
        nf_expo_float(bounds[i], le);
        has_inf = has_inf || (isinf(bounds[i]) && bounds[i] > 0);
        nf_expo_sample(b, name, "_bucket", ls, nlabels + 1, cumulative[i], false, 0);
    }
    if (!has_inf) {
        nf_expo_float(INFINITY, le);
        nf_expo_sample(b, name, "_bucket", ls, nlabels + 1, count, false, 0);
    }
    nf_expo_sample(b, name, "_sum", labels, nlabels, sum, false, 0);
    nf_expo_sample(b, name, "_count", labels, nlabels, count, false, 0);
}
