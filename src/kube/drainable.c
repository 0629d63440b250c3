/* drainable.c - a snapshot as the core's pool model (core/fleet.h), and the rules through it. */
#define _POSIX_C_SOURCE 200809L
#include "drainable.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nf_kindex {
    const struct nf_kcluster *c;
    struct nf_fleet f;
    struct nf_fnode *nodes;
    struct nf_fpod *pods;
    struct nf_fpdb *pdbs;
    char (*why)[160]; /* per pod: why its controller is unknown */
    void *ws;
    /* lookups, for the conversion */
    size_t *by_name;  /* node indexes sorted by name */
    size_t *rs, *dep; /* sorted by namespace/name */
    size_t *pdb;      /* sorted by namespace */
};

static const struct nf_kcluster *sort_c;

static int cmp_node_name(const void *a, const void *b)
{
    return strcmp(sort_c->nodes[*(const size_t *)a].name, sort_c->nodes[*(const size_t *)b].name);
}

static int cmp_nsname(const char *ans, const char *an, const char *bns, const char *bn)
{
    int r = strcmp(ans, bns);
    return r ? r : strcmp(an, bn);
}

static int cmp_rs(const void *a, const void *b)
{
    const struct nf_kreplicaset *x = &sort_c->rs[*(const size_t *)a],
                                *y = &sort_c->rs[*(const size_t *)b];
    return cmp_nsname(x->ns, x->name, y->ns, y->name);
}

static int cmp_dep(const void *a, const void *b)
{
    const struct nf_kdeployment *x = &sort_c->deploys[*(const size_t *)a],
                                *y = &sort_c->deploys[*(const size_t *)b];
    return cmp_nsname(x->ns, x->name, y->ns, y->name);
}

static int cmp_pdb(const void *a, const void *b)
{
    return strcmp(sort_c->pdbs[*(const size_t *)a].ns, sort_c->pdbs[*(const size_t *)b].ns);
}

static size_t *seq(size_t n)
{
    size_t *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        v[i] = i;
    return v;
}

static long find_node(const struct nf_kindex *ix, const char *name)
{
    size_t lo = 0, hi = ix->c->nnodes;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = strcmp(ix->c->nodes[ix->by_name[mid]].name, name);
        if (r == 0)
            return (long)ix->by_name[mid];
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

void nf_kindex_free(struct nf_kindex *ix)
{
    if (ix == NULL)
        return;
    free(ix->nodes);
    free(ix->pods);
    free(ix->pdbs);
    free(ix->why);
    free(ix->ws);
    free(ix->by_name);
    free(ix->rs);
    free(ix->dep);
    free(ix->pdb);
    free(ix);
}

bool nf_pod_left_alone(const struct nf_kpod *p)
{
    return p->phase == NF_PHASE_SUCCEEDED || p->phase == NF_PHASE_FAILED || p->deleting ||
           p->mirror || p->owner == NF_OWN_DAEMONSET;
}
_Static_assert(offsetof(struct nf_kreplicaset, ns) == 0 &&
                   offsetof(struct nf_kreplicaset, name) == sizeof(char *) &&
                   offsetof(struct nf_kdeployment, ns) == 0 &&
                   offsetof(struct nf_kdeployment, name) == sizeof(char *),
               "records searched by find_nsname start with ns and name");

/* binary search of an index array sorted by namespace/name */
static long find_nsname(const size_t *idx, size_t n, const void *arr, size_t size, const char *ns,
                        const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        /* both kinds of record start with the namespace and name pointers */
        const char *const *rec = (const char *const *)((const char *)arr + idx[mid] * size);
        int d = cmp_nsname(rec[0], rec[1], ns, name);
        if (d == 0)
            return (long)idx[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static const struct nf_kreplicaset *find_rs(const struct nf_kindex *ix, const char *ns,
                                            const char *name)
{
    long i = find_nsname(ix->rs, ix->c->nrs, ix->c->rs, sizeof *ix->c->rs, ns, name);
    return i < 0 ? NULL : &ix->c->rs[i];
}

static const struct nf_kdeployment *find_dep(const struct nf_kindex *ix, const char *ns,
                                             const char *name)
{
    long i =
        find_nsname(ix->dep, ix->c->ndeploys, ix->c->deploys, sizeof *ix->c->deploys, ns, name);
    return i < 0 ? NULL : &ix->c->deploys[i];
}

/* every name in the comma list `have` is in the comma list `listed` */
static bool all_listed(const char *have, const char *listed)
{
    if (listed == NULL)
        return false;
    const char *p = have;
    while (*p) {
        size_t n = strcspn(p, ",");
        bool found = false;
        const char *q = listed;
        while (*q && !found) {
            while (*q == ' ')
                q++;
            size_t m = strcspn(q, ",");
            size_t mt = m;
            while (mt > 0 && q[mt - 1] == ' ')
                mt--;
            found = mt == n && memcmp(p, q, n) == 0;
            q += m + (q[m] == ',');
        }
        if (!found)
            return false;
        p += n + (p[n] == ',');
    }
    return true;
}

/* the pod's controller, resolved: a ReplicaSet's count is its Deployment's when it has one */
static void owner_of(const struct nf_kindex *ix, const struct nf_kpod *p, struct nf_fpod *f,
                     char *why, size_t wl)
{
    f->owner_kind = p->owner_kind;
    f->owner_name = p->owner_name;
    switch (p->owner) {
    case NF_OWN_NONE:
        f->owner = NF_FOWN_NONE;
        return;
    case NF_OWN_STATEFULSET:
        f->owner = NF_FOWN_STATEFULSET;
        return;
    case NF_OWN_DAEMONSET:
        f->owner = NF_FOWN_DAEMONSET;
        return;
    case NF_OWN_JOB:
        f->owner = NF_FOWN_JOB;
        return;
    case NF_OWN_REPLICASET: {
        const struct nf_kreplicaset *rs = find_rs(ix, p->ns, p->owner_name);
        f->owner = NF_FOWN_UNKNOWN;
        f->unknown_why = why;
        if (rs == NULL) {
            snprintf(why, wl, "its ReplicaSet %s was not found", p->owner_name);
            return;
        }
        f->owner = NF_FOWN_REPLICAS;
        f->unknown_why = NULL;
        f->replicas = rs->replicas;
        f->owner_kind = "ReplicaSet";
        f->owner_name = rs->name;
        if (rs->deployment) {
            const struct nf_kdeployment *dep = find_dep(ix, p->ns, rs->deployment);
            if (dep == NULL) {
                f->owner = NF_FOWN_UNKNOWN;
                f->unknown_why = why;
                snprintf(why, wl, "its Deployment %s was not found", rs->deployment);
                return;
            }
            f->replicas = dep->replicas;
            f->owner_kind = "Deployment";
            f->owner_name = dep->name;
        }
        return;
    }
    default:
        f->owner = NF_FOWN_UNKNOWN;
        return;
    }
}

/* the budgets that select the pod: the first and, when there is one, a second */
static void pdbs_of(const struct nf_kindex *ix, const struct nf_kpod *p, struct nf_fpod *f)
{
    const struct nf_kcluster *c = ix->c;
    f->pdb = f->pdb2 = -1;
    size_t lo = 0, hi = c->npdbs; /* a binary search to the pod's namespace */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(c->pdbs[ix->pdb[mid]].ns, p->ns) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < c->npdbs && strcmp(c->pdbs[ix->pdb[k]].ns, p->ns) == 0; k++) {
        if (!nf_kpdb_selects(&c->pdbs[ix->pdb[k]], p))
            continue;
        if (f->pdb < 0) {
            f->pdb = (long)ix->pdb[k];
        } else {
            f->pdb2 = (long)ix->pdb[k];
            return;
        }
    }
}

static void convert_node(const struct nf_knode *n, struct nf_fnode *f)
{
    *f = (struct nf_fnode){.name = n->name,
                           .instance = n->instance_id,
                           .zone = n->zone,
                           .instance_type = n->instance_type,
                           .market = n->market,
                           .ready = n->ready,
                           .unschedulable = n->unschedulable,
                           .control_plane = n->control_plane,
                           .scale_down_disabled = n->scale_down_disabled,
                           .deleting = n->deleting,
                           .created = n->created,
                           .alloc_cpu_m = n->alloc_cpu_m,
                           .alloc_mem = n->alloc_mem,
                           .alloc_pods = n->alloc_pods,
                           .labels = n->labels,
                           .nlabels = n->nlabels,
                           .taints = n->taints,
                           .ntaints = n->ntaints};
}

static void convert_pod(const struct nf_kindex *ix, size_t i, struct nf_fpod *f)
{
    const struct nf_kpod *p = &ix->c->pods[i];
    *f = (struct nf_fpod){.ns = p->ns,
                          .name = p->name,
                          .node = p->node[0] ? find_node(ix, p->node) : -1,
                          .req_cpu_m = p->req_cpu_m,
                          .req_mem = p->req_mem,
                          .left_alone = nf_pod_left_alone(p),
                          .finished = p->phase == NF_PHASE_SUCCEEDED || p->phase == NF_PHASE_FAILED,
                          .safe_to_evict = p->safe_to_evict,
                          .labels = p->labels,
                          .nlabels = p->nlabels,
                          .node_selector = p->node_selector,
                          .nnode_selector = p->nnode_selector,
                          .affinity = p->affinity,
                          .naffinity = p->naffinity,
                          .tolerations = p->tolerations,
                          .ntolerations = p->ntolerations,
                          .anti = p->anti,
                          .nanti = p->nanti};
    owner_of(ix, p, f, ix->why[i], sizeof ix->why[i]);
    if (p->local_volumes && !all_listed(p->local_volumes, p->safe_local_volumes))
        f->unsafe_volumes = p->local_volumes;
    pdbs_of(ix, p, f);
}

int nf_kindex_build(const struct nf_kcluster *c, struct nf_kindex **out, struct nf_err *err)
{
    struct nf_kindex *ix = calloc(1, sizeof *ix);
    *out = NULL;
    if (ix == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    ix->c = c;
    ix->nodes = calloc(c->nnodes ? c->nnodes : 1, sizeof *ix->nodes);
    ix->pods = calloc(c->npods ? c->npods : 1, sizeof *ix->pods);
    ix->pdbs = calloc(c->npdbs ? c->npdbs : 1, sizeof *ix->pdbs);
    ix->why = calloc(c->npods ? c->npods : 1, sizeof *ix->why);
    ix->ws = malloc(nf_fleet_ws_bytes(c->nnodes, c->npods));
    ix->by_name = seq(c->nnodes);
    ix->rs = seq(c->nrs);
    ix->dep = seq(c->ndeploys);
    ix->pdb = seq(c->npdbs);
    if (!ix->nodes || !ix->pods || !ix->pdbs || !ix->why || !ix->ws || !ix->by_name || !ix->rs ||
        !ix->dep || !ix->pdb) {
        nf_kindex_free(ix);
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    }
    sort_c = c;
    qsort(ix->by_name, c->nnodes, sizeof *ix->by_name, cmp_node_name);
    qsort(ix->rs, c->nrs, sizeof *ix->rs, cmp_rs);
    qsort(ix->dep, c->ndeploys, sizeof *ix->dep, cmp_dep);
    qsort(ix->pdb, c->npdbs, sizeof *ix->pdb, cmp_pdb);
    for (size_t k = 0; k < c->nnodes; k++)
        convert_node(&c->nodes[k], &ix->nodes[k]);
    for (size_t i = 0; i < c->npods; i++)
        convert_pod(ix, i, &ix->pods[i]);
    for (size_t d = 0; d < c->npdbs; d++)
        ix->pdbs[d] = (struct nf_fpdb){.ns = c->pdbs[d].ns,
                                       .name = c->pdbs[d].name,
                                       .disruptions_allowed = c->pdbs[d].disruptions_allowed,
                                       .current = c->pdbs[d].current};
    ix->f = (struct nf_fleet){.nodes = ix->nodes,
                              .nnodes = c->nnodes,
                              .pods = ix->pods,
                              .npods = c->npods,
                              .pdbs = ix->pdbs,
                              .npdbs = c->npdbs};
    nf_fleet_prepare(&ix->f, ix->ws);
    *out = ix;
    return NF_OK;
}

struct nf_fleet *nf_kindex_fleet(struct nf_kindex *ix)
{
    return &ix->f;
}

void nf_kindex_node_use(const struct nf_kindex *ix, size_t node, int *pods, int64_t *cpu_m,
                        int64_t *mem)
{
    const struct nf_knode *n = &ix->c->nodes[node];
    *pods = (int)(ix->f.first[node + 1] - ix->f.first[node]);
    *cpu_m = n->alloc_cpu_m - ix->f.free_cpu[node];
    *mem = n->alloc_mem - ix->f.free_mem[node];
}

enum nf_block nf_pod_blocks(const struct nf_kcluster *c, struct nf_kindex *ix,
                            const struct nf_kpod *p, char *d, size_t dl)
{
    return nf_fleet_pod_blocks(&ix->f, &ix->pods[p - c->pods], d, dl);
}

void nf_drainable(const struct nf_kcluster *c, struct nf_kindex *ix, size_t node,
                  const bool *removed, struct nf_drain_verdict *v)
{
    (void)c;
    nf_fleet_drainable(&ix->f, node, removed, v);
}

size_t nf_drain_choose(const struct nf_kcluster *c, struct nf_kindex *ix, size_t want, int prefer,
                       size_t *out, struct nf_drain_verdict *verdicts)
{
    return nf_drain_choose_among(c, ix, NULL, want, prefer, out, verdicts);
}

size_t nf_drain_choose_among(const struct nf_kcluster *c, struct nf_kindex *ix, const bool *allowed,
                             size_t want, int prefer, size_t *out,
                             struct nf_drain_verdict *verdicts)
{
    (void)c;
    return nf_fleet_choose(&ix->f, allowed, want, prefer, out, verdicts);
}
