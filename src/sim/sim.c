/* sim.c - the simulated cluster and cloud as port adapters, the step loop, and the oracle. */
#define _POSIX_C_SOURCE 200809L
#include "sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cycle/cycle.h"

/* Overview charts have at most this many points per series. */
#define NF_SIM_BUCKETS_MAX 1200
/* The zoom chart spans this long around the demand peak. */
#define NF_SIM_ZOOM_BEFORE_S (6 * 3600.0)
#define NF_SIM_ZOOM_AFTER_S  (18 * 3600.0)
/* A pool never holds more live instances than this (max_nodes is at most 1000). */
#define NF_SIM_NODES_MAX 4096

void nf_sim_params_from_config(struct nf_sim_params *sp, const struct nf_config *cfg)
{
    sp->node_vcpu = cfg->sim_node_vcpu;
    sp->node_memory_mib = cfg->sim_node_memory_mib;
    sp->pod_cpu_request = cfg->sim_pod_cpu_request;
    sp->pod_memory_mib = cfg->sim_pod_memory_mib;
    sp->hpa_target_pct = cfg->sim_hpa_target_pct;
    sp->peak_nodes = (int)cfg->sim_peak_nodes;
    sp->peak_percentile = cfg->sim_peak_percentile;
    sp->boot_s = cfg->sim_boot_s;
    sp->boot_jitter_s = cfg->sim_boot_jitter_s;
    sp->drain_s = cfg->sim_drain_s;
    sp->interval_s = cfg->sim_interval_s;
    sp->sample_s = cfg->sim_sample_s;
    sp->price_on_demand = cfg->sim_price_on_demand;
    sp->price_spot = cfg->sim_price_spot;
    sp->min_billed_s = cfg->sim_min_billed_s;
    sp->spot_interruptions_per_hour = cfg->sim_spot_interruptions_per_hour;
    sp->spot_warning_s = cfg->sim_spot_warning_s;
    sp->seed = (uint64_t)cfg->sim_seed;
    sp->min_nodes = (int)cfg->min_nodes;
    sp->max_nodes = (int)cfg->max_nodes;
    sp->spot_pct = cfg->spot_percentage;
    sp->fixed_scale = 0;
}

/* ---- the demand model ------------------------------------------------------------------- */

struct model {
    const struct nf_sim_params *p;
    double scale;    /* vCPU per trace unit */
    double pod_vcpu; /* vCPU one pod carries at the HPA target */
    int pods_per_node;
};

static int pods_for(const struct model *m, double demand)
{
    if (demand <= 0)
        return 0;
    /* the epsilon keeps an exact multiple (11.2 / 0.35 = 32.000000000000004) at 32 */
    return (int)ceil(demand / m->pod_vcpu - 1e-9);
}

static int nodes_for_pods(const struct model *m, int pods)
{
    return (pods + m->pods_per_node - 1) / m->pods_per_node;
}

/* What `ready` workers make of `demand`: pods that run (the rest are pending) and the vCPU
 * they serve (a running pod serves up to its request). */
struct service {
    int pods, running, pending;
    double served;
};

static struct service serve(const struct model *m, double demand, int ready)
{
    struct service sv = {.pods = pods_for(m, demand)};
    int slots = ready * m->pods_per_node;
    sv.running = sv.pods < slots ? sv.pods : slots;
    sv.pending = sv.pods - sv.running;
    sv.served = sv.running * m->p->pod_cpu_request;
    if (sv.served > demand)
        sv.served = demand;
    return sv;
}

/* ---- the world: live instances, samples, bills ------------------------------------------- */

enum node_state { NODE_BOOTING, NODE_READY, NODE_DRAINING };

struct node {
    double launch_t, ready_t, end_t; /* end_t: a spot interruption's end, else INFINITY */
    enum nf_market market;
    enum node_state st;
    long serial; /* instance i-sim<serial>, node sim-<serial> */
};

struct world {
    const struct model *m;
    const struct nf_sim_params *p;
    double now;
    struct node nodes[NF_SIM_NODES_MAX];
    size_t n;
    long serial;
    struct nf_node_info view[NF_SIM_NODES_MAX]; /* the cluster's last observe */
    uint64_t rng;
    struct nf_sample *ring;
    size_t ring_cap, ring_head, ring_n; /* head = index of the oldest */
    struct nf_sim_metrics *met;
};

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
    double price = nd->market == NF_MARKET_SPOT ? w->p->price_spot : w->p->price_on_demand;
    w->met->cost_usd += price * billed / 3600.0;
    w->met->node_hours += life / 3600.0;
    if (nd->market == NF_MARKET_SPOT)
        w->met->spot_node_hours += life / 3600.0;
}

static void remove_node(struct world *w, size_t i, double end)
{
    bill(w, &w->nodes[i], end);
    w->nodes[i] = w->nodes[--w->n];
}

static int add_node(struct world *w, enum nf_market market, double launch_t, double ready_t)
{
    if (w->n == NF_SIM_NODES_MAX)
        return NF_E_INTERNAL;
    struct node *nd = &w->nodes[w->n++];
    nd->serial = ++w->serial;
    nd->launch_t = launch_t;
    nd->ready_t = ready_t;
    nd->end_t = INFINITY;
    nd->market = market;
    nd->st = ready_t <= launch_t ? NODE_READY : NODE_BOOTING;
    return NF_OK;
}

static int count_state(const struct world *w, enum node_state st)
{
    int c = 0;
    for (size_t i = 0; i < w->n; i++)
        c += w->nodes[i].st == st;
    return c;
}

/* Bring instance states up to time t. */
static void advance(struct world *w, double t)
{
    for (size_t i = 0; i < w->n;) {
        struct node *nd = &w->nodes[i];
        if (nd->st == NODE_BOOTING && nd->ready_t <= t)
            nd->st = NODE_READY;
        if (nd->st == NODE_DRAINING && nd->end_t <= t) {
            remove_node(w, i, nd->end_t);
            continue;
        }
        i++;
    }
    if (w->p->spot_interruptions_per_hour > 0) {
        double chance = 1.0 - exp(-w->p->spot_interruptions_per_hour * w->p->sample_s / 3600.0);
        for (size_t i = 0; i < w->n; i++) {
            struct node *nd = &w->nodes[i];
            if (nd->market != NF_MARKET_SPOT || nd->st == NODE_DRAINING)
                continue;
            if (uniform01(&w->rng) < chance) {
                /* the node termination handler drains on the warning; the instance ends later */
                nd->st = NODE_DRAINING;
                nd->end_t = t + w->p->spot_warning_s;
                w->met->spot_interruptions++;
            }
        }
    }
}

static void push_sample(struct world *w, const struct nf_sample *s)
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
        in->market = nd->market;
        in->launch_time = nd->launch_t;
    }
    return NF_OK;
}

static int sim_launch(void *ctx, const char *intent, int count, const enum nf_market *markets,
                      double now, struct nf_launch_outcome *out, struct nf_err *err)
{
    (void)intent;
    (void)now;
    struct world *w = ctx;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < count; i++) {
        if (add_node(w, markets[i], w->now, w->now + draw_boot(w)) != NF_OK)
            return nf_err_set(err, NF_E_UNAVAILABLE, "simulated cloud: instance limit reached");
        w->met->nodes_launched++;
        out->launched++;
        if (out->ninstances < NF_LAUNCH_OUTCOME_MAX) {
            struct nf_instance *in = &out->instances[out->ninstances++];
            memset(in, 0, sizeof *in);
            snprintf(in->id, sizeof in->id, "i-sim%ld", w->nodes[w->n - 1].serial);
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
        remove_node(w, (size_t)i, w->now);
        w->met->nodes_removed++;
    }
    return NF_OK;
}

/* the cluster: instances that have registered (booted) are nodes */
static int sim_observe(void *ctx, struct nf_cluster_view *out, struct nf_err *err)
{
    (void)err;
    struct world *w = ctx;
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
    }
    out->nodes = w->view;
    out->nnodes = k;
    return NF_OK;
}

/* any Ready node may go (the simulated pods all fit elsewhere): the preferred market
 * first, newest first */
static int sim_choose(void *ctx, const char *const *names, size_t nnames, int count, int prefer,
                      size_t *chosen, size_t *nchosen, char *why, size_t whylen, struct nf_err *err)
{
    (void)err;
    struct world *w = ctx;
    *nchosen = 0;
    bool used[NF_SIM_NODES_MAX] = {false};
    for (int pass = 0; pass < 2 && (int)*nchosen < count; pass++)
        while ((int)*nchosen < count) {
            long best = -1;
            double best_t = -INFINITY;
            for (size_t k = 0; k < nnames && k < NF_SIM_NODES_MAX; k++) {
                long i = find_serial(w, names[k]);
                if (used[k] || i < 0 || w->nodes[i].st != NODE_READY)
                    continue;
                if (pass == 0 && prefer >= 0 && (int)w->nodes[i].market != prefer)
                    continue;
                if (w->nodes[i].launch_t > best_t) {
                    best_t = w->nodes[i].launch_t;
                    best = (long)k;
                }
            }
            if (best < 0)
                break;
            used[best] = true;
            chosen[(*nchosen)++] = (size_t)best;
        }
    if ((int)*nchosen < count)
        snprintf(why, whylen, "no Ready worker left");
    return NF_OK;
}

/* a drain takes drain_s from its start; the node stops serving at once */
static int sim_drain_step(void *ctx, const char *node, double started_at, double now,
                          struct nf_drain_report *rep, struct nf_err *err)
{
    (void)err;
    struct world *w = ctx;
    memset(rep, 0, sizeof *rep);
    long i = find_serial(w, node);
    if (i < 0) {
        rep->state = NF_DRAIN_DONE;
        snprintf(rep->why, sizeof rep->why, "node %s is gone", node);
        return NF_OK;
    }
    w->nodes[i].st = NODE_DRAINING;
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

static const struct nf_clock_port sim_clock_port = {.name = "virtual", .now = sim_now};
static const struct nf_metrics_port sim_metrics_port = {.name = "sim", .history = sim_history};
static const struct nf_cluster_port sim_cluster_port = {.name = "sim",
                                                        .observe = sim_observe,
                                                        .choose = sim_choose,
                                                        .drain_step = sim_drain_step,
                                                        .remove_node = sim_remove_node};
static const struct nf_cloud_port sim_cloud_port = {
    .name = "sim", .list = sim_list, .launch = sim_launch, .terminate = sim_terminate};

/* ---- scoring ------------------------------------------------------------------------------ */

struct scorer {
    double total_s, demand_vcpu_s, unserved_vcpu_s;
    double acc_u, acc_o, ts_u, ts_o;
    bool in_shortfall;
    double shortfall_start;
    double *episodes;
    size_t nep, capep;
    int last_supply;
    bool have_last;
};

static int score_step(struct scorer *sc, struct nf_sim_metrics *met, double t, double dt,
                      double demand, double served, int pending, int need, int supply)
{
    sc->total_s += dt;
    sc->demand_vcpu_s += demand * dt;
    sc->unserved_vcpu_s += (demand - served) * dt;
    met->pending_pod_seconds += pending * dt;
    if (pending > 0)
        met->overload_minutes += dt / 60.0;
    double denom = need > 1 ? need : 1; /* demand of 0 would divide by zero: use 1 worker */
    if (need > supply) {
        sc->acc_u += (need - supply) / denom * dt;
        sc->ts_u += dt;
    } else if (supply > need) {
        sc->acc_o += (supply - need) / denom * dt;
        sc->ts_o += dt;
    }
    if (need > supply && !sc->in_shortfall) {
        sc->in_shortfall = true;
        sc->shortfall_start = t;
    } else if (need <= supply && sc->in_shortfall) {
        sc->in_shortfall = false;
        if (sc->nep == sc->capep) {
            size_t nc = sc->capep ? sc->capep * 2 : 256;
            double *ne = realloc(sc->episodes, nc * sizeof *ne);
            if (ne == NULL)
                return NF_E_NOMEM;
            sc->episodes = ne;
            sc->capep = nc;
        }
        sc->episodes[sc->nep++] = t - sc->shortfall_start;
    }
    return NF_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int score_finish(struct scorer *sc, struct nf_sim_metrics *met, double end)
{
    if (sc->in_shortfall) { /* still short at the end: count what we saw */
        double *ne = realloc(sc->episodes, (sc->nep + 1) * sizeof *ne);
        if (ne == NULL)
            return NF_E_NOMEM;
        sc->episodes = ne;
        sc->episodes[sc->nep++] = end - sc->shortfall_start;
    }
    met->shortfall_episodes = (long)sc->nep;
    met->time_to_capacity_p95_s = 0;
    if (sc->nep > 0) {
        qsort(sc->episodes, sc->nep, sizeof *sc->episodes, cmp_double);
        size_t rank = (size_t)ceil(0.95 * (double)sc->nep);
        met->time_to_capacity_p95_s = sc->episodes[rank - 1];
    }
    double T = sc->total_s > 0 ? sc->total_s : 1;
    met->unserved_fraction = sc->demand_vcpu_s > 0 ? sc->unserved_vcpu_s / sc->demand_vcpu_s : 0;
    met->accuracy_u = 100.0 * sc->acc_u / T;
    met->accuracy_o = 100.0 * sc->acc_o / T;
    met->timeshare_u = 100.0 * sc->ts_u / T;
    met->timeshare_o = 100.0 * sc->ts_o / T;
    free(sc->episodes);
    sc->episodes = NULL;
    return NF_OK;
}

/* ---- the runs ----------------------------------------------------------------------------- */

struct grid {
    double dt;
    size_t steps;
    double end; /* the trace's end: the last step may be shorter than dt */
};

/* Length of step `step`: dt, except the last, which stops at the trace's end. */
static double step_len(const struct grid *g, size_t step)
{
    double t = (double)step * g->dt;
    return t + g->dt > g->end ? g->end - t : g->dt;
}

static int initial_size(const struct model *m, const struct nf_trace *tr,
                        const struct nf_policy *pol)
{
    if (strncmp(pol->name, "static:", 7) == 0)
        return pol->static_size;
    size_t cur = 0;
    int need = nodes_for_pods(m, pods_for(m, m->scale * nf_trace_value_at(tr, &cur, 0)));
    if (need < m->p->min_nodes)
        need = m->p->min_nodes;
    if (need > m->p->max_nodes)
        need = m->p->max_nodes;
    return need;
}

static size_t bucket_of(const struct nf_sim_report *r, double t)
{
    size_t b = (size_t)(t / r->bucket_s);
    return b < r->nbuckets ? b : r->nbuckets - 1;
}

static bool in_zoom(const struct nf_sim_report *r, size_t step, size_t *zi)
{
    size_t z0 = (size_t)(r->zoom_start / r->params.sample_s);
    if (step < z0 || step - z0 >= r->zoom_n)
        return false;
    *zi = step - z0;
    return true;
}

static int run_policy(struct nf_sim_report *r, const struct model *m, const struct grid *g,
                      const struct nf_policy *pol, struct nf_sim_run *run, struct nf_err *err)
{
    const struct nf_sim_params *p = m->p;
    const struct nf_trace *tr = r->trace;
    memset(&run->m, 0, sizeof run->m);
    snprintf(run->name, sizeof run->name, "%s", pol->name);
    double *bucket_supply = calloc(r->nbuckets, sizeof *bucket_supply);
    double *bucket_time = calloc(r->nbuckets, sizeof *bucket_time);
    run->supply_mean = calloc(r->nbuckets, sizeof *run->supply_mean);
    run->zoom_supply = calloc(r->zoom_n ? r->zoom_n : 1, sizeof *run->zoom_supply);
    struct world *w = calloc(1, sizeof *w);
    size_t hist_cap = (size_t)((nf_policy_lookback(pol) + 300) / p->sample_s) + 8;
    struct nf_sample *hist = calloc(hist_cap, sizeof *hist);
    struct scorer sc = {0};
    struct nf_cycle *cyc = NULL;
    int rc = NF_OK;
    if (!bucket_supply || !bucket_time || !run->supply_mean || !run->zoom_supply || !w || !hist) {
        rc = nf_err_set(err, NF_E_NOMEM, "simulator: out of memory");
        goto out;
    }
    w->m = m;
    w->p = p;
    w->rng = p->seed;
    w->met = &run->m;
    w->ring_cap = hist_cap;
    w->ring = calloc(w->ring_cap, sizeof *w->ring);
    if (w->ring == NULL) {
        rc = nf_err_set(err, NF_E_NOMEM, "simulator: out of memory");
        goto out;
    }
    int init = initial_size(m, tr, pol);
    for (int i = 0; i < init; i++)
        add_node(w, NF_MARKET_ON_DEMAND, 0, 0);

    struct nf_ports ports = {.clock = &sim_clock_port,
                             .clock_ctx = w,
                             .metrics = &sim_metrics_port,
                             .metrics_ctx = w,
                             .cluster = &sim_cluster_port,
                             .cluster_ctx = w,
                             .cloud = &sim_cloud_port,
                             .cloud_ctx = w};
    struct nf_cycle_opts co = {.spot_pct = p->spot_pct,
                               .provision_timeout_s = 1e9, /* simulated workers always join */
                               .lease_ttl_s = 360,
                               .price_on_demand = p->price_on_demand,
                               .price_spot = p->price_spot};
    cyc = malloc(sizeof *cyc);
    if (cyc == NULL) {
        rc = nf_err_set(err, NF_E_NOMEM, "simulator: out of memory");
        goto out;
    }
    nf_cycle_init(cyc, &ports, pol, &co, hist, hist_cap);
    size_t every = (size_t)llround(p->interval_s / p->sample_s);
    if (every == 0)
        every = 1;
    size_t cur = 0;
    for (size_t step = 0; step < g->steps; step++) {
        double t = (double)step * g->dt;
        w->now = t;
        advance(w, t);
        double demand = m->scale * nf_trace_value_at(tr, &cur, t);
        int ready = count_state(w, NODE_READY);
        struct service sv = serve(m, demand, ready);
        struct nf_sample s = {.t = t};
        for (int k = 0; k < NF_SAMPLE_VALUES; k++)
            s.v[k] = NAN;
        if (ready > 0) {
            s.v[NF_SIG_CPU] = 100.0 * sv.served / (ready * p->node_vcpu);
            s.v[NF_SIG_MEMORY] =
                100.0 * sv.running * p->pod_memory_mib / (ready * p->node_memory_mib);
        }
        s.v[NF_SIG_PENDING_PODS] = sv.pending;
        push_sample(w, &s);

        if (step % every == 0) {
            struct nf_plan plan;
            rc = nf_cycle_run(cyc, &plan, err);
            if (rc != NF_OK) {
                nf_err_prefix(err, "policy %s at t=%gs", pol->name, t);
                goto out;
            }
            if (plan.action == NF_ACTION_SCALE_UP)
                run->m.scale_ups++;
            else if (plan.action == NF_ACTION_SCALE_DOWN)
                run->m.scale_downs++;
            /* a drain takes capacity away at once */
            ready = count_state(w, NODE_READY);
            sv = serve(m, demand, ready);
        }
        int need = nodes_for_pods(m, sv.pods);
        double dt = step_len(g, step);
        rc = score_step(&sc, &run->m, t, dt, demand, sv.served, sv.pending, need, ready);
        if (rc != NF_OK) {
            nf_err_set(err, rc, "simulator: out of memory");
            goto out;
        }
        size_t b = bucket_of(r, t), zi;
        bucket_supply[b] += ready * dt;
        bucket_time[b] += dt;
        if (in_zoom(r, step, &zi))
            run->zoom_supply[zi] = (uint16_t)(ready > 65535 ? 65535 : ready);
    }
    double end = g->end;
    while (w->n > 0)
        remove_node(w, w->n - 1, end);
    rc = score_finish(&sc, &run->m, end);
    if (rc != NF_OK) {
        nf_err_set(err, rc, "simulator: out of memory");
        goto out;
    }
    for (size_t b = 0; b < r->nbuckets; b++)
        run->supply_mean[b] = bucket_time[b] > 0 ? (float)(bucket_supply[b] / bucket_time[b]) : 0;
out:
    free(cyc);
    free(sc.episodes);
    if (w)
        free(w->ring);
    free(w);
    free(hist);
    free(bucket_supply);
    free(bucket_time);
    return rc;
}

/* A schedule that is not a policy: the oracle (exactly the workers needed, clamped to
 * min/max, at the blended spot price), or the cluster's actual worker counts (replay; priced
 * on-demand, since the market of each worker is not in the metrics). `actual` NULL = oracle.
 * The oracle's pass also fills the report's demand series. */
static int run_schedule(struct nf_sim_report *r, const struct model *m, const struct grid *g,
                        const struct nf_trace *actual, struct nf_err *err)
{
    const struct nf_sim_params *p = m->p;
    struct nf_sim_run *run = actual ? r->actual : &r->oracle;
    memset(&run->m, 0, sizeof run->m);
    snprintf(run->name, sizeof run->name, actual ? "actual" : "oracle");
    run->supply_mean = calloc(r->nbuckets, sizeof *run->supply_mean);
    run->zoom_supply = calloc(r->zoom_n ? r->zoom_n : 1, sizeof *run->zoom_supply);
    double *bucket_supply = calloc(r->nbuckets, sizeof *bucket_supply);
    double *bucket_time = calloc(r->nbuckets, sizeof *bucket_time);
    double *bucket_dmax = calloc(r->nbuckets, sizeof *bucket_dmax);
    double *bucket_dsum = calloc(r->nbuckets, sizeof *bucket_dsum);
    struct scorer sc = {0};
    int rc = NF_OK;
    if (!run->supply_mean || !run->zoom_supply || !bucket_supply || !bucket_time || !bucket_dmax ||
        !bucket_dsum) {
        rc = nf_err_set(err, NF_E_NOMEM, "simulator: out of memory");
        goto out;
    }
    double spot_share = actual ? 0 : p->spot_pct / 100.0;
    double blend = spot_share * p->price_spot + (1 - spot_share) * p->price_on_demand;
    size_t cur = 0, acur = 0;
    int prev = -1;
    for (size_t step = 0; step < g->steps; step++) {
        double t = (double)step * g->dt;
        double demand = m->scale * nf_trace_value_at(r->trace, &cur, t);
        int need = nodes_for_pods(m, pods_for(m, demand));
        int supply = need < p->min_nodes ? p->min_nodes : need > p->max_nodes ? p->max_nodes : need;
        if (actual)
            supply = (int)llround(nf_trace_value_at(actual, &acur, t));
        struct service sv = serve(m, demand, supply);
        if (prev >= 0 && supply > prev)
            run->m.scale_ups++;
        if (prev >= 0 && supply < prev)
            run->m.scale_downs++;
        if (prev >= 0 && supply != prev) {
            if (supply > prev)
                run->m.nodes_launched += supply - prev;
            else
                run->m.nodes_removed += prev - supply;
        }
        prev = supply;
        double dt = step_len(g, step);
        run->m.cost_usd += supply * dt / 3600.0 * blend;
        run->m.node_hours += supply * dt / 3600.0;
        run->m.spot_node_hours += supply * dt / 3600.0 * spot_share;
        rc = score_step(&sc, &run->m, t, dt, demand, sv.served, sv.pending, need, supply);
        if (rc != NF_OK) {
            nf_err_set(err, rc, "simulator: out of memory");
            goto out;
        }
        size_t b = bucket_of(r, t), zi;
        bucket_supply[b] += supply * dt;
        bucket_time[b] += dt;
        bucket_dsum[b] += need * dt;
        if (need > bucket_dmax[b])
            bucket_dmax[b] = need;
        if (in_zoom(r, step, &zi)) {
            run->zoom_supply[zi] = (uint16_t)(supply > 65535 ? 65535 : supply);
            if (!actual)
                r->zoom_demand[zi] = (uint16_t)(need > 65535 ? 65535 : need);
        }
    }
    rc = score_finish(&sc, &run->m, g->end);
    if (rc != NF_OK) {
        nf_err_set(err, rc, "simulator: out of memory");
        goto out;
    }
    for (size_t b = 0; b < r->nbuckets; b++) {
        double bt = bucket_time[b] > 0 ? bucket_time[b] : 1;
        run->supply_mean[b] = (float)(bucket_supply[b] / bt);
        if (!actual) {
            r->demand_mean[b] = (float)(bucket_dsum[b] / bt);
            r->demand_max[b] = (float)bucket_dmax[b];
        }
    }
out:
    free(sc.episodes);
    free(bucket_supply);
    free(bucket_time);
    free(bucket_dmax);
    free(bucket_dsum);
    return rc;
}

int nf_sim_run_all(const struct nf_trace *trace, const struct nf_trace *actual,
                   const struct nf_sim_params *params, const struct nf_policy *policies,
                   size_t npolicies, struct nf_sim_report *out, struct nf_err *err)
{
    memset(out, 0, sizeof *out);
    out->trace = trace;
    out->params = *params;
    const struct nf_sim_params *p = &out->params;

    struct model m = {.p = p};
    m.pod_vcpu = p->pod_cpu_request * p->hpa_target_pct / 100.0;
    int by_cpu = (int)floor(p->node_vcpu / p->pod_cpu_request + 1e-9);
    int by_mem = (int)floor(p->node_memory_mib / p->pod_memory_mib + 1e-9);
    m.pods_per_node = by_cpu < by_mem ? by_cpu : by_mem;
    if (m.pods_per_node < 1)
        return nf_err_set(err, NF_E_CONFIG, "simulator: a pod does not fit on a worker");
    out->pods_per_node = m.pods_per_node;

    int rc = nf_trace_percentile(trace, p->peak_percentile, &out->trace_percentile_value, err);
    if (rc != NF_OK)
        return rc;
    if (!(out->trace_percentile_value > 0) && !(p->fixed_scale > 0))
        return nf_err_set(err, NF_E_INPUT,
                          "%s: the trace's %gth percentile is 0, so it cannot be scaled to "
                          "workers",
                          trace->file, p->peak_percentile);
    /* at the peak percentile exactly peak_nodes workers are needed: their pods, full;
     * unless the trace is already in vCPU (replay) */
    m.scale = p->fixed_scale > 0
                  ? p->fixed_scale
                  : p->peak_nodes * m.pods_per_node * m.pod_vcpu / out->trace_percentile_value;
    out->scale = m.scale;
    double sum = 0, mx = 0;
    size_t peak_row = 0;
    for (size_t i = 0; i < trace->n; i++) {
        sum += trace->v[i];
        if (trace->v[i] > mx) {
            mx = trace->v[i];
            peak_row = i;
        }
    }
    out->trace_mean = sum / (double)trace->n;
    out->trace_max = mx;
    /* bounds that keep every report meaningful (issue 10: a spike of 1e12 over a trace of
     * ones overflowed the pod counts into negative "served" demand) */
    double peak_workers = mx * m.scale / (m.pods_per_node * m.pod_vcpu);
    if (peak_workers > NF_SIM_PEAK_WORKERS_MAX)
        return nf_err_set(err, NF_E_INPUT,
                          "%s: the trace's peak (%g) would need %.3g workers (its %gth "
                          "percentile is %g); at most %d can be simulated - is the peak a "
                          "glitch in the data?",
                          trace->file, mx, peak_workers, p->peak_percentile,
                          out->trace_percentile_value, NF_SIM_PEAK_WORKERS_MAX);

    struct grid g = {.dt = p->sample_s, .end = trace->end};
    out->span_s = trace->end;
    g.steps = (size_t)ceil(trace->end / g.dt - 1e-9);
    if (g.steps == 0)
        g.steps = 1;
    out->steps = g.steps;
    /* overview buckets: a whole number of steps each */
    size_t per = (g.steps + NF_SIM_BUCKETS_MAX - 1) / NF_SIM_BUCKETS_MAX;
    out->bucket_s = (double)per * g.dt;
    out->nbuckets = (g.steps + per - 1) / per;
    /* zoom: around the first peak, snapped to the step grid, inside the trace */
    double zs = trace->t[peak_row] - NF_SIM_ZOOM_BEFORE_S;
    if (zs < 0)
        zs = 0;
    size_t z0 = (size_t)floor(zs / g.dt);
    size_t zn = (size_t)((NF_SIM_ZOOM_BEFORE_S + NF_SIM_ZOOM_AFTER_S) / g.dt);
    if (z0 + zn > g.steps)
        zn = g.steps - z0;
    out->zoom_start = (double)z0 * g.dt;
    out->zoom_n = zn;

    out->demand_mean = calloc(out->nbuckets, sizeof *out->demand_mean);
    out->demand_max = calloc(out->nbuckets, sizeof *out->demand_max);
    out->zoom_demand = calloc(zn ? zn : 1, sizeof *out->zoom_demand);
    out->runs = calloc(npolicies ? npolicies : 1, sizeof *out->runs);
    if (!out->demand_mean || !out->demand_max || !out->zoom_demand || !out->runs) {
        nf_sim_report_free(out);
        return nf_err_set(err, NF_E_NOMEM, "simulator: out of memory");
    }
    rc = run_schedule(out, &m, &g, NULL, err);
    if (rc == NF_OK && actual != NULL) {
        out->actual = calloc(1, sizeof *out->actual);
        rc = out->actual ? run_schedule(out, &m, &g, actual, err)
                         : nf_err_set(err, NF_E_NOMEM, "simulator: out of memory");
    }
    for (size_t i = 0; rc == NF_OK && i < npolicies; i++) {
        out->nruns = i + 1;
        rc = run_policy(out, &m, &g, &policies[i], &out->runs[i], err);
    }
    if (rc != NF_OK) {
        nf_sim_report_free(out);
        return rc;
    }
    double oc = out->oracle.m.cost_usd;
    out->oracle.m.cost_vs_oracle = 1;
    for (size_t i = 0; i < out->nruns; i++)
        out->runs[i].m.cost_vs_oracle = oc > 0 ? out->runs[i].m.cost_usd / oc : NAN;
    if (out->actual)
        out->actual->m.cost_vs_oracle = oc > 0 ? out->actual->m.cost_usd / oc : NAN;
    return NF_OK;
}

void nf_sim_report_free(struct nf_sim_report *r)
{
    free(r->demand_mean);
    free(r->demand_max);
    free(r->zoom_demand);
    free(r->oracle.supply_mean);
    free(r->oracle.zoom_supply);
    for (size_t i = 0; r->runs && i < r->nruns; i++) {
        free(r->runs[i].supply_mean);
        free(r->runs[i].zoom_supply);
    }
    free(r->runs);
    if (r->actual) {
        free(r->actual->supply_mean);
        free(r->actual->zoom_supply);
        free(r->actual);
        r->actual = NULL;
    }
    r->demand_mean = r->demand_max = NULL;
    r->zoom_demand = NULL;
    r->runs = NULL;
    r->nruns = 0;
    r->oracle.supply_mean = NULL;
    r->oracle.zoom_supply = NULL;
}
