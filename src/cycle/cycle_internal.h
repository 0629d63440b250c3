/* cycle_internal.h - what the parts of the cycle share: one run's context and the helpers
 * that reconcile (cycle_reconcile.c), act (cycle_act.c) and the sequence (cycle.c) all use.
 * Internal to src/cycle. */
#ifndef NF_CYCLE_INTERNAL_H
#define NF_CYCLE_INTERNAL_H

#include "../util/log.h"
#include "cycle.h"

/* A scale-up never launches more than this in one cycle (a guard against a wild plan). */
#define NF_CYCLE_LAUNCH_MAX  200
#define NF_CYCLE_DEMAND_MAX  20000 /* pending pods a type choice looks at */
#define NF_CYCLE_REPLACE_MAX 64    /* interrupted workers replaced in one cycle */

/* One cycle's context: the clock reading, the lease, and whether it was lost. */
struct run {
    struct nf_cycle *c;
    double now;
    bool leased, lost;
    bool released; /* the last save let go of the lease too (the store's save_release) */
    struct nf_lease lease;
    struct nf_err *err;
    /* the interrupted workers' types, in order, for their replacements (the same type: its
     * pods fit; its pool rests, so the cloud puts it in another) - "" the pool's first */
    char replace_types[NF_CYCLE_REPLACE_MAX][32];
    int nreplace_types;
    char replace_ids[200]; /* theirs, for the replacement's notification ("..." past that) */
    bool deadline;         /* the run's budget ran out: the cycle ended early */
};

void nf__cyc_crash_point(const struct nf_cycle *c, const char *where);
void nf__cyc_step_log(const struct nf_cycle *c, const char *msg, const struct nf_log_field *f);
void nf__cyc_notify(struct run *r, enum nf_event_kind k, const char *node, const char *instances,
                    int before, int after, double cost, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
int nf__cyc_save(struct run *r);
/* The cycle's last save: with the release in the same write when the store can do both. */
int nf__cyc_save_last(struct run *r);
/* What a worker of that type (""/NULL: the pool's first) in zone az (NULL: the cheapest) on
 * market m costs an hour: the cloud's price, else the configured one. */
double nf__cyc_hourly(const struct nf_cycle *c, const char *type, const char *az, enum nf_market m);
const struct nf_node_info *nf__cyc_node_of(const struct nf_cycle *c, const struct nf_instance *in);
struct nf_instance *nf__cyc_find_instance(struct nf_cycle *c, const char *id);
void nf__cyc_forget_instance(struct nf_cycle *c, const char *id);
void nf__cyc_remove_launch_instance(struct nf_launch_rec *l, int k);
void nf__cyc_remove_launch(struct nf_state *st, int i);
void nf__cyc_remove_drain(struct nf_state *st, int i);
bool nf__cyc_in_records(const struct nf_state *st, const char *id);
int nf__cyc_terminate(struct run *r, const char *id);
bool nf__cyc_draining(const struct nf_state *st, const char *node);
int nf__cyc_reconcile_launches(struct run *r);
int nf__cyc_reconcile_drains(struct run *r);
int nf__cyc_scale_up(struct run *r, struct nf_plan *plan, int n, int spot, int total);
/* the cloud's events (cycle_events.c): `replace` gets how many workers to launch for the
 * interrupted ones; NF_E_CONFLICT when the lease was lost saving what they asked */
int nf__cyc_handle_events(struct run *r, int *replace);
int nf__cyc_scale_down(struct run *r, struct nf_plan *plan, int n, int spot, int total);
/* the seed's metrics history: read before deciding, this cycle's reading kept after */
void nf__cyc_read_history(struct nf_cycle *c, double now, struct nf_observation *obs);
void nf__cyc_write_history(struct nf_cycle *c, double now, int nodes);
void nf__cyc_count_workers(struct nf_cycle *c, struct nf_workers *w, int *spot, int *total);

/* The same for a pool instance (NULL: the pool's first type on market m). */
double nf__cyc_instance_hourly(const struct nf_cycle *c, const struct nf_instance *in,
                               enum nf_market m);
void nf__cyc_markets_of(const struct nf_launch_rec *l, enum nf_market *m);
/* The record's type of each worker: names[i] filled, types[i] pointing at it. */
void nf__cyc_types_of(const struct nf_launch_rec *l, char names[][32], const char **types);
void nf__cyc_record_outcome(struct nf_launch_rec *l, const struct nf_launch_outcome *out);

#endif
