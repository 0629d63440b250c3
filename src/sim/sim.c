/* sim.c - the simulator's runs: the real cycle under a virtual clock for each policy, the
 * oracle and a fixed schedule, over the world of sim_world.c, scored by sim_score.c. */
#define _POSIX_C_SOURCE 200809L
#include "sim_internal.h"

#include "../adapters/mem_store.h"

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

void nf_sim_params_from_config(struct nf_sim_params *sp, const struct nf_config *cfg)
{
    sp->node_vcpu = cfg->sim_node_vcpu;
    sp->node_memory_mib = cfg->sim_node_memory_mib;
    sp->hpa_target_pct = cfg->sim_hpa_target_pct;
    sp->max_pods_per_node = (int)cfg->sim_max_pods_per_node;
    if (nf_node_types_parse(cfg->sim_node_types, sp->types, &sp->ntypes, NULL) != NF_OK)
        sp->ntypes = 0; /* checked by the settings */
    sp->pack = strcmp(cfg->sim_scheduler, "most-allocated") == 0;
    /* checked when the configuration loaded */
    if (nf_pod_shapes_parse(cfg->sim_pod_shapes, sp->shapes, &sp->nshapes, NULL) != NF_OK)
        sp->nshapes = 0;
    sp->unevictable_pct = cfg->sim_unevictable_pct;
    sp->peak_nodes = (int)cfg->sim_peak_nodes;
    sp->peak_percentile = cfg->sim_peak_percentile;
    sp->boot_s = cfg->sim_boot_s;
    sp->boot_jitter_s = cfg->sim_boot_jitter_s;
    sp->drain_s = cfg->sim_drain_s;
    sp->interval_s = cfg->sim_interval_s;
    sp->sample_s = cfg->sim_sample_s;
    sp->price_on_demand = cfg->sim_price_on_demand;
    sp->price_spot = cfg->sim_price_spot;
    if (sp->ntypes > 0) { /* the first type is the unit the policies count in */
        sp->node_vcpu = sp->types[0].vcpu;
        sp->node_memory_mib = sp->types[0].memory_mib;
        sp->price_on_demand = sp->types[0].price_on_demand;
        sp->price_spot = sp->types[0].price_spot;
    }
    sp->min_billed_s = cfg->sim_min_billed_s;
    /* a monthly share p is the hourly rate -ln(1 - p) / 720 (30 days), so that a worker alive
     * all month is reclaimed with probability p */
    double pm = cfg->sim_spot_interruption_pct_month / 100.0;
    sp->spot_interruptions_per_hour = cfg->sim_spot_interruptions_per_hour > 0
                                          ? cfg->sim_spot_interruptions_per_hour
                                      : pm >= 1 ? 60
                                                : -log1p(-pm) / 720.0;
    sp->replace_on_warning = strcmp(cfg->sim_interruption_response, "replace") == 0;
    for (int t = 0; t < sp->ntypes; t++) { /* a type's own share, else the common rate */
        double tm = sp->types[t].pct_month / 100.0;
        sp->type_rate[t] = isnan(tm) ? sp->spot_interruptions_per_hour
                           : tm >= 1 ? 60
                                     : -log1p(-tm) / 720.0;
    }
    sp->spot_warning_s = cfg->sim_spot_warning_s;
    sp->seed = (uint64_t)cfg->sim_seed;
    sp->min_nodes = (int)cfg->min_nodes;
    sp->max_nodes = (int)cfg->max_nodes;
    sp->spot_pct = cfg->spot_percentage;
    sp->fixed_scale = 0;
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

static int clamp_size(const struct nf_sim_params *p, int n)
{
    return n < p->min_nodes ? p->min_nodes : n > p->max_nodes ? p->max_nodes : n;
}

/* spot workers in a pool of n: at most spot_pct of it, as placement allows */
static int spot_of(const struct nf_sim_params *p, int n)
{
    return (int)floor(p->spot_pct * n / 100.0 + 1e-9);
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

/* what one policy's run holds while it steps through the trace */
struct pass {
    struct world *w;
    struct nf_cycle *cyc;
    struct nf_mem_store *mem;
    struct nf_history_item *mhist; /* the seed's metrics history, when it reads one */
    struct nf_sample *hist;
    struct scorer sc;
    double *bucket_supply, *bucket_time;
};

/* what the metrics port will show at time t: CPU and memory of the ready nodes, pending pods */
static void observe(struct world *w, const struct service *sv, int ready, double t)
{
    const struct nf_sim_params *p = w->p;
    struct nf_sample s = {.t = t};
    for (int k = 0; k < NF_SAMPLE_VALUES; k++)
        s.v[k] = NAN;
    if (ready > 0 && p->ntypes == 0) {
        s.v[NF_SIG_CPU] = 100.0 * sv->served / (ready * p->node_vcpu);
        s.v[NF_SIG_MEMORY] = 100.0 * sv->mem_running / (ready * p->node_memory_mib);
    } else if (ready > 0) { /* workers of several sizes: what the Ready ones have */
        double cpu = 0, mem = 0;
        for (size_t i = 0; i < w->n; i++)
            if (w->nodes[i].st == NODE_READY) {
                cpu += w->nodes[i].vcpu;
                mem += w->nodes[i].mem_mib;
            }
        s.v[NF_SIG_CPU] = 100.0 * sv->served / cpu;
        s.v[NF_SIG_MEMORY] = 100.0 * sv->mem_running / mem;
    }
    s.v[NF_SIG_PENDING_PODS] = sv->pending;
    nf__sim_push_sample(w, &s);
}

/* the trace, step by step: the world moves, the cycle runs every interval, the scorer counts */
static int step_through(struct nf_sim_report *r, const struct model *m, const struct grid *g,
                        const struct nf_policy *pol, struct nf_sim_run *run, struct pass *ps,
                        struct nf_err *err)
{
    struct world *w = ps->w;
    size_t every = (size_t)llround(run->interval_s / g->dt);
    if (every == 0)
        every = 1;
    size_t cur = 0;
    for (size_t step = 0; step < g->steps; step++) {
        double t = (double)step * g->dt;
        w->now = t;
        nf__sim_advance(w, t);
        double demand = m->scale * nf_trace_value_at(r->trace, &cur, t);
        if (nf__sim_pods_follow(w, demand, t) != NF_OK)
            return nf_err_set(err, NF_E_INTERNAL, "simulator: too many pods");
        nf__sim_schedule(w);
        int ready = nf__sim_count_state(w, NODE_READY);
        struct service sv = nf__sim_serve(w, demand);
        observe(w, &sv, ready, t);
        /* a warning in the queue starts the next cycle at once (run's long poll) */
        if (step % every == 0 || w->nwarnings > 0) {
            struct nf_plan plan;
            int rc = nf_cycle_run(ps->cyc, &plan, err);
            if (rc != NF_OK) {
                nf_err_prefix(err, "policy %s at t=%gs", pol->name, t);
                return rc;
            }
            run->m.warnings_acted_on += nf_cycle_last(ps->cyc)->events[NF_CEV_SPOT_INTERRUPTION];
            if (plan.action == NF_ACTION_SCALE_UP)
                run->m.scale_ups++;
            else if (plan.action == NF_ACTION_SCALE_DOWN)
                run->m.scale_downs++;
            /* a drain takes capacity away at once; its pods look for a place */
            nf__sim_schedule(w);
            ready = nf__sim_count_state(w, NODE_READY);
            sv = nf__sim_serve(w, demand);
        }
        ready = nf__sim_ready_units(w); /* the scorer's and charts' unit: the first type */
        double dt = step_len(g, step);
        int rc = nf__sim_score_step(&ps->sc, &run->m, t, dt, demand, sv.served, sv.pending, sv.need,
                                    ready);
        if (rc != NF_OK)
            return nf_err_set(err, rc, "simulator: out of memory");
        size_t b = bucket_of(r, t), zi;
        ps->bucket_supply[b] += ready * dt;
        ps->bucket_time[b] += dt;
        if (in_zoom(r, step, &zi))
            run->zoom_supply[zi] = (uint16_t)(ready > 65535 ? 65535 : ready);
    }
    return NF_OK;
}

/* Every policy starts alike: the workers the first step's pods need (static:N: N), the spot
 * share as placement allows, all Ready, the pods placed. */
static int first_pool(struct world *w, const struct model *m, const struct nf_trace *tr,
                      const struct nf_policy *pol)
{
    const struct nf_sim_params *p = m->p;
    size_t cur = 0;
    double d0 = m->scale * nf_trace_value_at(tr, &cur, 0);
    if (nf__sim_pods_init(w, d0) != NF_OK)
        return NF_E_INTERNAL;
    int n = strncmp(pol->name, "static:", 7) == 0
                ? pol->static_size
                : clamp_size(p, nf__sim_nodes_for(p, w->shape_pods));
    int spot = spot_of(p, n);
    for (int i = 0; i < n; i++)
        if (nf__sim_add_node(w, 0, i < spot ? NF_MARKET_SPOT : NF_MARKET_ON_DEMAND, 0, 0) != NF_OK)
            return NF_E_INTERNAL;
    nf__sim_schedule(w);
    return NF_OK;
}

/* the seed's metrics history, when its policy reads one: a ring as long as the store's */
static int keep_history(struct pass *ps, const struct nf_policy *pol, struct nf_err *err)
{
    if (!nf_policy_reads_history(pol))
        return NF_OK;
    ps->mhist = calloc(NF_MEM_HISTORY_MAX, sizeof *ps->mhist);
    if (ps->mhist == NULL)
        return nf_err_set(err, NF_E_NOMEM, "simulator: out of memory");
    nf_cycle_keep_history(ps->cyc, ps->mhist, NF_MEM_HISTORY_MAX);
    return NF_OK;
}

/* The cycle over the simulated world's ports and the memory store, as production runs it */
static int start_cycle(struct pass *ps, const struct nf_sim_params *p, const struct nf_policy *pol,
                       size_t hist_cap, struct nf_err *err)
{
    struct world *w = ps->w;
    struct nf_ports ports = {.clock = &nf__sim_clock_port,
                             .clock_ctx = w,
                             .metrics = &nf__sim_metrics_port,
                             .metrics_ctx = w,
                             .cluster = &nf__sim_cluster_port,
                             .cluster_ctx = w,
                             .cloud = &nf__sim_cloud_port,
                             .cloud_ctx = w,
                             .store = &nf_mem_store_port,
                             .store_ctx = ps->mem,
                             .events = p->replace_on_warning ? &nf__sim_events_port : NULL,
                             .events_ctx = w};
    struct nf_cycle_opts co = {.spot_pct = p->spot_pct,
                               .provision_timeout_s = 1e9, /* simulated workers always join */
                               .lease_ttl_s = 360,
                               .price_on_demand = p->price_on_demand,
                               .price_spot = p->price_spot};
    nf_mem_store_init(ps->mem);
    snprintf(co.owner, sizeof co.owner, "simulator");
    nf_cycle_init(ps->cyc, &ports, pol, &co, ps->hist, hist_cap);
    return keep_history(ps, pol, err);
}

static int run_policy(struct nf_sim_report *r, const struct model *m, const struct grid *g,
                      const struct nf_policy *pol, struct nf_sim_run *run, struct nf_err *err)
{
    const struct nf_sim_params *p = m->p;
    memset(&run->m, 0, sizeof run->m);
    snprintf(run->name, sizeof run->name, "%s", pol->name);
    /* NAME@INTERVAL, else sim.interval_s when set, else the policy's own */
    run->interval_s = pol->interval_given || !(p->interval_s > 0) ? pol->interval_s : p->interval_s;
    struct pass ps = {0};
    ps.bucket_supply = calloc(r->nbuckets, sizeof *ps.bucket_supply);
    ps.bucket_time = calloc(r->nbuckets, sizeof *ps.bucket_time);
    run->supply_mean = calloc(r->nbuckets, sizeof *run->supply_mean);
    run->zoom_supply = calloc(r->zoom_n ? r->zoom_n : 1, sizeof *run->zoom_supply);
    ps.w = calloc(1, sizeof *ps.w);
    size_t hist_cap = (size_t)((nf_policy_lookback(pol) + 300) / p->sample_s) + 8;
    ps.hist = calloc(hist_cap, sizeof *ps.hist);
    /* the state and the lease in memory, with the production stores' semantics: the cycle
     * runs here exactly as it runs against SQLite or DynamoDB */
    ps.mem = malloc(sizeof *ps.mem);
    ps.cyc = malloc(sizeof *ps.cyc);
    int rc = NF_OK;
    if (!ps.bucket_supply || !ps.bucket_time || !run->supply_mean || !run->zoom_supply || !ps.w ||
        !ps.hist || !ps.mem || !ps.cyc ||
        (ps.w->ring = calloc(hist_cap, sizeof *ps.w->ring)) == NULL ||
        (ps.w->pods = calloc(NF_SIM_PODS_MAX, sizeof *ps.w->pods)) == NULL) {
        rc = nf_err_set(err, NF_E_NOMEM, "simulator: out of memory");
        goto out;
    }
    struct world *w = ps.w;
    w->m = m;
    w->p = p;
    w->rng = p->seed;
    w->irng =
        p->seed ^ 0x5bd1e9955bd1e995ULL; /* interruptions draw apart: boots stay as they were */
    w->met = &run->m;
    w->ring_cap = hist_cap;
    if (first_pool(w, m, r->trace, pol) != NF_OK) {
        rc = nf_err_set(err, NF_E_INTERNAL, "simulator: the first pool is too large");
        goto out;
    }
    if ((rc = start_cycle(&ps, p, pol, hist_cap, err)) != NF_OK)
        goto out;
    if ((rc = step_through(r, m, g, pol, run, &ps, err)) != NF_OK)
        goto out;
    /* the trace is over: the bills are settled, nothing is removed by anyone */
    w->ended = true;
    while (w->n > 0)
        nf__sim_remove_node(w, w->n - 1, g->end);
    rc = nf__sim_score_finish(&ps.sc, &run->m, g->end);
    if (rc != NF_OK) {
        nf_err_set(err, rc, "simulator: out of memory");
        goto out;
    }
    for (size_t b = 0; b < r->nbuckets; b++)
        run->supply_mean[b] =
            ps.bucket_time[b] > 0 ? (float)(ps.bucket_supply[b] / ps.bucket_time[b]) : 0;
out:
    free(ps.cyc);
    free(ps.mem);
    free(ps.sc.episodes);
    if (ps.w) {
        free(ps.w->ring);
        free(ps.w->pods);
        nf__sim_world_free(ps.w);
    }
    free(ps.w);
    free(ps.hist);
    free(ps.mhist);
    free(ps.bucket_supply);
    free(ps.bucket_time);
    return rc;
}

/* A schedule that is not a policy: the oracle (exactly the workers needed, clamped to
 * min/max, at the blended spot price), or the cluster's actual worker counts (replay; priced
 * on-demand, since the market of each worker is not in the metrics). `actual` NULL = oracle.
 * The oracle's pass also fills the report's demand series. */
/* One step of a schedule: the HPAs follow the demand, the oracle holds what their pods need
 * (replay: what the cluster recorded), and short of workers the same share of every shape's
 * pods waits. */
struct sched_step {
    int need, supply, pods, running;
    double served;
};

static void schedule_step(const struct nf_sim_params *p, struct hpa *hpa, double demand, double t,
                          const struct nf_trace *actual, size_t *acur, struct sched_step *o)
{
    int pods[NF_SIM_SHAPES_MAX];
    o->pods = o->running = 0;
    o->served = 0;
    for (int k = 0; k < p->nshapes; k++) {
        nf__hpa_sync(&hpa[k], p, k, demand * p->shapes[k].share_pct / 100.0, t);
        pods[k] = hpa[k].replicas;
        o->pods += pods[k];
    }
    o->need = nf__sim_nodes_for(p, pods);
    o->supply = actual ? (int)llround(nf_trace_value_at(actual, acur, t)) : clamp_size(p, o->need);
    double share = o->need > o->supply ? (double)o->supply / o->need : 1.0;
    for (int k = 0; k < p->nshapes; k++) {
        int rk = (int)floor(pods[k] * share + 1e-9);
        double dk = demand * p->shapes[k].share_pct / 100.0;
        double can = rk * p->shapes[k].cpu;
        o->served += dk < can ? dk : can;
        o->running += rk;
    }
}

/* The oracle (actual == NULL): at each step exactly the workers the HPAs' pods need, within
 * min and max, floor(spot_pct x n) of them spot, booted instantly, billed by the second.
 * Replay's actual schedule (actual != NULL): the recorded worker counts, all on-demand. */
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
    struct hpa hpa[NF_SIM_SHAPES_MAX];
    size_t cur = 0, acur = 0;
    double d0 = m->scale * nf_trace_value_at(r->trace, &cur, 0);
    for (int k = 0; k < p->nshapes; k++)
        nf__hpa_init(&hpa[k], p, k, d0 * p->shapes[k].share_pct / 100.0,
                     NF_SIM_PODS_MAX / p->nshapes);
    int prev = -1;
    for (size_t step = 0; step < g->steps; step++) {
        double t = (double)step * g->dt;
        double demand = m->scale * nf_trace_value_at(r->trace, &cur, t);
        struct sched_step o;
        schedule_step(p, hpa, demand, t, actual, &acur, &o);
        int need = o.need, supply = o.supply, npods = o.pods, running = o.running;
        double served = o.served;
        if (prev >= 0 && supply > prev) {
            run->m.scale_ups++;
            run->m.nodes_launched += supply - prev;
        } else if (prev >= 0 && supply < prev) {
            run->m.scale_downs++;
            run->m.nodes_removed += prev - supply;
        }
        prev = supply;
        double dt = step_len(g, step);
        int spot = actual ? 0 : spot_of(p, supply);
        run->m.cost_usd +=
            (spot * p->price_spot + (supply - spot) * p->price_on_demand) * dt / 3600.0;
        run->m.node_hours += supply * dt / 3600.0;
        run->m.spot_node_hours += spot * dt / 3600.0;
        rc = nf__sim_score_step(&sc, &run->m, t, dt, demand, served, npods - running, need, supply);
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
    rc = nf__sim_score_finish(&sc, &run->m, g->end);
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

/* Workers the pods at `demand` need, as a real number (the bound check, before any count
 * could overflow an int). */
static double workers_for(const struct nf_sim_params *p, double demand)
{
    double cpu = 0, mem = 0, count = 0;
    for (int k = 0; k < p->nshapes; k++) {
        double pods = demand * p->shapes[k].share_pct / 100.0 /
                      (p->shapes[k].cpu * p->hpa_target_pct / 100.0);
        cpu += pods * p->shapes[k].cpu;
        mem += pods * p->shapes[k].memory_mib;
        count += pods;
    }
    double need = cpu / p->node_vcpu;
    if (mem / p->node_memory_mib > need)
        need = mem / p->node_memory_mib;
    if (count / p->max_pods_per_node > need)
        need = count / p->max_pods_per_node;
    return need;
}

static int workers_at(const struct nf_sim_params *p, double demand)
{
    int pods[NF_SIM_SHAPES_MAX];
    for (int k = 0; k < p->nshapes; k++)
        pods[k] = nf__hpa_desired(p, k, demand * p->shapes[k].share_pct / 100.0);
    return nf__sim_nodes_for(p, pods);
}

/* The factor that turns the trace into vCPU demand: the largest for which the pods the trace's
 * peak percentile asks for need at most peak_nodes workers (found by halving: pod counts are
 * whole). peak_row: the trace's peak. */
static int scale_trace(const struct nf_trace *trace, struct nf_sim_report *out, struct model *m,
                       size_t *peak_row, struct nf_err *err)
{
    const struct nf_sim_params *p = &out->params;
    m->p = p;
    if (p->nshapes < 1)
        return nf_err_set(err, NF_E_CONFIG, "simulator: no pod shapes (sim.pod_shapes)");
    for (int k = 0; k < p->nshapes; k++)
        if (p->shapes[k].cpu > p->node_vcpu || p->shapes[k].memory_mib > p->node_memory_mib)
            return nf_err_set(err, NF_E_CONFIG, "simulator: a pod does not fit on a worker");
    int rc = nf_trace_percentile(trace, p->peak_percentile, &out->trace_percentile_value, err);
    if (rc != NF_OK)
        return rc;
    double v = out->trace_percentile_value;
    if (!(v > 0) && !(p->fixed_scale > 0))
        return nf_err_set(err, NF_E_INPUT,
                          "%s: the trace's %gth percentile is 0, so it cannot be scaled to "
                          "workers",
                          trace->file, p->peak_percentile);
    if (p->fixed_scale > 0) {
        m->scale = p->fixed_scale; /* the trace is demand already (replay) */
    } else {
        double lo = 0, hi = p->peak_nodes / workers_for(p, v);
        while (workers_at(p, hi * v) <= p->peak_nodes)
            hi *= 2;
        for (int i = 0; i < 200 && hi - lo > lo * 1e-15; i++) {
            double mid = (lo + hi) / 2;
            if (workers_at(p, mid * v) <= p->peak_nodes)
                lo = mid;
            else
                hi = mid;
        }
        m->scale = lo;
    }
    out->scale = m->scale;
    double sum = 0, mx = 0;
    *peak_row = 0;
    for (size_t i = 0; i < trace->n; i++) {
        sum += trace->v[i];
        if (trace->v[i] > mx) {
            mx = trace->v[i];
            *peak_row = i;
        }
    }
    out->trace_mean = sum / (double)trace->n;
    out->trace_max = mx;
    /* bounds that keep every report meaningful (issue 10: a spike of 1e12 over a trace of
     * ones overflowed the pod counts into negative "served" demand) */
    double peak_workers = workers_for(p, mx * m->scale);
    if (peak_workers > NF_SIM_PEAK_WORKERS_MAX)
        return nf_err_set(err, NF_E_INPUT,
                          "%s: the trace's peak (%g) would need %.3g workers (its %gth "
                          "percentile is %g); at most %d can be simulated - is the peak a "
                          "glitch in the data?",
                          trace->file, mx, peak_workers, p->peak_percentile,
                          out->trace_percentile_value, NF_SIM_PEAK_WORKERS_MAX);
    return NF_OK;
}

/* the step grid, the overview buckets (a whole number of steps each) and the zoom window
 * around the first peak, snapped to the grid and inside the trace */
static void lay_out(const struct nf_trace *trace, size_t peak_row, struct nf_sim_report *out,
                    struct grid *g)
{
    const struct nf_sim_params *p = &out->params;
    *g = (struct grid){.dt = p->sample_s, .end = trace->end};
    out->span_s = trace->end;
    g->steps = (size_t)ceil(trace->end / g->dt - 1e-9);
    if (g->steps == 0)
        g->steps = 1;
    out->steps = g->steps;
    size_t per = (g->steps + NF_SIM_BUCKETS_MAX - 1) / NF_SIM_BUCKETS_MAX;
    out->bucket_s = (double)per * g->dt;
    out->nbuckets = (g->steps + per - 1) / per;
    double zs = trace->t[peak_row] - NF_SIM_ZOOM_BEFORE_S;
    if (zs < 0)
        zs = 0;
    size_t z0 = (size_t)floor(zs / g->dt);
    size_t zn = (size_t)((NF_SIM_ZOOM_BEFORE_S + NF_SIM_ZOOM_AFTER_S) / g->dt);
    if (z0 + zn > g->steps)
        zn = g->steps - z0;
    out->zoom_start = (double)z0 * g->dt;
    out->zoom_n = zn;
}

int nf_sim_run_all(const struct nf_trace *trace, const struct nf_trace *actual,
                   const struct nf_sim_params *params, const struct nf_policy *policies,
                   size_t npolicies, struct nf_sim_report *out, struct nf_err *err)
{
    memset(out, 0, sizeof *out);
    out->trace = trace;
    out->params = *params;
    struct model m = {0};
    size_t peak_row = 0;
    int rc = scale_trace(trace, out, &m, &peak_row, err);
    if (rc != NF_OK)
        return rc;
    struct grid g;
    lay_out(trace, peak_row, out, &g);
    size_t zn = out->zoom_n;
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
    double oc = out->oracle.m.cost_usd, oh = out->oracle.m.node_hours;
    for (size_t i = 0; i < out->nruns + 2; i++) {
        struct nf_sim_run *run = i < out->nruns    ? &out->runs[i]
                                 : i == out->nruns ? &out->oracle
                                                   : out->actual;
        if (run == NULL)
            continue;
        run->m.cost_vs_oracle = oc > 0 ? run->m.cost_usd / oc : NAN;
        run->m.actions_per_day =
            (double)(run->m.scale_ups + run->m.scale_downs) / (out->span_s / 86400.0);
        run->m.node_hours_vs_oracle = oh > 0 ? run->m.node_hours / oh : NAN;
    }
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
