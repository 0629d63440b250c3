/* kube_cluster.h - the cluster port over the Kubernetes API (kube/).
 *
 * Contract
 *   observe reads a fresh snapshot (nodes, pods, owners, budgets) - listed, or from the
 *   watched cache once nf_kube_cluster_watch started one (a cache out of sync fails the
 *   observation as a failed list does) - and keeps it until the next observe, for choose; nodes are
 * reported with their EC2 instance (providerID) and InternalIP; pending demand is the Unschedulable
 * pods' requests. choose applies the scale-down safety rules and the fit check (kube/drainable.h)
 * to the nodes named; drain_step and remove_node are kube/drain.h's.
 */
#ifndef NF_ADAPTERS_KUBE_CLUSTER_H
#define NF_ADAPTERS_KUBE_CLUSTER_H

#include "../config/config.h"
#include "../kube/drain.h"
#include "../kube/drainable.h"
#include "../kube/kcluster.h"
#include "../kube/kwatch.h"
#include "../ports/ports.h"

struct nf_kube_cluster {
    struct nf_kube *k;
    struct nf_drain_opts drain;
    char market_label[128], spot_value[32];
    struct nf_kcluster snap;
    bool have_snap;
    struct nf_kindex *ix;
    struct nf_node_info *nodes;
    size_t cap_nodes;
    struct nf_drain_verdict *verdicts; /* the last choose's, per snapshot node */
    struct nf_kwatch *watch;           /* `run`: the watched cache; NULL: list every time */
    double first_wait_s;
};

/* Observe through a watched cache from now on (kwatch.h), started here. */
int nf_kube_cluster_watch(struct nf_kube_cluster *c, struct nf_err *err);

void nf_kube_cluster_init(struct nf_kube_cluster *c, struct nf_kube *k,
                          const struct nf_config *cfg);
void nf_kube_cluster_free(struct nf_kube_cluster *c);

extern const struct nf_cluster_port nf_kube_cluster_port;

#endif
