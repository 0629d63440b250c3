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

#define NF_OWNER_MAX            96
#define NF_STATE_LAUNCHES_MAX   32
#define NF_STATE_DRAINS_MAX     32
#define NF_LAUNCH_INSTANCES_MAX 16
#define NF_STATE_HISTORY_MAX    10

struct nf_lease {
    char owner[NF_OWNER_MAX];
    long long token;
    double acquired_at;
    double expiry;
};

struct nf_launch_rec {
    char intent[64]; /* also the base of the EC2 ClientToken */
    char az[32];
    char market[16];
    double launched_at;
    int ninstances;
    char instances[NF_LAUNCH_INSTANCES_MAX][24];
};

struct nf_drain_rec {
    char node[128];
    char instance[24];
    double started_at;
};

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
};

#endif
