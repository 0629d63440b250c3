/* proto.c - shape-driven serialisers and parsers for the EC2, Query and JSON protocols. */
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

/* Models nest; so may hostile responses. Recursion deeper than this is refused. */
#define NF_AWS_SHAPE_DEPTH_MAX 32

static const json_t *shape_of(const json_t *shapes, const json_t *ref)
{
    const char *name = json_string_value(json_object_get(ref, "shape"));
    return name ? json_object_get(shapes, name) : NULL;
}

static const char *type_of(const json_t *shape)
{
    const char *t = json_string_value(json_object_get(shape, "type"));
    return t ? t : "";
}

/* The shape's type as a code, for the response walk (one lookup, no string compares). */
enum kind {
    K_OTHER,
    K_STRUCTURE,
    K_LIST,
    K_MAP,
    K_STRING,
    K_BOOLEAN,
    K_INT,
    K_FLOAT,
    K_TIMESTAMP,
    K_BLOB
};

static enum kind kind_of(const json_t *shape)
{
    const char *t = type_of(shape);
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
static bool flattened(const json_t *shape, const json_t *ref)
{
    return json_is_true(json_object_get(shape, "flattened")) ||
           json_is_true(json_object_get(ref, "flattened"));
}

static const char *ts_format(const json_t *shape, const char *dflt)
{
    const char *f = json_string_value(json_object_get(shape, "timestampFormat"));
    return f ? f : dflt;
}

/* A timestamp in any wire form (number, RFC 3339 with offset, HTTP date) as Unix seconds. */
static json_t *ts_json(const char *s, size_t n, const char *name, struct nf_err *err)
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

static void number_text(struct nf_buf *out, double v)
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
static void float_text(struct nf_buf *out, double v)
{
    if (!isfinite(v)) {
        number_text(out, v);
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

static void iso8601(struct nf_buf *out, double t)
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

/* ---- Query and EC2 serialisation ---- */

void nf_aws_form_encode(struct nf_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const unsigned char *run = p;
        while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
               *p == '-' || *p == '_' || *p == '.' || *p == '~')
            p++;
        if (p > run)
            nf_buf_append(out, run, (size_t)(p - run));
        if (*p == '\0')
            break;
        if (*p == ' ') {
            nf_buf_putc(out, '+');
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            nf_buf_append(out, e, 3);
        }
        p++;
    }
}

struct qctx {
    enum nf_aws_protocol proto;
    const json_t *shapes;
    struct nf_buf *out;
    struct nf_err *err;
};

static int q_value(struct qctx *q, const json_t *shape, const json_t *ref, const json_t *v,
                   const char *prefix, int depth);

/* Build a parameter name from the pieces up to NULL; a name longer than the buffer is an
 * error, never cut. */
static int keyj(struct qctx *q, char *out, size_t n, ...) __attribute__((sentinel));

static int keyj(struct qctx *q, char *out, size_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    size_t len = 0;
    int rc = NF_OK;
    for (const char *s; rc == NF_OK && (s = va_arg(ap, const char *)) != NULL;) {
        size_t l = strlen(s);
        if (l >= n - len)
            rc = nf_err_set(q->err, NF_E_INPUT, "parameter name too long");
        else {
            memcpy(out + len, s, l);
            len += l;
        }
    }
    va_end(ap);
    out[len] = '\0';
    return rc;
}

/* 1-based list positions as text */
static const char *pos(size_t i, char buf[24])
{
    char *p = buf + 23;
    *p = '\0';
    do {
        *--p = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    return p;
}

static void q_pair(struct qctx *q, const char *key, const char *value)
{
    nf_buf_putc(q->out, '&');
    nf_aws_form_encode(q->out, key);
    nf_buf_putc(q->out, '=');
    nf_aws_form_encode(q->out, value);
}

static void ec2_name(const json_t *ref, const char *member, char *out, size_t n)
{
    const char *qn = json_string_value(json_object_get(ref, "queryName"));
    const char *ln = json_string_value(json_object_get(ref, "locationName"));
    if (qn) {
        nf_strjoin(out, n, qn, (const char *)NULL);
        return;
    }
    nf_strjoin(out, n, ln ? ln : member, (const char *)NULL);
    if (out[0] >= 'a' && out[0] <= 'z')
        out[0] = (char)(out[0] - 32);
}

static int q_scalar(struct qctx *q, const json_t *shape, const json_t *v, const char *prefix)
{
    const char *t = type_of(shape);
    if (strcmp(t, "string") == 0 && json_is_string(v)) { /* the common case, no copy */
        q_pair(q, prefix, json_string_value(v));
        return NF_OK;
    }
    struct nf_buf s;
    nf_buf_init(&s, 1 << 20);
    int rc = NF_OK;
    if (strcmp(t, "string") == 0) {
        if (!json_is_string(v))
            rc = nf_err_set(q->err, NF_E_INPUT, "%s: expected a string", prefix);
        else
            nf_buf_puts(&s, json_string_value(v));
    } else if (strcmp(t, "boolean") == 0) {
        if (!json_is_boolean(v))
            rc = nf_err_set(q->err, NF_E_INPUT, "%s: expected a boolean", prefix);
        else
            nf_buf_puts(&s, json_is_true(v) ? "true" : "false");
    } else if (strcmp(t, "integer") == 0 || strcmp(t, "long") == 0 || strcmp(t, "short") == 0 ||
               strcmp(t, "byte") == 0) {
        if (!json_is_integer(v))
            rc = nf_err_set(q->err, NF_E_INPUT, "%s: expected an integer", prefix);
        else
            nf_buf_printf(&s, "%lld", (long long)json_integer_value(v));
    } else if (strcmp(t, "float") == 0 || strcmp(t, "double") == 0) {
        if (json_is_string(v)) /* NaN, Infinity, -Infinity */
            nf_buf_puts(&s, json_string_value(v));
        else if (json_is_integer(v))
            nf_buf_printf(&s, "%lld", (long long)json_integer_value(v));
        else if (json_is_number(v))
            float_text(&s, json_number_value(v));
        else
            rc = nf_err_set(q->err, NF_E_INPUT, "%s: expected a number", prefix);
    } else if (strcmp(t, "timestamp") == 0) {
        json_t *parsed = NULL;
        if (json_is_string(v)) { /* "2015-08-30 12:36:00+00:00", as the SDKs accept */
            parsed = ts_json(json_string_value(v), json_string_length(v), prefix, q->err);
            if (parsed == NULL) {
                nf_buf_free(&s);
                return q->err ? q->err->code : NF_E_INPUT;
            }
            v = parsed;
        }
        if (!json_is_number(v))
            rc = nf_err_set(q->err, NF_E_INPUT, "%s: expected Unix seconds", prefix);
        else if (strcmp(ts_format(shape, "iso8601"), "unixTimestamp") == 0)
            number_text(&s, json_number_value(v));
        else if (strcmp(ts_format(shape, "iso8601"), "rfc822") == 0) {
            char hd[32];
            nf_format_http_date(json_number_value(v), hd);
            nf_buf_puts(&s, hd);
        } else
            iso8601(&s, json_number_value(v));
        json_decref(parsed);
    } else if (strcmp(t, "blob") == 0) {
        if (!json_is_string(v))
            rc = nf_err_set(q->err, NF_E_INPUT, "%s: expected a string", prefix);
        else
            nf_base64_encode(&s, json_string_value(v), json_string_length(v));
    } else {
        rc = nf_err_set(q->err, NF_E_INPUT, "%s: unsupported shape type \"%s\"", prefix, t);
    }
    if (rc == NF_OK)
        q_pair(q, prefix, s.data ? s.data : "");
    nf_buf_free(&s);
    return rc;
}

static int q_value(struct qctx *q, const json_t *shape, const json_t *ref_in, const json_t *v,
                   const char *prefix, int depth)
{
    if (shape == NULL)
        return nf_err_set(q->err, NF_E_INTERNAL, "%s: no shape", prefix);
    if (depth > NF_AWS_SHAPE_DEPTH_MAX)
        return nf_err_set(q->err, NF_E_INPUT, "%s: nested too deeply", prefix);
    const char *t = type_of(shape);
    char key[1024];
    if (strcmp(t, "structure") == 0) {
        if (!json_is_object(v))
            return nf_err_set(q->err, NF_E_INPUT, "%s: expected an object", prefix);
        const json_t *members = json_object_get(shape, "members");
        const char *m;
        json_t *mv;
        json_object_foreach((json_t *)v, m, mv)
        {
            const json_t *ref = json_object_get(members, m);
            if (ref == NULL)
                return nf_err_set(q->err, NF_E_INPUT, "%s%s%s: no such member", prefix,
                                  prefix[0] ? "." : "", m);
            char name[256];
            if (q->proto == NF_AWS_EC2) {
                ec2_name(ref, m, name, sizeof name);
            } else {
                const char *ln = json_string_value(json_object_get(ref, "locationName"));
                nf_strjoin(name, sizeof name, ln ? ln : m, (const char *)NULL);
            }
            int rc =
                keyj(q, key, sizeof key, prefix, prefix[0] ? "." : "", name, (const char *)NULL);
            if (rc == NF_OK)
                rc = q_value(q, shape_of(q->shapes, ref), ref, mv, key, depth + 1);
            if (rc != NF_OK)
                return rc;
        }
        return NF_OK;
    }
    if (strcmp(t, "list") == 0) {
        if (!json_is_array(v))
            return nf_err_set(q->err, NF_E_INPUT, "%s: expected an array", prefix);
        const json_t *mref = json_object_get(shape, "member");
        if (json_array_size(v) == 0) {
            if (q->proto == NF_AWS_QUERY)
                q_pair(q, prefix, ""); /* Query sends an empty list as "Name=" */
            return NF_OK;
        }
        char lp[1024];
        int krc;
        if (q->proto == NF_AWS_EC2) {
            krc = keyj(q, lp, sizeof lp, prefix, (const char *)NULL);
        } else if (flattened(shape, ref_in)) {
            const char *mn = json_string_value(json_object_get(mref, "locationName"));
            if (mn != NULL) { /* a flattened list takes its member's name in place of its own */
                const char *dot = strrchr(prefix, '.');
                char head[1024];
                size_t hl = dot ? (size_t)(dot - prefix) + 1 : 0; /* with the dot */
                if (hl >= sizeof head)
                    hl = 0;
                memcpy(head, prefix, hl);
                head[hl] = '\0';
                krc = keyj(q, lp, sizeof lp, head, mn, (const char *)NULL);
            } else {
                krc = keyj(q, lp, sizeof lp, prefix, (const char *)NULL);
            }
        } else {
            const char *mn = json_string_value(json_object_get(mref, "locationName"));
            krc = keyj(q, lp, sizeof lp, prefix, ".", mn ? mn : "member", (const char *)NULL);
        }
        if (krc != NF_OK)
            return krc;
        size_t i;
        json_t *item;
        json_array_foreach((json_t *)v, i, item)
        {
            char nb[24];
            int rc = keyj(q, key, sizeof key, lp, ".", pos(i + 1, nb), (const char *)NULL);
            if (rc == NF_OK)
                rc = q_value(q, shape_of(q->shapes, mref), mref, item, key, depth + 1);
            if (rc != NF_OK)
                return rc;
        }
        return NF_OK;
    }
    if (strcmp(t, "map") == 0) {
        if (!json_is_object(v))
            return nf_err_set(q->err, NF_E_INPUT, "%s: expected an object", prefix);
        const json_t *kref = json_object_get(shape, "key"), *vref = json_object_get(shape, "value");
        const char *kn = json_string_value(json_object_get(kref, "locationName"));
        const char *vn = json_string_value(json_object_get(vref, "locationName"));
        char fp[1024];
        int krc = keyj(q, fp, sizeof fp, prefix, flattened(shape, ref_in) ? "" : ".entry",
                       (const char *)NULL);
        if (krc != NF_OK)
            return krc;
        size_t i = 0;
        const char *k;
        json_t *mv;
        json_object_foreach((json_t *)v, k, mv)
        {
            i++;
            char nb[24];
            int rc = keyj(q, key, sizeof key, fp, ".", pos(i, nb), ".", kn ? kn : "key",
                          (const char *)NULL);
            if (rc != NF_OK)
                return rc;
            q_pair(q, key, k);
            rc = keyj(q, key, sizeof key, fp, ".", pos(i, nb), ".", vn ? vn : "value",
                      (const char *)NULL);
            if (rc == NF_OK)
                rc = q_value(q, shape_of(q->shapes, vref), vref, mv, key, depth + 1);
            if (rc != NF_OK)
                return rc;
        }
        return NF_OK;
    }
    return q_scalar(q, shape, v, prefix);
}

int nf_awsq_serialize(enum nf_aws_protocol proto, const json_t *shapes, const char *input_shape,
                      const json_t *params, const char *action, const char *version,
                      struct nf_buf *out, struct nf_err *err)
{
    nf_buf_puts(out, "Action=");
    nf_aws_form_encode(out, action);
    nf_buf_puts(out, "&Version=");
    nf_aws_form_encode(out, version);
    if (input_shape == NULL || params == NULL || json_object_size(params) == 0)
        return out->status;
    struct qctx q = {.proto = proto, .shapes = shapes, .out = out, .err = err};
    int rc = q_value(&q, json_object_get(shapes, input_shape), NULL, params, "", 0);
    if (rc == NF_OK && out->status != NF_OK)
        rc = nf_err_set(err, out->status, "request body too large");
    return rc;
}

/* ---- XML parsing ---- */

/* The response walk. Structures met more than once in a document (every instance, every
 * tag) are looked up in the model once: their members, XML names, shapes and kinds are
 * kept in `memo` for the rest of the walk. */
struct xmember {
    const char *name, *xml_name, *item; /* item: a flattened list's element name */
    size_t xml_len;
    const json_t *ref, *shape;
    enum kind kind;
    bool flat;
};

struct xstruct {
    const json_t *shape;
    size_t n;
    struct xmember *m;
};

struct xctx {
    const json_t *shapes;
    struct xstruct *memo;
    size_t nmemo, capmemo;
    struct nf_err *err;
};

static json_t *x_value(struct xctx *x, const json_t *shape, const struct nf_xml_node *n, int depth);
static json_t *x_value_k(struct xctx *x, const json_t *shape, enum kind k,
                         const struct nf_xml_node *n, int depth);

static bool is_int_type(const char *t)
{
    return strcmp(t, "integer") == 0 || strcmp(t, "long") == 0 || strcmp(t, "short") == 0 ||
           strcmp(t, "byte") == 0;
}

/* a float in text: NaN/Infinity kept as those strings (JSON has no such numbers) */
static json_t *float_json(const char *s, size_t n, struct nf_err *err, const char *what)
{
    if ((n == 3 && memcmp(s, "NaN", 3) == 0) || (n == 8 && memcmp(s, "Infinity", 8) == 0) ||
        (n == 9 && memcmp(s, "-Infinity", 9) == 0))
        return json_stringn(s, n);
    double d;
    nf_trim(&s, &n);
    if (nf_parse_double(s, n, &d, NULL) != NF_OK) {
        nf_err_set(err, NF_E_INPUT, "%s: \"%.*s\" is not a number", what, (int)(n > 40 ? 40 : n),
                   s);
        return NULL;
    }
    return json_real(d);
}

static json_t *x_scalar(const json_t *shape, enum kind k, const char *s, size_t n, const char *name,
                        struct nf_err *err)
{
    if (k == K_STRING)
        return json_stringn(s, n);
    if (k == K_BOOLEAN) {
        if (n == 4 && memcmp(s, "true", 4) == 0)
            return json_true();
        if (n == 5 && memcmp(s, "false", 5) == 0)
            return json_false();
        nf_err_set(err, NF_E_INPUT, "%s: expected true or false", name);
        return NULL;
    }
    if (k == K_INT) {
        long long v;
        const char *ts = s;
        size_t tn = n;
        nf_trim(&ts, &tn);
        if (nf_parse_ll(ts, tn, &v, NULL) != NF_OK) {
            nf_err_set(err, NF_E_INPUT, "%s: expected an integer", name);
            return NULL;
        }
        return json_integer(v);
    }
    if (k == K_FLOAT)
        return float_json(s, n, err, name);
    if (k == K_TIMESTAMP)
        return ts_json(s, n, name, err);
    if (k == K_BLOB) {
        struct nf_buf b;
        nf_buf_init(&b, n + 1);
        const char *ts = s;
        size_t tn = n;
        nf_trim(&ts, &tn);
        if (nf_base64_decode(&b, ts, tn) != NF_OK) {
            nf_buf_free(&b);
            nf_err_set(err, NF_E_INPUT, "%s: not base64", name);
            return NULL;
        }
        json_t *j = json_stringn(b.data ? b.data : "", b.len);
        nf_buf_free(&b);
        if (j == NULL)
            nf_err_set(err, NF_E_INPUT, "%s: not UTF-8 text", name);
        return j;
    }
    nf_err_set(err, NF_E_INPUT, "%s: unsupported shape type \"%s\"", name, type_of(shape));
    return NULL;
}

static json_t *x_list_items(struct xctx *x, const json_t *shape, const struct nf_xml_node *first,
                            const char *item_name, int depth)
{
    json_t *arr = json_array();
    const json_t *ms = shape_of(x->shapes, json_object_get(shape, "member"));
    enum kind mk = kind_of(ms); /* once for all the items */
    size_t il = strlen(item_name);
    for (const struct nf_xml_node *c = first; c; c = c->next) {
        if (c->name_len != il || memcmp(c->name, item_name, il) != 0)
            continue;
        json_t *v = x_value_k(x, ms, mk, c, depth + 1);
        if (v == NULL) {
            json_decref(arr);
            return NULL;
        }
        json_array_append_new(arr, v);
    }
    return arr;
}

static int x_map_entry(struct xctx *x, const json_t *shape, const struct nf_xml_node *e,
                       json_t *obj, int depth)
{
    const json_t *kref = json_object_get(shape, "key"), *vref = json_object_get(shape, "value");
    const char *kn = json_string_value(json_object_get(kref, "locationName"));
    const char *vn = json_string_value(json_object_get(vref, "locationName"));
    const struct nf_xml_node *k = nf_xml_child(e, kn ? kn : "key");
    const struct nf_xml_node *v = nf_xml_child(e, vn ? vn : "value");
    if (k == NULL)
        return nf_err_set(x->err, NF_E_INPUT, "%s: map entry without a key", e->name);
    json_t *val = v ? x_value(x, shape_of(x->shapes, vref), v, depth + 1) : json_null();
    if (val == NULL)
        return x->err ? x->err->code : NF_E_INPUT;
    json_object_set_new(obj, k->text, val);
    return NF_OK;
}

/* The members of a structure shape, from the memo or read from the model into it. */
static const struct xstruct *x_struct(struct xctx *x, const json_t *shape)
{
    for (size_t i = 0; i < x->nmemo; i++)
        if (x->memo[i].shape == shape)
            return &x->memo[i];
    if (x->nmemo == x->capmemo) {
        size_t cap = x->capmemo ? 2 * x->capmemo : 16;
        struct xstruct *m = realloc(x->memo, cap * sizeof *m);
        if (m == NULL)
            return NULL;
        x->memo = m;
        x->capmemo = cap;
    }
    const json_t *members = json_object_get(shape, "members");
    struct xstruct *st = &x->memo[x->nmemo];
    st->shape = shape;
    st->n = 0;
    st->m = calloc(json_object_size(members) ? json_object_size(members) : 1, sizeof *st->m);
    if (st->m == NULL)
        return NULL;
    x->nmemo++;
    const char *name;
    json_t *ref;
    json_object_foreach((json_t *)members, name, ref)
    {
        struct xmember *m = &st->m[st->n++];
        m->name = name;
        m->ref = ref;
        m->shape = shape_of(x->shapes, ref);
        m->kind = kind_of(m->shape);
        const char *ln = json_string_value(json_object_get(ref, "locationName"));
        m->xml_name = ln ? ln : name;
        m->xml_len = strlen(m->xml_name);
        m->flat = (m->kind == K_LIST || m->kind == K_MAP) && flattened(m->shape, ref);
        if (m->kind == K_LIST && m->flat) {
            const char *mn = json_string_value(
                json_object_get(json_object_get(m->shape, "member"), "locationName"));
            m->item = ln ? ln : mn ? mn : name;
        }
    }
    return st;
}

/* The first child with this name (lengths compared first: most names differ there). */
static const struct nf_xml_node *x_child(const struct nf_xml_node *n, const char *name, size_t len)
{
    for (const struct nf_xml_node *c = n->first; c; c = c->next)
        if (c->name_len == len && memcmp(c->name, name, len) == 0)
            return c;
    return NULL;
}

static json_t *x_value(struct xctx *x, const json_t *shape, const struct nf_xml_node *n, int depth)
{
    return x_value_k(x, shape, kind_of(shape), n, depth);
}

/* x_value for a shape whose kind the caller already knows */
static json_t *x_value_k(struct xctx *x, const json_t *shape, enum kind k,
                         const struct nf_xml_node *n, int depth)
{
    if (shape == NULL) {
        nf_err_set(x->err, NF_E_INTERNAL, "%s: no shape", n->name);
        return NULL;
    }
    if (depth > NF_AWS_SHAPE_DEPTH_MAX) {
        nf_err_set(x->err, NF_E_INPUT, "%s: nested too deeply", n->name);
        return NULL;
    }
    if (k == K_STRUCTURE) {
        const struct xstruct *st = x_struct(x, shape);
        if (st == NULL) {
            nf_err_set(x->err, NF_E_NOMEM, "out of memory");
            return NULL;
        }
        json_t *obj = json_object();
        for (size_t i = 0; i < st->n; i++) {
            const struct xmember *m = &st->m[i];
            json_t *v = NULL;
            if (m->kind == K_LIST && m->flat) {
                if (x_child(n, m->item, strlen(m->item)) == NULL)
                    continue;
                v = x_list_items(x, m->shape, n->first, m->item, depth);
            } else if (m->kind == K_MAP && m->flat) {
                if (x_child(n, m->xml_name, m->xml_len) == NULL)
                    continue;
                v = json_object();
                for (const struct nf_xml_node *c = n->first; c && v; c = c->next)
                    if (c->name_len == m->xml_len &&
                        memcmp(c->name, m->xml_name, m->xml_len) == 0 &&
                        x_map_entry(x, m->shape, c, v, depth) != NF_OK) {
                        json_decref(v);
                        v = NULL;
                    }
            } else {
                const struct nf_xml_node *c = x_child(n, m->xml_name, m->xml_len);
                if (c == NULL)
                    continue;
                v = x_value_k(x, m->shape, m->kind, c, depth + 1);
            }
            if (v == NULL) {
                json_decref(obj);
                return NULL;
            }
            json_object_set_new_nocheck(obj, m->name, v);
        }
        return obj;
    }
    if (k == K_LIST) {
        const char *mn =
            json_string_value(json_object_get(json_object_get(shape, "member"), "locationName"));
        return x_list_items(x, shape, n->first, mn ? mn : "member", depth);
    }
    if (k == K_MAP) {
        json_t *obj = json_object();
        for (const struct nf_xml_node *c = n->first; c; c = c->next)
            if (strcmp(c->name, "entry") == 0 && x_map_entry(x, shape, c, obj, depth) != NF_OK) {
                json_decref(obj);
                return NULL;
            }
        return obj;
    }
    return x_scalar(shape, k, n->text, n->text_len, n->name, x->err);
}

/* Walk `n` as `shape` with a fresh memo. */
static json_t *x_walk(const json_t *shapes, const json_t *shape, const struct nf_xml_node *n,
                      struct nf_err *err)
{
    struct xctx x = {.shapes = shapes, .err = err};
    json_t *out = x_value(&x, shape, n, 0);
    for (size_t i = 0; i < x.nmemo; i++)
        free(x.memo[i].m);
    free(x.memo);
    return out;
}

int nf_awsxml_parse(enum nf_aws_protocol proto, const json_t *shapes, const char *output_shape,
                    const char *result_wrapper, const struct nf_xml_node *root, json_t **out,
                    struct nf_err *err)
{
    if (output_shape == NULL) {
        *out = json_object();
        return NF_OK;
    }
    const struct nf_xml_node *n = root;
    char wrapper[256];
    size_t rl = strlen(root->name);
    if (result_wrapper == NULL && proto == NF_AWS_QUERY && rl > 8 &&
        strcmp(root->name + rl - 8, "Response") == 0) {
        /* Query responses wrap the result in <OpResult> inside <OpResponse> */
        snprintf(wrapper, sizeof wrapper, "%.*sResult", (int)(rl - 8), root->name);
        if (nf_xml_child(root, wrapper) != NULL)
            result_wrapper = wrapper;
    }
    if (result_wrapper != NULL) {
        n = nf_xml_child(root, result_wrapper);
        if (n == NULL) {
            *out = json_object();
            return NF_OK;
        }
    }
    *out = x_walk(shapes, json_object_get(shapes, output_shape), n, err);
    return *out ? NF_OK : (err && err->code ? err->code : NF_E_INPUT);
}

const char *nf_aws_error_shape(const json_t *shapes, const char *code)
{
    const char *name;
    json_t *shape;
    json_object_foreach((json_t *)shapes, name, shape)
    {
        const char *c = json_string_value(json_object_get(json_object_get(shape, "error"), "code"));
        if (c != NULL && strcmp(c, code) == 0)
            return name;
    }
    return json_object_get(shapes, code) ? code : NULL;
}

int nf_awsxml_error(enum nf_aws_protocol proto, const json_t *shapes,
                    const struct nf_xml_node *root, char *code, size_t codelen, char *msg,
                    size_t msglen, json_t **fields)
{
    const struct nf_xml_node *e = NULL;
    if (proto == NF_AWS_EC2 && strcmp(root->name, "Response") == 0)
        e = nf_xml_path(root, "Errors/Error");
    else if (strcmp(root->name, "ErrorResponse") == 0)
        e = nf_xml_child(root, "Error");
    if (e == NULL)
        return NF_E_INPUT;
    const char *c = nf_xml_path_text(e, "Code");
    const char *m = nf_xml_path_text(e, "Message");
    snprintf(code, codelen, "%s", c ? c : "Unknown");
    snprintf(msg, msglen, "%s", m ? m : "");
    if (fields != NULL) {
        *fields = NULL;
        const char *sn = shapes ? nf_aws_error_shape(shapes, code) : NULL;
        const json_t *shape = sn ? json_object_get(shapes, sn) : NULL;
        if (shape != NULL) {
            struct nf_err ignore;
            *fields = x_walk(shapes, shape, e, &ignore);
        }
        if (*fields == NULL)
            *fields = json_object();
    }
    return NF_OK;
}

/* ---- JSON ---- */

static json_t *j_out(const json_t *shapes, const json_t *shape, const json_t *v, int depth,
                     struct nf_err *err);

static json_t *j_in(const json_t *shapes, const json_t *shape, const json_t *v, int depth,
                    struct nf_err *err)
{
    if (shape == NULL || depth > NF_AWS_SHAPE_DEPTH_MAX) {
        nf_err_set(err, NF_E_INPUT, "parameters nested too deeply or without a shape");
        return NULL;
    }
    const char *t = type_of(shape);
    if (strcmp(t, "structure") == 0) {
        if (!json_is_object(v)) {
            nf_err_set(err, NF_E_INPUT, "expected an object");
            return NULL;
        }
        json_t *obj = json_object();
        const json_t *members = json_object_get(shape, "members");
        const char *m;
        json_t *mv;
        json_object_foreach((json_t *)v, m, mv)
        {
            const json_t *ref = json_object_get(members, m);
            if (ref == NULL) {
                nf_err_set(err, NF_E_INPUT, "%s: no such member", m);
                json_decref(obj);
                return NULL;
            }
            json_t *sv = j_in(shapes, shape_of(shapes, ref), mv, depth + 1, err);
            if (sv == NULL) {
                json_decref(obj);
                return NULL;
            }
            const char *ln = json_string_value(json_object_get(ref, "locationName"));
            json_object_set_new(obj, ln ? ln : m, sv);
        }
        return obj;
    }
    if (strcmp(t, "list") == 0 && json_is_array(v)) {
        json_t *arr = json_array();
        const json_t *ms = shape_of(shapes, json_object_get(shape, "member"));
        size_t i;
        json_t *item;
        json_array_foreach((json_t *)v, i, item)
        {
            json_t *sv = j_in(shapes, ms, item, depth + 1, err);
            if (sv == NULL) {
                json_decref(arr);
                return NULL;
            }
            json_array_append_new(arr, sv);
        }
        return arr;
    }
    if (strcmp(t, "map") == 0 && json_is_object(v)) {
        json_t *obj = json_object();
        const json_t *vs = shape_of(shapes, json_object_get(shape, "value"));
        const char *k;
        json_t *mv;
        json_object_foreach((json_t *)v, k, mv)
        {
            json_t *sv = j_in(shapes, vs, mv, depth + 1, err);
            if (sv == NULL) {
                json_decref(obj);
                return NULL;
            }
            json_object_set_new(obj, k, sv);
        }
        return obj;
    }
    if (strcmp(t, "timestamp") == 0 && json_is_number(v)) {
        const char *f = ts_format(shape, "unixTimestamp");
        if (strcmp(f, "iso8601") == 0 || strcmp(f, "rfc822") == 0) {
            char out[40];
            if (strcmp(f, "iso8601") == 0) {
                struct nf_buf b;
                nf_buf_init(&b, sizeof out);
                iso8601(&b, json_number_value(v));
                snprintf(out, sizeof out, "%s", b.data ? b.data : "");
                nf_buf_free(&b);
            } else {
                nf_format_http_date(json_number_value(v), out);
            }
            return json_string(out);
        }
        return json_deep_copy(v);
    }
    if (strcmp(t, "blob") == 0 && json_is_string(v)) {
        struct nf_buf b;
        nf_buf_init(&b, 4 * json_string_length(v) / 3 + 8);
        nf_base64_encode(&b, json_string_value(v), json_string_length(v));
        json_t *s = json_stringn(b.data ? b.data : "", b.len);
        nf_buf_free(&b);
        return s;
    }
    return json_deep_copy(v); /* scalars travel as given (timestamps: Unix seconds) */
}

int nf_awsjson_serialize(const json_t *shapes, const char *input_shape, const json_t *params,
                         struct nf_buf *out, struct nf_err *err)
{ /* without a shape the parameters go as they are (nodefleet's JSON calls carry no blobs
   * or timestamps that would need one) */
    json_t *body = input_shape ? j_in(shapes, json_object_get(shapes, input_shape), params, 0, err)
                   : params    ? json_incref((json_t *)params)
                               : json_object();
    if (body == NULL)
        return err ? err->code : NF_E_INPUT;
    /* the Python SDK's separators and ASCII escapes: byte-identical bodies, so signatures can
     * be checked against it */
    char *text = json_dumps(body, JSON_ENSURE_ASCII);
    json_decref(body);
    if (text == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    nf_buf_puts(out, text);
    free(text);
    return out->status;
}

static json_t *j_out(const json_t *shapes, const json_t *shape, const json_t *v, int depth,
                     struct nf_err *err)
{
    if (shape == NULL || depth > NF_AWS_SHAPE_DEPTH_MAX) {
        nf_err_set(err, NF_E_INPUT, "response nested too deeply or without a shape");
        return NULL;
    }
    const char *t = type_of(shape);
    if (strcmp(t, "structure") == 0) {
        if (!json_is_object(v)) {
            nf_err_set(err, NF_E_INPUT, "expected an object");
            return NULL;
        }
        json_t *obj = json_object();
        const json_t *members = json_object_get(shape, "members");
        const char *m;
        json_t *ref;
        json_object_foreach((json_t *)members, m, ref)
        {
            const char *ln = json_string_value(json_object_get(ref, "locationName"));
            const json_t *mv = json_object_get(v, ln ? ln : m);
            if (mv == NULL || json_is_null(mv))
                continue;
            json_t *sv = j_out(shapes, shape_of(shapes, ref), mv, depth + 1, err);
            if (sv == NULL) {
                json_decref(obj);
                return NULL;
            }
            json_object_set_new(obj, m, sv);
        }
        return obj;
    }
    if (strcmp(t, "list") == 0) {
        if (!json_is_array(v)) {
            nf_err_set(err, NF_E_INPUT, "expected an array");
            return NULL;
        }
        json_t *arr = json_array();
        const json_t *ms = shape_of(shapes, json_object_get(shape, "member"));
        size_t i;
        json_t *item;
        json_array_foreach((json_t *)v, i, item)
        {
            json_t *sv = j_out(shapes, ms, item, depth + 1, err);
            if (sv == NULL) {
                json_decref(arr);
                return NULL;
            }
            json_array_append_new(arr, sv);
        }
        return arr;
    }
    if (strcmp(t, "map") == 0) {
        if (!json_is_object(v)) {
            nf_err_set(err, NF_E_INPUT, "expected an object");
            return NULL;
        }
        json_t *obj = json_object();
        const json_t *vs = shape_of(shapes, json_object_get(shape, "value"));
        const char *k;
        json_t *mv;
        json_object_foreach((json_t *)v, k, mv)
        {
            if (json_is_null(mv))
                continue;
            json_t *sv = j_out(shapes, vs, mv, depth + 1, err);
            if (sv == NULL) {
                json_decref(obj);
                return NULL;
            }
            json_object_set_new(obj, k, sv);
        }
        return obj;
    }
    if (strcmp(t, "blob") == 0) {
        if (!json_is_string(v)) {
            nf_err_set(err, NF_E_INPUT, "blob is not a string");
            return NULL;
        }
        struct nf_buf b;
        nf_buf_init(&b, json_string_length(v) + 1);
        if (nf_base64_decode(&b, json_string_value(v), json_string_length(v)) != NF_OK) {
            nf_buf_free(&b);
            nf_err_set(err, NF_E_INPUT, "blob is not base64");
            return NULL;
        }
        json_t *s = json_stringn(b.data ? b.data : "", b.len);
        nf_buf_free(&b);
        if (s == NULL)
            nf_err_set(err, NF_E_INPUT, "blob is not UTF-8 text");
        return s;
    }
    if (strcmp(t, "timestamp") == 0 && json_is_string(v))
        return ts_json(json_string_value(v), json_string_length(v), "timestamp", err);
    if (strcmp(t, "string") == 0 && !json_is_string(v)) {
        nf_err_set(err, NF_E_INPUT, "expected a string");
        return NULL;
    }
    if (strcmp(t, "boolean") == 0 && !json_is_boolean(v)) {
        nf_err_set(err, NF_E_INPUT, "expected a boolean");
        return NULL;
    }
    if (is_int_type(t) && !json_is_integer(v)) {
        nf_err_set(err, NF_E_INPUT, "expected an integer");
        return NULL;
    }
    if ((strcmp(t, "float") == 0 || strcmp(t, "double") == 0 || strcmp(t, "timestamp") == 0) &&
        !json_is_number(v) && !json_is_string(v)) {
        nf_err_set(err, NF_E_INPUT, "expected a number");
        return NULL;
    }
    return json_deep_copy(v);
}

int nf_awsjson_parse(const json_t *shapes, const char *output_shape, const json_t *body,
                     json_t **out, struct nf_err *err)
{
    if (body == NULL || json_is_null(body)) {
        *out = json_object();
        return NF_OK;
    }
    if (output_shape == NULL) { /* the operation has no output */
        *out = json_object();
        return NF_OK;
    }
    if (strcmp(output_shape, "*") == 0) { /* no model: the body as it came */
        *out = json_incref((json_t *)body);
        return NF_OK;
    }
    *out = j_out(shapes, json_object_get(shapes, output_shape), body, 0, err);
    return *out ? NF_OK : (err && err->code ? err->code : NF_E_INPUT);
}

static void clean_code(const char *raw, char *code, size_t codelen)
{
    const char *hash = strchr(raw, '#');
    const char *s = hash ? hash + 1 : raw;
    size_t n = strcspn(s, ":");
    snprintf(code, codelen, "%.*s", (int)n, s);
}

void nf_awsjson_error(const char *errortype_header, const json_t *body, char *code, size_t codelen,
                      char *msg, size_t msglen)
{
    const char *raw = NULL;
    if (errortype_header && errortype_header[0])
        raw = errortype_header;
    else if (json_is_string(json_object_get(body, "__type")))
        raw = json_string_value(json_object_get(body, "__type"));
    else if (json_is_string(json_object_get(body, "code")))
        raw = json_string_value(json_object_get(body, "code"));
    clean_code(raw ? raw : "Unknown", code, codelen);
    const char *m = NULL;
    static const char *const keys[] = {"message", "Message", "errorMessage"};
    for (size_t i = 0; i < 3 && m == NULL; i++)
        if (json_is_string(json_object_get(body, keys[i])))
            m = json_string_value(json_object_get(body, keys[i]));
    snprintf(msg, msglen, "%s", m ? m : "");
}
