/* proto_query.c - the Query and EC2 protocols' request serialisation (form-encoded). */
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
    const char *t = nf__aws_type_of(shape);
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
            nf__aws_float_text(&s, json_number_value(v));
        else
            rc = nf_err_set(q->err, NF_E_INPUT, "%s: expected a number", prefix);
    } else if (strcmp(t, "timestamp") == 0) {
        json_t *parsed = NULL;
        if (json_is_string(v)) { /* "2015-08-30 12:36:00+00:00", as the SDKs accept */
            parsed = nf__aws_ts_json(json_string_value(v), json_string_length(v), prefix, q->err);
            if (parsed == NULL) {
                nf_buf_free(&s);
                return q->err ? q->err->code : NF_E_INPUT;
            }
            v = parsed;
        }
        if (!json_is_number(v))
            rc = nf_err_set(q->err, NF_E_INPUT, "%s: expected Unix seconds", prefix);
        else if (strcmp(nf__aws_ts_format(shape, "iso8601"), "unixTimestamp") == 0)
            nf__aws_number_text(&s, json_number_value(v));
        else if (strcmp(nf__aws_ts_format(shape, "iso8601"), "rfc822") == 0) {
            char hd[32];
            nf_format_http_date(json_number_value(v), hd);
            nf_buf_puts(&s, hd);
        } else
            nf__aws_iso8601(&s, json_number_value(v));
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

/* a structure: each member given under its wire name */
static int q_structure(struct qctx *q, const json_t *shape, const json_t *v, const char *prefix,
                       int depth)
{
    char key[1024];
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
        int rc = keyj(q, key, sizeof key, prefix, prefix[0] ? "." : "", name, (const char *)NULL);
        if (rc == NF_OK)
            rc = q_value(q, nf__aws_shape_of(q->shapes, ref), ref, mv, key, depth + 1);
        if (rc != NF_OK)
            return rc;
    }
    return NF_OK;
}

/* a list: members numbered from 1 under the member name the protocol uses */
static int q_list(struct qctx *q, const json_t *shape, const json_t *ref_in, const json_t *v,
                  const char *prefix, int depth)
{
    char key[1024];
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
    } else if (nf__aws_flattened(shape, ref_in)) {
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
            rc = q_value(q, nf__aws_shape_of(q->shapes, mref), mref, item, key, depth + 1);
        if (rc != NF_OK)
            return rc;
    }
    return NF_OK;
}

/* a map: numbered entries, each a key and a value */
static int q_map(struct qctx *q, const json_t *shape, const json_t *ref_in, const json_t *v,
                 const char *prefix, int depth)
{
    char key[1024];
    if (!json_is_object(v))
        return nf_err_set(q->err, NF_E_INPUT, "%s: expected an object", prefix);
    const json_t *kref = json_object_get(shape, "key"), *vref = json_object_get(shape, "value");
    const char *kn = json_string_value(json_object_get(kref, "locationName"));
    const char *vn = json_string_value(json_object_get(vref, "locationName"));
    char fp[1024];
    int krc = keyj(q, fp, sizeof fp, prefix, nf__aws_flattened(shape, ref_in) ? "" : ".entry",
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
        int rc =
            keyj(q, key, sizeof key, fp, ".", pos(i, nb), ".", kn ? kn : "key", (const char *)NULL);
        if (rc != NF_OK)
            return rc;
        q_pair(q, key, k);
        rc = keyj(q, key, sizeof key, fp, ".", pos(i, nb), ".", vn ? vn : "value",
                  (const char *)NULL);
        if (rc == NF_OK)
            rc = q_value(q, nf__aws_shape_of(q->shapes, vref), vref, mv, key, depth + 1);
        if (rc != NF_OK)
            return rc;
    }
    return NF_OK;
}

static int q_value(struct qctx *q, const json_t *shape, const json_t *ref_in, const json_t *v,
                   const char *prefix, int depth)
{
    if (shape == NULL)
        return nf_err_set(q->err, NF_E_INTERNAL, "%s: no shape", prefix);
    if (depth > NF_AWS_SHAPE_DEPTH_MAX)
        return nf_err_set(q->err, NF_E_INPUT, "%s: nested too deeply", prefix);
    const char *t = nf__aws_type_of(shape);
    if (strcmp(t, "structure") == 0)
        return q_structure(q, shape, v, prefix, depth);
    if (strcmp(t, "list") == 0)
        return q_list(q, shape, ref_in, v, prefix, depth);
    if (strcmp(t, "map") == 0)
        return q_map(q, shape, ref_in, v, prefix, depth);
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
