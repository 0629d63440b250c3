/* cycle.h - one decision cycle, crash-safe: the seed's seven steps.
 *
 * Contract
 *   nf_cycle_run() is the only place that sequences side effects, and it reaches the world
 *   only through the ports (ports.h). The order (DESIGN.md "The cycle"):
 *     lease      take the store's lease (held by a live owner: a quiet no-op cycle) and load
 *                the state; without a store (the simulator) the state stays in memory
 *     observe    the cloud's pool instances, the cluster's nodes and the metrics - at the same
 *                time with o.concurrent (threads: each adapter owns its connections), so a
 *                cycle waits for the slowest source, not the sum of them
 *     reconcile  launches: a worker whose Node is Ready (matched by providerID or private IP)
 *                has joined; one not Ready within provision_timeout is terminated and counted
 *                as a failure; an intent written but never launched is launched again under
 *                the same intent (idempotent) while fresh; a pool instance the state does not
 *                know (a crash between launch and record) is adopted, and so terminated if it
 *                never joins. Drains: one step each; done -> terminate the instance, delete
 *                the Node; aborted -> forgotten (the node was uncordoned), the reason told
 *     decide     the policy (pure), on the workers counted from instances and nodes
 *     act        every intent is written to the store before the cloud or the cluster is
 *                called: a launch intent (count, spot share) then RunInstances under it; a
 *                drain record then the first drain step (cordon, evictions). Scaling down
 *                cancels workers still joining first (they serve nobody yet)
 *     record     the decision, a history sample and the counts into the state; save
 *     release    the lease, on every path
 *   The lease is taken before reconciling (DESIGN lists reconcile first): reconciling acts
 *   and writes state, which only the lease holder may do. Every state write is conditional
 *   on the lease; a write refused (the lease was lost) stops the cycle at once.
 *   An observation that failed in part (cloud or cluster unreadable) is incomplete: it can
 *   block scale-down and every reconcile action, never cause one. Dry run: observe, decide,
 *   log and notify what would be done; no lease, no state write, no action.
 *   The history buffer is the caller's (no allocation per cycle).
 */
#ifndef NF_CYCLE_H
#define NF_CYCLE_H

#include "../core/policy.h"
#include "../ports/ports.h"

#define NF_CYCLE_INSTANCES_MAX 1024

struct nf_cycle_opts {
    double spot_pct;
    double provision_timeout_s;
    double lease_ttl_s;
    bool dry_run;
    bool concurrent; /* observe the cloud, the cluster and the metrics at once (threads) */
    bool metrics_with_cluster; /* ... but the metrics after the cluster: they share a client */
    char owner[NF_OWNER_MAX];
    char cluster_id[1024];
    double price_on_demand, price_spot; /* per worker-hour, when the cloud knows no price */
    int max_nodes;          /* a choice of types stays within it (0: the policy's count at most) */
    bool rebalance_replace; /* aws.rebalance: replace */
    struct nf_pool_template tmpl; /* a new worker, for the pending pods (fleet.h) */
    /* Each source's configured timeout, a step's estimate under a run's deadline
     * (util/budget.h): a step that calls it is not started with less than that left. 0: no
     * estimate (the simulator's adapters answer at once). */
    double cloud_timeout_s, cluster_timeout_s, metrics_timeout_s;
    /* For the crash-safety tests only (NODEFLEET_TEST_CRASH_AT): SIGKILL itself at this
     * point of the cycle - lease-held, launch-intent-saved, launch-called,
     * drain-record-saved, drain-step-done. "" in production. */
    char crash_at[32];
};

struct nf_cycle {
    struct nf_ports ports;
    const struct nf_policy *policy;
    struct nf_cycle_opts o;
    struct nf_state state;     /* the store's after each load; the only copy without a store */
    struct nf_sample *history; /* caller-owned, `history_cap` samples */
    size_t history_cap;
    /* extra history before the longest window, so the sample at t <= now - D is included */
    double history_margin_s;
    bool log_steps; /* the seed-shaped "Step N" lines at info level */
    long long seq;  /* intent counter */
    /* the cycle's output: what the last run saw and did (read it through nf_cycle_last) */
    struct nf_cycle_report last;
    /* the seed's metrics history as read from the store (nf_cycle_keep_history): the newest
     * readings of the last 7 days, oldest first; NULL when the policy reads none */
    struct nf_history_item *mhist;
    size_t mhist_cap, nmhist;
    /* scratch */
    struct nf_instance inst[NF_CYCLE_INSTANCES_MAX];
    size_t ninst;
    size_t nsamples; /* in `history`, as the metrics source answered */
    bool metrics_ok;
    char metrics_why[256];
};

/* The last run's report (nf_cycle_report). */
const struct nf_cycle_report *nf_cycle_last(const struct nf_cycle *c);

void nf_cycle_init(struct nf_cycle *c, const struct nf_ports *ports, const struct nf_policy *policy,
                   const struct nf_cycle_opts *o, struct nf_sample *history, size_t history_cap);

/* For a policy that reads the metrics history (nf_policy_reads_history) and a store that
 * keeps one: `buf` (the caller's, `cap` items) holds what was read, refreshed each cycle with
 * the readings newer than its newest (the whole week once, on a cold start); each cycle that
 * holds the lease stores its own reading. */
#define NF_CYCLE_MHIST_MAX 20160 /* 7 days at a reading every 30 s */
void nf_cycle_keep_history(struct nf_cycle *c, struct nf_history_item *buf, size_t cap);

/* The least time a cycle must have to observe and then act, every step at its sources'
 * timeouts (nf_cycle_opts): a run's budget below it (plus the reserve) would start nothing. */
double nf_cycle_step_time(const struct nf_cycle *c);

/* Run one cycle; `plan` gets the decision. NF_OK also when another process holds the lease
 * (then nothing was done; c->lease_note says who). */
int nf_cycle_run(struct nf_cycle *c, struct nf_plan *plan, struct nf_err *err);

#endif
