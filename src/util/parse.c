/* parse.c - strict integer, number, boolean and duration parsing. */
#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"

/* Longest numeric text we accept; longer is rejected, never truncated. */
#define NF_NUM_TEXT_MAX 64

static int fail(const char **why, const char *text)
{
    if (why != NULL)
        *why = text;
    return NF_E_INPUT;
}

static int copy_text(char *dst, const char *s, size_t n, const char **why)
{
    if (n == 0)
        return fail(why, "empty value");
    if (n >= NF_NUM_TEXT_MAX)
        return fail(why, "value too long");
    if (memchr(s, '\0', n) != NULL)
        return fail(why, "contains a NUL byte");
    memcpy(dst, s, n);
    dst[n] = '\0';
    return NF_OK;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void nf_trim(const char **s, size_t *n)
{
    while (*n > 0 && is_blank(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_blank((*s)[*n - 1]))
        (*n)--;
}

int nf_parse_ll(const char *s, size_t n, long long *out, const char **why)
{
    char t[NF_NUM_TEXT_MAX];
    if (copy_text(t, s, n, why) != NF_OK)
        return NF_E_INPUT;
    const char *p = t;
    if (*p == '+' || *p == '-')
        p++;
    if (*p == '\0')
        return fail(why, "not an integer");
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return fail(why, "not an integer");
    errno = 0;
    char *end = NULL;
    long long v = strtoll(t, &end, 10);
    if (errno == ERANGE)
        return fail(why, "out of range");
    if (end == t || *end != '\0')
        return fail(why, "not an integer");
    *out = v;
    return NF_OK;
}

int nf_parse_double(const char *s, size_t n, double *out, const char **why)
{
    char t[NF_NUM_TEXT_MAX];
    if (copy_text(t, s, n, why) != NF_OK)
        return NF_E_INPUT;
    /* strtod also takes hex, "inf", "nan" and leading blanks: allow only plain decimals */
    for (const char *q = t; *q; q++) {
        char c = *q;
        if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
            return fail(why, "not a number");
    }
    errno = 0;
    char *end = NULL;
    double v = strtod(t, &end);
    if (end == t || *end != '\0')
        return fail(why, "not a number");
    if (errno == ERANGE && fabs(v) > 1.0)
        return fail(why, "out of range");
    if (!isfinite(v))
        return fail(why, "not a finite number");
    *out = v;
    return NF_OK;
}

int nf_parse_bool(const char *s, size_t n, bool *out, const char **why)
{
    static const struct {
        const char *word;
        bool value;
    } words[] = {{"true", true}, {"false", false}, {"yes", true}, {"no", false},
                 {"on", true},   {"off", false},   {"1", true},   {"0", false}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strlen(words[i].word) == n && strncasecmp(s, words[i].word, n) == 0) {
            *out = words[i].value;
            return NF_OK;
        }
    }
    return fail(why, "expected true or false");
}

int nf_parse_duration(const char *s, size_t n, double *out_seconds, const char **why)
{
    char t[NF_NUM_TEXT_MAX];
    if (copy_text(t, s, n, why) != NF_OK)
        return NF_E_INPUT;
    if (t[0] == '-')
        return fail(why, "must not be negative");
    /* plain seconds, the seed's environment format */
    double plain;
    if (nf_parse_double(t, n, &plain, NULL) == NF_OK) {
        if (plain < 0)
            return fail(why, "must not be negative");
        *out_seconds = plain;
        return NF_OK;
    }
    /* units in decreasing order, each at most once: "1h30m" but not "5m5m" or "1s1h" */
    double total = 0, last_unit = INFINITY;
    const char *p = t;
    while (*p) {
        const char *num = p;
        while ((*p >= '0' && *p <= '9') || *p == '.')
            p++;
        if (p == num)
            return fail(why, "not a duration (use seconds, or e.g. 90s, 5m, 1h30m)");
        double v;
        if (nf_parse_double(num, (size_t)(p - num), &v, NULL) != NF_OK)
            return fail(why, "not a duration (use seconds, or e.g. 90s, 5m, 1h30m)");
        double unit;
        if (p[0] == 'm' && p[1] == 's') {
            unit = 0.001;
            p += 2;
        } else if (*p == 's') {
            unit = 1;
            p++;
        } else if (*p == 'm') {
            unit = 60;
            p++;
        } else if (*p == 'h') {
            unit = 3600;
            p++;
        } else if (*p == 'd') {
            unit = 86400;
            p++;
        } else {
            return fail(why, "not a duration (use seconds, or e.g. 90s, 5m, 1h30m)");
        }
        if (unit >= last_unit)
            return fail(why, "units must come largest first, each once (e.g. 1h30m)");
        last_unit = unit;
        total += v * unit;
    }
    if (!isfinite(total))
        return fail(why, "out of range");
    *out_seconds = total;
    return NF_OK;
}

int nf_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
