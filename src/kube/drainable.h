/* drainable.h - may this node be drained? The Kubernetes side of the scale-down safety rules.
 *
 * Contract
 *   The rules themselves live in the core (core/fleet.h, where they are stated), over a pool
 *   model with no API in it. This file turns a snapshot (objects.h) into that model - owners
 *   resolved to their replica counts (a pod's ReplicaSet and, above it, its Deployment; one
 *   not found is an unknown controller), each pod's PodDisruptionBudgets found by selector,
 *   local volumes checked against the safe-to-evict-local-volumes annotation, node labels and
 *   taints, pod node selectors, affinity, tolerations and anti-affinity - and answers through
 *   the core: one verdict per node, or a choice of nodes to drain, least used first.
 */
#ifndef NF_KUBE_DRAINABLE_H
#define NF_KUBE_DRAINABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/fleet.h"
#include "objects.h"

/* The snapshot as the core's pool model, with its workspace: built once per snapshot. */
struct nf_kindex;

int nf_kindex_build(const struct nf_kcluster *c, struct nf_kindex **out, struct nf_err *err);
void nf_kindex_free(struct nf_kindex *ix);
/* The snapshot as the core's pool model; valid as long as the index and the snapshot. */
struct nf_fleet *nf_kindex_fleet(struct nf_kindex *ix);

/* What the pods on node `node` request of it (finished pods not counted), and how many
 * pods it has. */
void nf_kindex_node_use(const struct nf_kindex *ix, size_t node, int *pods, int64_t *cpu_m,
                        int64_t *mem);

/* The verdict on node `node` (an index into c->nodes), with the nodes flagged in
 * `removed` (may be NULL) counted as gone. */
void nf_drainable(const struct nf_kcluster *c, struct nf_kindex *ix, size_t node,
                  const bool *removed, struct nf_drain_verdict *v);

/* Why a pod blocks a drain (NF_BLOCK_NONE when it may be evicted, or is left alone), PDBs
 * aside; `detail` gets the sentence. For the drain itself, which checks again. */
enum nf_block nf_pod_blocks(const struct nf_kcluster *c, struct nf_kindex *ix,
                            const struct nf_kpod *p, char *detail, size_t detail_len);
/* Is the pod left alone by a drain (finished, being deleted, mirror, DaemonSet)? */
bool nf_pod_left_alone(const struct nf_kpod *p);

/* Choose up to `want` worker nodes to drain, least requested CPU share first (`prefer`:
 * that market's nodes first, or -1 for either). Writes node indexes to `out` and returns
 * how many; `verdicts` (c->nnodes entries, may be NULL) gets every node's own verdict. */
size_t nf_drain_choose(const struct nf_kcluster *c, struct nf_kindex *ix, size_t want, int prefer,
                       size_t *out, struct nf_drain_verdict *verdicts);
/* The same among the nodes flagged in `allowed` (c->nnodes entries) only. */
size_t nf_drain_choose_among(const struct nf_kcluster *c, struct nf_kindex *ix, const bool *allowed,
                             size_t want, int prefer, size_t *out,
                             struct nf_drain_verdict *verdicts);

#endif
