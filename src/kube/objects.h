/* objects.h - the Kubernetes objects nodefleet reads, as plain data, and their JSON readers.
 *
 * Contract
 *   A `struct nf_kcluster` holds nodes, pods, ReplicaSets, Deployments and
 *   PodDisruptionBudgets read from API list items (one item at a time, so a page can be
 *   freed as soon as it is read). Strings live in the snapshot's arena. The readers are
 *   pure: no I/O, no clock. A field of the wrong type or a quantity that does not parse is
 *   NF_E_INPUT naming the object and the field ("pod shop/web-1:
 *   spec.containers[0].resources.requests.cpu: \"12x\": unknown suffix"); absent optional
 *   fields take their Kubernetes defaults.
 *   Pod requests follow the scheduler's rule: max(sum of containers + sidecars, each init
 *   container + the sidecars started before it) + overhead.
 */
#ifndef NF_KUBE_OBJECTS_H
#define NF_KUBE_OBJECTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/fleet.h"
#include "../core/placement.h"
#include "../util/arena.h"
#include "../util/err.h"

#define NF_ANN_SAFE_TO_EVICT       "cluster-autoscaler.kubernetes.io/safe-to-evict"
#define NF_ANN_SAFE_LOCAL_VOLUMES  "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes"
#define NF_ANN_SCALE_DOWN_DISABLED "cluster-autoscaler.kubernetes.io/scale-down-disabled"
#define NF_ANN_MIRROR              "kubernetes.io/config.mirror"

enum nf_kowner {
    NF_OWN_NONE,
    NF_OWN_REPLICASET,
    NF_OWN_STATEFULSET,
    NF_OWN_DAEMONSET,
    NF_OWN_JOB,
    NF_OWN_REPLICATIONCONTROLLER,
    NF_OWN_OTHER
};

enum nf_kphase {
    NF_PHASE_PENDING,
    NF_PHASE_RUNNING,
    NF_PHASE_SUCCEEDED,
    NF_PHASE_FAILED,
    NF_PHASE_UNKNOWN
};

struct nf_knode {
    const char *name, *provider_id, *zone, *instance_type;
    char instance_id[32]; /* from spec.providerID aws:///<zone>/<id>; "" when none */
    char internal_ip[48]; /* status.addresses InternalIP; "" when none */
    enum nf_market market;
    bool ready, unschedulable, control_plane, scale_down_disabled, deleting;
    double created; /* metadata.creationTimestamp, Unix s; 0 when absent */
    int64_t alloc_cpu_m, alloc_mem;
    int alloc_pods; /* status.allocatable.pods; 0 when absent */
    const struct nf_label *labels;
    int nlabels;
    const struct nf_taint *taints; /* the cordon's own taint left out (unschedulable says it) */
    int ntaints;
};

struct nf_kpod {
    const char *ns, *name, *uid, *node; /* node "" when not scheduled */
    enum nf_kphase phase;
    bool deleting, mirror, ready, unschedulable;
    enum nf_kowner owner; /* the controller (ownerReference with controller: true) */
    const char *owner_kind, *owner_name;
    int safe_to_evict;              /* -1 not set, 0 "false", 1 "true" */
    const char *local_volumes;      /* emptyDir/hostPath volume names, comma-separated, or NULL */
    const char *safe_local_volumes; /* the safe-to-evict-local-volumes annotation, or NULL */
    int64_t req_cpu_m, req_mem;
    const struct nf_label *labels;
    int nlabels;
    /* what the scheduler needs (fleet.h): spec.nodeSelector, the required node affinity terms,
     * spec.tolerations, the required pod anti-affinity terms on kubernetes.io/hostname */
    const struct nf_label *node_selector;
    int nnode_selector;
    const struct nf_selector *affinity;
    int naffinity;
    const struct nf_toleration *tolerations;
    int ntolerations;
    const struct nf_selector *anti;
    int nanti;
};

/* ReplicaSets and Deployments start with ns and name, in that order (drainable.c relies on
 * it to search both alike). */
struct nf_kreplicaset {
    const char *ns, *name, *deployment; /* deployment NULL when not owned by one */
    int replicas;
};

struct nf_kdeployment {
    const char *ns, *name;
    int replicas;
};

struct nf_kpdb {
    const char *ns, *name;
    struct nf_selector sel;
    bool empty_selector;     /* nil or {}: the eviction subresource matches no pod */
    int disruptions_allowed; /* status.disruptionsAllowed */
    bool current;            /* status.observedGeneration >= metadata.generation */
};

struct nf_kcluster {
    struct nf_arena arena;
    struct nf_knode *nodes;
    size_t nnodes, cap_nodes;
    struct nf_kpod *pods;
    size_t npods, cap_pods;
    struct nf_kreplicaset *rs;
    size_t nrs, cap_rs;
    struct nf_kdeployment *deploys;
    size_t ndeploys, cap_deploys;
    struct nf_kpdb *pdbs;
    size_t npdbs, cap_pdbs;
    /* how spot nodes are labelled: label key and the value that means spot */
    char market_label[128], market_spot_value[32];
};

void nf_kcluster_init(struct nf_kcluster *c, const char *market_label, const char *spot_value);
void nf_kcluster_free(struct nf_kcluster *c);

/* Append one list item of each kind. */
int nf_kread_node(struct nf_kcluster *c, const json_t *item, struct nf_err *err);
int nf_kread_pod(struct nf_kcluster *c, const json_t *item, struct nf_err *err);
int nf_kread_replicaset(struct nf_kcluster *c, const json_t *item, struct nf_err *err);
int nf_kread_deployment(struct nf_kcluster *c, const json_t *item, struct nf_err *err);
int nf_kread_pdb(struct nf_kcluster *c, const json_t *item, struct nf_err *err);

/* Does the PDB select the pod (same namespace, selector matches its labels)? */
bool nf_kpdb_selects(const struct nf_kpdb *d, const struct nf_kpod *p);

#endif
