/* sim_internal.h - what the simulator's parts share: the workload (pod shapes, one HPA per
 * shape, the pods and the scheduler: sim_pods.c), the world of instances with its port adapters
 * (sim_world.c), the scorer (sim_score.c), and the runs (sim.c). Internal to src/sim. */
#ifndef NF_SIM_INTERNAL_H
#define NF_SIM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "../ports/ports.h"
#include "sim.h"

/* A pool never holds more live instances than this (max_nodes is at most 1000). */
#define NF_SIM_NODES_MAX 4096
/* Pods alive at once, all shapes together (each HPA is capped at its share of this). */
#define NF_SIM_PODS_MAX 65536

/* Kubernetes' HPA defaults (k8s.io/kubernetes pkg/controller/podautoscaler and the
 * autoscaling/v2 API reference): a sync every 15 s, a 10 % tolerance, scale-up by at most
 * max(4 pods, 100 %) per 15 s, scale-down to the highest recommendation of the last 300 s. */
#define NF_HPA_SYNC_S        15.0
#define NF_HPA_TOLERANCE     0.10
#define NF_HPA_UP_PODS       4
#define NF_HPA_UP_PCT        100.0
#define NF_HPA_DOWN_WINDOW_S 300.0
#define NF_HPA_WINDOW_MAX    64 /* recommendations kept: 300 s / 15 s + 1, with room */

struct model {
    const struct nf_sim_params *p;
    double scale; /* vCPU per trace unit */
};

/* One HPA, for the Deployment of one pod shape. */
struct hpa {
    int replicas;
    double last_sync; /* -INFINITY before the first */
    int max_replicas;
    /* recommendations of the last NF_HPA_DOWN_WINDOW_S, oldest first */
    double rec_t[NF_HPA_WINDOW_MAX];
    int rec_v[NF_HPA_WINDOW_MAX];
    int nrec;
};

/* The HPA's first size: exactly the pods `demand` needs at the target (at least 1). */
void nf__hpa_init(struct hpa *h, const struct nf_sim_params *p, int shape, double demand,
                  int max_replicas);
/* Sync at time t when one is due (every NF_HPA_SYNC_S): the new replica count for `demand`
 * (the vCPU this shape's pods must serve). Returns true when it synced. */
bool nf__hpa_sync(struct hpa *h, const struct nf_sim_params *p, int shape, double demand, double t);
/* The pods `demand` asks of one shape at the HPA target, with no tolerance or limits. */
int nf__hpa_desired(const struct nf_sim_params *p, int shape, double demand);

/* Workers needed to hold these pods (per shape): the larger of what their CPU, their memory
 * and their count need - the fewest any packing could use. */
int nf__sim_nodes_for(const struct nf_sim_params *p, const int *pods);

enum node_state { NODE_BOOTING, NODE_READY, NODE_DRAINING };

struct node {
    double launch_t, ready_t, end_t; /* end_t: a spot interruption's or a drain's end */
    enum nf_market market;
    enum node_state st;
    long serial;          /* instance i-sim<serial>, node sim-<serial> */
    int type;             /* index into p->types (0 without sim.node_types) */
    double vcpu, mem_mib; /* what it has: its type's */
    bool reclaimed;       /* a spot interruption, not a decision, ends it */
    double cpu_used, mem_used;
    int npods, npinned;
};

struct pod {
    int shape;
    int node;    /* index into world.nodes, -1 while pending */
    bool pinned; /* may not be evicted (StatefulSet, single replica, annotated) */
    long serial;
};

struct world {
    const struct model *m;
    const struct nf_sim_params *p;
    double now;
    struct node nodes[NF_SIM_NODES_MAX];
    size_t n;
    long serial;
    struct nf_node_info view[NF_SIM_NODES_MAX]; /* the cluster's last observe */
    uint64_t rng, irng;                         /* irng: the spot interruptions' own stream */
    /* warnings not yet handed to the cycle (sim.interruption_response: replace) */
    struct nf_cloud_event warnings[64];
    size_t nwarnings;
    struct nf_sample *ring;
    size_t ring_cap, ring_head, ring_n; /* head = index of the oldest */
    struct nf_sim_metrics *met;
    bool ended; /* the run is over: the last bills, no removals */
    /* the workload */
    struct hpa hpa[NF_SIM_SHAPES_MAX];
    struct pod *pods; /* NF_SIM_PODS_MAX */
    size_t npods;
    long pod_serial;
    int shape_pods[NF_SIM_SHAPES_MAX];    /* pods of each shape, pending or running */
    int shape_running[NF_SIM_SHAPES_MAX]; /* of those, placed on a worker */
    /* the pool as the core models it (core/fleet.h), rebuilt by each observe: the same rules
     * choose here as in the real cluster adapter */
    struct nf_fleet fleet;
    struct nf_fnode fnodes[NF_SIM_NODES_MAX];
    long fleet_of[NF_SIM_NODES_MAX]; /* world node index -> fleet node index, -1 */
    struct nf_fpod *fpods;
    size_t fpods_cap;
    void *ws;
    size_t ws_cap;
};

/* Free what the world allocated for its fleet. */
void nf__sim_world_free(struct world *w);

/* What the pods of the world serve of `demand` now. */
struct service {
    int pods, running, pending;
    double served;      /* vCPU */
    double mem_running; /* MiB */
    int need;           /* workers the HPA's pods need (nf__sim_nodes_for) */
};

/* ---- the workload (sim_pods.c) ---- */
int nf__sim_pods_init(struct world *w, double demand);
/* Sync the HPAs to `demand` at time t (when due) and make or delete pods to match. */
int nf__sim_pods_follow(struct world *w, double demand, double t);
/* Place pending pods on Ready workers, one by one (kube-scheduler's LeastAllocated). */
void nf__sim_schedule(struct world *w);
struct service nf__sim_serve(const struct world *w, double demand);
/* Take pod i off its node (it becomes pending: its controller makes it again). */
void nf__sim_unbind(struct world *w, size_t i);
/* The node at index `from` now sits at index `to` (the world compacts its array). */
void nf__sim_node_moved(struct world *w, size_t from, size_t to);
/* Could the evictable pods of node `i` be placed on the other Ready workers (minus those in
 * `skip`, being removed too)? `free_cpu`/`free_mem`/`free_pods` hold what is left on every
 * node and are updated when it answers true. */
bool nf__sim_fits_elsewhere(const struct world *w, size_t i, const bool *skip, double *free_cpu,
                            double *free_mem, int *free_pods);

/* ---- the world (sim_world.c) ---- */
int nf__sim_count_state(const struct world *w, enum node_state st);
void nf__sim_push_sample(struct world *w, const struct nf_sample *s);
void nf__sim_remove_node(struct world *w, size_t i, double end);
int nf__sim_add_node(struct world *w, int type, enum nf_market market, double launch_t,
                     double ready_t);
/* Ready workers, in workers of the first type when they differ (by CPU, rounded down). */
int nf__sim_ready_units(const struct world *w);
void nf__sim_advance(struct world *w, double t);

/* ---- scoring (sim_score.c) ---- */
struct scorer {
    double total_s, demand_vcpu_s, unserved_vcpu_s;
    double acc_u, acc_o, ts_u, ts_o;
    bool in_shortfall;
    double shortfall_start;
    double *episodes;
    size_t nep, capep;
};

int nf__sim_score_finish(struct scorer *sc, struct nf_sim_metrics *met, double end);
int nf__sim_score_step(struct scorer *sc, struct nf_sim_metrics *met, double t, double dt,
                       double demand, double served, int pending, int need, int supply);

extern const struct nf_clock_port nf__sim_clock_port;
extern const struct nf_metrics_port nf__sim_metrics_port;
extern const struct nf_cluster_port nf__sim_cluster_port;
extern const struct nf_cloud_port nf__sim_cloud_port;
/* the spot warnings as an interruption queue (sim.interruption_response: replace) */
extern const struct nf_events_port nf__sim_events_port;

#endif
