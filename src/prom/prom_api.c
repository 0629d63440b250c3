/* prom_api.c - Prometheus API envelope and result parsing (jansson), bounded and strict. */
#include "prom_api.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/parse.h"

const char *nf_prom_type_name(enum nf_prom_type t)
{
    switch (t) {
    case NF_PROM_VECTOR:
        return "vector";
    case NF_PROM_MATRIX:
        return "matrix";
    case NF_PROM_SCALAR:
        return "scalar";
    case NF_PROM_STRING:
        return "string";
    case NF_PROM_NONE:
        break;
    }
    return "none";
}

int nf_prom_parse_value(const char *s, size_t n, double *out)
{
    if (n == 3 && memcmp(s, "NaN", 3) == 0) {
        *out = NAN;
        return NF_OK;
    }
    if ((n == 4 && memcmp(s, "+Inf", 4) == 0) || (n == 3 && memcmp(s, "Inf", 3) == 0)) {
        *out = INFINITY;
        return NF_OK;
    }
    if (n == 4 && memcmp(s, "-Inf", 4) == 0) {
        *out = -INFINITY;
        return NF_OK;
    }
    return nf_parse_double(s, n, out, NULL);
}

static int bad(struct nf_err *err, const char *where, const char *what)
{
    return nf_err_set(err, NF_E_INPUT, "Prometheus response: %s: %s", where, what);
}

static void copy_str(char *dst, size_t dstlen, const char *src)
{
    size_t n = strlen(src);
    if (n < dstlen) {
        memcpy(dst, src, n + 1);
        return;
    }
    memcpy(dst, src, dstlen - 4);
    memcpy(dst + dstlen - 4, "...", 4);
}

static int notes(json_t *arr, const char *name, char (*dst)[NF_PROM_NOTE_LEN], size_t *n,
                 struct nf_err *err)
{
    if (arr == NULL || json_is_null(arr))
        return NF_OK;
    if (!json_is_array(arr))
        return bad(err, name, "expected an array of strings");
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v))
            return bad(err, name, "expected an array of strings");
        if (*n < NF_PROM_NOTES_MAX)
            copy_str(dst[(*n)++], NF_PROM_NOTE_LEN, json_string_value(v));
    }
    return NF_OK;
}

/* [t, "v"] */
static int point(json_t *p, const char *where, struct nf_prom_point *out, struct nf_err *err)
{
    if (!json_is_array(p) || json_array_size(p) != 2)
        return bad(err, where, "expected [timestamp, \"value\"]");
    json_t *t = json_array_get(p, 0), *v = json_array_get(p, 1);
    if (!json_is_number(t) || !isfinite(json_number_value(t)))
        return bad(err, where, "timestamp is not a number");
    if (!json_is_string(v))
        return bad(err, where, "value is not a string");
    out->t = json_number_value(t);
    if (nf_prom_parse_value(json_string_value(v), json_string_length(v), &out->v) != NF_OK)
        return bad(err, where, "value is not a number");
    return NF_OK;
}

static int labels(json_t *metric, char *out, size_t outlen, struct nf_err *err)
{
    if (metric == NULL) {
        snprintf(out, outlen, "{}");
        return NF_OK;
    }
    if (!json_is_object(metric))
        return bad(err, "metric", "expected an object of labels");
    size_t o = 0;
    bool cut = false;
    out[o++] = '{';
    const char *k;
    json_t *v;
    json_object_foreach(metric, k, v)
    {
        if (!json_is_string(v))
            return bad(err, "metric", "label values must be strings");
        if (cut)
            continue;
        int w =
            snprintf(out + o, outlen - o, "%s%s=\"%s\"", o > 1 ? "," : "", k, json_string_value(v));
        if (w < 0 || (size_t)w >= outlen - o - 5) {
            cut = true;
            continue;
        }
        o += (size_t)w;
    }
    snprintf(out + o, outlen - o, cut ? "...}" : "}");
    return NF_OK;
}

static int parse_series(json_t *s, enum nf_prom_type type, struct nf_prom_series *out,
                        size_t *budget, size_t idx, struct nf_err *err)
{
    char where[64];
    snprintf(where, sizeof where, "result[%zu]", idx);
    if (!json_is_object(s))
        return bad(err, where, "expected an object");
    int rc = labels(json_object_get(s, "metric"), out->labels, sizeof out->labels, err);
    if (rc != NF_OK)
        return rc;
    if (type == NF_PROM_VECTOR) {
        json_t *v = json_object_get(s, "value");
        if (v == NULL && json_object_get(s, "histogram") != NULL) {
            json_t *h = json_object_get(s, "histogram");
            if (!json_is_array(h) || json_array_size(h) != 2 ||
                !json_is_number(json_array_get(h, 0)))
                return bad(err, where, "histogram is not [timestamp, {...}]");
            out->pts = malloc(sizeof *out->pts);
            if (out->pts == NULL)
                return nf_err_set(err, NF_E_NOMEM, "out of memory");
            out->pts[0].t = json_number_value(json_array_get(h, 0));
            out->pts[0].v = NAN;
            out->n = 1;
            out->histogram = true;
            return NF_OK;
        }
        if (v == NULL)
            return bad(err, where, "no value");
        if (*budget == 0)
            return bad(err, where, "too many points");
        (*budget)--;
        out->pts = malloc(sizeof *out->pts);
        if (out->pts == NULL)
            return nf_err_set(err, NF_E_NOMEM, "out of memory");
        out->n = 1;
        return point(v, where, &out->pts[0], err);
    }
    /* matrix */
    json_t *vals = json_object_get(s, "values");
    if (vals == NULL && json_object_get(s, "histograms") != NULL) {
        out->histogram = true;
        return NF_OK; /* no float points */
    }
    if (!json_is_array(vals))
        return bad(err, where, "values is not an array");
    size_t n = json_array_size(vals);
    if (n > *budget)
        return bad(err, where, "too many points");
    *budget -= n;
    if (n == 0)
        return NF_OK;
    out->pts = calloc(n, sizeof *out->pts);
    if (out->pts == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        snprintf(where, sizeof where, "result[%zu].values[%zu]", idx, i);
        rc = point(json_array_get(vals, i), where, &out->pts[i], err);
        if (rc != NF_OK)
            return rc;
        if (i > 0 && !(out->pts[i].t > out->pts[i - 1].t))
            return bad(err, where, "timestamps not increasing");
        out->n = i + 1;
    }
    return NF_OK;
}

static int parse_data(json_t *data, struct nf_prom_result *out, struct nf_err *err)
{
    if (!json_is_object(data))
        return bad(err, "data", "expected an object");
    json_t *rt = json_object_get(data, "resultType");
    json_t *res = json_object_get(data, "result");
    if (!json_is_string(rt))
        return bad(err, "data.resultType", "missing or not a string");
    const char *t = json_string_value(rt);
    if (strcmp(t, "vector") == 0)
        out->type = NF_PROM_VECTOR;
    else if (strcmp(t, "matrix") == 0)
        out->type = NF_PROM_MATRIX;
    else if (strcmp(t, "scalar") == 0)
        out->type = NF_PROM_SCALAR;
    else if (strcmp(t, "string") == 0)
        out->type = NF_PROM_STRING;
    else
        return bad(err, "data.resultType", "unknown result type");

    if (out->type == NF_PROM_SCALAR || out->type == NF_PROM_STRING) {
        if (!json_is_array(res) || json_array_size(res) != 2)
            return bad(err, "data.result", "expected [timestamp, \"value\"]");
        if (out->type == NF_PROM_STRING) {
            json_t *tt = json_array_get(res, 0), *sv = json_array_get(res, 1);
            if (!json_is_number(tt) || !json_is_string(sv))
                return bad(err, "data.result", "expected [timestamp, \"string\"]");
            out->string_t = json_number_value(tt);
            copy_str(out->string_value, sizeof out->string_value, json_string_value(sv));
            return NF_OK;
        }
        out->series = calloc(1, sizeof *out->series);
        if (out->series == NULL)
            return nf_err_set(err, NF_E_NOMEM, "out of memory");
        out->nseries = 1;
        snprintf(out->series[0].labels, sizeof out->series[0].labels, "{}");
        out->series[0].pts = malloc(sizeof *out->series[0].pts);
        if (out->series[0].pts == NULL)
            return nf_err_set(err, NF_E_NOMEM, "out of memory");
        out->series[0].n = 1;
        return point(res, "data.result", &out->series[0].pts[0], err);
    }
    if (!json_is_array(res))
        return bad(err, "data.result", "expected an array");
    size_t n = json_array_size(res);
    if (n > NF_PROM_SERIES_MAX)
        return bad(err, "data.result", "too many series");
    if (n == 0)
        return NF_OK;
    out->series = calloc(n, sizeof *out->series);
    if (out->series == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    size_t budget = NF_PROM_POINTS_MAX;
    for (size_t i = 0; i < n; i++) {
        out->nseries = i + 1;
        int rc = parse_series(json_array_get(res, i), out->type, &out->series[i], &budget, i, err);
        if (rc != NF_OK)
            return rc;
    }
    return NF_OK;
}

int nf_prom_parse(const char *data, size_t len, struct nf_prom_result *out, struct nf_err *err)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(data, len, 0, &jerr);
    if (root == NULL) {
        char what[200];
        snprintf(what, sizeof what, "invalid JSON at line %d column %d: %s", jerr.line, jerr.column,
                 jerr.text);
        return bad(err, "body", what);
    }
    int rc = NF_OK;
    if (!json_is_object(root)) {
        rc = bad(err, "body", "expected a JSON object");
        goto done;
    }
    json_t *st = json_object_get(root, "status");
    if (!json_is_string(st)) {
        rc = bad(err, "status", "missing or not a string");
        goto done;
    }
    rc = notes(json_object_get(root, "warnings"), "warnings", out->warnings, &out->nwarnings, err);
    if (rc == NF_OK)
        rc = notes(json_object_get(root, "infos"), "infos", out->infos, &out->ninfos, err);
    if (rc != NF_OK)
        goto done;
    if (strcmp(json_string_value(st), "error") == 0) {
        json_t *et = json_object_get(root, "errorType"), *em = json_object_get(root, "error");
        copy_str(out->error_type, sizeof out->error_type,
                 json_is_string(et) ? json_string_value(et) : "unknown");
        copy_str(out->error, sizeof out->error,
                 json_is_string(em) ? json_string_value(em) : "(no message)");
        out->ok = false;
        goto done;
    }
    if (strcmp(json_string_value(st), "success") != 0) {
        rc = bad(err, "status", "neither \"success\" nor \"error\"");
        goto done;
    }
    out->ok = true;
    rc = parse_data(json_object_get(root, "data"), out, err);
done:
    json_decref(root);
    if (rc != NF_OK)
        nf_prom_result_free(out);
    return rc;
}

void nf_prom_result_free(struct nf_prom_result *r)
{
    for (size_t i = 0; r->series && i < r->nseries; i++)
        free(r->series[i].pts);
    free(r->series);
    r->series = NULL;
    r->nseries = 0;
}
