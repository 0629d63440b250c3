/* decide_input.c - parse and check the decide observation (jansson), write the decision. */
#include "decide_input.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

static int bad(struct nf_err *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(struct nf_err *err, const char *field, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return nf_err_set(err, NF_E_INPUT, "%s: %s", field, what);
}

/* A finite non-negative number; `null_ok` lets null mean unknown (NAN). */
static int get_number(const json_t *v, const char *field, bool null_ok, double *out,
                      struct nf_err *err)
{
    if (v == NULL || json_is_null(v)) {
        if (null_ok) {
            *out = NAN;
            return NF_OK;
        }
        return bad(err, field, v ? "must not be null" : "missing");
    }
    if (!json_is_number(v))
        return bad(err, field, "expected a number, got %s", type_name(v));
    double d = json_number_value(v);
    if (!isfinite(d))
        return bad(err, field, "not a finite number");
    if (d < 0)
        return bad(err, field, "must not be negative (got %g)", d);
    *out = d;
    return NF_OK;
}

static int get_count(const json_t *v, const char *field, bool required, int *out,
                     struct nf_err *err)
{
    if (v == NULL) {
        if (required)
            return bad(err, field, "missing");
        *out = 0;
        return NF_OK;
    }
    if (!json_is_integer(v))
        return bad(err, field, "expected a whole number, got %s",
                   json_is_real(v) ? "a fraction" : type_name(v));
    json_int_t i = json_integer_value(v);
    if (i < 0)
        return bad(err, field, "must not be negative (got %lld)", (long long)i);
    if (i > NF_DECIDE_COUNT_MAX)
        return bad(err, field, "too large (got %lld, limit %d)", (long long)i, NF_DECIDE_COUNT_MAX);
    *out = (int)i;
    return NF_OK;
}

int nf__decide_check_keys(const void *obj_, const char *where, const char *const *known,
                          struct nf_err *err)
{
    const json_t *obj = obj_;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        (void)val;
        bool ok = false;
        for (const char *const *k = known; *k; k++)
            ok = ok || strcmp(*k, key) == 0;
        if (!ok) {
            char field[160];
            snprintf(field, sizeof field, "%s%s%.100s", where, where[0] ? "." : "", key);
            return bad(err, field, "unknown field");
        }
    }
    return NF_OK;
}

static int parse_workers(const json_t *w, struct nf_workers *out, struct nf_err *err)
{
    static const char *const known[] = {"ready", "joining", "draining", NULL};
    if (w == NULL)
        return bad(err, "workers", "missing");
    if (!json_is_object(w))
        return bad(err, "workers", "expected an object, got %s", type_name(w));
    int rc = nf__decide_check_keys(w, "workers", known, err);
    if (rc == NF_OK)
        rc = get_count(json_object_get(w, "ready"), "workers.ready", true, &out->ready, err);
    if (rc == NF_OK)
        rc = get_count(json_object_get(w, "joining"), "workers.joining", true, &out->joining, err);
    if (rc == NF_OK)
        rc = get_count(json_object_get(w, "draining"), "workers.draining", true, &out->draining,
                       err);
    return rc;
}

static int parse_custom(const json_t *obj, const char *where, const struct nf_config *cfg,
                        struct nf_sample *o, struct nf_err *err)
{
    char field[160];
    snprintf(field, sizeof field, "%s.custom", where);
    if (obj == NULL || json_is_null(obj))
        return NF_OK;
    if (!json_is_object(obj))
        return bad(err, field, "expected an object of trigger values, got %s", type_name(obj));
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        snprintf(field, sizeof field, "%s.custom.%.48s", where, key);
        int k = -1;
        for (int i = 0; cfg && i < cfg->ntriggers; i++)
            if (strcmp(cfg->triggers[i].name, key) == 0)
                k = i;
        if (k < 0)
            return bad(err, field, "no trigger of that name in the configuration");
        if (val != NULL && !json_is_null(val) && json_is_number(val) &&
            json_number_value(val) < 0) {
            /* a custom signal may be negative (e.g. a margin): allow it */
            o->v[NF_SIG_CUSTOM(k)] = json_number_value(val);
            continue;
        }
        int rc = get_number(val, field, true, &o->v[NF_SIG_CUSTOM(k)], err);
        if (rc != NF_OK)
            return rc;
    }
    return NF_OK;
}

static int parse_samples(const json_t *arr, double now, const struct nf_config *cfg,
                         struct nf_decide_input *out, struct nf_err *err)
{
#define NF__SIG_KEY(id, name, what) name,
    static const char *const known[] = {"t", NF_SIGNALS(NF__SIG_KEY) "custom", NULL};
#undef NF__SIG_KEY

    if (arr == NULL || json_is_null(arr))
        return NF_OK;
    if (!json_is_array(arr))
        return bad(err, "samples", "expected an array, got %s", type_name(arr));
    size_t n = json_array_size(arr);
    if (n > NF_DECIDE_SAMPLES_MAX)
        return bad(err, "samples", "too many (%zu, limit %zu)", n, NF_DECIDE_SAMPLES_MAX);
    if (n == 0)
        return NF_OK;
    out->samples = calloc(n, sizeof *out->samples);
    if (out->samples == NULL)
        return nf_err_set(err, NF_E_NOMEM, "samples: out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *s = json_array_get(arr, i);
        char where[64], field[96];
        snprintf(where, sizeof where, "samples[%zu]", i);
        if (!json_is_object(s))
            return bad(err, where, "expected an object, got %s", type_name(s));
        int rc = nf__decide_check_keys(s, where, known, err);
        if (rc != NF_OK)
            return rc;
        struct nf_sample *o = &out->samples[i];
        for (int k = 0; k < NF_SAMPLE_VALUES; k++)
            o->v[k] = NAN;
        rc = parse_custom(json_object_get(s, "custom"), where, cfg, o, err);
        if (rc != NF_OK)
            return rc;
        snprintf(field, sizeof field, "%s.t", where);
        rc = get_number(json_object_get(s, "t"), field, false, &o->t, err);
        if (rc != NF_OK)
            return rc;
        if (o->t > now)
            return bad(err, field, "later than now (%.17g > %.17g)", o->t, now);
        if (i > 0 && o->t <= out->samples[i - 1].t)
            return bad(err, field, "samples out of time order (%.17g after %.17g)", o->t,
                       out->samples[i - 1].t);
        for (int sig = 0; sig < NF_SIG__COUNT; sig++) {
            snprintf(field, sizeof field, "%s.%s", where, nf_signal_names[sig]);
            rc = get_number(json_object_get(s, nf_signal_names[sig]), field, true, &o->v[sig], err);
            if (rc != NF_OK)
                return rc;
        }
    }
    out->obs.nsamples = n;
    out->obs.samples = out->samples;
    return NF_OK;
}

static int parse_last(const json_t *root, const char *name, double now, double *out,
                      struct nf_err *err)
{
    int rc = get_number(json_object_get(root, name), name, true, out, err);
    if (rc == NF_OK && isfinite(*out) && *out > now)
        return bad(err, name, "later than now (%.17g > %.17g)", *out, now);
    return rc;
}

/* "metrics_history": the seed's readings (predictive.h), [{"t", "cpu", "memory",
 * "pending_pods", "nodes"}], none later than now */
static int parse_mhistory(const json_t *a, double now, struct nf_decide_input *out,
                          struct nf_err *err)
{
    static const char *const known[] = {"t", "cpu", "memory", "pending_pods", "nodes", NULL};
    if (a == NULL)
        return NF_OK;
    if (!json_is_array(a) || json_array_size(a) > NF_DECIDE_MHISTORY_MAX)
        return bad(err, "metrics_history", "expected an array of at most %d readings",
                   NF_DECIDE_MHISTORY_MAX);
    size_t n = json_array_size(a);
    out->mhistory = calloc(n ? n : 1, sizeof *out->mhistory);
    if (out->mhistory == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *r = json_array_get(a, i);
        char where[48], field[80];
        snprintf(where, sizeof where, "metrics_history[%zu]", i);
        if (!json_is_object(r))
            return bad(err, where, "expected an object, got %s", type_name(r));
        int rc = nf__decide_check_keys(r, where, known, err);
        double t = 0, v[3];
        int nodes = 0;
        static const char *const names[3] = {"cpu", "memory", "pending_pods"};
        snprintf(field, sizeof field, "%s.t", where);
        if (rc == NF_OK)
            rc = get_number(json_object_get(r, "t"), field, false, &t, err);
        if (rc == NF_OK && t > now)
            return bad(err, field, "later than now (%.17g > %.17g)", t, now);
        for (int k = 0; k < 3 && rc == NF_OK; k++) {
            snprintf(field, sizeof field, "%s.%s", where, names[k]);
            rc = get_number(json_object_get(r, names[k]), field, true, &v[k], err);
        }
        snprintf(field, sizeof field, "%s.nodes", where);
        if (rc == NF_OK)
            rc = get_count(json_object_get(r, "nodes"), field, false, &nodes, err);
        if (rc != NF_OK)
            return rc;
        out->mhistory[i] = nf_history_item_at(t, v[0], v[1], v[2], nodes);
    }
    out->obs.mhistory = out->mhistory;
    out->obs.nmhistory = n;
    return NF_OK;
}

int nf_decide_parse(const char *data, size_t len, const struct nf_config *cfg,
                    struct nf_decide_input *out, struct nf_err *err)
{
    static const char *const known[] = {"now",           "workers",         "samples",
                                        "last_scale_up", "last_scale_down", "nodes",
                                        "pending_pods",  "metrics_history", NULL};
    memset(out, 0, sizeof *out);
    out->obs.last_scale_up = out->obs.last_scale_down = NAN;
    if (len > NF_DECIDE_INPUT_MAX)
        return bad(err, "input", "larger than the %zu-byte limit", NF_DECIDE_INPUT_MAX);
    json_error_t jerr;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return bad(err, "input", "invalid JSON at line %d column %d: %s", jerr.line, jerr.column,
                   jerr.text);
    int rc = NF_OK;
    if (!json_is_object(root)) {
        rc = bad(err, "input", "expected a JSON object, got %s", type_name(root));
        goto done;
    }
    rc = nf__decide_check_keys(root, "", known, err);
    if (rc == NF_OK)
        rc = get_number(json_object_get(root, "now"), "now", false, &out->obs.now, err);
    if (rc == NF_OK)
        rc = parse_workers(json_object_get(root, "workers"), &out->obs.workers, err);
    if (rc == NF_OK)
        rc = parse_samples(json_object_get(root, "samples"), out->obs.now, cfg, out, err);
    if (rc == NF_OK)
        rc = parse_last(root, "last_scale_up", out->obs.now, &out->obs.last_scale_up, err);
    if (rc == NF_OK)
        rc = parse_last(root, "last_scale_down", out->obs.now, &out->obs.last_scale_down, err);
    if (rc == NF_OK)
        rc = nf__decide_parse_fleet(root, out, err);
    if (rc == NF_OK)
        rc = parse_mhistory(json_object_get(root, "metrics_history"), out->obs.now, out, err);
done:
    out->root = root; /* the fleet's strings point into it */
    if (rc != NF_OK)
        nf_decide_input_free(out);
    return rc;
}

void nf_decide_input_free(struct nf_decide_input *in)
{
    for (size_t i = 0; i < in->nallocs; i++)
        free(in->allocs[i]);
    in->nallocs = 0;
    json_decref(in->root);
    in->root = NULL;
    in->obs.fleet = NULL;
    free(in->samples);
    in->samples = NULL;
    free(in->mhistory);
    in->mhistory = NULL;
    in->obs.mhistory = NULL;
    in->obs.nmhistory = 0;
    in->obs.samples = NULL;
    in->obs.nsamples = 0;
}

void nf_decide_write_plan(const struct nf_plan *plan, struct nf_buf *out)
{
    nf_buf_puts(out, "{\"action\":");
    nf_buf_json_str(out, nf_action_name(plan->action));
    nf_buf_printf(out, ",\"nodes\":%d,\"reason\":", plan->nodes);
    nf_buf_json_str(out, plan->reason);
    nf_buf_puts(out, ",\"trail\":[");
    for (size_t i = 0; i < plan->ntrail; i++) {
        const struct nf_trail_entry *e = &plan->trail[i];
        nf_buf_puts(out, i ? ",{\"rule\":" : "{\"rule\":");
        nf_buf_json_str(out, e->rule);
        nf_buf_puts(out, ",\"status\":");
        nf_buf_json_str(out, nf_trail_status_name(e->status));
        nf_buf_puts(out, ",\"detail\":");
        nf_buf_json_str(out, e->detail);
        nf_buf_putc(out, '}');
    }
    nf_buf_puts(out, "]}\n");
}
