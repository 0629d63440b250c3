/* proto_xml.c - answers and errors in the Query and EC2 protocols' XML, read by shape. */
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

/* ---- XML parsing ---- */

/* The response walk. Structures met more than once in a document (every instance, every
 * tag) are looked up in the model once: their members, XML names, shapes and kinds are
 * kept in `memo` for the rest of the walk. */
struct xmember {
    const char *name, *xml_name, *item; /* item: a flattened list's element name */
    size_t xml_len;
    const json_t *ref, *shape;
    enum nf__aws_kind kind;
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
static json_t *x_value_k(struct xctx *x, const json_t *shape, enum nf__aws_kind k,
                         const struct nf_xml_node *n, int depth);

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

static json_t *x_scalar(const json_t *shape, enum nf__aws_kind k, const char *s, size_t n,
                        const char *name, struct nf_err *err)
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
        return nf__aws_ts_json(s, n, name, err);
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
    nf_err_set(err, NF_E_INPUT, "%s: unsupported shape type \"%s\"", name, nf__aws_type_of(shape));
    return NULL;
}

static json_t *x_list_items(struct xctx *x, const json_t *shape, const struct nf_xml_node *first,
                            const char *item_name, int depth)
{
    json_t *arr = json_array();
    const json_t *ms = nf__aws_shape_of(x->shapes, json_object_get(shape, "member"));
    enum nf__aws_kind mk = nf__aws_kind_of(ms); /* once for all the items */
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
    json_t *val = v ? x_value(x, nf__aws_shape_of(x->shapes, vref), v, depth + 1) : json_null();
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
        m->shape = nf__aws_shape_of(x->shapes, ref);
        m->kind = nf__aws_kind_of(m->shape);
        const char *ln = json_string_value(json_object_get(ref, "locationName"));
        m->xml_name = ln ? ln : name;
        m->xml_len = strlen(m->xml_name);
        m->flat = (m->kind == K_LIST || m->kind == K_MAP) && nf__aws_flattened(m->shape, ref);
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
    return x_value_k(x, shape, nf__aws_kind_of(shape), n, depth);
}

/* x_value for a shape whose kind the caller already knows */
static json_t *x_value_k(struct xctx *x, const json_t *shape, enum nf__aws_kind k,
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
