/* sim.h - the simulator: the real cycle and policies under a virtual clock, against a
 * modelled cluster and cloud, replaying a demand trace; plus the oracle and the metrics.
 *
 * Contract
 *   Model (every number from `struct nf_sim_params`, all printed in the report):
 *   - demand D(t) = scale x trace value, in vCPU; `scale` makes the trace's peak percentile
 *     need exactly `peak_nodes` workers (the fewest that hold the pods the HPAs want there);
 *   - the workload: one Deployment per pod shape (CPU request, memory, share of the demand),
 *     each with an HPA that behaves like Kubernetes' own at its defaults (sim_internal.h):
 *     it aims for pods at hpa_target% of their request, syncs every 15 s, ignores changes
 *     within 10 %, grows by at most max(4 pods, 100 %) a sync, and shrinks only to the
 *     highest count it wanted in the last 5 minutes. unevictable_pct% of the pods may not be
 *     evicted (every k-th pod made);
 *   - the scheduler places pending pods one by one on Ready, uncordoned workers that have the
 *     CPU, memory and pod slot free, the most allocated first (sim.scheduler: the packing
 *     deploy/k3s/scheduler.yaml configures) or the least allocated (kube-scheduler's default);
 *     a running pod serves up to its request: served = sum over shapes of min(D_k, running_k
 *     x request_k);
 *   - samples every sample_s: cpu% = served / Ready vCPU, memory% = running pods' memory /
 *     Ready memory, pending pods; unknown (NAN) with no Ready worker; app signals unknown;
 *   - launch: Ready after boot_s +- boot_jitter_s (uniform); a drain evicts the node's pods at
 *     once (they are pending until placed again) and the instance ends drain_s later; a node
 *     holding a pod that may not be evicted is not chosen, and its drain is refused; removing
 *     one anyway (terminating it) counts as an unsafe removal; spot workers may be reclaimed
 *     (spot_warning_s notice; their pods are evicted at the warning);
 *   - billing per second with a min_billed_s minimum per instance, spot or on-demand price.
 *   Every policy starts from the same pool: the workers the first step needs (static:N: N),
 *   floor(spot_pct x n) of them spot. Each runs at its own interval (nf_policy.interval_s;
 *   sim.interval_s, when above 0, overrides it for every policy that did not name one).
 *   Deterministic: the same trace, params, seed and policies give the same report.
 *   The oracle has perfect foresight and instant boot: at each instant exactly the workers
 *   the HPAs' pods need (within min/max), floor(spot_pct x n) of them spot - the best mix any
 *   policy could hold under the same rule - with no billing minimum.
 *   Refused (NF_E_INPUT, exit 2), so that every report means something: a trace whose peak
 *   would need more than NF_SIM_PEAK_WORKERS_MAX workers (the trace reader bounds the rest:
 *   steps of at least 1 s, values up to 1e12). Prices are above 0, so cost ratios are
 *   always defined.
 */
#ifndef NF_SIM_H
#define NF_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "../config/config.h"
#include "../core/policy.h"
#include "../util/check.h"
#include "trace.h"

#define NF_SIM_PEAK_WORKERS_MAX 100000

#define NF_SIM_SHAPES_MAX NF_POD_SHAPES_MAX

struct nf_sim_params {
    double node_vcpu, node_memory_mib, hpa_target_pct;
    int max_pods_per_node;
    int ntypes; /* sim.node_types: 0 one unnamed type (node_vcpu, node_memory_mib, the prices);
                 * else the cycle chooses among these, and node_* and the prices are the first's */
    struct nf_node_type types[NF_NODE_TYPES_MAX];
    double type_rate[NF_NODE_TYPES_MAX]; /* per type (its spot pool): reclaims an hour */
    bool pack; /* the scheduler prefers the most allocated worker (sim.scheduler) */
    int nshapes;
    struct nf_pod_shape shapes[NF_SIM_SHAPES_MAX]; /* shares add up to 100 */
    double unevictable_pct;
    int peak_nodes;
    double peak_percentile;
    double boot_s, boot_jitter_s, drain_s, interval_s, sample_s;
    double price_on_demand, price_spot, min_billed_s;
    double spot_interruptions_per_hour, spot_warning_s; /* the rate in force (per spot worker) */
    bool replace_on_warning; /* sim.interruption_response: replace (the cycle hears the warning) */
    uint64_t seed;
    int min_nodes, max_nodes;
    double spot_pct;
    double fixed_scale; /* > 0: the trace is demand already, times this (replay: 1) */
};

void nf_sim_params_from_config(struct nf_sim_params *sp, const struct nf_config *cfg);

struct nf_sim_metrics {
    double cost_usd;
    double cost_vs_oracle;
    double node_hours;
    double node_hours_vs_oracle;
    double overload_minutes;    /* pods wanted more than Ready workers could hold */
    double unserved_fraction;   /* vCPU-seconds of demand not served / all demand */
    double pending_pod_seconds; /* sum over time of pending pods */
    long scale_ups, scale_downs;
    double actions_per_day; /* scale-ups and scale-downs per day: how much the pool flaps */
    long nodes_launched, nodes_removed, spot_interruptions;
    long interrupted_pods;  /* pods evicted by spot warnings (disrupted by interruptions) */
    long warnings_acted_on; /* warnings the cycle drained and replaced (interruption_response) */
    long unsafe_removals; /* nodes removed (not reclaimed) holding a pod that may not be evicted */
    long evictions;       /* pods moved by drains */
    double time_to_capacity_p95_s; /* p95 length of under-provisioned episodes */
    long shortfall_episodes;
    /* SPEC RG elasticity metrics, % (see README "How the simulator scores a policy") */
    double accuracy_u, accuracy_o, timeshare_u, timeshare_o;
    double spot_node_hours;
};

struct nf_sim_run {
    char name[NF_POLICY_NAME_MAX];
    double interval_s; /* between decisions (0: the oracle and fixed schedules) */
    struct nf_sim_metrics m;
    float *supply_mean;    /* overview chart: mean Ready workers per bucket */
    uint16_t *zoom_supply; /* zoom chart: Ready workers at each step of the zoom window */
};

/* A sweep (simulate --sweep NAME=V1,V2,...): one policy run once per value of a setting, and
 * the points no other beats on both cost and overload (the frontier). */
#define NF_SIM_SWEEP_MAX 32
struct nf_sim_sweep {
    char setting[64];
    char policy[NF_POLICY_NAME_MAX];
    size_t n;
    struct {
        char value[64];
        struct nf_sim_metrics m;
        bool frontier;
    } points[NF_SIM_SWEEP_MAX];
};
/* Mark the frontier: a point is on it when no other costs less or the same and is overloaded
 * less or the same, with one of the two strictly less. */
void nf_sim_sweep_frontier(struct nf_sim_sweep *sw);

struct nf_sim_report {
    const struct nf_sim_sweep *sweep; /* NULL without --sweep; owned by the caller */
    const struct nf_trace *trace;
    struct nf_sim_params params;
    double trace_percentile_value; /* the trace value at the peak percentile */
    double scale;                  /* vCPU per trace unit */
    double trace_mean, trace_max;
    double span_s;
    size_t steps;
    /* overview chart buckets */
    size_t nbuckets;
    double bucket_s;
    float *demand_mean, *demand_max; /* workers needed */
    /* zoom window around the demand peak, at full step resolution */
    double zoom_start;
    size_t zoom_n;
    uint16_t *zoom_demand;
    struct nf_sim_run oracle;
    struct nf_sim_run *actual; /* replay: the cluster's own worker counts; NULL otherwise */
    struct nf_sim_run *runs;
    size_t nruns;
};

/* `actual` (may be NULL): the cluster's real worker counts over the same time, scored as a
 * schedule of its own (replay). */
int nf_sim_run_all(const struct nf_trace *trace, const struct nf_trace *actual,
                   const struct nf_sim_params *params, const struct nf_policy *policies,
                   size_t npolicies, struct nf_sim_report *out, struct nf_err *err);
void nf_sim_report_free(struct nf_sim_report *r);

/* Reports (report.c). Each appends to `out`; check out->status after. */
void nf_sim_write_text(const struct nf_sim_report *r, struct nf_buf *out);
void nf_sim_write_json(const struct nf_sim_report *r, struct nf_buf *out);
void nf_sim_write_html(const struct nf_sim_report *r, struct nf_buf *out);

#endif
