/* drainable.c - the scale-down safety rules and the fit check. */
#define _POSIX_C_SOURCE 200809L
#include "drainable.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *nf_block_id(enum nf_block b)
{
    static const char *const ids[] = {
#define NF__BLOCK_ID(name, id) id,
        NF_BLOCKS(NF__BLOCK_ID)
#undef NF__BLOCK_ID
    };
    return ids[b];
}

struct nf_kindex {
    const struct nf_kcluster *c;
    size_t *by_name;              /* node indexes sorted by name */
    size_t *order;                /* pod indexes grouped by node */
    size_t *first, *n;            /* per node: its pods in order[] */
    int64_t *free_cpu, *free_mem; /* per node: allocatable minus requests */
    size_t *targets;              /* node indexes, most free CPU first */
    size_t *rs, *dep;             /* sorted by namespace/name */
    size_t *pdb;                  /* sorted by namespace */
    /* scratch of one check */
    int64_t *d_cpu, *d_mem;
    unsigned char *mark; /* node k has a delta, listed in touched */
    size_t *touched;
    size_t ntouched;
    size_t *movable;
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

static int64_t *free_cpu_sort;

static int cmp_free(const void *a, const void *b)
{
    int64_t x = free_cpu_sort[*(const size_t *)a], y = free_cpu_sort[*(const size_t *)b];
    return x < y ? 1 : x > y ? -1 : 0;
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
    free(ix->by_name);
    free(ix->order);
    free(ix->first);
    free(ix->n);
    free(ix->free_cpu);
    free(ix->free_mem);
    free(ix->targets);
    free(ix->rs);
    free(ix->dep);
    free(ix->pdb);
    free(ix->d_cpu);
    free(ix->d_mem);
    free(ix->mark);
    free(ix->touched);
    free(ix->movable);
    free(ix);
}

int nf_kindex_build(const struct nf_kcluster *c, struct nf_kindex **out, struct nf_err *err)
{
    struct nf_kindex *ix = calloc(1, sizeof *ix);
    *out = NULL;
    if (ix == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    ix->c = c;
    size_t nn = c->nnodes ? c->nnodes : 1;
    ix->by_name = seq(c->nnodes);
    ix->order = malloc((c->npods ? c->npods : 1) * sizeof *ix->order);
    ix->first = calloc(nn + 1, sizeof *ix->first);
    ix->n = calloc(nn, sizeof *ix->n);
    ix->free_cpu = calloc(nn, sizeof *ix->free_cpu);
    ix->free_mem = calloc(nn, sizeof *ix->free_mem);
    ix->targets = seq(c->nnodes);
    ix->rs = seq(c->nrs);
    ix->dep = seq(c->ndeploys);
    ix->pdb = seq(c->npdbs);
    ix->d_cpu = calloc(nn, sizeof *ix->d_cpu);
    ix->d_mem = calloc(nn, sizeof *ix->d_mem);
    ix->mark = calloc(nn, 1);
    ix->touched = malloc(nn * sizeof *ix->touched);
    ix->movable = malloc((c->npods ? c->npods : 1) * sizeof *ix->movable);
    long *pod_node = malloc((c->npods ? c->npods : 1) * sizeof *pod_node);
    if (!ix->by_name || !ix->order || !ix->first || !ix->n || !ix->free_cpu || !ix->free_mem ||
        !ix->targets || !ix->rs || !ix->dep || !ix->pdb || !ix->d_cpu || !ix->d_mem || !ix->mark ||
        !ix->touched || !ix->movable || !pod_node) {
        free(pod_node);
        nf_kindex_free(ix);
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    }
    sort_c = c;
    qsort(ix->by_name, c->nnodes, sizeof *ix->by_name, cmp_node_name);
    qsort(ix->rs, c->nrs, sizeof *ix->rs, cmp_rs);
    qsort(ix->dep, c->ndeploys, sizeof *ix->dep, cmp_dep);
    qsort(ix->pdb, c->npdbs, sizeof *ix->pdb, cmp_pdb);
    for (size_t i = 0; i < c->nnodes; i++) {
        ix->free_cpu[i] = c->nodes[i].alloc_cpu_m;
        ix->free_mem[i] = c->nodes[i].alloc_mem;
    }
    /* pods grouped by node (a counting sort), and what they request of it */
    for (size_t p = 0; p < c->npods; p++) {
        const struct nf_kpod *pod = &c->pods[p];
        pod_node[p] = pod->node[0] ? find_node(ix, pod->node) : -1;
        if (pod_node[p] < 0)
            continue;
        ix->n[pod_node[p]]++;
        if (pod->phase != NF_PHASE_SUCCEEDED && pod->phase != NF_PHASE_FAILED) {
            ix->free_cpu[pod_node[p]] -= pod->req_cpu_m;
            ix->free_mem[pod_node[p]] -= pod->req_mem;
        }
    }
    for (size_t i = 0; i < c->nnodes; i++)
        ix->first[i + 1] = ix->first[i] + ix->n[i];
    memset(ix->n, 0, nn * sizeof *ix->n);
    for (size_t p = 0; p < c->npods; p++)
        if (pod_node[p] >= 0) {
            size_t k = (size_t)pod_node[p];
            ix->order[ix->first[k] + ix->n[k]++] = p;
        }
    free(pod_node);
    free_cpu_sort = ix->free_cpu;
    qsort(ix->targets, c->nnodes, sizeof *ix->targets, cmp_free);
    *out = ix;
    return NF_OK;
}

void nf_kindex_node_use(const struct nf_kindex *ix, size_t node, int *pods, int64_t *cpu_m,
                        int64_t *mem)
{
    const struct nf_knode *n = &ix->c->nodes[node];
    *pods = (int)(ix->first[node + 1] - ix->first[node]);
    *cpu_m = n->alloc_cpu_m - ix->free_cpu[node];
    *mem = n->alloc_mem - ix->free_mem[node];
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

enum nf_block nf_pod_blocks(const struct nf_kcluster *c, struct nf_kindex *ix,
                            const struct nf_kpod *p, char *d, size_t dl)
{
    (void)c;
    if (nf_pod_left_alone(p))
        return NF_BLOCK_NONE;
    if (p->safe_to_evict == 0) {
        snprintf(d, dl, "pod %s/%s is annotated safe-to-evict=false", p->ns, p->name);
        return NF_BLOCK_SAFE_TO_EVICT_FALSE;
    }
    if (p->safe_to_evict == 1)
        return NF_BLOCK_NONE; /* the owner's word: every rule below is waived (PDBs are not) */
    if (strcmp(p->ns, "kube-system") == 0) {
        snprintf(d, dl, "pod %s/%s is a kube-system pod (not a DaemonSet's)", p->ns, p->name);
        return NF_BLOCK_KUBE_SYSTEM;
    }
    switch (p->owner) {
    case NF_OWN_NONE:
        snprintf(d, dl, "pod %s/%s has no controller: nothing would recreate it", p->ns, p->name);
        return NF_BLOCK_NO_CONTROLLER;
    case NF_OWN_STATEFULSET:
        snprintf(d, dl, "pod %s/%s belongs to StatefulSet %s", p->ns, p->name, p->owner_name);
        return NF_BLOCK_STATEFULSET;
    case NF_OWN_JOB:
        snprintf(d, dl, "pod %s/%s is a running pod of Job %s: it would lose its work", p->ns,
                 p->name, p->owner_name);
        return NF_BLOCK_JOB;
    case NF_OWN_REPLICASET: {
        const struct nf_kreplicaset *rs = find_rs(ix, p->ns, p->owner_name);
        if (rs == NULL) {
            snprintf(d, dl, "pod %s/%s: its ReplicaSet %s was not found", p->ns, p->name,
                     p->owner_name);
            return NF_BLOCK_UNKNOWN_CONTROLLER;
        }
        int replicas = rs->replicas;
        const char *what = "ReplicaSet", *name = rs->name;
        if (rs->deployment) {
            const struct nf_kdeployment *dep = find_dep(ix, p->ns, rs->deployment);
            if (dep == NULL) {
                snprintf(d, dl, "pod %s/%s: its Deployment %s was not found", p->ns, p->name,
                         rs->deployment);
                return NF_BLOCK_UNKNOWN_CONTROLLER;
            }
            replicas = dep->replicas;
            what = "Deployment";
            name = dep->name;
        }
        if (replicas <= 1) {
            snprintf(d, dl, "pod %s/%s is the only replica of %s %s", p->ns, p->name, what, name);
            return NF_BLOCK_SINGLE_REPLICA;
        }
        break;
    }
    default:
        snprintf(d, dl, "pod %s/%s: controller %s %s keeps a replica count nodefleet cannot read",
                 p->ns, p->name, p->owner_kind ? p->owner_kind : "?",
                 p->owner_name ? p->owner_name : "?");
        return NF_BLOCK_UNKNOWN_CONTROLLER;
    }
    if (p->local_volumes && !all_listed(p->local_volumes, p->safe_local_volumes)) {
        snprintf(d, dl, "pod %s/%s has local storage (%s) not annotated safe to evict", p->ns,
                 p->name, p->local_volumes);
        return NF_BLOCK_LOCAL_STORAGE;
    }
    return NF_BLOCK_NONE;
}

/* PDBs: a pod's budget must allow as many disruptions as the node's pods it covers */
static enum nf_block pdb_blocks(struct nf_kindex *ix, size_t node, const struct nf_kpod *p, char *d,
                                size_t dl)
{
    const struct nf_kcluster *c = ix->c;
    const struct nf_kpdb *match = NULL;
    /* PDBs of the pod's namespace: a binary search to the first */
    size_t lo = 0, hi = c->npdbs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(c->pdbs[ix->pdb[mid]].ns, p->ns) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < c->npdbs && strcmp(c->pdbs[ix->pdb[k]].ns, p->ns) == 0; k++) {
        const struct nf_kpdb *b = &c->pdbs[ix->pdb[k]];
        if (!nf_kpdb_selects(b, p))
            continue;
        if (match) {
            snprintf(d, dl,
                     "pod %s/%s is covered by two PodDisruptionBudgets (%s, %s): the "
                     "eviction API refuses it",
                     p->ns, p->name, match->name, b->name);
            return NF_BLOCK_MULTIPLE_PDBS;
        }
        match = b;
    }
    if (match == NULL)
        return NF_BLOCK_NONE;
    int covered = 0;
    for (size_t k = ix->first[node]; k < ix->first[node + 1]; k++) {
        const struct nf_kpod *q = &c->pods[ix->order[k]];
        covered += !nf_pod_left_alone(q) && nf_kpdb_selects(match, q);
    }
    if (!match->current) {
        snprintf(d, dl, "PodDisruptionBudget %s/%s has not caught up with its spec yet", p->ns,
                 match->name);
        return NF_BLOCK_PDB;
    }
    if (match->disruptions_allowed < covered) {
        snprintf(d, dl,
                 "PodDisruptionBudget %s/%s allows %d disruption%s now; this node has %d of its "
                 "pods (%s/%s first)",
                 p->ns, match->name, match->disruptions_allowed,
                 match->disruptions_allowed == 1 ? "" : "s", covered, p->ns, p->name);
        return NF_BLOCK_PDB;
    }
    return NF_BLOCK_NONE;
}

static bool target_ok(const struct nf_knode *n)
{
    return n->ready && !n->unschedulable && !n->tainted && !n->deleting;
}

static const struct nf_kindex *cmp_ix;

static int cmp_pod_cpu(const void *a, const void *b)
{
    const struct nf_kpod *x = &cmp_ix->c->pods[*(const size_t *)a],
                         *y = &cmp_ix->c->pods[*(const size_t *)b];
    return x->req_cpu_m < y->req_cpu_m ? 1 : x->req_cpu_m > y->req_cpu_m ? -1 : 0;
}

static void undo(struct nf_kindex *ix)
{
    for (size_t i = 0; i < ix->ntouched; i++) {
        ix->d_cpu[ix->touched[i]] = 0;
        ix->d_mem[ix->touched[i]] = 0;
        ix->mark[ix->touched[i]] = 0;
    }
    ix->ntouched = 0;
}

/* place the movable pods elsewhere (deltas in d_cpu/d_mem); false when one does not fit */
static bool fit(struct nf_kindex *ix, size_t node, const bool *removed, size_t nmov,
                const struct nf_kpod **stuck)
{
    const struct nf_kcluster *c = ix->c;
    cmp_ix = ix;
    qsort(ix->movable, nmov, sizeof *ix->movable, cmp_pod_cpu);
    for (size_t m = 0; m < nmov; m++) {
        const struct nf_kpod *p = &c->pods[ix->movable[m]];
        bool placed = false;
        for (size_t t = 0; t < c->nnodes && !placed; t++) {
            size_t k = ix->targets[t];
            if (k == node || (removed && removed[k]) || !target_ok(&c->nodes[k]))
                continue;
            if (ix->free_cpu[k] + ix->d_cpu[k] < p->req_cpu_m ||
                ix->free_mem[k] + ix->d_mem[k] < p->req_mem)
                continue;
            if (!ix->mark[k]) {
                ix->mark[k] = 1;
                ix->touched[ix->ntouched++] = k;
            }
            ix->d_cpu[k] -= p->req_cpu_m;
            ix->d_mem[k] -= p->req_mem;
            placed = true;
        }
        if (!placed) {
            *stuck = p;
            return false;
        }
    }
    return true;
}

void nf_drainable(const struct nf_kcluster *c, struct nf_kindex *ix, size_t node,
                  const bool *removed, struct nf_drain_verdict *v)
{
    const struct nf_knode *n = &c->nodes[node];
    memset(v, 0, sizeof *v);
    if (n->control_plane) {
        v->block = NF_BLOCK_CONTROL_PLANE;
        snprintf(v->detail, sizeof v->detail, "node %s is a control-plane node", n->name);
        return;
    }
    if (n->scale_down_disabled) {
        v->block = NF_BLOCK_NODE_ANNOTATED;
        snprintf(v->detail, sizeof v->detail, "node %s is annotated %s=true", n->name,
                 NF_ANN_SCALE_DOWN_DISABLED);
        return;
    }
    if (n->deleting) {
        v->block = NF_BLOCK_NODE_DELETING;
        snprintf(v->detail, sizeof v->detail, "node %s is already being deleted", n->name);
        return;
    }
    size_t nmov = 0;
    for (size_t k = ix->first[node]; k < ix->first[node + 1]; k++) {
        const struct nf_kpod *p = &c->pods[ix->order[k]];
        enum nf_block b = nf_pod_blocks(c, ix, p, v->detail, sizeof v->detail);
        if (b == NF_BLOCK_NONE && !nf_pod_left_alone(p))
            b = pdb_blocks(ix, node, p, v->detail, sizeof v->detail);
        if (b != NF_BLOCK_NONE) {
            v->block = b;
            return;
        }
        if (!nf_pod_left_alone(p)) {
            ix->movable[nmov++] = ix->order[k];
            v->movable_cpu_m += p->req_cpu_m;
            v->movable_mem += p->req_mem;
        }
    }
    v->movable_pods = (int)nmov;
    const struct nf_kpod *stuck = NULL;
    bool ok = fit(ix, node, removed, nmov, &stuck);
    undo(ix);
    if (!ok) {
        v->block = NF_BLOCK_NO_ROOM;
        snprintf(v->detail, sizeof v->detail,
                 "pod %s/%s (%lldm CPU, %lld MiB) fits on no other Ready, schedulable node",
                 stuck->ns, stuck->name, (long long)stuck->req_cpu_m,
                 (long long)(stuck->req_mem >> 20));
    }
}

static double used_share(const struct nf_kindex *ix, size_t k)
{
    const struct nf_knode *n = &ix->c->nodes[k];
    if (n->alloc_cpu_m <= 0)
        return 1;
    return (double)(n->alloc_cpu_m - ix->free_cpu[k]) / (double)n->alloc_cpu_m;
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
    size_t nn = c->nnodes;
    bool *removed = calloc(nn ? nn : 1, sizeof *removed);
    size_t *cand = malloc((nn ? nn : 1) * sizeof *cand);
    double *share = malloc((nn ? nn : 1) * sizeof *share);
    size_t ncand = 0, chosen = 0;
    if (removed == NULL || cand == NULL || share == NULL)
        goto done;
    struct nf_drain_verdict v;
    for (size_t k = 0; k < nn; k++) {
        nf_drainable(c, ix, k, NULL, verdicts ? &verdicts[k] : &v);
        if ((verdicts ? &verdicts[k] : &v)->block == NF_BLOCK_NONE && !c->nodes[k].unschedulable &&
            (allowed == NULL || allowed[k]))
            cand[ncand++] = k;
        share[k] = used_share(ix, k);
    }
    /* least used first; the preferred market before the other; then by name */
    for (size_t i = 1; i < ncand; i++) {
        size_t x = cand[i], j = i;
        for (; j > 0; j--) {
            size_t y = cand[j - 1];
            bool xp = prefer >= 0 && (int)c->nodes[x].market == prefer;
            bool yp = prefer >= 0 && (int)c->nodes[y].market == prefer;
            bool before = xp != yp               ? xp
                          : share[x] != share[y] ? share[x] < share[y]
                                                 : strcmp(c->nodes[x].name, c->nodes[y].name) < 0;
            if (!before)
                break;
            cand[j] = y;
        }
        cand[j] = x;
    }
    for (size_t i = 0; i < ncand && chosen < want; i++) {
        size_t k = cand[i];
        nf_drainable(c, ix, k, removed, &v);
        if (v.block != NF_BLOCK_NONE)
            continue;
        /* commit: its pods now sit elsewhere for the next check */
        const struct nf_kpod *stuck = NULL;
        size_t nmov = 0;
        for (size_t q = ix->first[k]; q < ix->first[k + 1]; q++)
            if (!nf_pod_left_alone(&c->pods[ix->order[q]]))
                ix->movable[nmov++] = ix->order[q];
        if (!fit(ix, k, removed, nmov, &stuck)) {
            undo(ix);
            continue;
        }
        for (size_t t = 0; t < ix->ntouched; t++) {
            size_t m = ix->touched[t];
            ix->free_cpu[m] += ix->d_cpu[m];
            ix->free_mem[m] += ix->d_mem[m];
        }
        undo(ix);
        removed[k] = true;
        out[chosen++] = k;
    }
    /* the index's free capacity is the snapshot's again */
    for (size_t i = 0; i < nn; i++) {
        ix->free_cpu[i] = c->nodes[i].alloc_cpu_m;
        ix->free_mem[i] = c->nodes[i].alloc_mem;
        for (size_t q = ix->first[i]; q < ix->first[i + 1]; q++) {
            const struct nf_kpod *p = &c->pods[ix->order[q]];
            if (p->phase != NF_PHASE_SUCCEEDED && p->phase != NF_PHASE_FAILED) {
                ix->free_cpu[i] -= p->req_cpu_m;
                ix->free_mem[i] -= p->req_mem;
            }
        }
    }
done:
    free(removed);
    free(cand);
    free(share);
    return chosen;
}
