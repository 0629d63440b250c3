/* state_json.c - the pool state as JSON, strictly both ways. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

#include "../util/parse.h"

void nf_state_add_decision(struct nf_state *st, const struct nf_decision_rec *d)
{
    if (st->ndecisions == NF_STATE_DECISIONS_MAX) {
        memmove(st->decisions, st->decisions + 1,
                (NF_STATE_DECISIONS_MAX - 1) * sizeof st->decisions[0]);
        st->ndecisions--;
    }
    st->decisions[st->ndecisions++] = *d;
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

int nf_launch_types_expand(const char *runs, int count, char out[][32])
{
    if (count < 0 || count > NF_LAUNCH_INSTANCES_MAX)
        return -1;
    int n = 0;
    for (const char *p = runs; *p;) {
        size_t l = strcspn(p, ","), star = strcspn(p, "*");
        long long k = 0;
        if (star >= l || star == 0 || star >= 32 ||
            nf_parse_ll(p + star + 1, l - star - 1, &k, NULL) != NF_OK || k < 1 || k > count - n)
            return -1;
        for (long long i = 0; i < k; i++)
            snprintf(out[n++], 32, "%.*s", (int)star, p);
        p += l;
        if (*p == ',' && *++p == '\0')
            return -1;
    }
    if (runs[0] == '\0')
        for (; n < count; n++)
            out[n][0] = '\0';
    return n == count ? 0 : -1;
}

int nf_state_to_json(const struct nf_state *st, struct nf_buf *out)
{
    json_t *launches = json_array(), *drains = json_array(), *hist = json_array(),
           *dec = json_array(), *off = json_array();
    for (int i = 0; i < st->nbackoffs; i++) {
        json_t *b = json_pack("{s:s, s:s, s:f}", "az", st->backoffs[i].az, "market",
                              st->backoffs[i].market, "until", st->backoffs[i].until);
        if (st->backoffs[i].type[0])
            json_object_set_new(b, "type", json_string(st->backoffs[i].type));
        json_array_append_new(off, b);
    }
    for (int i = 0; i < st->nlaunches; i++) {
        const struct nf_launch_rec *r = &st->launches[i];
        json_t *ids = json_array();
        for (int k = 0; k < r->ninstances; k++)
            json_array_append_new(ids, json_string(r->instances[k]));
        json_array_append_new(launches, json_pack("{s:s, s:s, s:s, s:f, s:i, s:i, s:o}", "intent",
                                                  r->intent, "az", r->az, "market", r->market,
                                                  "launched_at", r->launched_at, "count", r->count,
                                                  "spot", r->spot, "instances", ids));
        if (r->types[0])
            json_object_set_new(json_array_get(launches, json_array_size(launches) - 1), "types",
                                json_string(r->types));
    }
    for (int i = 0; i < st->ndrains; i++) {
        json_t *dr = json_pack("{s:s, s:s, s:f}", "node", st->drains[i].node, "instance",
                               st->drains[i].instance, "started_at", st->drains[i].started_at);
        if (st->drains[i].force_at > 0) /* an interruption's */
            json_object_set_new(dr, "force_at", json_real(st->drains[i].force_at));
        json_array_append_new(drains, dr);
    }
    for (int i = 0; i < st->nhistory; i++)
        json_array_append_new(hist, json_pack("{s:f, s:o, s:o, s:o}", "t", st->history[i].t, "cpu",
                                              num_or_null(st->history[i].cpu), "memory",
                                              num_or_null(st->history[i].memory), "pending_pods",
                                              num_or_null(st->history[i].pending_pods)));
    for (int i = 0; i < st->ndecisions; i++) {
        const struct nf_decision_rec *d = &st->decisions[i];
        json_array_append_new(dec, json_pack("{s:f, s:s, s:i, s:i, s:s, s:s}", "t", d->t, "action",
                                             d->action, "nodes", d->nodes, "size_before",
                                             d->size_before, "code", d->code, "reason", d->reason));
    }
    json_t *j = json_pack(
        "{s:i, s:f, s:f, s:s, s:s, s:o, s:o, s:o, s:o, s:I, s:I, s:I}", "node_count",
        st->node_count, "last_scale_up", st->last_scale_up, "last_scale_down", st->last_scale_down,
        "last_action", st->last_action, "last_reason", st->last_reason, "launches", launches,
        "drains", drains, "history", hist, "decisions", dec, "launch_failures",
        (json_int_t)st->launch_failures, "drains_done", (json_int_t)st->drains_done,
        "drains_aborted", (json_int_t)st->drains_aborted);
    if (j == NULL) {
        json_decref(off);
        return NF_E_NOMEM;
    }
    json_object_set_new(j, "backoffs", off);
    json_object_set_new(j, "schema", json_integer(NF_STATE_SCHEMA));
    if (st->demand.n > 0) { /* the demand history: oldest first, null for a gap */
        json_t *vals = json_array();
        for (int i = 0; i < st->demand.n; i++) {
            double v = st->demand.v[(st->demand.head + i) % NF_DEMAND_BUCKETS];
            json_array_append_new(vals,
                                  isnan(v) ? json_null() : json_real(round(v * 1000.0) / 1000.0));
        }
        json_object_set_new(j, "demand",
                            json_pack("{s:f, s:f, s:o}", "newest_t", st->demand.newest_t,
                                      "bucket_s", NF_DEMAND_BUCKET_S, "cores", vals));
    }
    if (st->demand.minute_t > 0) { /* the last hour by the minute: oldest first */
        json_t *vals = json_array();
        for (int i = NF_DEMAND_MINUTES - 1; i >= 0; i--) {
            double m = st->demand.minute_t - 60.0 * i;
            double v = st->demand.minute[nf_demand_minute_slot(m)];
            json_array_append_new(vals,
                                  isnan(v) ? json_null() : json_real(round(v * 1000.0) / 1000.0));
        }
        json_object_set_new(
            j, "demand_minutes",
            json_pack("{s:f, s:o}", "newest_t", st->demand.minute_t, "cores", vals));
    }
    if (st->ninterrupts > 0 || st->interruptions > 0) { /* absent before issue 15 */
        json_t *iv = json_array();
        for (int i = 0; i < st->ninterrupts; i++) {
            const struct nf_interrupt_rec *r = &st->interrupts[i];
            json_array_append_new(iv, json_pack("{s:s, s:s, s:s, s:f, s:f}", "instance",
                                                r->instance, "event", r->event_id, "kind", r->kind,
                                                "seen_at", r->seen_at, "deadline", r->deadline));
        }
        json_object_set_new(j, "interrupts", iv);
        json_object_set_new(j, "interruptions", json_integer(st->interruptions));
    }
    if (st->cost_if_on_demand > 0) /* a cloud's pool, listed and priced */
        json_object_set_new(j, "cost",
                            json_pack("{s:f, s:f, s:f}", "on_demand", st->cost_on_demand, "spot",
                                      st->cost_spot, "if_all_on_demand", st->cost_if_on_demand));
    if (st->nunneeded > 0) { /* absent in a state written before the default policy */
        json_t *un = json_array();
        for (int i = 0; i < st->nunneeded; i++)
            json_array_append_new(un, json_pack("{s:s, s:f}", "node", st->unneeded[i].node, "since",
                                                st->unneeded[i].since));
        json_object_set_new(j, "unneeded", un);
    }
    char *text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(j);
    if (text == NULL)
        return NF_E_NOMEM;
    int rc = nf_buf_puts(out, text);
    free(text);
    return rc;
}

/* ---- decoding ------------------------------------------------------------------------- */

struct dec {
    struct nf_err *err;
    int rc;
};

static void bad(struct dec *d, const char *field, const char *what)
{
    if (d->rc == NF_OK)
        d->rc = nf_err_set(d->err, NF_E_INPUT, "state: %s: %s", field, what);
}

static double number(struct dec *d, const json_t *o, const char *key, const char *field,
                     bool null_ok)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL || (json_is_null(v) && null_ok))
        return null_ok ? NAN : 0;
    if (!json_is_number(v)) {
        bad(d, field, "expected a number");
        return 0;
    }
    return json_number_value(v);
}

static long long integer(struct dec *d, const json_t *o, const char *key, const char *field,
                         long long lo, long long hi)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        bad(d, field, "expected a whole number in range");
        return 0;
    }
    return json_integer_value(v);
}

static void text(struct dec *d, const json_t *o, const char *key, const char *field, char *out,
                 size_t n, bool exact)
{
    out[0] = '\0';
    const json_t *v = json_object_get(o, key);
    if (v == NULL)
        return;
    if (!json_is_string(v)) {
        bad(d, field, "expected a string");
        return;
    }
    if (exact && strlen(json_string_value(v)) >= n) {
        bad(d, field, "too long");
        return;
    }
    snprintf(out, n, "%s", json_string_value(v));
}

static const json_t *list(struct dec *d, const json_t *o, const char *key, size_t max)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL)
        return NULL;
    if (!json_is_array(v))
        bad(d, key, "expected a list");
    else if (json_array_size(v) > max)
        bad(d, key, "more entries than nodefleet keeps");
    else
        return v;
    return NULL;
}

/* one launch record; false (d->rc set) when it is not even an object */
static bool read_launch(struct dec *d, const json_t *v, const char *f, struct nf_launch_rec *r)
{
    if (!json_is_object(v)) {
        bad(d, f, "expected an object");
        return false;
    }
    text(d, v, "intent", f, r->intent, sizeof r->intent, true);
    text(d, v, "az", f, r->az, sizeof r->az, true);
    text(d, v, "market", f, r->market, sizeof r->market, true);
    r->launched_at = number(d, v, "launched_at", f, false);
    r->count = (int)integer(d, v, "count", f, 0, 1000);
    r->spot = (int)integer(d, v, "spot", f, 0, r->count);
    text(d, v, "types", f, r->types, sizeof r->types, false);
    char each[NF_LAUNCH_INSTANCES_MAX][32];
    if (r->intent[0] == '\0')
        bad(d, f, "no intent");
    else if (d->rc == NF_OK && nf_launch_types_expand(r->types, r->count, each) != 0)
        bad(d, f, "types: expected TYPE*N runs adding up to count");
    size_t k;
    const json_t *id;
    const json_t *ids = json_object_get(v, "instances");
    if (ids && (!json_is_array(ids) || json_array_size(ids) > NF_LAUNCH_INSTANCES_MAX)) {
        bad(d, f, "instances: expected a list of at most 16");
        return true;
    }
    json_array_foreach(ids, k, id)
    {
        const char *s = json_string_value(id);
        if (s == NULL || s[0] == '\0' || strlen(s) >= sizeof r->instances[0]) {
            bad(d, f, "an instance id is not a short string");
            break;
        }
        snprintf(r->instances[r->ninstances++], sizeof r->instances[0], "%s", s);
    }
    return true;
}

/* the demand history: oldest first, null for a gap (forecast.h) */
static void read_demand(struct dec *dp, const json_t *dem, struct nf_demand_history *h)
{
    struct dec d = *dp;
    size_t i;
    const json_t *v;
    if (dem != NULL && d.rc == NF_OK) {
        double bs = number(&d, dem, "bucket_s", "demand", false);
        h->newest_t = number(&d, dem, "newest_t", "demand", false);
        if (d.rc == NF_OK && bs != NF_DEMAND_BUCKET_S)
            bad(&d, "demand", "bucket_s is not 300"); /* another layout: nothing is guessed */
        if (d.rc == NF_OK && (!(h->newest_t >= 0) || fmod(h->newest_t, NF_DEMAND_BUCKET_S) != 0))
            bad(&d, "demand", "newest_t is not the start of a bucket");
        json_array_foreach(list(&d, dem, "cores", NF_DEMAND_BUCKETS), i, v)
        {
            if (!json_is_null(v) && (!json_is_number(v) || json_number_value(v) < 0 ||
                                     !isfinite(json_number_value(v)))) {
                bad(&d, "demand.cores", "expected numbers of 0 or more, or null");
                break;
            }
            h->v[h->n++] = json_is_null(v) ? NAN : (float)json_number_value(v);
        }
    }
    *dp = d;
}

/* the last hour of demand by the minute: exactly 60 values, oldest first, ending at newest_t */
static void read_minutes(struct dec *dp, const json_t *dm, struct nf_demand_history *h)
{
    struct dec d = *dp;
    size_t i;
    const json_t *v;
    if (dm != NULL && d.rc == NF_OK) {
        double t = number(&d, dm, "newest_t", "demand_minutes", false);
        if (d.rc == NF_OK && (!(t > 0) || fmod(t, 60.0) != 0))
            bad(&d, "demand_minutes", "newest_t is not the start of a minute");
        const json_t *c = json_object_get(dm, "cores");
        if (d.rc == NF_OK && (!json_is_array(c) || json_array_size(c) != NF_DEMAND_MINUTES))
            bad(&d, "demand_minutes.cores", "expected 60 values");
        if (d.rc == NF_OK)
            json_array_foreach(c, i, v)
            {
                if (!json_is_null(v) && (!json_is_number(v) || json_number_value(v) < 0 ||
                                         !isfinite(json_number_value(v)))) {
                    bad(&d, "demand_minutes.cores", "expected numbers of 0 or more, or null");
                    break;
                }
                double m = t - 60.0 * (double)(NF_DEMAND_MINUTES - 1 - i);
                h->minute[nf_demand_minute_slot(m)] =
                    json_is_null(v) ? NAN : (float)json_number_value(v);
            }
        if (d.rc == NF_OK)
            h->minute_t = t;
    }
    *dp = d;
}

/* the events acted on (issue 15) */
static void read_interrupts(struct dec *dp, const json_t *j, struct nf_state *st)
{
    struct dec d = *dp;
    size_t i;
    const json_t *v;
    char f[96];
    st->interruptions = integer(&d, j, "interruptions", "interruptions", 0, 1LL << 50);
    const json_t *cost = json_object_get(j, "cost");
    st->cost_on_demand = st->cost_spot = st->cost_if_on_demand = NAN;
    if (cost != NULL && !json_is_object(cost)) {
        bad(&d, "cost", "expected an object");
    } else if (cost != NULL) {
        st->cost_on_demand = number(&d, cost, "on_demand", "cost.on_demand", false);
        st->cost_spot = number(&d, cost, "spot", "cost.spot", false);
        st->cost_if_on_demand =
            number(&d, cost, "if_all_on_demand", "cost.if_all_on_demand", false);
        if (d.rc == NF_OK && !(st->cost_on_demand >= 0 && st->cost_spot >= 0 &&
                               st->cost_if_on_demand >= 0 && st->cost_if_on_demand < 1e9))
            bad(&d, "cost", "expected dollars an hour, 0 or more");
    }
    json_array_foreach(list(&d, j, "interrupts", NF_STATE_INTERRUPTS_MAX), i, v)
    {
        struct nf_interrupt_rec *r = &st->interrupts[st->ninterrupts++];
        snprintf(f, sizeof f, "interrupts[%zu]", i);
        if (!json_is_object(v)) {
            bad(&d, f, "expected an object");
            break;
        }
        text(&d, v, "instance", f, r->instance, sizeof r->instance, true);
        text(&d, v, "event", f, r->event_id, sizeof r->event_id, true);
        text(&d, v, "kind", f, r->kind, sizeof r->kind, true);
        r->seen_at = number(&d, v, "seen_at", f, false);
        r->deadline = number(&d, v, "deadline", f, false);
        if (d.rc == NF_OK && (r->instance[0] == '\0' || r->event_id[0] == '\0'))
            bad(&d, f, "no instance or no event");
    }
    *dp = d;
}

/* the default policy's timers */
static void read_unneeded(struct dec *dp, const json_t *j, struct nf_state *st)
{
    struct dec d = *dp;
    size_t i;
    const json_t *v;
    char f[96];
    json_array_foreach(list(&d, j, "unneeded", NF_STATE_UNNEEDED_MAX), i, v)
    {
        struct nf_unneeded *r = &st->unneeded[st->nunneeded++];
        snprintf(f, sizeof f, "unneeded[%zu]", i);
        if (!json_is_object(v)) {
            bad(&d, f, "expected an object");
            break;
        }
        text(&d, v, "node", f, r->node, sizeof r->node, true);
        r->since = number(&d, v, "since", f, false);
        if (d.rc == NF_OK && r->node[0] == '\0')
            bad(&d, f, "no node");
    }
    *dp = d;
}

/* The schema: absent in a state written before it had one (1, read as is: every field added
 * since is optional); newer than this binary knows: refused, since saving it again would drop
 * what this binary does not know. */
static bool schema_known(struct dec *d, const json_t *j)
{
    long long schema =
        json_object_get(j, "schema") ? integer(d, j, "schema", "schema", 1, 1 << 30) : 1;
    if (d->rc == NF_OK && schema > NF_STATE_SCHEMA)
        d->rc = nf_err_set(d->err, NF_E_INPUT,
                           "state: schema %lld was written by a newer nodefleet (this one reads "
                           "up to %d); upgrade this one, or it would drop what it does not know",
                           schema, NF_STATE_SCHEMA);
    return d->rc == NF_OK;
}

int nf_state_from_json(const char *textin, size_t len, struct nf_state *st, struct nf_err *err)
{
    memset(st, 0, sizeof *st);
    json_error_t je;
    json_t *j = json_loadb(textin, len, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return nf_err_set(err, NF_E_INPUT, "state: not a JSON object (%s)",
                          j ? "another type" : je.text);
    }
    struct dec d = {err, NF_OK};
    if (!schema_known(&d, j)) {
        json_decref(j);
        return d.rc;
    }
    st->node_count = (int)integer(&d, j, "node_count", "node_count", 0, 100000);
    st->last_scale_up = number(&d, j, "last_scale_up", "last_scale_up", false);
    st->last_scale_down = number(&d, j, "last_scale_down", "last_scale_down", false);
    text(&d, j, "last_action", "last_action", st->last_action, sizeof st->last_action, false);
    text(&d, j, "last_reason", "last_reason", st->last_reason, sizeof st->last_reason, false);
    st->launch_failures = integer(&d, j, "launch_failures", "launch_failures", 0, 1LL << 50);
    st->drains_done = integer(&d, j, "drains_done", "drains_done", 0, 1LL << 50);
    st->drains_aborted = integer(&d, j, "drains_aborted", "drains_aborted", 0, 1LL << 50);
    size_t i;
    const json_t *v;
    char f[96];
    json_array_foreach(list(&d, j, "launches", NF_STATE_LAUNCHES_MAX), i, v)
    {
        snprintf(f, sizeof f, "launches[%zu]", i);
        if (!read_launch(&d, v, f, &st->launches[st->nlaunches++]))
            break;
    }
    json_array_foreach(list(&d, j, "drains", NF_STATE_DRAINS_MAX), i, v)
    {
        struct nf_drain_rec *r = &st->drains[st->ndrains++];
        snprintf(f, sizeof f, "drains[%zu]", i);
        text(&d, v, "node", f, r->node, sizeof r->node, true);
        text(&d, v, "instance", f, r->instance, sizeof r->instance, true);
        r->started_at = number(&d, v, "started_at", f, false);
        r->force_at = number(&d, v, "force_at", f, false);
        if (r->node[0] == '\0')
            bad(&d, f, "no node");
    }
    json_array_foreach(list(&d, j, "history", NF_STATE_HISTORY_MAX), i, v)
    {
        snprintf(f, sizeof f, "history[%zu]", i);
        st->history[st->nhistory].t = number(&d, v, "t", f, false);
        st->history[st->nhistory].cpu = number(&d, v, "cpu", f, true);
        st->history[st->nhistory].memory = number(&d, v, "memory", f, true);
        st->history[st->nhistory].pending_pods = number(&d, v, "pending_pods", f, true);
        st->nhistory++;
    }
    json_array_foreach(list(&d, j, "decisions", NF_STATE_DECISIONS_MAX), i, v)
    {
        struct nf_decision_rec *r = &st->decisions[st->ndecisions++];
        snprintf(f, sizeof f, "decisions[%zu]", i);
        r->t = number(&d, v, "t", f, false);
        text(&d, v, "action", f, r->action, sizeof r->action, true);
        r->nodes = (int)integer(&d, v, "nodes", f, 0, 100000);
        r->size_before = (int)integer(&d, v, "size_before", f, 0, 100000);
        text(&d, v, "code", f, r->code, sizeof r->code, false);
        text(&d, v, "reason", f, r->reason, sizeof r->reason, false);
    }
    json_array_foreach(list(&d, j, "backoffs", NF_STATE_BACKOFFS_MAX), i, v)
    {
        struct nf_backoff_rec *r = &st->backoffs[st->nbackoffs++];
        snprintf(f, sizeof f, "backoffs[%zu]", i);
        if (!json_is_object(v)) {
            bad(&d, f, "expected an object");
            break;
        }
        text(&d, v, "az", f, r->az, sizeof r->az, true);
        text(&d, v, "market", f, r->market, sizeof r->market, true);
        text(&d, v, "type", f, r->type, sizeof r->type, false);
        r->until = number(&d, v, "until", f, false);
        if (d.rc == NF_OK && strcmp(r->market, "spot") != 0 && strcmp(r->market, "on-demand") != 0)
            bad(&d, f, "market is neither spot nor on-demand");
    }
    read_demand(&d, json_object_get(j, "demand"), &st->demand);
    read_minutes(&d, json_object_get(j, "demand_minutes"), &st->demand);
    read_unneeded(&d, j, st);
    read_interrupts(&d, j, st);
    json_decref(j);
    if (d.rc != NF_OK)
        memset(st, 0, sizeof *st);
    return d.rc;
}
