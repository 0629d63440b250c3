/* kcluster.h - the cluster as nodefleet sees it: a snapshot read through the API, the
 * worker counts and pending demand taken from it.
 *
 * Contract
 *   nf_kube_snapshot lists nodes, pods (all namespaces), ReplicaSets, Deployments and
 *   PodDisruptionBudgets, page by page, into `c` (initialised by the caller). Any list
 *   failing fails the snapshot: a partial cluster is never decided on.
 *   Workers are the nodes without a control-plane role: ready = Ready and schedulable,
 *   joining = not Ready yet and schedulable, draining = cordoned. Pending demand is the
 *   pods the scheduler marked Unschedulable, with their summed requests.
 */
#ifndef NF_KUBE_KCLUSTER_H
#define NF_KUBE_KCLUSTER_H

#include "../core/types.h"
#include "kclient.h"
#include "objects.h"

int nf_kube_snapshot(struct nf_kube *k, struct nf_kcluster *c, struct nf_err *err);

void nf_kube_workers(const struct nf_kcluster *c, struct nf_workers *out);

struct nf_pending {
    int pods;
    int64_t cpu_m, mem;
};
void nf_kube_pending(const struct nf_kcluster *c, struct nf_pending *out);

#endif
