/* registry.h - nodefleet's own metrics, rendered in the text exposition format.
 *
 * Contract
 *   nodefleet_cycle_duration_seconds (histogram), nodefleet_cycles_total,
 *   nodefleet_decisions_total{action,reason}, nodefleet_nodes{state},
 *   nodefleet_errors_total{component}, nodefleet_signal{name}, nodefleet_signal_unknown{name},
 *   nodefleet_last_cycle_timestamp_seconds, nodefleet_build_info{version},
 *   nodefleet_cycles_failed_total, nodefleet_cost_dollars_per_hour{market}, the
 *   interruptions, and what nf_registry_settings and nf_registry_facts add below.
 *   `reason` is a rule name (cpu_high, cooldown_scale_up, idle, ...), never free text, so
 *   the label set stays small; past NF_REGISTRY_DECISIONS_MAX pairs new ones count as
 *   reason="other". Safe to update from the cycle while the HTTP thread renders.
 */
#ifndef NF_REGISTRY_H
#define NF_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/types.h"
#include "../util/buf.h"

#define NF_REGISTRY_DECISIONS_MAX 64

struct nf_registry;

/* `signal_names[i]` names signal i (built-ins then triggers); copied. */
struct nf_registry *nf_registry_new(const char *version, const char *const *signal_names,
                                    int nsignals);
void nf_registry_free(struct nf_registry *r);

/* Record a finished cycle. `newest` (may be NULL) holds each signal's newest value (NAN =
 * unknown). `wall_end` is Unix time, `mono_end` a monotonic time for readiness. */
void nf_registry_cycle(struct nf_registry *r, double duration_s, const char *action,
                       const char *reason, const struct nf_workers *workers, const double *newest,
                       double wall_end, double mono_end);
/* Add `n` errors for a component (prometheus, cluster, cloud, store, notify, cycle). */
void nf_registry_errors(struct nf_registry *r, const char *component, unsigned long n);

/* Add `n` events of the cloud's queue acted on, of a kind (spot_interruption, rebalance,
 * state_change, scheduled). */
void nf_registry_interruptions(struct nf_registry *r, const char *kind, unsigned long n);
/* What the pool's instances cost an hour now, by market (NAN: unknown - no cloud, or no
 * cycle saw it): nodefleet_cost_dollars_per_hour{market}. */
void nf_registry_cost(struct nf_registry *r, double on_demand, double spot);

/* What the dashboards and alert rules (deploy/) read beside the decision: the settings they
 * compare with (nodefleet_interval_seconds, nodefleet_nodes_min, nodefleet_nodes_max,
 * nodefleet_drain_timeout_seconds, nodefleet_provision_timeout_seconds) ... */
struct nf_registry_settings {
    double interval_s, drain_timeout_s, provision_timeout_s;
    int min_nodes, max_nodes;
};
void nf_registry_settings(struct nf_registry *r, const struct nf_registry_settings *s);

/* ... and a finished cycle's facts: nodefleet_last_decision_timestamp_seconds (a cycle that
 * held the lease and decided), nodefleet_lease_held, nodefleet_lease_lost_total,
 * nodefleet_deadline_cuts_total, nodefleet_launch_failures_total,
 * nodefleet_join_timeouts_total, nodefleet_join_duration_seconds (histogram),
 * nodefleet_drains_total{outcome}, nodefleet_drains_in_flight,
 * nodefleet_drain_oldest_age_seconds, nodefleet_instances{market},
 * nodefleet_cost_if_on_demand_dollars_per_hour. */
struct nf_registry_facts {
    bool decided, lease_held, lease_lost, deadline_cut;
    int launch_failures, join_timeouts, drains_done, drains_aborted;
    int njoined;
    const double *joined_s;
    bool pool_known; /* the pool's instances were listed: the next four are its */
    int drains_in_flight;
    double drain_oldest_age_s;
    int instances[2]; /* on-demand, spot */
    double cost_if_on_demand;
};
void nf_registry_facts(struct nf_registry *r, const struct nf_registry_facts *f, double wall);

void nf_registry_render(struct nf_registry *r, struct nf_buf *out);

/* Ready when a cycle finished within `2 * interval_s` of `mono_now`; else `why` says so. */
bool nf_registry_ready(struct nf_registry *r, double mono_now, double interval_s, char *why,
                       size_t whylen);

#endif
