/* drainable.h - may this node be drained? The scale-down safety rules, as pure functions.
 *
 * Contract
 *   Over a snapshot (objects.h), for each node: drainable, or the first reason it is not,
 *   naming the pod. Node rules: control-plane nodes, nodes annotated
 *   cluster-autoscaler.kubernetes.io/scale-down-disabled=true, nodes already being deleted.
 *   Pods that are finished, already being deleted, mirror (static) pods and DaemonSet pods
 *   are left alone and never block. Every other pod blocks when: annotated
 *   safe-to-evict="false"; or - unless annotated safe-to-evict="true" - it is in
 *   kube-system, has no controller, belongs to a StatefulSet or a Job, to a controller with
 *   one replica (a Deployment's, or a bare ReplicaSet's), to a controller whose replica
 *   count nodefleet cannot read, or has emptyDir/hostPath volumes not all listed in
 *   safe-to-evict-local-volumes. A pod's PodDisruptionBudget blocks when it allows fewer
 *   disruptions than the node's pods it covers (or it has not seen its latest spec); two
 *   PDBs on one pod block (the eviction API refuses them). Last, the node's movable pods must
 *   fit, by CPU and memory requests, on the other Ready, schedulable nodes not being removed.
 *   The fit ignores node selectors, affinity and taints: it can say yes where the scheduler
 *   will not, never the reverse for capacity.
 *   nf_drain_choose picks up to `want` nodes, least used first, each checked with the ones
 *   chosen before it already gone.
 */
#ifndef NF_KUBE_DRAINABLE_H
#define NF_KUBE_DRAINABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "objects.h"

#define NF_BLOCKS(X)                                                                               \
    X(NF_BLOCK_NONE, "drainable")                                                                  \
    X(NF_BLOCK_CONTROL_PLANE, "control_plane")                                                     \
    X(NF_BLOCK_NODE_ANNOTATED, "scale_down_disabled")                                              \
    X(NF_BLOCK_NODE_DELETING, "node_deleting")                                                     \
    X(NF_BLOCK_SAFE_TO_EVICT_FALSE, "safe_to_evict_false")                                         \
    X(NF_BLOCK_KUBE_SYSTEM, "kube_system")                                                         \
    X(NF_BLOCK_NO_CONTROLLER, "no_controller")                                                     \
    X(NF_BLOCK_STATEFULSET, "statefulset")                                                         \
    X(NF_BLOCK_JOB, "job")                                                                         \
    X(NF_BLOCK_SINGLE_REPLICA, "single_replica")                                                   \
    X(NF_BLOCK_UNKNOWN_CONTROLLER, "unknown_controller")                                           \
    X(NF_BLOCK_LOCAL_STORAGE, "local_storage")                                                     \
    X(NF_BLOCK_PDB, "pdb")                                                                         \
    X(NF_BLOCK_MULTIPLE_PDBS, "multiple_pdbs")                                                     \
    X(NF_BLOCK_NO_ROOM, "no_room")

enum nf_block {
#define NF__BLOCK_ENUM(name, id) name,
    NF_BLOCKS(NF__BLOCK_ENUM)
#undef NF__BLOCK_ENUM
};

const char *nf_block_id(enum nf_block b);

struct nf_drain_verdict {
    enum nf_block block;
    char detail[384]; /* "pod shop/db-0 belongs to StatefulSet db" */
    int movable_pods; /* pods that would be evicted */
    int64_t movable_cpu_m, movable_mem;
};

/* Lookups built once per snapshot: pods by node, owners and PDBs by name. */
struct nf_kindex;

int nf_kindex_build(const struct nf_kcluster *c, struct nf_kindex **out, struct nf_err *err);
void nf_kindex_free(struct nf_kindex *ix);

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
