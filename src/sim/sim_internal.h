/* sim_internal.h - what the simulator's parts share: the demand model and the world with its
 * port adapters (sim_world.c), the scorer (sim_score.c), and the runs (sim.c). Internal to
 * src/sim. */
#ifndef NF_SIM_INTERNAL_H
#define NF_SIM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "../ports/ports.h"
#include "sim.h"

/* A pool never holds more live instances than this (max_nodes is at most 1000). */
#define NF_SIM_NODES_MAX 4096

struct model {
    const struct nf_sim_params *p;
    double scale;    /* vCPU per trace unit */
    double pod_vcpu; /* vCPU one pod carries at the HPA target */
    int pods_per_node;
};

/* What `ready` workers make of `demand`: pods that run (the rest are pending) and the vCPU
 * they serve (a running pod serves up to its request). */
struct service {
    int pods, running, pending;
    double served;
};

enum node_state { NODE_BOOTING, NODE_READY, NODE_DRAINING };

struct node {
    double launch_t, ready_t, end_t; /* end_t: a spot interruption's end, else INFINITY */
    enum nf_market market;
    enum node_state st;
    long serial; /* instance i-sim<serial>, node sim-<serial> */
};

struct world {
    const struct model *m;
    const struct nf_sim_params *p;
    double now;
    struct node nodes[NF_SIM_NODES_MAX];
    size_t n;
    long serial;
    struct nf_node_info view[NF_SIM_NODES_MAX]; /* the cluster's last observe */
    uint64_t rng;
    struct nf_sample *ring;
    size_t ring_cap, ring_head, ring_n; /* head = index of the oldest */
    struct nf_sim_metrics *met;
};

struct scorer {
    double total_s, demand_vcpu_s, unserved_vcpu_s;
    double acc_u, acc_o, ts_u, ts_o;
    bool in_shortfall;
    double shortfall_start;
    double *episodes;
    size_t nep, capep;
    int last_supply;
    bool have_last;
};

int nf__sim_count_state(const struct world *w, enum node_state st);
struct service nf__sim_serve(const struct model *m, double demand, int ready);
int nf__sim_nodes_for_pods(const struct model *m, int pods);
void nf__sim_push_sample(struct world *w, const struct nf_sample *s);
void nf__sim_remove_node(struct world *w, size_t i, double end);
int nf__sim_add_node(struct world *w, enum nf_market market, double launch_t, double ready_t);
int nf__sim_pods_for(const struct model *m, double demand);
void nf__sim_advance(struct world *w, double t);
int nf__sim_score_finish(struct scorer *sc, struct nf_sim_metrics *met, double end);
int nf__sim_score_step(struct scorer *sc, struct nf_sim_metrics *met, double t, double dt,
                       double demand, double served, int pending, int need, int supply);
extern const struct nf_clock_port nf__sim_clock_port;
extern const struct nf_metrics_port nf__sim_metrics_port;
extern const struct nf_cluster_port nf__sim_cluster_port;
extern const struct nf_cloud_port nf__sim_cloud_port;

#endif
