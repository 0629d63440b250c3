/* registry.h - nodefleet's own metrics, rendered in the text exposition format.
 *
 * Contract
 *   nodefleet_cycle_duration_seconds (histogram), nodefleet_cycles_total,
 *   nodefleet_decisions_total{action,reason}, nodefleet_nodes{state},
 *   nodefleet_errors_total{component}, nodefleet_signal{name}, nodefleet_signal_unknown{name},
 *   nodefleet_last_cycle_timestamp_seconds, nodefleet_build_info{version}.
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

void nf_registry_render(struct nf_registry *r, struct nf_buf *out);

/* Ready when a cycle finished within `2 * interval_s` of `mono_now`; else `why` says so. */
bool nf_registry_ready(struct nf_registry *r, double mono_now, double interval_s, char *why,
                       size_t whylen);

#endif
