/* fleet.c - the scheduler's predicates and the scale-down safety rules over the core's pool
 * model (fleet.h). */
#include "fleet.h"

#include <stdint.h>
#include <stdio.h>
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

/* ---- selectors ------------------------------------------------------------------------------ */

const char *nf_label_of(const struct nf_label *labels, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(labels[i].key, key) == 0)
            return labels[i].value;
    return NULL;
}

static bool req_holds(const struct nf_selreq *e, const struct nf_label *labels, int n)
{
    const char *v = nf_label_of(labels, n, e->key);
    bool in = false;
    for (int k = 0; v && k < e->nvalues; k++)
        in |= strcmp(v, e->values[k]) == 0;
    switch (e->op) {
    case NF_SEL_IN:
        return in;
    case NF_SEL_NOT_IN:
        return !in; /* a missing label is not in the set */
    case NF_SEL_EXISTS:
        return v != NULL;
    case NF_SEL_DOES_NOT_EXIST:
        return v == NULL;
    }
    return false;
}

bool nf_selector_matches(const struct nf_selector *sel, const struct nf_label *labels, int n)
{
    for (int i = 0; i < sel->nmatch; i++) {
        const char *v = nf_label_of(labels, n, sel->match[i].key);
        if (v == NULL || strcmp(v, sel->match[i].value) != 0)
            return false;
    }
    for (int i = 0; i < sel->nexprs; i++)
        if (!req_holds(&sel->exprs[i], labels, n))
            return false;
    return true;
}

/* ---- the template -------------------------------------------------------------------------- */

static const char *rebase(const char *s, const struct nf_pool_template *from,
                          const struct nf_pool_template *to)
{
    if (s != NULL && s >= from->text && s < from->text + sizeof from->text)
        return to->text + (s - from->text);
    return s; /* a static string */
}

void nf_pool_template_copy(struct nf_pool_template *dst, const struct nf_pool_template *src)
{
    *dst = *src;
    dst->node.labels = dst->labels;
    dst->node.taints = dst->taints;
    for (int i = 0; i < src->node.nlabels && i < NF_TEMPLATE_LABELS_MAX; i++) {
        dst->labels[i].key = rebase(src->labels[i].key, src, dst);
        dst->labels[i].value = rebase(src->labels[i].value, src, dst);
    }
    for (int i = 0; i < src->node.ntaints && i < NF_TEMPLATE_TAINTS_MAX; i++) {
        dst->taints[i].key = rebase(src->taints[i].key, src, dst);
        dst->taints[i].value = rebase(src->taints[i].value, src, dst);
    }
    dst->node.name = rebase(src->node.name, src, dst);
}

/* ---- the workspace -------------------------------------------------------------------------- */

size_t nf_fleet_ws_bytes(size_t nn, size_t np)
{
    size_t n1 = nn + 1, p1 = np + 1;
    /* 3 pod arrays and 11 node arrays of 8-byte items, 4 of int, 2 of bytes */
    return (p1 * 3 + n1 * 11) * 8 + n1 * 4 * sizeof(int) +
           n1 * (sizeof(unsigned char) + 2 * sizeof(bool));
}

void nf_fleet_prepare(struct nf_fleet *f, void *ws)
{
    size_t nn = f->nnodes, np = f->npods, n1 = nn + 1, p1 = np + 1;
    char *at = ws;
#define TAKE(field, count)                                                                         \
    do {                                                                                           \
        f->field = (void *)at;                                                                     \
        at += (count) * sizeof *f->field;                                                          \
    } while (0)
    /* 8-byte items first, so each array is aligned */
    TAKE(order, p1);
    TAKE(movable, p1);
    TAKE(moved_to, p1);
    TAKE(first, n1);
    TAKE(free_cpu, n1);
    TAKE(free_mem, n1);
    TAKE(targets, n1);
    TAKE(d_cpu, n1);
    TAKE(d_mem, n1);
    TAKE(touched, n1);
    TAKE(cand, n1);
    TAKE(share, n1);
    TAKE(resv_cpu, n1);
    TAKE(resv_mem, n1);
    TAKE(free_pods, n1);
    TAKE(d_pods, n1);
    TAKE(resv_pods, n1);
    TAKE(zone_n, n1);
    TAKE(mark, n1);
    TAKE(removed, n1);
    TAKE(allowed, n1);
#undef TAKE
    f->ntouched = 0;
    for (size_t k = 0; k <= nn; k++)
        f->first[k] = 0;
    for (size_t k = 0; k < nn; k++) {
        f->free_cpu[k] = f->nodes[k].alloc_cpu_m;
        f->free_mem[k] = f->nodes[k].alloc_mem;
        f->free_pods[k] = f->nodes[k].alloc_pods > 0 ? f->nodes[k].alloc_pods : 1 << 30;
        f->d_cpu[k] = f->d_mem[k] = f->resv_cpu[k] = f->resv_mem[k] = 0;
        f->d_pods[k] = f->resv_pods[k] = 0;
        f->mark[k] = 0;
        f->removed[k] = false;
    }
    /* pods grouped by node (a counting sort), and what they take of it */
    f->any_anti = false;
    for (size_t i = 0; i < np; i++) {
        const struct nf_fpod *p = &f->pods[i];
        f->moved_to[i] = -1;
        f->any_anti |= p->nanti > 0;
        if (p->node < 0 || (size_t)p->node >= nn)
            continue;
        f->first[p->node + 1]++;
        if (!p->finished) {
            f->free_cpu[p->node] -= p->req_cpu_m;
            f->free_mem[p->node] -= p->req_mem;
            f->free_pods[p->node]--;
        }
    }
    for (size_t k = 0; k < nn; k++)
        f->first[k + 1] += f->first[k];
    for (size_t k = 0; k < nn; k++)
        f->cand[k] = f->first[k]; /* a cursor per node */
    for (size_t i = 0; i < np; i++) {
        long k = f->pods[i].node;
        if (k >= 0 && (size_t)k < nn)
            f->order[f->cand[k]++] = i;
    }
    /* fit targets: most free CPU first (an insertion sort: no allocation, stable) */
    for (size_t i = 0; i < nn; i++) {
        size_t x = i, j = i;
        for (; j > 0 && f->free_cpu[f->targets[j - 1]] < f->free_cpu[x]; j--)
            f->targets[j] = f->targets[j - 1];
        f->targets[j] = x;
    }
}

/* ---- the predicates ------------------------------------------------------------------------- */

static bool tolerates(const struct nf_fpod *p, const struct nf_taint *t)
{
    for (int i = 0; i < p->ntolerations; i++) {
        const struct nf_toleration *o = &p->tolerations[i];
        if (o->effect >= 0 && o->effect != (int)t->effect)
            continue;
        if (o->key == NULL || o->key[0] == '\0') {
            if (o->exists)
                return true; /* an empty key with Exists tolerates everything */
            continue;
        }
        if (strcmp(o->key, t->key) != 0)
            continue;
        if (o->exists || strcmp(o->value ? o->value : "", t->value ? t->value : "") == 0)
            return true;
    }
    return false;
}

/* the node's own filters: labels, affinity, taints (shared with the template) */
static bool node_filters(const struct nf_fpod *p, const struct nf_fnode *n, const char **why)
{
    for (int i = 0; i < p->nnode_selector; i++) {
        const char *v = nf_label_of(n->labels, n->nlabels, p->node_selector[i].key);
        if (v == NULL || strcmp(v, p->node_selector[i].value) != 0) {
            *why = "its nodeSelector does not match";
            return false;
        }
    }
    if (p->naffinity > 0) {
        bool any = false;
        for (int i = 0; i < p->naffinity && !any; i++)
            any = nf_selector_matches(&p->affinity[i], n->labels, n->nlabels);
        if (!any) {
            *why = "its required node affinity does not match";
            return false;
        }
    }
    for (int i = 0; i < n->ntaints; i++)
        if (n->taints[i].effect != NF_TAINT_PREFER_NO_SCHEDULE && !tolerates(p, &n->taints[i])) {
            *why = "it does not tolerate a taint";
            return false;
        }
    return true;
}

/* does pod a shun pod b (a's anti-affinity selects b's labels, same namespace)? */
static bool shuns(const struct nf_fpod *a, const struct nf_fpod *b)
{
    if (a == b || strcmp(a->ns, b->ns) != 0)
        return false;
    for (int i = 0; i < a->nanti; i++)
        if (nf_selector_matches(&a->anti[i], b->labels, b->nlabels))
            return true;
    return false;
}

static bool anti_conflict(const struct nf_fleet *f, const struct nf_fpod *p, size_t k)
{
    /* the pods on k now, less those a check moved away, plus those it moved there */
    for (size_t q = f->first[k]; q < f->first[k + 1]; q++) {
        size_t i = f->order[q];
        const struct nf_fpod *o = &f->pods[i];
        if (o->finished || f->moved_to[i] >= 0)
            continue;
        if (shuns(p, o) || shuns(o, p))
            return true;
    }
    for (size_t i = 0; i < f->npods; i++)
        if (f->moved_to[i] == (long)k && (shuns(p, &f->pods[i]) || shuns(&f->pods[i], p)))
            return true;
    return false;
}

bool nf_pod_fits(const struct nf_fleet *f, const struct nf_fpod *p, size_t k, const char **why)
{
    const char *w = NULL;
    const struct nf_fnode *n = &f->nodes[k];
    bool ok = false;
    if (!n->ready || n->unschedulable || n->deleting)
        w = "the node is not Ready and schedulable";
    else if (f->free_cpu[k] + f->d_cpu[k] < p->req_cpu_m)
        w = "not enough CPU";
    else if (f->free_mem[k] + f->d_mem[k] < p->req_mem)
        w = "not enough memory";
    else if (f->free_pods[k] + f->d_pods[k] < 1)
        w = "no pod slot";
    else if (!node_filters(p, n, &w))
        ;
    else if (f->any_anti && anti_conflict(f, p, k))
        w = "a pod there conflicts by anti-affinity";
    else
        ok = true;
    if (why)
        *why = w;
    return ok;
}

bool nf_pod_fits_template(const struct nf_fpod *p, const struct nf_fnode *t, const char **why)
{
    const char *w = NULL;
    bool ok = false;
    if (t->alloc_cpu_m < p->req_cpu_m)
        w = "it requests more CPU than a new worker has";
    else if (t->alloc_mem < p->req_mem)
        w = "it requests more memory than a new worker has";
    else if (node_filters(p, t, &w))
        ok = true;
    if (why)
        *why = w;
    return ok;
}

int nf_taint_effect_parse(const char *e)
{
    return e == NULL                            ? -1
           : strcmp(e, "NoSchedule") == 0       ? NF_TAINT_NO_SCHEDULE
           : strcmp(e, "PreferNoSchedule") == 0 ? NF_TAINT_PREFER_NO_SCHEDULE
           : strcmp(e, "NoExecute") == 0        ? NF_TAINT_NO_EXECUTE
                                                : -2;
}

double nf_fleet_requested_cores(const struct nf_fleet *f, const struct nf_fnode *tmpl)
{
    double m = 0;
    for (size_t i = 0; i < f->npods; i++) {
        const struct nf_fpod *p = &f->pods[i];
        if (p->finished)
            continue;
        if (p->node >= 0 ? !f->nodes[p->node].control_plane
                         : !p->left_alone && nf_pod_fits_template(p, tmpl, NULL))
            m += (double)p->req_cpu_m;
    }
    return m / 1000.0;
}

int nf_fleet_unhostable(const struct nf_fleet *f, struct nf_fnode *t, char *first, size_t firstlen)
{
    t->alloc_cpu_m = t->alloc_mem = 0;
    t->alloc_pods = 0;
    for (size_t k = 0; k < f->nnodes; k++)
        if (!f->nodes[k].control_plane) {
            if (f->nodes[k].alloc_cpu_m > t->alloc_cpu_m)
                t->alloc_cpu_m = f->nodes[k].alloc_cpu_m;
            if (f->nodes[k].alloc_mem > t->alloc_mem)
                t->alloc_mem = f->nodes[k].alloc_mem;
            if (f->nodes[k].alloc_pods > t->alloc_pods)
                t->alloc_pods = f->nodes[k].alloc_pods;
        }
    if (t->alloc_cpu_m == 0)
        t->alloc_cpu_m = t->alloc_mem = INT64_MAX;
    t->ready = true;
    int n = 0;
    if (first && firstlen)
        first[0] = '\0';
    for (size_t i = 0; i < f->npods; i++) {
        const struct nf_fpod *p = &f->pods[i];
        const char *why = NULL;
        if (p->node >= 0 || p->left_alone || nf_pod_fits_template(p, t, &why))
            continue;
        if (n++ == 0 && first && firstlen)
            snprintf(first, firstlen, "pod %s/%s: %s", p->ns, p->name, why);
    }
    return n;
}

/* ---- the safety rules ----------------------------------------------------------------------- */

enum nf_block nf_fleet_pod_blocks(const struct nf_fleet *f, const struct nf_fpod *p, char *d,
                                  size_t dl)
{
    (void)f;
    if (p->left_alone)
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
    const char *kind = p->owner_kind ? p->owner_kind : "?";
    const char *name = p->owner_name ? p->owner_name : "?";
    switch (p->owner) {
    case NF_FOWN_NONE:
        snprintf(d, dl, "pod %s/%s has no controller: nothing would recreate it", p->ns, p->name);
        return NF_BLOCK_NO_CONTROLLER;
    case NF_FOWN_STATEFULSET:
        snprintf(d, dl, "pod %s/%s belongs to StatefulSet %s", p->ns, p->name, name);
        return NF_BLOCK_STATEFULSET;
    case NF_FOWN_JOB:
        snprintf(d, dl, "pod %s/%s is a running pod of Job %s: it would lose its work", p->ns,
                 p->name, name);
        return NF_BLOCK_JOB;
    case NF_FOWN_REPLICAS:
        if (p->replicas <= 1) {
            snprintf(d, dl, "pod %s/%s is the only replica of %s %s", p->ns, p->name, kind, name);
            return NF_BLOCK_SINGLE_REPLICA;
        }
        break;
    case NF_FOWN_DAEMONSET: /* left alone above; a DaemonSet pod never blocks */
        return NF_BLOCK_NONE;
    case NF_FOWN_UNKNOWN:
        if (p->unknown_why)
            snprintf(d, dl, "pod %s/%s: %s", p->ns, p->name, p->unknown_why);
        else
            snprintf(d, dl,
                     "pod %s/%s: controller %s %s keeps a replica count nodefleet cannot read",
                     p->ns, p->name, kind, name);
        return NF_BLOCK_UNKNOWN_CONTROLLER;
    }
    if (p->unsafe_volumes) {
        snprintf(d, dl, "pod %s/%s has local storage (%s) not annotated safe to evict", p->ns,
                 p->name, p->unsafe_volumes);
        return NF_BLOCK_LOCAL_STORAGE;
    }
    return NF_BLOCK_NONE;
}

/* a pod's budget must allow as many disruptions as the node's pods it covers */
static enum nf_block pdb_blocks(const struct nf_fleet *f, size_t k, const struct nf_fpod *p,
                                char *d, size_t dl)
{
    if (p->pdb < 0)
        return NF_BLOCK_NONE;
    const struct nf_fpdb *b = &f->pdbs[p->pdb];
    if (p->pdb2 >= 0) {
        snprintf(d, dl,
                 "pod %s/%s is covered by two PodDisruptionBudgets (%s, %s): the eviction API "
                 "refuses it",
                 p->ns, p->name, b->name, f->pdbs[p->pdb2].name);
        return NF_BLOCK_MULTIPLE_PDBS;
    }
    int covered = 0;
    for (size_t q = f->first[k]; q < f->first[k + 1]; q++) {
        const struct nf_fpod *o = &f->pods[f->order[q]];
        covered += !o->left_alone && (o->pdb == p->pdb || o->pdb2 == p->pdb);
    }
    if (!b->current) {
        snprintf(d, dl, "PodDisruptionBudget %s/%s has not caught up with its spec yet", p->ns,
                 b->name);
        return NF_BLOCK_PDB;
    }
    if (b->disruptions_allowed < covered) {
        snprintf(d, dl,
                 "PodDisruptionBudget %s/%s allows %d disruption%s now; this node has %d of its "
                 "pods (%s/%s first)",
                 p->ns, b->name, b->disruptions_allowed, b->disruptions_allowed == 1 ? "" : "s",
                 covered, p->ns, p->name);
        return NF_BLOCK_PDB;
    }
    return NF_BLOCK_NONE;
}

static void undo(struct nf_fleet *f)
{
    for (size_t i = 0; i < f->ntouched; i++) {
        size_t k = f->touched[i];
        f->d_cpu[k] = f->d_mem[k] = 0;
        f->d_pods[k] = 0;
        f->mark[k] = 0;
    }
    f->ntouched = 0;
}

static void unmove(struct nf_fleet *f, size_t nmov)
{
    for (size_t m = 0; m < nmov; m++)
        f->moved_to[f->movable[m]] = -1;
}

/* Place node k's movable pods (f->movable[0..nmov)) elsewhere, biggest CPU request first:
 * the moves are kept in d_* and moved_to. False (and *stuck) when one fits nowhere. */
static bool fit(struct nf_fleet *f, size_t k, const bool *removed, size_t nmov,
                const struct nf_fpod **stuck)
{
    for (size_t i = 1; i < nmov; i++) { /* biggest first; an insertion sort, stable */
        size_t x = f->movable[i], j = i;
        for (; j > 0 && f->pods[f->movable[j - 1]].req_cpu_m < f->pods[x].req_cpu_m; j--)
            f->movable[j] = f->movable[j - 1];
        f->movable[j] = x;
    }
    for (size_t m = 0; m < nmov; m++) /* they leave k now: the pods that stay do not see them */
        f->moved_to[f->movable[m]] = (long)f->nnodes;
    for (size_t m = 0; m < nmov; m++) {
        size_t pi = f->movable[m];
        const struct nf_fpod *p = &f->pods[pi];
        bool placed = false;
        for (size_t t = 0; t < f->nnodes && !placed; t++) {
            size_t to = f->targets[t];
            if (to == k || (removed && removed[to]) || !nf_pod_fits(f, p, to, NULL))
                continue;
            if (!f->mark[to]) {
                f->mark[to] = 1;
                f->touched[f->ntouched++] = to;
            }
            f->d_cpu[to] -= p->req_cpu_m;
            f->d_mem[to] -= p->req_mem;
            f->d_pods[to]--;
            f->moved_to[pi] = (long)to;
            placed = true;
        }
        if (!placed) {
            *stuck = p;
            return false;
        }
    }
    return true;
}

/* the node's own rules, then each pod's; the movable pods land in f->movable */
static bool node_rules(struct nf_fleet *f, size_t k, struct nf_drain_verdict *v, size_t *nmov)
{
    const struct nf_fnode *n = &f->nodes[k];
    if (n->control_plane) {
        v->block = NF_BLOCK_CONTROL_PLANE;
        snprintf(v->detail, sizeof v->detail, "node %s is a control-plane node", n->name);
        return false;
    }
    if (n->scale_down_disabled) {
        v->block = NF_BLOCK_NODE_ANNOTATED;
        snprintf(v->detail, sizeof v->detail,
                 "node %s is annotated cluster-autoscaler.kubernetes.io/scale-down-disabled=true",
                 n->name);
        return false;
    }
    if (n->deleting) {
        v->block = NF_BLOCK_NODE_DELETING;
        snprintf(v->detail, sizeof v->detail, "node %s is already being deleted", n->name);
        return false;
    }
    *nmov = 0;
    for (size_t q = f->first[k]; q < f->first[k + 1]; q++) {
        const struct nf_fpod *p = &f->pods[f->order[q]];
        enum nf_block b = nf_fleet_pod_blocks(f, p, v->detail, sizeof v->detail);
        if (b == NF_BLOCK_NONE && !p->left_alone)
            b = pdb_blocks(f, k, p, v->detail, sizeof v->detail);
        if (b != NF_BLOCK_NONE) {
            v->block = b;
            return false;
        }
        if (!p->left_alone) {
            f->movable[(*nmov)++] = f->order[q];
            v->movable_cpu_m += p->req_cpu_m;
            v->movable_mem += p->req_mem;
        }
    }
    v->movable_pods = (int)*nmov;
    return true;
}

void nf_fleet_drainable(struct nf_fleet *f, size_t k, const bool *removed,
                        struct nf_drain_verdict *v)
{
    memset(v, 0, sizeof *v);
    size_t nmov = 0;
    if (!node_rules(f, k, v, &nmov))
        return;
    const struct nf_fpod *stuck = NULL;
    bool ok = fit(f, k, removed, nmov, &stuck);
    undo(f);
    unmove(f, nmov);
    if (!ok) {
        v->block = NF_BLOCK_NO_ROOM;
        snprintf(v->detail, sizeof v->detail,
                 "pod %s/%s (%lldm CPU, %lld MiB) fits on no other Ready, schedulable node",
                 stuck->ns, stuck->name, (long long)stuck->req_cpu_m,
                 (long long)(stuck->req_mem >> 20));
    }
}

void nf_fleet_reserve(struct nf_fleet *f, size_t k, int64_t cpu_m, int64_t mem)
{
    f->resv_cpu[k] += cpu_m;
    f->resv_mem[k] += mem;
    f->resv_pods[k]++;
    f->free_cpu[k] -= cpu_m;
    f->free_mem[k] -= mem;
    f->free_pods[k]--;
}

void nf_fleet_unreserve(struct nf_fleet *f)
{
    for (size_t k = 0; k < f->nnodes; k++) {
        f->free_cpu[k] += f->resv_cpu[k];
        f->free_mem[k] += f->resv_mem[k];
        f->free_pods[k] += f->resv_pods[k];
        f->resv_cpu[k] = f->resv_mem[k] = 0;
        f->resv_pods[k] = 0;
    }
}

static double used_share(const struct nf_fleet *f, size_t k)
{
    const struct nf_fnode *n = &f->nodes[k];
    if (n->alloc_cpu_m <= 0)
        return 1;
    return (double)(n->alloc_cpu_m - f->free_cpu[k] - f->resv_cpu[k]) / (double)n->alloc_cpu_m;
}

/* workers (not the control plane) in each node's zone; 0 for a node without one */
static void count_zones(struct nf_fleet *f)
{
    for (size_t k = 0; k < f->nnodes; k++) {
        const char *z = f->nodes[k].zone;
        f->zone_n[k] = 0;
        if (z == NULL || z[0] == '\0')
            continue;
        for (size_t m = 0; m < f->nnodes; m++)
            if (!f->nodes[m].control_plane && f->nodes[m].zone != NULL &&
                strcmp(f->nodes[m].zone, z) == 0)
                f->zone_n[k]++;
    }
}

/* Is candidate x to go before y? The preferred market first, then the least used, then the
 * one from the zone with the most workers (the zones stay balanced), then by name. */
static bool goes_before(const struct nf_fleet *f, size_t x, size_t y, int prefer)
{
    bool xp = prefer >= 0 && (int)f->nodes[x].market == prefer;
    bool yp = prefer >= 0 && (int)f->nodes[y].market == prefer;
    if (xp != yp)
        return xp;
    if (f->share[x] != f->share[y])
        return f->share[x] < f->share[y];
    if (f->zone_n[x] != f->zone_n[y])
        return f->zone_n[x] > f->zone_n[y];
    return strcmp(f->nodes[x].name, f->nodes[y].name) < 0;
}

size_t nf_fleet_choose(struct nf_fleet *f, const bool *allowed, size_t want, int prefer,
                       size_t *out, struct nf_drain_verdict *verdicts)
{
    size_t nn = f->nnodes, ncand = 0, chosen = 0;
    struct nf_drain_verdict v;
    count_zones(f);
    for (size_t k = 0; k < nn; k++) {
        struct nf_drain_verdict *vk = verdicts ? &verdicts[k] : &v;
        nf_fleet_drainable(f, k, NULL, vk);
        if (vk->block == NF_BLOCK_NONE && !f->nodes[k].unschedulable &&
            (allowed == NULL || allowed[k]))
            f->cand[ncand++] = k;
        f->share[k] = used_share(f, k);
        f->removed[k] = false;
    }
    for (size_t i = 1; i < ncand; i++) { /* an insertion sort: no allocation, stable */
        size_t x = f->cand[i], j = i;
        for (; j > 0 && goes_before(f, x, f->cand[j - 1], prefer); j--)
            f->cand[j] = f->cand[j - 1];
        f->cand[j] = x;
    }
    for (size_t i = 0; i < ncand && chosen < want; i++) {
        size_t k = f->cand[i];
        memset(&v, 0, sizeof v);
        size_t nmov = 0;
        if (!node_rules(f, k, &v, &nmov))
            continue;
        const struct nf_fpod *stuck = NULL;
        if (!fit(f, k, f->removed, nmov, &stuck)) {
            undo(f);
            unmove(f, nmov);
            continue;
        }
        /* commit: its pods now sit elsewhere for the next check */
        for (size_t t = 0; t < f->ntouched; t++) {
            size_t m = f->touched[t];
            f->free_cpu[m] += f->d_cpu[m];
            f->free_mem[m] += f->d_mem[m];
            f->free_pods[m] += f->d_pods[m];
        }
        undo(f);
        f->removed[k] = true;
        out[chosen++] = k;
    }
    /* the free capacity is the snapshot's again (less what is reserved); the moves are
     * forgotten */
    for (size_t k = 0; k < nn; k++) {
        f->free_cpu[k] = f->nodes[k].alloc_cpu_m - f->resv_cpu[k];
        f->free_mem[k] = f->nodes[k].alloc_mem - f->resv_mem[k];
        f->free_pods[k] =
            (f->nodes[k].alloc_pods > 0 ? f->nodes[k].alloc_pods : 1 << 30) - f->resv_pods[k];
    }
    for (size_t i = 0; i < f->npods; i++) {
        const struct nf_fpod *p = &f->pods[i];
        f->moved_to[i] = -1;
        if (p->node >= 0 && (size_t)p->node < nn && !p->finished) {
            f->free_cpu[p->node] -= p->req_cpu_m;
            f->free_mem[p->node] -= p->req_mem;
            f->free_pods[p->node]--;
        }
    }
    return chosen;
}
