/* proto_json.c - the JSON 1.0 protocol: requests in, answers and errors out, by shape. */
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

/* ---- JSON ---- */

/* One walker for both directions: requests go in (the caller's parameters to the wire's
 * names, blobs to base64, timestamps as the shape says) and answers come out (the wire's
 * names to the model's, checked against the shape). Collections are walked alike; the
 * scalars at the leaves differ. */
struct jwalk {
    const json_t *shapes;
    bool in;
    struct nf_err *err;
};

static json_t *j_value(const struct jwalk *w, const json_t *shape, const json_t *v, int depth);

static json_t *fail_null(struct nf_err *err, const char *what)
{
    nf_err_set(err, NF_E_INPUT, "%s", what);
    return NULL;
}

static json_t *j_structure(const struct jwalk *w, const json_t *shape, const json_t *v, int depth)
{
    if (!json_is_object(v))
        return fail_null(w->err, "expected an object");
    json_t *obj = json_object();
    const json_t *members = json_object_get(shape, "members");
    /* in: the caller's keys, each a member, named on the wire by its locationName; out: the
     * model's members, found on the wire by theirs */
    const char *m;
    json_t *x;
    json_object_foreach((json_t *)(w->in ? v : members), m, x)
    {
        const json_t *ref = w->in ? json_object_get(members, m) : x;
        if (ref == NULL) {
            nf_err_set(w->err, NF_E_INPUT, "%s: no such member", m);
            json_decref(obj);
            return NULL;
        }
        const char *ln = json_string_value(json_object_get(ref, "locationName"));
        const json_t *mv = w->in ? x : json_object_get(v, ln ? ln : m);
        if (!w->in && (mv == NULL || json_is_null(mv)))
            continue;
        json_t *sv = j_value(w, nf__aws_shape_of(w->shapes, ref), mv, depth + 1);
        if (sv == NULL) {
            json_decref(obj);
            return NULL;
        }
        json_object_set_new(obj, w->in && ln ? ln : m, sv);
    }
    return obj;
}

/* A list (items of shape "member") or a map (values of shape "value"). */
static json_t *j_items(const struct jwalk *w, const json_t *shape, const json_t *v, int depth,
                       bool list)
{
    const json_t *item_shape =
        nf__aws_shape_of(w->shapes, json_object_get(shape, list ? "member" : "value"));
    json_t *out = list ? json_array() : json_object();
    size_t i;
    const char *k;
    json_t *item;
    if (list) {
        json_array_foreach((json_t *)v, i, item)
        {
            json_t *sv = j_value(w, item_shape, item, depth + 1);
            if (sv == NULL || json_array_append_new(out, sv) != 0)
                goto fail;
        }
        return out;
    }
    json_object_foreach((json_t *)v, k, item)
    {
        if (!w->in && json_is_null(item))
            continue;
        json_t *sv = j_value(w, item_shape, item, depth + 1);
        if (sv == NULL || json_object_set_new(out, k, sv) != 0)
            goto fail;
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* A scalar going in: timestamps as the shape's format, blobs base64. */
static json_t *leaf_in(const json_t *shape, const char *t, const json_t *v)
{
    if (strcmp(t, "timestamp") == 0 && json_is_number(v)) {
        const char *f = nf__aws_ts_format(shape, "unixTimestamp");
        if (strcmp(f, "iso8601") == 0 || strcmp(f, "rfc822") == 0) {
            char out[40];
            if (strcmp(f, "iso8601") == 0) {
                struct nf_buf b;
                nf_buf_init(&b, sizeof out);
                nf__aws_iso8601(&b, json_number_value(v));
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

/* A scalar coming out, checked against its shape. */
static json_t *leaf_out(const char *t, const json_t *v, struct nf_err *err)
{
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
        return nf__aws_ts_json(json_string_value(v), json_string_length(v), "timestamp", err);
    if (strcmp(t, "string") == 0 && !json_is_string(v)) {
        nf_err_set(err, NF_E_INPUT, "expected a string");
        return NULL;
    }
    if (strcmp(t, "boolean") == 0 && !json_is_boolean(v)) {
        nf_err_set(err, NF_E_INPUT, "expected a boolean");
        return NULL;
    }
    if (nf__aws_is_int_type(t) && !json_is_integer(v)) {
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

static json_t *j_value(const struct jwalk *w, const json_t *shape, const json_t *v, int depth)
{
    if (shape == NULL || depth > NF_AWS_SHAPE_DEPTH_MAX)
        return fail_null(w->err, w->in ? "parameters nested too deeply or without a shape"
                                       : "response nested too deeply or without a shape");
    const char *t = nf__aws_type_of(shape);
    bool list = strcmp(t, "list") == 0, map = strcmp(t, "map") == 0;
    if (strcmp(t, "structure") == 0)
        return j_structure(w, shape, v, depth);
    if ((list && json_is_array(v)) || (map && json_is_object(v)))
        return j_items(w, shape, v, depth, list);
    if (!w->in && list)
        return fail_null(w->err, "expected an array");
    if (!w->in && map)
        return fail_null(w->err, "expected an object");
    return w->in ? leaf_in(shape, t, v) : leaf_out(t, v, w->err);
}

int nf_awsjson_serialize(const json_t *shapes, const char *input_shape, const json_t *params,
                         struct nf_buf *out, struct nf_err *err)
{ /* without a shape the parameters go as they are (nodefleet's JSON calls carry no blobs
   * or timestamps that would need one) */
    struct jwalk w = {.shapes = shapes, .in = true, .err = err};
    json_t *body = input_shape ? j_value(&w, json_object_get(shapes, input_shape), params, 0)
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
    struct jwalk w = {.shapes = shapes, .in = false, .err = err};
    *out = j_value(&w, json_object_get(shapes, output_shape), body, 0);
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
