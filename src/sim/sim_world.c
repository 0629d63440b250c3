/* sim_world.c - the simulated cluster and cloud: the world of instances, samples and bills on a
 * virtual clock, and the port adapters over it (the workload is sim_pods.c). */
#define _POSIX_C_SOURCE 200809L
#include "sim_internal.h"

#include "../util/buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the world: live instances, samples, bills ------------------------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *s)
{
    return (double)(splitmix64(s) >> 11) * (1.0 / 9007199254740992.0);
}

static void bill(struct world *w, const struct node *nd, double end)
{
    double life = end - nd->launch_t;
    double billed = life < w->p->min_billed_s ? w->p->min_billed_s : life;
    const struct nf_sim_params *p = w->p;
    double price = p->ntypes == 0
                       ? (nd->market == NF_MARKET_SPOT ? p->price_spot : p->price_on_demand)
                   : nd->market == NF_MARKET_SPOT ? p->types[nd->type].price_spot
                                                  : p->types[nd->type].price_on_demand;
    w->met->cost_usd += price * billed / 3600.0;
    w->met->node_hours += life / 3600.0;
    if (nd->market == NF_MARKET_SPOT)
        w->met->spot_node_hours += life / 3600.0;
}

/* Its pods go back to pending (their controllers make them again elsewhere); a node removed
 * by a decision while holding a pod that may not be evicted is an unsafe removal. */
void nf__sim_remove_node(struct world *w, size_t i, double end)
{
    struct node *nd = &w->nodes[i];
    if (nd->npinned > 0 && !nd->reclaimed && !w->ended)
        w->met->unsafe_removals++;
    for (size_t k = 0; k < w->npods && nd->npods > 0; k++)
        if (w->pods[k].node == (int)i)
            nf__sim_unbind(w, k);
    bill(w, nd, end);
    size_t last = --w->n;
    if (i != last) {
        w->nodes[i] = w->nodes[last];
        nf__sim_node_moved(w, last, i);
    }
}

/* A drain or a reclaim: every pod that may be evicted leaves the node now. */
static int evict_all(struct world *w, size_t i)
{
    int n = 0;
    for (size_t k = 0; k < w->npods; k++)
        if (w->pods[k].node == (int)i && !w->pods[k].pinned) {
            nf__sim_unbind(w, k);
            n++;
        }
    return n;
}

int nf__sim_ready_units(const struct world *w)
{
    if (w->p->ntypes == 0)
        return nf__sim_count_state(w, NODE_READY);
    double cpu = 0;
    for (size_t i = 0; i < w->n; i++)
        if (w->nodes[i].st == NODE_READY)
            cpu += w->nodes[i].vcpu;
    return (int)floor(cpu / w->p->node_vcpu + 1e-9);
}

int nf__sim_add_node(struct world *w, int type, enum nf_market market, double launch_t,
                     double ready_t)
{
    if (w->n == NF_SIM_NODES_MAX)
        return NF_E_INTERNAL;
    struct node *nd = &w->nodes[w->n++];
    nd->serial = ++w->serial;
    nd->type = w->p->ntypes > 0 ? type : 0;
    nd->vcpu = w->p->ntypes > 0 ? w->p->types[nd->type].vcpu : w->p->node_vcpu;
    nd->mem_mib = w->p->ntypes > 0 ? w->p->types[nd->type].memory_mib : w->p->node_memory_mib;
    nd->launch_t = launch_t;
    nd->ready_t = ready_t;
    nd->end_t = INFINITY;
    nd->market = market;
    nd->st = ready_t <= launch_t ? NODE_READY : NODE_BOOTING;
    nd->reclaimed = false;
    nd->cpu_used = nd->mem_used = 0;
    nd->npods = nd->npinned = 0;
    return NF_OK;
}

int nf__sim_count_state(const struct world *w, enum node_state st)
{
    int c = 0;
    for (size_t i = 0; i < w->n; i++)
        c += w->nodes[i].st == st;
    return c;
}

/* Bring instance states up to time t. */
void nf__sim_advance(struct world *w, double t)
{
    for (size_t i = 0; i < w->n;) {
        struct node *nd = &w->nodes[i];
        if (nd->st == NODE_BOOTING && nd->ready_t <= t)
            nd->st = NODE_READY;
        if (nd->st == NODE_DRAINING && nd->end_t <= t) {
            nf__sim_remove_node(w, i, nd->end_t);
            continue;
        }
        i++;
    }
    const struct nf_sim_params *p = w->p;
    double any = p->spot_interruptions_per_hour;
    for (int k = 0; k < p->ntypes; k++)
        any = p->type_rate[k] > any ? p->type_rate[k] : any;
    if (any > 0) {
        double common = 1.0 - exp(-p->spot_interruptions_per_hour * p->sample_s / 3600.0);
        for (size_t i = 0; i < w->n; i++) {
            struct node *nd = &w->nodes[i];
            if (nd->market != NF_MARKET_SPOT || nd->st == NODE_DRAINING)
                continue;
            /* each type is a pool of its own, with its own rate */
            double chance =
                p->ntypes == 0 ? common : 1.0 - exp(-p->type_rate[nd->type] * p->sample_s / 3600.0);
            if (uniform01(&w->irng) < chance) {
                /* the node termination handler drains on the warning; the instance ends later */
                nd->st = NODE_DRAINING;
                nd->end_t = t + w->p->spot_warning_s;
                nd->reclaimed = true;
                w->met->interrupted_pods += evict_all(w, i);
                w->met->spot_interruptions++;
                if (w->p->replace_on_warning && w->nwarnings < 64) { /* the queue's message */
                    struct nf_cloud_event *e = &w->warnings[w->nwarnings++];
                    memset(e, 0, sizeof *e);
                    e->kind = NF_CEV_SPOT_INTERRUPTION;
                    snprintf(e->id, sizeof e->id, "sim-warning-%ld", nd->serial);
                    snprintf(e->instance, sizeof e->instance, "i-sim%ld", nd->serial);
                    e->time = t;
                    e->deadline = nd->end_t;
                    e->message = (int)w->nwarnings - 1;
                }
            }
        }
    }
}

void nf__sim_push_sample(struct world *w, const struct nf_sample *s)
{
    if (w->ring_n < w->ring_cap) {
        w->ring[(w->ring_head + w->ring_n) % w->ring_cap] = *s;
        w->ring_n++;
    } else { /* full: the newest replaces the oldest */
        w->ring[w->ring_head] = *s;
        w->ring_head = (w->ring_head + 1) % w->ring_cap;
    }
}

/* ---- port adapters over the world -------------------------------------------------------- */

static double sim_now(void *ctx)
{
    return ((struct world *)ctx)->now;
}

static int sim_history(void *ctx, double start, double end, struct nf_sample *out, size_t cap,
                       size_t *n, struct nf_err *err)
{
    (void)err;
    struct world *w = ctx;
    size_t k = 0;
    for (size_t i = 0; i < w->ring_n; i++) {
        const struct nf_sample *s = &w->ring[(w->ring_head + i) % w->ring_cap];
        if (s->t < start || s->t > end)
            continue;
        if (k == cap) { /* keep the newest: shift out the oldest */
            memmove(out, out + 1, (cap - 1) * sizeof *out);
            k--;
        }
        out[k++] = *s;
    }
    *n = k;
    return NF_OK;
}

static double draw_boot(struct world *w)
{
    double b = w->p->boot_s + w->p->boot_jitter_s * (2.0 * uniform01(&w->rng) - 1.0);
    return b < 0 ? 0 : b;
}

static long find_serial(const struct world *w, const char *id_or_name)
{
    const char *digits = strncmp(id_or_name, "i-sim", 5) == 0  ? id_or_name + 5
                         : strncmp(id_or_name, "sim-", 4) == 0 ? id_or_name + 4
                                                               : NULL;
    if (digits == NULL)
        return -1;
    long serial = strtol(digits, NULL, 10);
    for (size_t i = 0; i < w->n; i++)
        if (w->nodes[i].serial == serial)
            return (long)i;
    return -1;
}

/* the cloud: every instance not yet ended */
static int sim_list(void *ctx, struct nf_instance *out, size_t cap, size_t *n, struct nf_err *err)
{
    (void)err;
    struct world *w = ctx;
    *n = 0;
    for (size_t i = 0; i < w->n && *n < cap; i++) {
        const struct node *nd = &w->nodes[i];
        struct nf_instance *in = &out[(*n)++];
        memset(in, 0, sizeof *in);
        snprintf(in->id, sizeof in->id, "i-sim%ld", nd->serial);
        snprintf(in->state, sizeof in->state, "running");
        if (w->p->ntypes > 0)
            snprintf(in->type, sizeof in->type, "%s", w->p->types[nd->type].name);
        in->market = nd->market;
        in->launch_time = nd->launch_t;
    }
    return NF_OK;
}

static int sim_launch(void *ctx, const char *intent, int count, const enum nf_market *markets,
                      const char *const *types, double now, struct nf_launch_outcome *out,
                      struct nf_err *err)
{
    (void)intent;
    (void)now;
    struct world *w = ctx;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < count; i++) {
        int t = 0; /* the type asked for ("" or unknown: the first) */
        for (int k = 0; types && types[i] && k < w->p->ntypes; k++)
            if (strcmp(w->p->types[k].name, types[i]) == 0)
                t = k;
        if (nf__sim_add_node(w, t, markets[i], w->now, w->now + draw_boot(w)) != NF_OK)
            return nf_err_set(err, NF_E_UNAVAILABLE, "simulated cloud: instance limit reached");
        w->met->nodes_launched++;
        out->launched++;
        if (out->ninstances < NF_LAUNCH_OUTCOME_MAX) {
            struct nf_instance *in = &out->instances[out->ninstances++];
            memset(in, 0, sizeof *in);
            snprintf(in->id, sizeof in->id, "i-sim%ld", w->nodes[w->n - 1].serial);
            if (w->p->ntypes > 0)
                snprintf(in->type, sizeof in->type, "%s", w->p->types[t].name);
            in->market = markets[i];
            in->launch_time = w->now;
        }
    }
    return NF_OK;
}

static int sim_terminate(void *ctx, const char *const *ids, size_t n, struct nf_err *err)
{
    (void)err;
    struct world *w = ctx;
    for (size_t k = 0; k < n; k++) {
        long i = find_serial(w, ids[k]);
        if (i < 0)
            continue; /* gone already */
        nf__sim_remove_node(w, (size_t)i, w->now);
        w->met->nodes_removed++;
    }
    return NF_OK;
}

void nf__sim_world_free(struct world *w)
{
    free(w->fpods);
    free(w->ws);
    w->fpods = NULL;
    w->ws = NULL;
    w->fpods_cap = w->ws_cap = 0;
}

/* The world's nodes (those registered) and pods as the core's model: a pod that may not be
 * evicted is a StatefulSet's, the others their shape's Deployment's. */
static int build_fleet(struct world *w, struct nf_err *err)
{
    static const char *const deploy[NF_SIM_SHAPES_MAX] = {"web-0", "web-1", "web-2", "web-3",
                                                          "web-4", "web-5", "web-6", "web-7"};
    const struct nf_sim_params *p = w->p;
    size_t nn = 0;
    for (size_t i = 0; i < w->n; i++) {
        const struct node *nd = &w->nodes[i];
        w->fleet_of[i] = -1;
        if (nd->st == NODE_BOOTING)
            continue;
        w->fleet_of[i] = (long)nn;
        w->fnodes[nn++] = (struct nf_fnode){.name = NULL, /* set from the view below */
                                            .market = nd->market,
                                            .ready = true,
                                            .unschedulable = nd->st == NODE_DRAINING,
                                            .created = nd->ready_t,
                                            .alloc_cpu_m = llround(nd->vcpu * 1000),
                                            .alloc_mem = llround(nd->mem_mib * 1048576.0),
                                            .alloc_pods = p->max_pods_per_node};
    }
    if (w->npods > w->fpods_cap) {
        struct nf_fpod *np = realloc(w->fpods, w->npods * sizeof *np);
        if (np == NULL)
            return nf_err_set(err, NF_E_NOMEM, "simulator: out of memory");
        w->fpods = np;
        w->fpods_cap = w->npods;
    }
    for (size_t i = 0; i < w->npods; i++) {
        const struct pod *pd = &w->pods[i];
        const struct nf_pod_shape *sh = &p->shapes[pd->shape];
        w->fpods[i] = (struct nf_fpod){.ns = "sim",
                                       .name = deploy[pd->shape],
                                       .node = pd->node >= 0 ? w->fleet_of[pd->node] : -1,
                                       .req_cpu_m = llround(sh->cpu * 1000),
                                       .req_mem = llround(sh->memory_mib * 1048576.0),
                                       .safe_to_evict = -1,
                                       .owner = pd->pinned ? NF_FOWN_STATEFULSET : NF_FOWN_REPLICAS,
                                       .owner_kind = pd->pinned ? "StatefulSet" : "Deployment",
                                       .owner_name = pd->pinned ? "db" : deploy[pd->shape],
                                       .replicas = w->hpa[pd->shape].replicas,
                                       .pdb = -1,
                                       .pdb2 = -1};
    }
    size_t need = nf_fleet_ws_bytes(nn, w->npods);
    if (need > w->ws_cap) {
        void *nw = realloc(w->ws, need);
        if (nw == NULL)
            return nf_err_set(err, NF_E_NOMEM, "simulator: out of memory");
        w->ws = nw;
        w->ws_cap = need;
    }
    w->fleet =
        (struct nf_fleet){.nodes = w->fnodes, .nnodes = nn, .pods = w->fpods, .npods = w->npods};
    return NF_OK;
}

/* the cluster: instances that have registered (booted) are nodes */
static int sim_observe(void *ctx, struct nf_cluster_view *out, struct nf_err *err)
{
    struct world *w = ctx;
    int rc = build_fleet(w, err);
    if (rc != NF_OK)
        return rc;
    size_t k = 0;
    for (size_t i = 0; i < w->n; i++) {
        const struct node *nd = &w->nodes[i];
        if (nd->st == NODE_BOOTING)
            continue;
        struct nf_node_info *v = &w->view[k++];
        memset(v, 0, sizeof *v);
        snprintf(v->name, sizeof v->name, "sim-%ld", nd->serial);
        snprintf(v->instance, sizeof v->instance, "i-sim%ld", nd->serial);
        v->market = nd->market;
        v->ready = true;
        v->cordoned = nd->st == NODE_DRAINING;
        v->created = nd->ready_t;
        w->fnodes[k - 1].name = v->name;
    }
    nf_fleet_prepare(&w->fleet, w->ws);
    /* every node's own verdict, as the real cluster says it */
    for (size_t j = 0; j < w->fleet.nnodes; j++) {
        struct nf_drain_verdict vd;
        nf_fleet_drainable(&w->fleet, j, NULL, &vd);
        if (vd.block != NF_BLOCK_NONE)
            nf_strjoin(w->view[j].why_not, sizeof w->view[j].why_not, nf_block_id(vd.block), ": ",
                       vd.detail, (const char *)NULL);
    }
    out->fleet = &w->fleet;
    out->nodes = w->view;
    out->nnodes = k;
    out->pending_pods = 0;
    out->pending_cpu_m = out->pending_mem = 0;
    for (size_t i = 0; i < w->npods; i++)
        if (w->pods[i].node < 0) {
            const struct nf_pod_shape *sh = &w->p->shapes[w->pods[i].shape];
            out->pending_pods++;
            out->pending_cpu_m += llround(sh->cpu * 1000);
            out->pending_mem += llround(sh->memory_mib * 1048576.0);
        }
    return NF_OK;
}

/* The core's safety rules over the world (build_fleet), as the real cluster adapter applies
 * them to its objects: least used first, the preferred market first, each node checked with
 * those chosen before it gone. */
static int sim_choose(void *ctx, const char *const *names, size_t nnames, int count, int prefer,
                      size_t *chosen, size_t *nchosen, char *why, size_t whylen, struct nf_err *err)
{
    struct world *w = ctx;
    struct nf_fleet *f = &w->fleet;
    *nchosen = 0;
    size_t nn = f->nnodes;
    bool *allowed = calloc(nn + 1, sizeof *allowed);
    size_t *name_of = calloc(nn + 1, sizeof *name_of), *out = calloc(nn + 1, sizeof *out);
    struct nf_drain_verdict *v = calloc(nn + 1, sizeof *v);
    if (!allowed || !name_of || !out || !v) {
        free(allowed), free(name_of), free(out), free(v);
        return nf_err_set(err, NF_E_NOMEM, "simulator: out of memory");
    }
    for (size_t k = 0; k < nnames; k++) {
        long i = find_serial(w, names[k]);
        long fi = i >= 0 ? w->fleet_of[i] : -1;
        if (fi >= 0 && w->nodes[i].st == NODE_READY) {
            allowed[fi] = true;
            name_of[fi] = k;
        }
    }
    size_t got = nf_fleet_choose(f, allowed, count > 0 ? (size_t)count : 0, prefer, out, v);
    for (size_t i = 0; i < got; i++)
        chosen[(*nchosen)++] = name_of[out[i]];
    if ((int)got < count) {
        why[0] = '\0';
        for (size_t k = 0; k < nn && !why[0]; k++)
            if (allowed[k] && v[k].block != NF_BLOCK_NONE)
                snprintf(why, whylen, "%s: %s", nf_block_id(v[k].block), v[k].detail);
        if (!why[0])
            snprintf(why, whylen, "the pods of the next node would fit nowhere else");
    }
    free(allowed), free(name_of), free(out), free(v);
    return NF_OK;
}

/* a drain takes drain_s from its start; the node stops serving at once (a forced drain too:
 * the simulator has no interruptions yet) */
static int sim_drain_step(void *ctx, const char *node, double started_at, double now,
                          double force_at, struct nf_drain_report *rep, struct nf_err *err)
{
    (void)err;
    (void)force_at;
    struct world *w = ctx;
    memset(rep, 0, sizeof *rep);
    long i = find_serial(w, node);
    if (i < 0) {
        rep->state = NF_DRAIN_DONE;
        snprintf(rep->why, sizeof rep->why, "node %s is gone", node);
        return NF_OK;
    }
    struct node *nd = &w->nodes[i];
    if (nd->st == NODE_READY) { /* the first step: cordon and evict */
        if (nd->npinned > 0) {
            rep->state = NF_DRAIN_ABORTED;
            snprintf(rep->why, sizeof rep->why, "%d pod(s) on %s may not be evicted", nd->npinned,
                     node);
            return NF_OK;
        }
        nd->st = NODE_DRAINING;
        w->met->evictions += evict_all(w, (size_t)i);
    }
    if (now - started_at >= w->p->drain_s) {
        rep->state = NF_DRAIN_DONE;
        snprintf(rep->why, sizeof rep->why, "drained");
    } else {
        rep->state = NF_DRAIN_IN_PROGRESS;
        rep->remaining = 1;
    }
    return NF_OK;
}

static int sim_remove_node(void *ctx, const char *node, struct nf_err *err)
{
    (void)ctx;
    (void)node;
    (void)err;
    return NF_OK; /* the instance's end removed the node */
}

const struct nf_clock_port nf__sim_clock_port = {.name = "virtual", .now = sim_now};
const struct nf_metrics_port nf__sim_metrics_port = {.name = "sim", .history = sim_history};
const struct nf_cluster_port nf__sim_cluster_port = {.name = "sim",
                                                     .observe = sim_observe,
                                                     .choose = sim_choose,
                                                     .drain_step = sim_drain_step,
                                                     .remove_node = sim_remove_node};
/* sim.node_types as the cloud's catalog: what a worker of each hosts and costs */
static int sim_catalog(void *ctx, double now, struct nf_itype *out, size_t cap, size_t *n,
                       struct nf_err *err)
{
    (void)now;
    const struct world *w = ctx;
    *n = 0;
    if (w->p->ntypes == 0)
        return nf_err_set(err, NF_E_UNAVAILABLE, "one worker type");
    for (int t = 0; t < w->p->ntypes && *n < cap; t++) {
        const struct nf_node_type *ty = &w->p->types[t];
        struct nf_itype *o = &out[(*n)++];
        memset(o, 0, sizeof *o);
        snprintf(o->name, sizeof o->name, "%s", ty->name);
        o->cpu_m = llround(ty->vcpu * 1000);
        o->mem = llround(ty->memory_mib * 1048576.0);
        o->od_price = ty->price_on_demand;
        o->spot_price = ty->price_spot;
    }
    return NF_OK;
}

static double sim_hourly(void *ctx, const char *type, const char *az, enum nf_market m)
{
    (void)az;
    const struct world *w = ctx;
    for (int t = 0; t < w->p->ntypes; t++)
        if (type && strcmp(w->p->types[t].name, type) == 0)
            return m == NF_MARKET_SPOT ? w->p->types[t].price_spot : w->p->types[t].price_on_demand;
    return m == NF_MARKET_SPOT ? w->p->price_spot : w->p->price_on_demand;
}

const struct nf_cloud_port nf__sim_cloud_port = {.name = "sim",
                                                 .list = sim_list,
                                                 .launch = sim_launch,
                                                 .terminate = sim_terminate,
                                                 .catalog = sim_catalog,
                                                 .hourly = sim_hourly};

/* The interruption queue: each warning is one message, handed out once (deleting is free) */
static int sim_receive(void *ctx, double wait_s, struct nf_cloud_event *out, size_t cap, size_t *n,
                       int *nmessages, struct nf_err *err)
{
    (void)wait_s, (void)err;
    struct world *w = ctx;
    *n = 0;
    for (size_t i = 0; i < w->nwarnings && *n < cap; i++)
        out[(*n)++] = w->warnings[i];
    *nmessages = (int)*n;
    w->nwarnings = 0;
    return NF_OK;
}

static int sim_ack(void *ctx, int m, struct nf_err *err)
{
    (void)ctx, (void)m, (void)err;
    return NF_OK;
}

const struct nf_events_port nf__sim_events_port = {
    .name = "sim", .receive = sim_receive, .ack = sim_ack};
