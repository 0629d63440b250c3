/* state.h - what nodefleet keeps between cycles (DESIGN.md "State"), and the lease.
 *
 * Contract
 *   Plain data, fixed size. Times are Unix seconds, NAN or 0 where never. The lease is held
 *   by one owner at a time; its fencing token increases on every acquisition (and on a
 *   forced unlock), and every state write names the token it holds, so a writer whose lease
 *   was taken over cannot overwrite its successor.
 */
#ifndef NF_PORTS_STATE_H
#define NF_PORTS_STATE_H

#include <stddef.h>

#include "../core/forecast.h"
#include "../core/types.h"
#include "../util/buf.h"

#define NF_OWNER_MAX            96
#define NF_STATE_LAUNCHES_MAX   32
#define NF_STATE_DRAINS_MAX     32
#define NF_LAUNCH_INSTANCES_MAX 16
#define NF_STATE_HISTORY_MAX    10
#define NF_STATE_DECISIONS_MAX  50
#define NF_STATE_BACKOFFS_MAX   64
#define NF_STATE_UNNEEDED_MAX   64
#define NF_STATE_INTERRUPTS_MAX 64
#define NF_INTERRUPT_KEEP_S     3600

struct nf_lease {
    char owner[NF_OWNER_MAX];
    long long token;
    double acquired_at;
    double expiry;
};

/* A launch: written as an intent (count, spot share) before the cloud is called, then with
 * the instances it made. Instances leave the record when they join (or fail to). */
struct nf_launch_rec {
    char intent[64]; /* also the base of the EC2 ClientToken */
    char az[32];
    /* the type of each worker asked for, in order, as runs: "c5.large*3,m5.xlarge*1" ("":
     * the pool's first type for all) - nf_launch_types_expand reads it */
    char types[576]; /* 16 runs of a 31-character type fit */
    char market[16];
    double launched_at;
    int count, spot; /* asked for: `spot` of `count` on spot */
    int ninstances;
    char instances[NF_LAUNCH_INSTANCES_MAX][24];
};

struct nf_drain_rec {
    char node[128];
    char instance[24];
    double started_at;
    double force_at; /* 0: a scale-down's drain; else the instance goes (an interruption) */
};

/* An event about a pool instance already acted on (issue 15): kept an hour after it was
 * seen, so that the same event delivered again - the queue is at least once - or replayed
 * causes nothing twice. */
struct nf_interrupt_rec {
    char instance[24];
    char event_id[80];
    char kind[20]; /* spot_interruption | rebalance | state_change | scheduled */
    double seen_at, deadline;
};

/* One decision, for `status`, `explain` and the status page. */
struct nf_decision_rec {
    double t;
    char action[16]; /* scale_up | scale_down | none */
    int nodes;
    int size_before; /* ready + joining workers */
    char code[40];   /* nf_plan_code */
    char reason[200];
};

/* A pool (type, zone, market) resting after a capacity error or a worker that never joined: kept in
 * the state so that `once` and cold Lambda starts honour it as a daemon does. */
struct nf_backoff_rec {
    char az[32];
    char type[32];   /* the instance type; "" every type (a worker that never joined) */
    char market[16]; /* spot | on-demand */
    double until;    /* Unix s */
};

/* The types of a launch record, one per worker (`count` of them, NF_LAUNCH_INSTANCES_MAX at
 * most) into out; "" for all when `runs` is "". -1 when `runs` is not TYPE*N runs adding up
 * to `count`. */
int nf_launch_types_expand(const char *runs, int count, char out[][32]);

struct nf_state {
    int node_count;
    double last_scale_up, last_scale_down; /* 0 = never */
    char last_action[16];
    char last_reason[256];
    int nlaunches;
    struct nf_launch_rec launches[NF_STATE_LAUNCHES_MAX];
    int ndrains;
    struct nf_drain_rec drains[NF_STATE_DRAINS_MAX];
    int nhistory; /* newest readings, oldest first (the seed's metrics_history) */
    struct {
        double t, cpu, memory, pending_pods;
    } history[NF_STATE_HISTORY_MAX];
    int ndecisions; /* the newest decisions, oldest first */
    struct nf_decision_rec decisions[NF_STATE_DECISIONS_MAX];
    long long launch_failures, drains_done, drains_aborted; /* counters since the state began */
    int nbackoffs;
    struct nf_backoff_rec backoffs[NF_STATE_BACKOFFS_MAX];
    int nunneeded; /* the default policy's: workers unneeded, and since when */
    struct nf_unneeded unneeded[NF_STATE_UNNEEDED_MAX];
    struct nf_demand_history demand; /* what the pods requested, for the forecast */
    int ninterrupts;                 /* events acted on, oldest first */
    struct nf_interrupt_rec interrupts[NF_STATE_INTERRUPTS_MAX];
    long long interruptions; /* counter since the state began */
    /* what the pool's instances cost an hour at the last cycle that listed them ($; NAN
     * unknown): on-demand and spot, and all of them on-demand (the savings' base) */
    double cost_on_demand, cost_spot, cost_if_on_demand;
};

/* The state document's schema: 1 before it was written (no "schema" field), 2 since the
 * default policy's timers and demand history and the schema field itself, 3 since the
 * interruptions and the forced drains, 4 since instance types (launches[].types,
 * backoffs[].type) and the cost. A document of an
 * older schema is read as it is (every field added since is optional) and saved as the
 * current one; a newer one is refused (NF_E_INPUT) rather than saved without what this
 * binary does not know. */
#define NF_STATE_SCHEMA 4

/* The state as one JSON object (the SQLite store's column; the DynamoDB store's extra
 * attribute), and back. Decoding is strict: a field of the wrong type or form is NF_E_INPUT
 * naming it ("state: launches[0].count: ..."); nothing is guessed. */
int nf_state_to_json(const struct nf_state *st, struct nf_buf *out);
int nf_state_from_json(const char *text, size_t len, struct nf_state *st, struct nf_err *err);

/* Append a decision to the ring (the oldest goes when it is full). */
void nf_state_add_decision(struct nf_state *st, const struct nf_decision_rec *d);

#endif
