/* cycle.c - lease, observe, reconcile, decide, act, record, release: through the ports only. */
#define _POSIX_C_SOURCE 200809L
#include "cycle_internal.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "../util/budget.h"
#include "../util/log.h"

void nf_cycle_init(struct nf_cycle *c, const struct nf_ports *ports, const struct nf_policy *policy,
                   const struct nf_cycle_opts *o, struct nf_sample *history, size_t history_cap)
{
    /* all but the instance scratch (400 KB, filled by each cycle's list before it is read):
     * zeroing it would touch 100 pages a fresh `once` or Lambda start never needs */
    memset(c, 0, offsetof(struct nf_cycle, inst));
    c->ninst = c->nsamples = 0;
    c->metrics_ok = false;
    c->metrics_why[0] = '\0';
    c->ports = *ports;
    c->policy = policy;
    c->o = *o;
    nf_pool_template_copy(&c->o.tmpl, &o->tmpl);
    c->history = history;
    c->history_cap = history_cap;
    c->history_margin_s = 300;
    for (int i = 0; i < NF_SAMPLE_VALUES; i++)
        c->last.newest[i] = NAN;
    nf_plan_init(&c->last.plan);
    c->last.state = &c->state;
    c->last.instances = c->inst;
    c->last.have_cloud = ports->cloud != NULL;
}

const struct nf_cycle_report *nf_cycle_last(const struct nf_cycle *c)
{
    return &c->last;
}

/* ---- counting --------------------------------------------------------------------------- */

void nf__cyc_count_workers(struct nf_cycle *c, struct nf_workers *w, int *spot, int *total)
{
    memset(w, 0, sizeof *w);
    *spot = *total = 0;
    if (c->ports.cloud != NULL && c->last.cloud_ok) {
        for (size_t i = 0; i < c->ninst; i++) {
            const struct nf_instance *in = &c->inst[i];
            const struct nf_node_info *n = nf__cyc_node_of(c, in);
            bool is_draining = n && (n->cordoned || nf__cyc_draining(&c->state, n->name));
            if (is_draining)
                w->draining++;
            else if (n && n->ready)
                w->ready++;
            else
                w->joining++;
            if (!is_draining) {
                (*total)++;
                *spot += in->market == NF_MARKET_SPOT;
            }
        }
        /* intents not launched yet are capacity on its way too */
        for (int i = 0; i < c->state.nlaunches; i++)
            if (c->state.launches[i].ninstances == 0)
                w->joining += c->state.launches[i].count;
        return;
    }
    for (size_t i = 0; i < c->last.view.nnodes; i++) {
        const struct nf_node_info *n = &c->last.view.nodes[i];
        if (n->control_plane)
            continue;
        if (n->cordoned)
            w->draining++;
        else if (n->ready)
            w->ready++;
        else
            w->joining++;
        if (!n->cordoned) {
            (*total)++;
            *spot += n->market == NF_MARKET_SPOT;
        }
    }
}

/* ---- the cycle ------------------------------------------------------------------------- */

static void record(struct run *r, const struct nf_plan *plan, const struct nf_workers *w)
{
    struct nf_cycle *c = r->c;
    struct nf_state *st = &c->state;
    struct nf_decision_rec d = {
        .t = r->now, .nodes = plan->nodes, .size_before = w->ready + w->joining};
    snprintf(d.action, sizeof d.action, "%s", nf_action_name(plan->action));
    snprintf(d.code, sizeof d.code, "%s", nf_plan_code(plan));
    nf_strjoin(d.reason, sizeof d.reason, plan->reason, (const char *)NULL);
    nf_state_add_decision(st, &d);
    st->node_count = w->ready + w->joining + c->last.launched - c->last.terminated;
    if (st->node_count < 0)
        st->node_count = 0;
    if (c->last.have_cloud && c->last.cloud_ok && isfinite(c->last.cost_if_on_demand)) {
        st->cost_on_demand = c->last.cost_per_hour[NF_MARKET_ON_DEMAND];
        st->cost_spot = c->last.cost_per_hour[NF_MARKET_SPOT];
        st->cost_if_on_demand = c->last.cost_if_on_demand;
    }
    if (plan->action != NF_ACTION_NONE) {
        snprintf(st->last_action, sizeof st->last_action, "%s", nf_action_name(plan->action));
        nf_strjoin(st->last_reason, sizeof st->last_reason, plan->reason, (const char *)NULL);
    }
    if (st->nhistory == NF_STATE_HISTORY_MAX) {
        memmove(st->history, st->history + 1, (NF_STATE_HISTORY_MAX - 1) * sizeof st->history[0]);
        st->nhistory--;
    }
    if (c->ports.cloud != NULL && c->ports.cloud->backoffs != NULL)
        st->nbackoffs = (int)c->ports.cloud->backoffs(c->ports.cloud_ctx, st->backoffs,
                                                      NF_STATE_BACKOFFS_MAX, r->now);
    st->history[st->nhistory].t = r->now;
    st->history[st->nhistory].cpu = c->last.newest[NF_SIG_CPU];
    st->history[st->nhistory].memory = c->last.newest[NF_SIG_MEMORY];
    st->history[st->nhistory].pending_pods = c->last.newest[NF_SIG_PENDING_PODS];
    st->nhistory++;
}

/* Step 6: the decision and counts into the state, saved; then the seed's reading into its
 * metrics history */
static int record_and_save(struct run *r, const struct nf_plan *plan, const struct nf_workers *w)
{
    struct nf_cycle *c = r->c;
    record(r, plan, w);
    int rc = nf__cyc_save_last(r);
    if (rc != NF_OK)
        return rc;
    nf__cyc_write_history(c, r->now, w->ready + w->joining);
    nf__cyc_step_log(
        c, "Step 6: State updated",
        (const struct nf_log_field[]){NF_LF_INT("node_count", c->state.node_count),
                                      NF_LF_INT("launches_in_flight", c->state.nlaunches),
                                      NF_LF_INT("drains_in_flight", c->state.ndrains), NF_LF_END});
    return NF_OK;
}

static void incomplete(struct nf_cycle *c, const char *what, const char *msg)
{
    size_t l = strlen(c->last.incomplete_why);
    snprintf(c->last.incomplete_why + l, sizeof c->last.incomplete_why - l, "%s%s: %s",
             l ? "; " : "", what, msg);
}

/* Step 1: the lease, then the state under it (a dry run reads the state, takes nothing).
 * NF_OK with r->leased, NF_E_CONFLICT when another holds it (the plan says so), or an error. */
static int take_lease(struct run *r, struct nf_plan *plan)
{
    struct nf_cycle *c = r->c;
    const struct nf_ports *p = &c->ports;
    if (c->o.dry_run) {
        struct nf_err e = {0};
        if (p->store->load(p->store_ctx, &c->state, &e) != NF_OK)
            nf_log(NF_LOG_WARN, "dry run: could not read the state", NF_LF_STR("error", e.msg),
                   NF_LF_END);
        return NF_OK;
    }
    int rc =
        p->store->acquire(p->store_ctx, c->o.owner, r->now, c->o.lease_ttl_s, &r->lease, r->err);
    if (rc == NF_E_CONFLICT) {
        snprintf(c->last.lease_note, sizeof c->last.lease_note, "%s", r->err ? r->err->msg : "");
        nf_plan_set(plan, NF_ACTION_NONE, 0, "another nodefleet holds the lease (%s)",
                    c->last.lease_note);
        nf__cyc_step_log(c, "Step 2: Lease held by another process; nothing to do",
                         (const struct nf_log_field[]){NF_LF_STR("holder", r->lease.owner),
                                                       NF_LF_NUM("until", r->lease.expiry),
                                                       NF_LF_END});
        return rc;
    }
    if (rc != NF_OK)
        return rc;
    r->leased = true;
    nf__cyc_step_log(c, "Step 2: Lease acquired",
                     (const struct nf_log_field[]){NF_LF_INT("token", r->lease.token),
                                                   NF_LF_NUM("expiry", r->lease.expiry),
                                                   NF_LF_END});
    rc = p->store->load(p->store_ctx, &c->state, r->err);
    if (rc == NF_OK)
        nf__cyc_crash_point(c, "lease-held");
    return rc;
}

/* Step 3 (first half): the cloud and the cluster; a failed one makes the view incomplete.
 * Zones and markets resting, as the state remembers them, are handed to the cloud first (a
 * `once` or a cold Lambda start knows only what the state says). */
/* The sources, each observed by one job: what it said, for the cycle to apply once all are in */
struct sources {
    struct nf_cycle *c;
    double start, now; /* the metrics' window */
    int cloud_rc, cluster_rc, metrics_rc;
    struct nf_err cloud_e, cluster_e, metrics_e;
};

static void *list_cloud(void *arg)
{
    struct sources *s = arg;
    const struct nf_ports *p = &s->c->ports;
    s->cloud_rc =
        p->cloud->list(p->cloud_ctx, s->c->inst, NF_CYCLE_INSTANCES_MAX, &s->c->ninst, &s->cloud_e);
    return NULL;
}

static void *fetch_metrics(void *arg)
{
    struct sources *s = arg;
    struct nf_cycle *c = s->c;
    const struct nf_ports *p = &c->ports;
    s->metrics_rc = p->metrics->history(p->metrics_ctx, s->start, s->now, c->history,
                                        c->history_cap, &c->nsamples, &s->metrics_e);
    return NULL;
}

/* Step 3 (first half): the cloud, the cluster and the metrics. With o.concurrent the cloud
 * and the metrics each have a thread while this one reads the cluster (each adapter owns its
 * connections: nothing is shared; with o.metrics_with_cluster the metrics follow the cluster
 * here, as the two share a client), so the cycle waits for the slowest, not the sum; a thread
 * that cannot start leaves its source to this one. A source that fails leaves the observation
 * incomplete, never empty. */
static void observe_sources(struct run *r, struct sources *s)
{
    struct nf_cycle *c = r->c;
    const struct nf_ports *p = &c->ports;
    *s = (struct sources){.c = c, .now = r->now};
    s->start = r->now - nf_policy_lookback(c->policy) - c->history_margin_s;
    c->ninst = c->nsamples = 0;
    pthread_t tc, tm;
    bool cloud_t =
        c->o.concurrent && p->cloud != NULL && pthread_create(&tc, NULL, list_cloud, s) == 0;
    bool metrics_t = c->o.concurrent && !c->o.metrics_with_cluster &&
                     pthread_create(&tm, NULL, fetch_metrics, s) == 0;
    if (p->cloud != NULL && !cloud_t)
        list_cloud(s);
    memset(&c->last.view, 0, sizeof c->last.view);
    s->cluster_rc = p->cluster->observe(p->cluster_ctx, &c->last.view, &s->cluster_e);
    if (!metrics_t)
        fetch_metrics(s);
    if (cloud_t)
        pthread_join(tc, NULL);
    if (metrics_t)
        pthread_join(tm, NULL);
}

static void observe_world(struct run *r)
{
    struct nf_cycle *c = r->c;
    const struct nf_ports *p = &c->ports;
    if (p->cloud != NULL && p->cloud->backoff != NULL)
        for (int i = 0; i < c->state.nbackoffs; i++)
            if (c->state.backoffs[i].until > r->now)
                p->cloud->backoff(p->cloud_ctx, c->state.backoffs[i].az, c->state.backoffs[i].type,
                                  strcmp(c->state.backoffs[i].market, "spot") == 0
                                      ? NF_MARKET_SPOT
                                      : NF_MARKET_ON_DEMAND,
                                  r->now, c->state.backoffs[i].until);
    struct sources s;
    observe_sources(r, &s);
    c->last.cloud_ok = c->last.cluster_ok = true;
    if (p->cloud != NULL && s.cloud_rc != NF_OK) {
        c->last.cloud_ok = false;
        c->ninst = 0;
        incomplete(c, "cloud", s.cloud_e.msg);
    }
    if (s.cluster_rc != NF_OK) {
        c->last.cluster_ok = false;
        memset(&c->last.view, 0, sizeof c->last.view);
        incomplete(c, "cluster", s.cluster_e.msg);
    }
    c->metrics_ok = s.metrics_rc == NF_OK;
    if (!c->metrics_ok) {
        c->nsamples = 0;
        snprintf(c->metrics_why, sizeof c->metrics_why, "%s", s.metrics_e.msg);
    }
    c->last.ninstances = c->ninst;
    c->last.cost_per_hour[0] = c->last.cost_per_hour[1] = p->cloud ? 0 : NAN;
    c->last.cost_if_on_demand = p->cloud ? 0 : NAN;
    for (size_t i = 0; p->cloud && i < c->ninst; i++) {
        const struct nf_instance *in = &c->inst[i];
        c->last.cost_per_hour[in->market == NF_MARKET_SPOT] +=
            nf__cyc_instance_hourly(c, in, in->market);
        c->last.cost_if_on_demand += nf__cyc_hourly(c, in->type, in->az, NF_MARKET_ON_DEMAND);
    }
    if (c->last.incomplete_why[0])
        nf_log(NF_LOG_WARN, "observation incomplete: no scale-down, no reconcile action",
               NF_LF_STR("why", c->last.incomplete_why), NF_LF_END);
}

/* The pending pods no new worker could host (fleet.h's template check): reported, and a
 * policy that buys for pending pods leaves them out. The template's allocatable is the
 * largest worker's (none yet: any pod fits by size). */
static void pending_vs_template(struct nf_cycle *c, struct nf_observation *obs)
{
    struct nf_fleet *f = c->last.view.fleet;
    struct nf_fnode *t = &c->o.tmpl.node;
    c->last.unhostable_pods = 0;
    c->last.unhostable_why[0] = '\0';
    obs->fleet = f;
    obs->tmpl = t;
    if (f == NULL)
        return;
    c->last.unhostable_pods =
        nf_fleet_unhostable(f, t, c->last.unhostable_why, sizeof c->last.unhostable_why);
    /* the demand history the forecast reads: what the pods request, now */
    nf_demand_record(&c->state.demand, obs->now, nf_fleet_requested_cores(f, t));
    if (c->last.unhostable_pods > 0)
        nf_log(NF_LOG_WARN, "pending pods no new worker could host: not bought for",
               NF_LF_INT("pods", c->last.unhostable_pods),
               NF_LF_STR("first", c->last.unhostable_why), NF_LF_END);
}

/* Step 3 (second half): the workers counted and the metrics' history, into `obs`. */
static void observe_demand(struct run *r, struct nf_observation *obs, int *spot, int *total)
{
    struct nf_cycle *c = r->c;
    *obs = (struct nf_observation){
        .now = r->now,
        .last_scale_up = c->state.last_scale_up > 0 ? c->state.last_scale_up : NAN,
        .last_scale_down = c->state.last_scale_down > 0 ? c->state.last_scale_down : NAN};
    nf__cyc_count_workers(c, &obs->workers, spot, total);
    size_t n = c->nsamples; /* read with the other sources (observe_sources) */
    if (!c->metrics_ok) {
        /* an incomplete observation may block scale-down but never cause it: decide on none */
        nf_log(NF_LOG_WARN, "metrics unavailable; deciding without samples",
               NF_LF_STR("error", c->metrics_why), NF_LF_END);
        incomplete(c, "metrics", c->metrics_why);
        n = 0;
    }
    obs->samples = c->history;
    obs->nsamples = n;
    pending_vs_template(c, obs);
    obs->unneeded = c->state.unneeded; /* what the state keeps for the default policy */
    obs->nunneeded = (size_t)c->state.nunneeded;
    obs->demand = &c->state.demand;
    if (!c->o.dry_run)
        nf__cyc_read_history(c, r->now, obs);
    c->last.workers = obs->workers;
    for (int i = 0; i < NF_SAMPLE_VALUES; i++)
        c->last.newest[i] = n ? c->history[n - 1].v[i] : NAN;
    nf__cyc_step_log(c, "Step 3: Metrics collected",
                     (const struct nf_log_field[]){
                         NF_LF_NUM("cpu", c->last.newest[NF_SIG_CPU]),
                         NF_LF_NUM("memory", c->last.newest[NF_SIG_MEMORY]),
                         NF_LF_NUM("pending_pods", c->last.newest[NF_SIG_PENDING_PODS]),
                         NF_LF_INT("node_count", obs->workers.ready + obs->workers.joining),
                         NF_LF_INT("joining", obs->workers.joining),
                         NF_LF_INT("draining", obs->workers.draining),
                         NF_LF_INT("samples", (long long)n), NF_LF_END});
}

/* The default policy's timers: a worker unneeded now keeps the time it first was (a new one
 * starts now); one no longer unneeded is forgotten. Only when the policy saw the pool. */
static void keep_unneeded(struct nf_cycle *c, const struct nf_observation *obs,
                          const struct nf_plan *plan, double now)
{
    if (obs->fleet == NULL)
        return;
    struct nf_unneeded next[NF_STATE_UNNEEDED_MAX];
    int n = 0;
    for (int i = 0; i < plan->nunneeded && n < NF_STATE_UNNEEDED_MAX; i++) {
        double since = now;
        for (int k = 0; k < c->state.nunneeded; k++)
            if (strcmp(c->state.unneeded[k].node, plan->unneeded[i]) == 0)
                since = c->state.unneeded[k].since;
        snprintf(next[n].node, sizeof next[n].node, "%s", plan->unneeded[i]);
        next[n++].since = since;
    }
    memcpy(c->state.unneeded, next, (size_t)n * sizeof next[0]);
    c->state.nunneeded = n;
}

/* Step 7: release the lease - on every path. */
static int release(struct run *r, int rc)
{
    struct nf_cycle *c = r->c;
    if (r->leased) {
        struct nf_err e = {0};
        int lrc = r->released ? NF_OK : c->ports.store->release(c->ports.store_ctx, &r->lease, &e);
        if (lrc == NF_OK)
            nf__cyc_step_log(c, "Step 7: Lease released", (const struct nf_log_field[]){NF_LF_END});
        else if (!r->lost)
            nf_log(NF_LOG_WARN, "lease release failed (it expires on its own)",
                   NF_LF_STR("error", e.msg), NF_LF_END);
    }
    if (r->lost && rc == NF_OK)
        rc = nf_err_set(r->err, NF_E_CONFLICT, "the lease was lost during the cycle");
    return rc;
}

/* Launch `n` workers for interrupted ones, whatever the policy would say: their pods need a
 * place before the deadline (the pool may pass max_nodes by that many while they drain). */
static int replace_interrupted(struct run *r, int n)
{
    struct nf_plan rp;
    nf_plan_init(&rp);
    nf_plan_set(&rp, NF_ACTION_SCALE_UP, n, "replacing %d interrupted worker%s (%s)", n,
                n == 1 ? "" : "s", r->replace_ids);
    struct nf_workers w;
    int spot = 0, total = 0;
    nf__cyc_count_workers(r->c, &w, &spot, &total);
    int rc = nf__cyc_scale_up(r, &rp, n, spot, total);
    r->nreplace_types = 0; /* used */
    r->replace_ids[0] = '\0';
    return rc;
}

/* The observation's fleet is the cluster adapter's until it settles: the cycle lets go of it. */
static void settle(struct nf_cycle *c)
{
    if (c->ports.cluster->settle != NULL) {
        c->ports.cluster->settle(c->ports.cluster_ctx);
        c->last.view.fleet = NULL;
    }
}

/* The run's budget (util/budget.h: a Lambda invocation's deadline, once --deadline, run's
 * interval) is spent, or what is left is less than the next step's estimate - the timeout of
 * what it calls: the plan says so and nothing more is started; the state write and the lease
 * release still come, within the reserve. */
static bool out_of_time(struct run *r, struct nf_plan *plan, const char *before, double estimate)
{
    double left = nf_budget_left();
    if (left > 0 && nf_budget_fits(left, estimate))
        return false;
    if (left > 0)
        nf_plan_set(plan, NF_ACTION_NONE, 0,
                    "deadline: %.1f s left, not enough to %s (up to %.1f s: the timeouts of "
                    "what it calls)",
                    left, before, estimate);
    else
        nf_plan_set(plan, NF_ACTION_NONE, 0,
                    "deadline: no time left to %s (the reserve is kept for the state and the "
                    "lease)",
                    before);
    for (size_t i = 0; i < plan->ntrail; i++) /* a decision made is not carried out */
        if (plan->trail[i].status == NF_TRAIL_CHOSEN)
            plan->trail[i].status = NF_TRAIL_BLOCKED;
    nf_plan_trail(plan, "deadline", NF_TRAIL_BLOCKED, "the run's time is up before: %s", before);
    nf_log(NF_LOG_WARN, "deadline: the cycle ends early", NF_LF_STR("before", before),
           NF_LF_NUM("left_s", left > 0 ? left : 0), NF_LF_NUM("needs_s", estimate), NF_LF_END);
    r->deadline = true;
    return true;
}

/* Step estimates: the sources observed (at once, or one after the other), the cloud's events
 * (a drain, then a launch), the records reconciled, the decision carried out. */
static double observe_estimate(const struct nf_cycle *c)
{
    const struct nf_cycle_opts *o = &c->o;
    double cloud = c->ports.cloud != NULL ? o->cloud_timeout_s : 0;
    if (!o->concurrent)
        return cloud + o->cluster_timeout_s + o->metrics_timeout_s;
    double kube = o->metrics_with_cluster ? o->cluster_timeout_s + o->metrics_timeout_s
                                          : fmax(o->cluster_timeout_s, o->metrics_timeout_s);
    return fmax(cloud, kube);
}

static double events_estimate(const struct nf_cycle *c)
{
    return c->ports.events != NULL ? c->o.cloud_timeout_s + c->o.cluster_timeout_s : 0;
}

static double reconcile_estimate(const struct nf_cycle *c)
{
    return c->state.nlaunches + c->state.ndrains > 0
               ? fmax(c->o.cloud_timeout_s, c->o.cluster_timeout_s)
               : 0;
}

double nf_cycle_step_time(const struct nf_cycle *c)
{
    return observe_estimate(c) + events_estimate(c) +
           fmax(c->ports.cloud != NULL ? c->o.cloud_timeout_s : 0, c->o.cluster_timeout_s);
}

static double act_estimate(const struct nf_cycle *c, const struct nf_plan *plan)
{
    return plan->action == NF_ACTION_SCALE_UP ? c->o.cloud_timeout_s : c->o.cluster_timeout_s;
}

/* Out of time after the cloud's events: what they did is on record already (each saved). */
static int save_what_was_done(struct run *r)
{
    nf_budget_final();
    if (r->c->o.dry_run || r->lost)
        return NF_OK;
    return nf__cyc_save(r) != NF_OK ? NF_E_CONFLICT : NF_OK;
}

/* Steps 3 to 6 under the lease: observe, reconcile, decide, act, record. */
static int steps(struct run *r, struct nf_plan *plan)
{
    struct nf_cycle *c = r->c;
    const struct nf_ports *p = &c->ports;
    int rc = NF_OK;
    if (out_of_time(r, plan, "observe", observe_estimate(c)))
        return NF_OK;
    observe_world(r);
    /* a source cut short by the deadline is not a verdict on it: the cycle ends here */
    if (out_of_time(r, plan, "decide (the observation was cut short)", 0))
        return NF_OK;

    /* The worker count comes from the cloud (cloud: ec2), else from the cluster. When that
     * source could not be read the count is unknown - never 0 - and nothing is decided about
     * it: no launch for min_nodes, no record, and the caller hears it failed. */
    c->last.count_known = p->cloud != NULL ? c->last.cloud_ok : c->last.cluster_ok;
    if (!c->last.count_known) {
        memset(&c->last.workers, 0, sizeof c->last.workers);
        nf_plan_set(plan, NF_ACTION_NONE, 0, "the worker count is unknown (%s): nothing decided",
                    c->last.incomplete_why);
        nf_plan_trail(plan, "observe", NF_TRAIL_BLOCKED,
                      "the %s, which counts the workers, could not be read",
                      p->cloud != NULL ? "cloud" : "cluster");
        return nf_err_set(r->err, NF_E_UNAVAILABLE,
                          "the worker count is unknown, nothing decided: %s",
                          c->last.incomplete_why);
    }

    if (out_of_time(r, plan, "act on the cloud's events", events_estimate(c)))
        return NF_OK;
    /* The cloud's events: an interrupted worker drained against its deadline and replaced
     * now, before anything else (on a complete view: the instance must be known as ours) */
    if (c->last.cluster_ok && (p->cloud == NULL || c->last.cloud_ok)) {
        int replace = 0;
        if (nf__cyc_handle_events(r, &replace) == NF_E_CONFLICT)
            return NF_OK;
        if (replace > 0 && replace_interrupted(r, replace) == NF_E_CONFLICT)
            return NF_OK;
    }

    if (out_of_time(r, plan, "reconcile", reconcile_estimate(c)))
        return save_what_was_done(r);
    /* Step 2: reconcile what earlier cycles started (on a complete view: never act unsure) */
    if (!c->o.dry_run && c->last.cluster_ok && (p->cloud == NULL || c->last.cloud_ok)) {
        if (p->cloud != NULL && nf__cyc_reconcile_launches(r) == NF_E_CONFLICT)
            return NF_OK;
        if (nf__cyc_reconcile_drains(r) == NF_E_CONFLICT)
            return NF_OK;
    }

    struct nf_observation obs;
    int spot = 0, total = 0;
    observe_demand(r, &obs, &spot, &total);

    /* Step 4: decide */
    nf_policy_decide(c->policy, &obs, plan);
    keep_unneeded(c, &obs, plan, r->now);
    if (c->log_steps) {
        char msg[64];
        snprintf(msg, sizeof msg, "Step 4: Decision=%s", nf_action_name(plan->action));
        nf_log(NF_LOG_INFO, msg, NF_LF_STR("reason", plan->reason),
               NF_LF_STR("rule", nf_plan_code(plan)), NF_LF_INT("increment", plan->nodes),
               NF_LF_END);
    }

    /* Step 5: act */
    if (plan->action != NF_ACTION_NONE &&
        out_of_time(r, plan, "act on the decision", act_estimate(c, plan)))
        return save_what_was_done(r);
    if (plan->action == NF_ACTION_SCALE_UP && plan->nodes > 0)
        rc = nf__cyc_scale_up(r, plan, plan->nodes, spot, total);
    else if (plan->action == NF_ACTION_SCALE_DOWN && plan->nodes > 0)
        rc = nf__cyc_scale_down(r, plan, plan->nodes, spot, total);
    if (rc == NF_E_CONFLICT)
        return rc;

    /* Step 6: record */
    nf_budget_final(); /* what is left of the reserve is for this and the release */
    if (c->o.dry_run || r->lost)
        return NF_OK;
    return record_and_save(r, plan, &obs.workers);
}

/* The report's per-cycle parts start empty. */
static void report_begin(struct nf_cycle *c, double now)
{
    c->last.incomplete_why[0] = c->last.lease_note[0] = '\0';
    c->last.launched = c->last.drained = c->last.terminated = 0;
    c->last.launch_failures = c->last.drains_done = c->last.drains_aborted = 0;
    c->last.join_timeouts = c->last.njoined = 0;
    c->last.lease_held = c->last.lease_lost = c->last.failed = false;
    c->last.count_known = false;
    memset(c->last.events, 0, sizeof c->last.events);
    c->last.t = now;
}

/* The seven steps, in order; each step's code is above or in cycle_reconcile.c/cycle_act.c. */
int nf_cycle_run(struct nf_cycle *c, struct nf_plan *plan, struct nf_err *err)
{
    const struct nf_ports *p = &c->ports;
    nf_plan_init(plan);
    struct run r = {.c = c, .now = p->clock->now(p->clock_ctx), .err = err};
    report_begin(c, r.now);
    int rc = take_lease(&r, plan);
    if (rc == NF_E_CONFLICT && !r.leased) {
        settle(c);    /* a standby keeps no snapshot of its days as the holder */
        return NF_OK; /* another holds it: nothing to do, and nothing to release */
    }
    if (rc != NF_OK && !r.leased) {
        c->last.failed = true; /* the store could not be reached: an error the alarms see */
        if (!c->o.dry_run && p->publish != NULL)
            p->publish->publish(p->publish_ctx, &c->last, p->clock->now(p->clock_ctx) - r.now);
        return rc;
    }
    /* the state's counters as loaded: what this cycle adds is its report's */
    long long failures0 = c->state.launch_failures, done0 = c->state.drains_done,
              aborted0 = c->state.drains_aborted;
    if (rc == NF_OK)
        rc = steps(&r, plan);
    nf_budget_final();
    c->last.deadline_cut = r.deadline;
    if (r.leased && !r.lost) {
        c->last.launch_failures = (int)(c->state.launch_failures - failures0);
        c->last.drains_done = (int)(c->state.drains_done - done0);
        c->last.drains_aborted = (int)(c->state.drains_aborted - aborted0);
    }
    c->last.lease_held = r.leased && !r.lost;
    c->last.lease_lost = r.lost;
    c->last.plan = *plan;
    rc = release(&r, rc);
    c->last.failed = rc != NF_OK;
    /* after the lease: nobody waits for the metrics (a failed cycle's too: CycleErrors) */
    if (!c->o.dry_run && !c->last.lease_note[0] && p->publish != NULL)
        p->publish->publish(p->publish_ctx, &c->last, p->clock->now(p->clock_ctx) - r.now);
    settle(c);
    return rc;
}
