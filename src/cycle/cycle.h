/* cycle.h - one decision cycle: observe, decide, act, record.
 *
 * Contract
 *   nf_cycle_run() is the only place that sequences side effects, and it reaches the world
 *   only through the ports. This cut runs four of DESIGN.md's seven steps — observe
 *   (metrics history over the policy's lookback, worker counts), decide (the pure core), act
 *   (launch or drain), record (last scale times in `state`). Reconcile, the lease and the
 *   store come with the controller issue; the simulator already runs this same function.
 *   The history buffer is the caller's (no allocation per cycle).
 */
#ifndef NF_CYCLE_H
#define NF_CYCLE_H

#include "../core/policy.h"
#include "../ports/ports.h"

struct nf_cycle_state {
    double last_scale_up;   /* NAN = never */
    double last_scale_down; /* NAN = never */
};

struct nf_cycle {
    struct nf_ports ports;
    const struct nf_policy *policy;
    double spot_pct;
    struct nf_cycle_state state;
    struct nf_sample *history; /* caller-owned, `history_cap` samples */
    size_t history_cap;
    /* extra history before the longest window, so the sample at t <= now - D is included */
    double history_margin_s;
    /* what the last run saw, for metrics and status */
    struct nf_workers last_workers;
    double last_newest[NF_SAMPLE_VALUES]; /* NAN = unknown */
    bool log_steps;                       /* the seed-shaped "Step N" lines at info level */
};

void nf_cycle_init(struct nf_cycle *c, const struct nf_ports *ports, const struct nf_policy *policy,
                   double spot_pct, struct nf_sample *history, size_t history_cap);

/* Run one cycle; `plan` gets the decision (also on error after the decide step). */
int nf_cycle_run(struct nf_cycle *c, struct nf_plan *plan, struct nf_err *err);

#endif
