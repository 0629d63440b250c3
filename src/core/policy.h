/* policy.h - decision policies, found by name, all pure functions of an observation.
 *
 * Contract
 *   A policy spec is a registry name with optional argument and interval: "seed",
 *   "static:5", "seed@30s". Each kind has the interval its rules were written for (seed:
 *   120 s, node-fleet's EventBridge rate); "@DURATION" names another (the simulator runs each
 *   policy at its own; `nodefleet run` at its `interval` setting).
 *   nf_policy_init() binds a spec to its parameters once (the config side builds them:
 *   nf_config_policy() in config/config.h); the core knows nothing of the configuration;
 *   nf_policy_decide() is then a pure function: observation in, plan out, with a reason and
 *   a trail saying which rules held, which were blocked and by what. It never allocates,
 *   reads no clock and does no I/O. Counts: size = ready + joining (draining workers are on
 *   their way out and are not counted).
 *
 *   seed    node-fleet's documented rules (DESIGN.md "Seed preset"; the precise form).
 *   static  hold exactly N workers whatever the load (the seed's "before": 5 workers 24/7);
 *           it ignores min/max and cooldowns.
 *   default nodefleet's own (policy_default.c): buys for the pending pods by bin-packing them
 *           onto new workers, keeps headroom, and removes a worker whose pods fit elsewhere
 *           once it stayed unneeded long enough; every 30 s.
 */
#ifndef NF_CORE_POLICY_H
#define NF_CORE_POLICY_H

#include "../util/err.h"
#include "types.h"

#define NF_POLICY_NAME_MAX 64

struct nf_trigger_rule {
    char name[NF_TRIGGER_NAME_MAX];
    bool below;
    double threshold, for_s;
    int scale_by;
};

struct nf_seed_params {
    int min_nodes, max_nodes;
    double up_cpu, up_memory, up_pending, up_for;
    double up_queue, up_latency_ms, up_error_pct, up_app_for;
    int up_step, up_urgent_step;
    double urgent_cpu, urgent_pending;
    double down_cpu, down_memory, down_for;
    double cooldown_up, cooldown_down;
    bool predictive; /* node-fleet's layer 3 (predictive.h), with a metrics history */
    int ntriggers;   /* custom triggers: signal NF_SIG_CUSTOM(k) is triggers[k] */
    struct nf_trigger_rule triggers[NF_TRIGGERS_MAX];
};

/* The default policy's own (its bounds are the seed's min/max). */
struct nf_default_params {
    double headroom_pct;     /* spare requested CPU kept, % of what the pods request */
    double unneeded_s;       /* a worker unneeded this long is removed */
    double peak_window_s;    /* room is kept for the peak demand of this long */
    int max_removals;        /* workers removed in one cycle at most */
    double spot_pct;         /* spot_percentage: which market a removal takes first */
    double forecast_ahead_s; /* how far ahead the forecast looks: a boot and an interval */
};

struct nf_policy_params {
    struct nf_seed_params seed;
    struct nf_default_params dflt;
};

struct nf_policy_kind;

struct nf_policy {
    const struct nf_policy_kind *kind;
    char name[NF_POLICY_NAME_MAX]; /* the spec as given, e.g. "static:5" */
    struct nf_seed_params seed;
    struct nf_default_params dflt;
    int static_size;
    double interval_s;   /* between decisions: the kind's own, or the spec's "@DURATION" */
    bool interval_given; /* the spec named it */
};

/* Is `spec` a valid policy spec? On NF_E_INPUT, `*why` says what is wrong. */
int nf_policy_spec_check(const char *spec, const char **why);

int nf_policy_init(struct nf_policy *p, const char *spec, const struct nf_policy_params *params,
                   struct nf_err *err);

void nf_policy_decide(const struct nf_policy *p, const struct nf_observation *obs,
                      struct nf_plan *plan);

/* Does it read the metrics history (the seed with its predictive layer)? */
bool nf_policy_reads_history(const struct nf_policy *p);

/* Seconds of sample history the policy looks at (its longest sustained window). */
double nf_policy_lookback(const struct nf_policy *p);

#endif
