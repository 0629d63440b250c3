/* sim.h - the simulator: the real cycle and policies under a virtual clock, against a
 * modelled cluster and cloud, replaying a demand trace; plus the oracle and the metrics.
 *
 * Contract
 *   Model (every number from `struct nf_sim_params`, all printed in the report):
 *   - demand D(t) = scale x trace value, in vCPU; `scale` makes the trace's peak percentile
 *     need exactly `peak_nodes` workers;
 *   - pods: an HPA keeps pods at hpa_target% of their CPU request, so pods = ceil(D / (request
 *     x target)); a worker fits floor(min(vcpu/request, memory/pod memory)) pods;
 *   - pods that do not fit on Ready workers are pending; a running pod serves up to its
 *     request, so served = min(D, running x request);
 *   - samples every sample_s: cpu% = served / Ready vCPU, memory% = running pods' memory /
 *     Ready memory, pending pods; unknown (NAN) with no Ready worker; app signals unknown;
 *   - launch: Ready after boot_s +- boot_jitter_s (uniform); drain: capacity leaves at once,
 *     the instance ends drain_s later; spot workers may be reclaimed (spot_warning_s notice);
 *   - billing per second with a min_billed_s minimum per instance, spot or on-demand price.
 *   Deterministic: the same trace, params, seed and policies give the same report.
 *   The oracle has perfect foresight and instant boot: exactly the workers needed (within
 *   min/max) at each instant, paid at the configured spot share, no billing minimum.
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
#include "trace.h"

#define NF_SIM_PEAK_WORKERS_MAX 100000

struct nf_sim_params {
    double node_vcpu, node_memory_mib, pod_cpu_request, pod_memory_mib, hpa_target_pct;
    int peak_nodes;
    double peak_percentile;
    double boot_s, boot_jitter_s, drain_s, interval_s, sample_s;
    double price_on_demand, price_spot, min_billed_s;
    double spot_interruptions_per_hour, spot_warning_s;
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
    double overload_minutes;    /* pods wanted more than Ready workers could hold */
    double unserved_fraction;   /* vCPU-seconds of demand not served / all demand */
    double pending_pod_seconds; /* sum over time of pending pods */
    long scale_ups, scale_downs;
    long nodes_launched, nodes_removed, spot_interruptions;
    double time_to_capacity_p95_s; /* p95 length of under-provisioned episodes */
    long shortfall_episodes;
    /* SPEC RG elasticity metrics, % (see README "How the simulator scores a policy") */
    double accuracy_u, accuracy_o, timeshare_u, timeshare_o;
    double spot_node_hours;
};

struct nf_sim_run {
    char name[NF_POLICY_NAME_MAX];
    struct nf_sim_metrics m;
    float *supply_mean;    /* overview chart: mean Ready workers per bucket */
    uint16_t *zoom_supply; /* zoom chart: Ready workers at each step of the zoom window */
};

struct nf_sim_report {
    const struct nf_trace *trace;
    struct nf_sim_params params;
    double trace_percentile_value; /* the trace value at the peak percentile */
    double scale;                  /* vCPU per trace unit */
    double trace_mean, trace_max;
    int pods_per_node;
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
