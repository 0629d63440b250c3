/* fleet.h - the pool as the core sees it: workers and pods as plain facts, the scheduler's
 * predicates ("may this pod run on this node?") and the scale-down safety rules ("may this
 * node go?"), so the cycle's cluster adapter, the simulator and the policies apply the same
 * rules.
 *
 * Contract
 *   Pure: no I/O, no clock, no allocation. The caller owns every array; the rules that need
 *   room to work (a fit check moves pods in its head) use a workspace the caller allocates,
 *   nf_fleet_ws_bytes() long, laid out by nf_fleet_prepare(). Strings are borrowed.
 *   The facts come from an adapter that resolved its own objects (Kubernetes: owners and
 *   their replica counts, which PodDisruptionBudget covers a pod, local volumes against the
 *   safe-to-evict-local-volumes annotation), so no rule here knows an API.
 *
 *   The predicates (nf_pod_fits) are the scheduler's filters nodefleet models: the node is
 *   Ready, schedulable and not being deleted; it has the pod's CPU and memory requests and a
 *   pod slot free; its labels satisfy the pod's nodeSelector and one of its required node
 *   affinity terms (In, NotIn, Exists, DoesNotExist); the pod tolerates each of its NoSchedule
 *   and NoExecute taints (Equal or Exists, a matching or empty effect; PreferNoSchedule never
 *   bars); and no pod already there conflicts by required pod anti-affinity on
 *   kubernetes.io/hostname, in either direction. Other topology keys, preferred terms and
 *   matchFields are not modelled (a fit can say yes where the scheduler would not; the
 *   drain then finds the pod pending and waits, never evicts blind).
 *
 *   The safety rules (nf_fleet_drainable): a control-plane node, a node annotated
 *   scale-down-disabled, a node being deleted never go. Pods left alone (finished, being
 *   deleted, mirror, DaemonSet) never block and do not move. Every other pod blocks when:
 *   annotated safe-to-evict=false; or - unless annotated safe-to-evict=true - it is in
 *   kube-system, has no controller, belongs to a StatefulSet or a Job, to a controller with
 *   one replica, to a controller whose replica count is unknown, or has local storage not
 *   listed as safe; its PodDisruptionBudget allows fewer disruptions than the node's pods it
 *   covers (or has not seen its latest spec); two budgets cover it. Last, the node's movable
 *   pods must fit (nf_pod_fits, biggest first) on the other nodes not being removed.
 */
#ifndef NF_CORE_FLEET_H
#define NF_CORE_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "placement.h"

struct nf_label {
    const char *key, *value;
};

enum nf_selop { NF_SEL_IN, NF_SEL_NOT_IN, NF_SEL_EXISTS, NF_SEL_DOES_NOT_EXIST };

struct nf_selreq {
    const char *key;
    enum nf_selop op;
    const char *const *values;
    int nvalues;
};

/* A label selector: every matchLabels pair and every expression must hold. */
struct nf_selector {
    const struct nf_label *match;
    int nmatch;
    const struct nf_selreq *exprs;
    int nexprs;
};

/* Do `labels` satisfy `sel`? An empty selector matches everything. */
bool nf_selector_matches(const struct nf_selector *sel, const struct nf_label *labels, int n);
const char *nf_label_of(const struct nf_label *labels, int n, const char *key);

enum nf_taint_effect { NF_TAINT_NO_SCHEDULE, NF_TAINT_PREFER_NO_SCHEDULE, NF_TAINT_NO_EXECUTE };

struct nf_taint {
    const char *key, *value;
    enum nf_taint_effect effect;
};

struct nf_toleration {
    const char *key; /* NULL or "" with exists: every key */
    const char *value;
    bool exists; /* operator Exists (else Equal) */
    int effect;  /* an nf_taint_effect, or -1: every effect */
};

struct nf_fnode {
    const char *name, *instance, *zone, *instance_type;
    enum nf_market market;
    bool ready, unschedulable, control_plane, scale_down_disabled, deleting;
    double created;
    int64_t alloc_cpu_m, alloc_mem;
    int alloc_pods; /* 0: no limit known */
    const struct nf_label *labels;
    int nlabels;
    const struct nf_taint *taints;
    int ntaints;
};

enum nf_fowner {
    NF_FOWN_NONE,
    NF_FOWN_REPLICAS, /* a ReplicaSet, a Deployment's or a bare one: `replicas` says how many */
    NF_FOWN_STATEFULSET,
    NF_FOWN_DAEMONSET,
    NF_FOWN_JOB,
    NF_FOWN_UNKNOWN /* a controller whose replica count is not known */
};

struct nf_fpod {
    const char *ns, *name;
    long node; /* index into the fleet's nodes; -1 pending */
    int64_t req_cpu_m, req_mem;
    bool left_alone;   /* finished, being deleted, mirror or DaemonSet: never blocks, never moves */
    bool finished;     /* Succeeded or Failed: requests nothing of its node */
    int safe_to_evict; /* -1 not said, 0 "false", 1 "true" */
    enum nf_fowner owner;
    const char *owner_kind, *owner_name; /* for the reason: "Deployment web" */
    int replicas;                        /* NF_FOWN_REPLICAS: the controller's count */
    const char *unknown_why;             /* NF_FOWN_UNKNOWN: why (NULL: a generic sentence) */
    const char *unsafe_volumes;          /* local volumes not listed as safe, or NULL */
    long pdb, pdb2;                      /* covering budgets (indexes), -1 none */
    /* what the scheduler needs */
    const struct nf_label *labels;
    int nlabels;
    const struct nf_label *node_selector;
    int nnode_selector;
    const struct nf_selector *affinity; /* required node affinity: one term must hold */
    int naffinity;
    const struct nf_toleration *tolerations;
    int ntolerations;
    const struct nf_selector *anti; /* required anti-affinity on the hostname: pods it shuns */
    int nanti;
};

struct nf_fpdb {
    const char *ns, *name;
    int disruptions_allowed;
    bool current; /* it has seen its latest spec */
};

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

/* The pool: its arrays and the workspace the rules use (nf_fleet_prepare). */
struct nf_fleet {
    const struct nf_fnode *nodes;
    size_t nnodes;
    const struct nf_fpod *pods;
    size_t npods;
    const struct nf_fpdb *pdbs;
    size_t npdbs;
    /* the workspace, laid out by nf_fleet_prepare */
    size_t *order, *first; /* pods grouped by node: node k's are order[first[k]..first[k+1]) */
    int64_t *free_cpu, *free_mem; /* per node: allocatable minus what its pods request */
    int *free_pods;
    size_t *targets;        /* node indexes, most free CPU first */
    int64_t *d_cpu, *d_mem; /* a check's moves */
    int *d_pods;
    unsigned char *mark;
    size_t *touched, ntouched;
    size_t *movable;
    long *moved_to; /* per pod: where a check put it, -1 */
    size_t *cand;
    double *share;
    int64_t *resv_cpu, *resv_mem; /* per node: room held for pods not there yet */
    int *resv_pods;
    int *zone_n; /* per node: workers in its zone (nf_fleet_choose's) */
    bool *removed;
    bool *allowed; /* the caller's, for nf_fleet_choose */
    bool any_anti; /* some pod has anti-affinity terms (else that check is skipped) */
};

/* The worker the pool would add: the labels and taints its kubelet registers with (settings
 * pool.node_labels, pool.node_taints), its allocatable (the largest worker's; unknown: any
 * pod fits by size). The strings live in `text`. */
#define NF_TEMPLATE_LABELS_MAX 16
#define NF_TEMPLATE_TAINTS_MAX 16
struct nf_pool_template {
    struct nf_fnode node;
    struct nf_label labels[NF_TEMPLATE_LABELS_MAX];
    struct nf_taint taints[NF_TEMPLATE_TAINTS_MAX];
    char text[2048];
};

/* Size the template as the largest worker of the fleet - CPU, memory, pod slots (none: any pod
 * fits by size) - then
 * count the pending pods it could not host; `first` (may be NULL) gets "pod NS/NAME: why" of
 * the first. */
int nf_fleet_unhostable(const struct nf_fleet *f, struct nf_fnode *tmpl, char *first,
                        size_t firstlen);
/* What the pods ask of the workers, in cores: those running on workers (not the control
 * plane's), and those pending that `tmpl` could host (finished pods ask nothing). */
double nf_fleet_requested_cores(const struct nf_fleet *f, const struct nf_fnode *tmpl);
/* "NoSchedule", "PreferNoSchedule", "NoExecute" as an nf_taint_effect; -1 for NULL (none
 * given), -2 for anything else. */
int nf_taint_effect_parse(const char *s);

/* Copy a template, its pointers moved to the copy's own arrays and text. */
void nf_pool_template_copy(struct nf_pool_template *dst, const struct nf_pool_template *src);

/* Bytes of workspace for a fleet of that size. */
size_t nf_fleet_ws_bytes(size_t nnodes, size_t npods);
/* Lay the workspace out and compute what each node has free. `ws` is nf_fleet_ws_bytes()
 * long and suitably aligned (malloc's is). */
void nf_fleet_prepare(struct nf_fleet *f, void *ws);

/* Could pod p run on node k now, with what the current check has moved counted? `why` gets
 * the first predicate that fails (may be NULL). */
bool nf_pod_fits(const struct nf_fleet *f, const struct nf_fpod *p, size_t k, const char **why);
/* The same against a node that does not exist yet: a new worker from the pool's template
 * (labels, taints, allocatable). For pending pods: one it cannot host is not bought for. */
bool nf_pod_fits_template(const struct nf_fpod *p, const struct nf_fnode *tmpl, const char **why);

/* Why the pod blocks a drain (PDBs aside); NF_BLOCK_NONE when it may be evicted or is left
 * alone. `detail` gets the sentence. */
enum nf_block nf_fleet_pod_blocks(const struct nf_fleet *f, const struct nf_fpod *p, char *detail,
                                  size_t detail_len);
/* The verdict on node k, with the nodes flagged in `removed` (may be NULL) counted as gone. */
void nf_fleet_drainable(struct nf_fleet *f, size_t k, const bool *removed,
                        struct nf_drain_verdict *v);
/* Hold room on node k for a pod not there yet (a slot of headroom): the fit checks and the
 * choice see it taken until nf_fleet_unreserve (or the next nf_fleet_prepare). */
void nf_fleet_reserve(struct nf_fleet *f, size_t k, int64_t cpu_m, int64_t mem);
/* Give back all that was held. */
void nf_fleet_unreserve(struct nf_fleet *f);
/* Up to `want` nodes among those flagged in `allowed` (NULL: any) to drain, least requested
 * CPU share first (`prefer`: that market first, -1 either), among equals the one from the
 * zone with the most workers (the zones stay balanced), then by name, each checked with
 * those chosen before it gone. `verdicts` (nnodes, may be NULL) gets every node's own verdict.
 * Writes node indexes to `out`; returns how many. */
size_t nf_fleet_choose(struct nf_fleet *f, const bool *allowed, size_t want, int prefer,
                       size_t *out, struct nf_drain_verdict *verdicts);

#endif
