/* sim_pods.c - the simulated workload: one Deployment per pod shape, each sized by an HPA that
 * follows Kubernetes' own defaults, its pods placed one by one by a scheduler that checks CPU,
 * memory and the pod limit and prefers the least allocated worker (kube-scheduler's default
 * scoring). */
#define _POSIX_C_SOURCE 200809L
#include "sim_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the HPA -------------------------------------------------------------------------------- */

int nf__hpa_desired(const struct nf_sim_params *p, int shape, double demand)
{
    double per = p->shapes[shape].cpu * p->hpa_target_pct / 100.0;
    if (!(demand > 0))
        return 1;                         /* minReplicas */
    double d = ceil(demand / per - 1e-9); /* an exact multiple stays (11.2 / 0.35 = 32) */
    return d > (double)NF_SIM_PODS_MAX ? NF_SIM_PODS_MAX : d < 1 ? 1 : (int)d;
}

void nf__hpa_init(struct hpa *h, const struct nf_sim_params *p, int shape, double demand,
                  int max_replicas)
{
    memset(h, 0, sizeof *h);
    h->max_replicas = max_replicas;
    int d = nf__hpa_desired(p, shape, demand);
    h->replicas = d < max_replicas ? d : max_replicas;
    h->last_sync = -INFINITY;
}

bool nf__hpa_sync(struct hpa *h, const struct nf_sim_params *p, int shape, double demand, double t)
{
    if (t - h->last_sync < NF_HPA_SYNC_S - 1e-9)
        return false;
    h->last_sync = t;
    int cur = h->replicas;
    double per = p->shapes[shape].cpu * p->hpa_target_pct / 100.0;
    double ratio = demand / (cur * per);
    /* within the tolerance the HPA keeps what it has */
    int rec = fabs(ratio - 1.0) <= NF_HPA_TOLERANCE ? cur : nf__hpa_desired(p, shape, demand);
    if (rec > h->max_replicas)
        rec = h->max_replicas;
    /* the window of recommendations: the last NF_HPA_DOWN_WINDOW_S, this one included */
    int drop = 0;
    while (drop < h->nrec && h->rec_t[drop] < t - NF_HPA_DOWN_WINDOW_S - 1e-9)
        drop++;
    if (h->nrec - drop == NF_HPA_WINDOW_MAX) /* syncs closer than 15 s apart cannot happen */
        drop++;
    memmove(h->rec_t, h->rec_t + drop, (size_t)(h->nrec - drop) * sizeof h->rec_t[0]);
    memmove(h->rec_v, h->rec_v + drop, (size_t)(h->nrec - drop) * sizeof h->rec_v[0]);
    h->nrec -= drop;
    h->rec_t[h->nrec] = t;
    h->rec_v[h->nrec++] = rec;
    int next;
    if (rec > cur) { /* up at once, by at most max(4 pods, 100 %) */
        int by_pods = cur + NF_HPA_UP_PODS;
        int by_pct = (int)ceil(cur * (1.0 + NF_HPA_UP_PCT / 100.0) - 1e-9);
        int limit = by_pods > by_pct ? by_pods : by_pct;
        next = rec < limit ? rec : limit;
    } else { /* down only to the highest recommendation of the window */
        int hi = rec;
        for (int i = 0; i < h->nrec; i++)
            if (h->rec_v[i] > hi)
                hi = h->rec_v[i];
        next = hi < cur ? hi : cur;
    }
    h->replicas = next > h->max_replicas ? h->max_replicas : next;
    return true;
}

int nf__sim_nodes_for(const struct nf_sim_params *p, const int *pods)
{
    double cpu = 0, mem = 0, count = 0;
    for (int k = 0; k < p->nshapes; k++) {
        cpu += pods[k] * p->shapes[k].cpu;
        mem += pods[k] * p->shapes[k].memory_mib;
        count += pods[k];
    }
    double need = ceil(cpu / p->node_vcpu - 1e-9);
    double by_mem = ceil(mem / p->node_memory_mib - 1e-9);
    double by_count = ceil(count / p->max_pods_per_node - 1e-9);
    if (by_mem > need)
        need = by_mem;
    if (by_count > need)
        need = by_count;
    return (int)need;
}

/* ---- pods ----------------------------------------------------------------------------------- */

static int add_pod(struct world *w, int shape)
{
    if (w->npods == NF_SIM_PODS_MAX)
        return NF_E_INTERNAL;
    struct pod *pd = &w->pods[w->npods++];
    pd->shape = shape;
    pd->node = -1;
    pd->serial = ++w->pod_serial;
    /* every k-th pod made may not be evicted */
    double u = w->p->unevictable_pct;
    long every = u > 0 ? lround(100.0 / u) : 0;
    pd->pinned = every > 0 && pd->serial % every == 0;
    w->shape_pods[shape]++;
    return NF_OK;
}

static void bind(struct world *w, size_t i, size_t node)
{
    struct pod *pd = &w->pods[i];
    const struct nf_pod_shape *sh = &w->p->shapes[pd->shape];
    struct node *nd = &w->nodes[node];
    pd->node = (int)node;
    nd->cpu_used += sh->cpu;
    nd->mem_used += sh->memory_mib;
    nd->npods++;
    nd->npinned += pd->pinned;
    w->shape_running[pd->shape]++;
}

void nf__sim_unbind(struct world *w, size_t i)
{
    struct pod *pd = &w->pods[i];
    if (pd->node < 0)
        return;
    const struct nf_pod_shape *sh = &w->p->shapes[pd->shape];
    struct node *nd = &w->nodes[pd->node];
    nd->cpu_used -= sh->cpu;
    nd->mem_used -= sh->memory_mib;
    nd->npods--;
    nd->npinned -= pd->pinned;
    if (nd->npods == 0) /* no drift from adding and taking away */
        nd->cpu_used = nd->mem_used = 0;
    w->shape_running[pd->shape]--;
    pd->node = -1;
}

/* The pod of `shape` its ReplicaSet deletes first: a pending one, else one on the busiest
 * worker, the newest of those (the controller's ranking, simplified). */
static void delete_one(struct world *w, int shape)
{
    long best = -1;
    for (size_t i = 0; i < w->npods; i++) {
        const struct pod *pd = &w->pods[i];
        if (pd->shape != shape)
            continue;
        if (best < 0) {
            best = (long)i;
            continue;
        }
        const struct pod *b = &w->pods[best];
        int pn = pd->node < 0 ? INT32_MAX : w->nodes[pd->node].npods;
        int bn = b->node < 0 ? INT32_MAX : w->nodes[b->node].npods;
        if (pn > bn || (pn == bn && pd->serial > b->serial))
            best = (long)i;
    }
    if (best < 0)
        return;
    nf__sim_unbind(w, (size_t)best);
    w->shape_pods[shape]--;
    w->pods[best] = w->pods[--w->npods];
}

int nf__sim_pods_init(struct world *w, double demand)
{
    const struct nf_sim_params *p = w->p;
    for (int k = 0; k < p->nshapes; k++) {
        nf__hpa_init(&w->hpa[k], p, k, demand * p->shapes[k].share_pct / 100.0,
                     NF_SIM_PODS_MAX / p->nshapes);
        for (int i = 0; i < w->hpa[k].replicas; i++)
            if (add_pod(w, k) != NF_OK)
                return NF_E_INTERNAL;
    }
    return NF_OK;
}

int nf__sim_pods_follow(struct world *w, double demand, double t)
{
    const struct nf_sim_params *p = w->p;
    for (int k = 0; k < p->nshapes; k++) {
        if (!nf__hpa_sync(&w->hpa[k], p, k, demand * p->shapes[k].share_pct / 100.0, t))
            continue;
        while (w->shape_pods[k] < w->hpa[k].replicas)
            if (add_pod(w, k) != NF_OK)
                return NF_E_INTERNAL;
        while (w->shape_pods[k] > w->hpa[k].replicas)
            delete_one(w, k);
    }
    return NF_OK;
}

/* ---- the scheduler -------------------------------------------------------------------------- */

static bool fits(const struct nf_sim_params *p, const struct nf_pod_shape *sh,
                 const struct node *nd)
{
    return nd->cpu_used + sh->cpu <= nd->vcpu + 1e-9 &&
           nd->mem_used + sh->memory_mib <= nd->mem_mib + 1e-9 && nd->npods < p->max_pods_per_node;
}

void nf__sim_schedule(struct world *w)
{
    const struct nf_sim_params *p = w->p;
    bool full[NF_SIM_SHAPES_MAX] = {false}; /* a pod of this shape fitted nowhere this round */
    for (size_t i = 0; i < w->npods; i++) {
        struct pod *pd = &w->pods[i];
        if (pd->node >= 0 || full[pd->shape])
            continue;
        const struct nf_pod_shape *sh = &p->shapes[pd->shape];
        long best = -1;
        double best_score = -1;
        for (size_t j = 0; j < w->n; j++) {
            const struct node *nd = &w->nodes[j];
            if (nd->st != NODE_READY || !fits(p, sh, nd))
                continue;
            /* LeastAllocated: the mean free share of CPU and memory once the pod is there;
             * MostAllocated: the mean used share */
            double score = (nd->vcpu - nd->cpu_used - sh->cpu) / nd->vcpu +
                           (nd->mem_mib - nd->mem_used - sh->memory_mib) / nd->mem_mib;
            if (p->pack)
                score = 2 - score;
            if (score > best_score + 1e-12) {
                best_score = score;
                best = (long)j;
            }
        }
        if (best < 0)
            full[pd->shape] = true;
        else
            bind(w, i, (size_t)best);
    }
}

struct service nf__sim_serve(const struct world *w, double demand)
{
    const struct nf_sim_params *p = w->p;
    struct service sv = {0};
    for (int k = 0; k < p->nshapes; k++) {
        const struct nf_pod_shape *sh = &p->shapes[k];
        double dk = demand * sh->share_pct / 100.0;
        double can = w->shape_running[k] * sh->cpu;
        sv.served += dk < can ? dk : can;
        sv.pods += w->shape_pods[k];
        sv.running += w->shape_running[k];
        sv.mem_running += w->shape_running[k] * sh->memory_mib;
    }
    sv.pending = sv.pods - sv.running;
    sv.need = nf__sim_nodes_for(p, w->shape_pods);
    return sv;
}

void nf__sim_node_moved(struct world *w, size_t from, size_t to)
{
    for (size_t i = 0; i < w->npods; i++)
        if (w->pods[i].node == (int)from)
            w->pods[i].node = (int)to;
}

bool nf__sim_fits_elsewhere(const struct world *w, size_t i, const bool *skip, double *free_cpu,
                            double *free_mem, int *free_pods)
{
    const struct nf_sim_params *p = w->p;
    /* try on copies; keep them only when every pod found a place */
    double *fc = malloc(w->n * sizeof *fc), *fm = malloc(w->n * sizeof *fm);
    int *fp = malloc(w->n * sizeof *fp);
    bool ok = fc && fm && fp;
    if (ok) {
        memcpy(fc, free_cpu, w->n * sizeof *fc);
        memcpy(fm, free_mem, w->n * sizeof *fm);
        memcpy(fp, free_pods, w->n * sizeof *fp);
    }
    for (size_t k = 0; ok && k < w->npods; k++) {
        const struct pod *pd = &w->pods[k];
        if (pd->node != (int)i)
            continue;
        const struct nf_pod_shape *sh = &p->shapes[pd->shape];
        bool placed = false;
        for (size_t j = 0; j < w->n && !placed; j++) {
            if (j == i || skip[j] || w->nodes[j].st != NODE_READY)
                continue;
            if (sh->cpu <= fc[j] + 1e-9 && sh->memory_mib <= fm[j] + 1e-9 && fp[j] > 0) {
                fc[j] -= sh->cpu;
                fm[j] -= sh->memory_mib;
                fp[j]--;
                placed = true;
            }
        }
        ok = placed;
    }
    if (ok) {
        memcpy(free_cpu, fc, w->n * sizeof *fc);
        memcpy(free_mem, fm, w->n * sizeof *fm);
        memcpy(free_pods, fp, w->n * sizeof *fp);
    }
    free(fc);
    free(fm);
    free(fp);
    return ok;
}
