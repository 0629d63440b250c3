/* cycle.c - observe, decide, act, record, through the ports only. */
#include "cycle.h"

#include <math.h>
#include <stdio.h>

#include "../util/log.h"

/* A scale-up never launches more than this in one cycle (a guard against a wild plan). */
#define NF_CYCLE_LAUNCH_MAX 1000

void nf_cycle_init(struct nf_cycle *c, const struct nf_ports *ports, const struct nf_policy *policy,
                   double spot_pct, struct nf_sample *history, size_t history_cap)
{
    c->ports = *ports;
    c->policy = policy;
    c->spot_pct = spot_pct;
    c->state.last_scale_up = NAN;
    c->state.last_scale_down = NAN;
    c->history = history;
    c->history_cap = history_cap;
    c->history_margin_s = 300;
    c->last_workers = (struct nf_workers){0};
    for (int i = 0; i < NF_SAMPLE_VALUES; i++)
        c->last_newest[i] = NAN;
    c->log_steps = false;
}

int nf_cycle_run(struct nf_cycle *c, struct nf_plan *plan, struct nf_err *err)
{
    const struct nf_ports *p = &c->ports;
    nf_plan_init(plan);
    double now = p->clock->now(p->clock_ctx);

    /* observe */
    struct nf_observation obs = {.now = now,
                                 .last_scale_up = c->state.last_scale_up,
                                 .last_scale_down = c->state.last_scale_down};
    int rc = p->cluster->workers(p->cluster_ctx, &obs.workers, err);
    if (rc != NF_OK)
        return rc;
    size_t n = 0;
    double start = now - nf_policy_lookback(c->policy) - c->history_margin_s;
    rc = p->metrics->history(p->metrics_ctx, start, now, c->history, c->history_cap, &n, err);
    if (rc != NF_OK) {
        /* an incomplete observation may block scale-down but never cause it: decide on none */
        nf_log(NF_LOG_WARN, "metrics unavailable; deciding without samples",
               NF_LF_STR("error", err ? err->msg : ""), NF_LF_END);
        n = 0;
    }
    obs.samples = c->history;
    obs.nsamples = n;
    c->last_workers = obs.workers;
    for (int i = 0; i < NF_SAMPLE_VALUES; i++)
        c->last_newest[i] = n ? c->history[n - 1].v[i] : NAN;
    if (c->log_steps)
        nf_log(NF_LOG_INFO, "Step 3: Metrics collected",
               NF_LF_NUM("cpu", c->last_newest[NF_SIG_CPU]),
               NF_LF_NUM("memory", c->last_newest[NF_SIG_MEMORY]),
               NF_LF_NUM("pending_pods", c->last_newest[NF_SIG_PENDING_PODS]),
               NF_LF_INT("node_count", obs.workers.ready + obs.workers.joining),
               NF_LF_INT("samples", (long long)n), NF_LF_END);

    /* decide */
    nf_policy_decide(c->policy, &obs, plan);
    if (c->log_steps) {
        char msg[64];
        snprintf(msg, sizeof msg, "Step 4: Decision=%s", nf_action_name(plan->action));
        nf_log(NF_LOG_INFO, msg, NF_LF_STR("reason", plan->reason),
               NF_LF_STR("rule", nf_plan_code(plan)), NF_LF_INT("increment", plan->nodes),
               NF_LF_END);
    }

    /* act, then record */
    if (plan->action == NF_ACTION_SCALE_UP && plan->nodes > 0) {
        if (plan->nodes > NF_CYCLE_LAUNCH_MAX)
            return nf_err_set(err, NF_E_INTERNAL, "plan asks for %d launches", plan->nodes);
        int spot = 0, total = 0;
        rc = p->cloud->markets(p->cloud_ctx, &spot, &total, err);
        if (rc != NF_OK)
            return rc;
        enum nf_market markets[NF_CYCLE_LAUNCH_MAX];
        nf_place_markets(spot, total, plan->nodes, c->spot_pct, markets);
        rc = p->cloud->launch(p->cloud_ctx, plan->nodes, markets, err);
        if (rc != NF_OK)
            return rc;
        c->state.last_scale_up = now;
    } else if (plan->action == NF_ACTION_SCALE_DOWN && plan->nodes > 0) {
        rc = p->cluster->drain(p->cluster_ctx, plan->nodes, err);
        if (rc != NF_OK)
            return rc;
        c->state.last_scale_down = now;
    }
    return NF_OK;
}
