/* proto_shapes.c - the service model's shapes, and scalars written as the AWS protocols want
 * them: what the Query, XML and JSON codecs share. */
#define _POSIX_C_SOURCE 200809L
#include "proto.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/base64.h"
#include "../util/parse.h"
#include "../util/timefmt.h"
#include "proto_internal.h"

const json_t *nf__aws_shape_of(const json_t *shapes, const json_t *ref)
{
    const char *name = json_string_value(json_object_get(ref, "shape"));
    return name ? json_object_get(shapes, name) : NULL;
}

const char *nf__aws_type_of(const json_t *shape)
{
    const char *t = json_string_value(json_object_get(shape, "type"));
    return t ? t : "";
}

/* The shape's type as a code, for the response walk (one lookup, no string compares). */

enum nf__aws_kind nf__aws_kind_of(const json_t *shape)
{
    const char *t = nf__aws_type_of(shape);
    switch (t[0]) {
    case 's':
        return strcmp(t, "structure") == 0 ? K_STRUCTURE
               : strcmp(t, "string") == 0  ? K_STRING
               : strcmp(t, "short") == 0   ? K_INT
                                           : K_OTHER;
    case 'l':
        return strcmp(t, "list") == 0 ? K_LIST : strcmp(t, "long") == 0 ? K_INT : K_OTHER;
    case 'm':
        return strcmp(t, "map") == 0 ? K_MAP : K_OTHER;
    case 'b':
        return strcmp(t, "boolean") == 0 ? K_BOOLEAN
               : strcmp(t, "byte") == 0  ? K_INT
               : strcmp(t, "blob") == 0  ? K_BLOB
                                         : K_OTHER;
    case 'i':
        return strcmp(t, "integer") == 0 ? K_INT : K_OTHER;
    case 'f':
        return strcmp(t, "float") == 0 ? K_FLOAT : K_OTHER;
    case 'd':
        return strcmp(t, "double") == 0 ? K_FLOAT : K_OTHER;
    case 't':
        return strcmp(t, "timestamp") == 0 ? K_TIMESTAMP : K_OTHER;
    default:
        return K_OTHER;
    }
}

/* "flattened" may sit on the shape or on the member reference to it */
bool nf__aws_flattened(const json_t *shape, const json_t *ref)
{
    return json_is_true(json_object_get(shape, "flattened")) ||
           json_is_true(json_object_get(ref, "flattened"));
}

const char *nf__aws_ts_format(const json_t *shape, const char *dflt)
{
    const char *f = json_string_value(json_object_get(shape, "timestampFormat"));
    return f ? f : dflt;
}

/* A timestamp in any wire form (number, RFC 3339 with offset, HTTP date) as Unix seconds. */
json_t *nf__aws_ts_json(const char *s, size_t n, const char *name, struct nf_err *err)
{
    char tmp[64];
    nf_trim(&s, &n);
    if (n >= sizeof tmp) {
        nf_err_set(err, NF_E_INPUT, "%s: timestamp too long", name);
        return NULL;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    double v;
    const char *why = "not a timestamp";
    if (nf_parse_time(tmp, &v, &why) != NF_OK && nf_parse_http_date(tmp, &v) != NF_OK) {
        nf_err_set(err, NF_E_INPUT, "%s: %s", name, why);
        return NULL;
    }
    return v == floor(v) && fabs(v) < 1e15 ? json_integer((json_int_t)v) : json_real(v);
}

/* ---- scalars as text ---- */

void nf__aws_number_text(struct nf_buf *out, double v)
{
    if (isnan(v))
        nf_buf_puts(out, "NaN");
    else if (isinf(v))
        nf_buf_puts(out, v > 0 ? "Infinity" : "-Infinity");
    else
        nf_buf_json_num(out, v);
}

/* A float the way the Python SDK writes one (repr): shortest digits, always with a point
 * or an exponent ("3.0", "10.8", "1e-05", "1e+16"). */
void nf__aws_float_text(struct nf_buf *out, double v)
{
    if (!isfinite(v)) {
        nf__aws_number_text(out, v);
        return;
    }
    char e[40];
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    int x = (int)strtol(strchr(e, 'e') + 1, NULL, 10);
    if (x < -4 || x >= 16) {
        /* mantissa as %e gave it (trailing zeros dropped), exponent with two digits */
        char *ep = strchr(e, 'e');
        *ep = '\0';
        size_t l = strlen(e);
        while (l > 0 && strchr(e, '.') && e[l - 1] == '0')
            e[--l] = '\0';
        if (l > 0 && e[l - 1] == '.')
            e[--l] = '\0';
        nf_buf_printf(out, "%se%c%02d", e, x < 0 ? '-' : '+', abs(x));
        return;
    }
    char f[64];
    snprintf(f, sizeof f, "%.*f", prec - 1 - x > 0 ? prec - 1 - x : 0, v);
    nf_buf_puts(out, f);
    if (strchr(f, '.') == NULL)
        nf_buf_puts(out, ".0");
}

void nf__aws_iso8601(struct nf_buf *out, double t)
{
    time_t secs = (time_t)floor(t);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char s[40];
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    nf_buf_puts(out, s);
    double frac = t - floor(t);
    if (frac > 0)
        nf_buf_printf(out, ".%06ld", lround(frac * 1e6) % 1000000);
    nf_buf_putc(out, 'Z');
}

bool nf__aws_is_int_type(const char *t)
{
    return strcmp(t, "integer") == 0 || strcmp(t, "long") == 0 || strcmp(t, "short") == 0 ||
           strcmp(t, "byte") == 0;
}
