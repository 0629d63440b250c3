/* types.h - the data the pure core works on: samples, observations and plans.
 *
 * Contract
 *   Times are Unix seconds as doubles (exact for whole seconds; sub-second samples allowed).
 *   A metric value of NAN means *unknown*: unknown is neither high nor low, so it satisfies no
 *   condition (DESIGN.md, "Sustained"). Samples are ordered oldest first, strictly
 *   increasing in time, none later than `now`; producers (the decide parser, the cycle) check
 *   this before the core sees them. The core never allocates: a plan is a fixed-size value.
 */
#ifndef NF_CORE_TYPES_H
#define NF_CORE_TYPES_H

#include <stdbool.h>
#include <stddef.h>

/* X(id, json name, what it is) */
#define NF_SIGNALS(X)                                                                              \
    X(NF_SIG_CPU, "cpu", "average CPU utilisation of the workers, %")                              \
    X(NF_SIG_MEMORY, "memory", "average memory utilisation of the workers, %")                     \
    X(NF_SIG_PENDING_PODS, "pending_pods", "pods waiting for a node")                              \
    X(NF_SIG_QUEUE_DEPTH, "queue_depth", "application queue depth")                                \
    X(NF_SIG_LATENCY_P95_MS, "latency_p95_ms", "p95 request latency, ms")                          \
    X(NF_SIG_ERROR_RATE_PCT, "error_rate_pct", "share of requests answered 5xx, %")

enum nf_signal {
#define NF__SIG_ENUM(id, name, what) id,
    NF_SIGNALS(NF__SIG_ENUM)
#undef NF__SIG_ENUM
        NF_SIG__COUNT
};

extern const char *const nf_signal_names[NF_SIG__COUNT];

/* Custom triggers (config `triggers:`) add signals after the built-in ones. */
#define NF_TRIGGERS_MAX     8
#define NF_TRIGGER_NAME_MAX 48
#define NF_SIG_CUSTOM(k)    (NF_SIG__COUNT + (k))
#define NF_SAMPLE_VALUES    (NF_SIG__COUNT + NF_TRIGGERS_MAX)

struct nf_sample {
    double t;
    double v[NF_SAMPLE_VALUES]; /* NAN = unknown */
};

/* Worker counts. The K3s server (master) is never counted. */
struct nf_workers {
    int ready;    /* Ready and schedulable */
    int joining;  /* launched, not yet Ready */
    int draining; /* cordoned, being drained */
};

struct nf_fleet;
struct nf_fnode;
struct nf_demand_history;
struct nf_history_item;

/* A worker judged unneeded (its pods fit elsewhere), and since when: kept in the state between
 * cycles, so a worker goes only after it stayed unneeded long enough. */
#define NF_NODE_NAME_MAX  128
#define NF_PLAN_NODES_MAX 32
struct nf_unneeded {
    char node[NF_NODE_NAME_MAX];
    double since;
};

struct nf_observation {
    double now;
    struct nf_workers workers;
    const struct nf_sample *samples; /* oldest first */
    size_t nsamples;
    double last_scale_up;   /* NAN = never */
    double last_scale_down; /* NAN = never */
    /* What a policy that packs pods needs (fleet.h), NULL when not known: every worker with
     * its allocatable, labels, taints, requested CPU and memory and removal verdict; the
     * pending pods (node -1) with their requests and constraints; and the template a new
     * worker is made from (a pending pod it cannot host is not bought for). */
    struct nf_fleet *fleet;
    const struct nf_fnode *tmpl;
    const struct nf_unneeded *unneeded; /* the timers the state keeps (the default policy's) */
    size_t nunneeded;
    const struct nf_demand_history *demand; /* the pool's demand, for the forecast; may be NULL */
    /* the metrics history (predictive.h) for the seed's predictive layer; NULL: none kept */
    const struct nf_history_item *mhistory;
    size_t nmhistory;
};

enum nf_action { NF_ACTION_NONE, NF_ACTION_SCALE_UP, NF_ACTION_SCALE_DOWN };

const char *nf_action_name(enum nf_action a);

/* One line of the reason trail: a rule, what became of it, and the numbers behind it. */
enum nf_trail_status {
    NF_TRAIL_INFO,     /* context, e.g. the pool size */
    NF_TRAIL_HELD,     /* the condition held */
    NF_TRAIL_NOT_HELD, /* the condition did not hold */
    NF_TRAIL_UNKNOWN,  /* the newest value is unknown: neither held nor not held */
    NF_TRAIL_BLOCKED,  /* an action was wanted but a guard stopped it */
    NF_TRAIL_CHOSEN    /* the action taken */
};

const char *nf_trail_status_name(enum nf_trail_status s);

#define NF_TRAIL_MAX        32
#define NF_TRAIL_RULE_MAX   40
#define NF_TRAIL_DETAIL_MAX 200
#define NF_REASON_MAX       512

struct nf_trail_entry {
    char rule[NF_TRAIL_RULE_MAX];
    enum nf_trail_status status;
    char detail[NF_TRAIL_DETAIL_MAX];
};

struct nf_plan {
    enum nf_action action;
    int nodes; /* 0 for NF_ACTION_NONE */
    char reason[NF_REASON_MAX];
    size_t ntrail;
    struct nf_trail_entry trail[NF_TRAIL_MAX];
    /* A policy that judges workers one by one (default): those unneeded now (the cycle keeps
     * their timers) and, for a scale-down, which ones to drain (`nodes` of them; the cluster
     * checks each again). Empty for the others: the cluster then chooses. */
    int nunneeded;
    char unneeded[NF_PLAN_NODES_MAX][NF_NODE_NAME_MAX];
    int nremove;
    char remove[NF_PLAN_NODES_MAX][NF_NODE_NAME_MAX];
    /* set after nf_plan_init by a policy that asks another for its verdicts alone: the trail
     * keeps each rule and status but not the sentences (formatting them is most of a
     * decision's cost) */
    bool quiet;
};

void nf_plan_init(struct nf_plan *p);
/* Append a trail line (silently dropped past NF_TRAIL_MAX; the last slot then says so). */
void nf_plan_trail(struct nf_plan *p, const char *rule, enum nf_trail_status st, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));
void nf_plan_set(struct nf_plan *p, enum nf_action a, int nodes, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A short machine name for why the plan is what it is, for metric labels: the bound rule
 * (min_nodes, max_nodes, static), the first condition that held (cpu_high, idle,
 * trigger:NAME, pending, ...), the rule chosen without one (consolidate), the guard that blocked
 * (cooldown_scale_up, ...), no_samples or stable. Points into the plan or at a constant. */
const char *nf_plan_code(const struct nf_plan *p);

#endif
