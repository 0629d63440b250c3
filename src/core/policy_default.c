/* policy_default.c - nodefleet's own policy: size the pool from what pods request.
 *
 *   1. Bounds first (min_nodes, max_nodes), as the seed does.
 *   The metric triggers (CPU, the application signals, custom triggers) still add capacity when
 *   they hold for their duration, sized to bring CPU under its threshold; memory and pending
 *   pods are the packing's. A removal never takes the measured CPU over 90 % of its trigger.
 *   2. With no pool model (cluster: prometheus, or decide without nodes) it cannot see pods:
 *      the seed's metric rules decide, and the trail says so.
 *   3. Scale-up: the pending pods a new worker could host are bin-packed, first fit by CPU
 *      request decreasing, onto new workers shaped like the template (CPU, memory, pod slots),
 *      less the workers still joining (as many bins already bought) - the same demand is
 *      never bought twice. No sustain window: pending pods are bought for in the first cycle
 *      that sees them (the Cluster Autoscaler's default delay for new pods is 0). Then
 *      headroom, as room for pods: headroom_pct of each pod shape's count (at least one), and
 *      room for the peak demand of the last peak_window, must be schedulable now; the slots
 *      are held on the fullest Ready workers with room, and those that fit nowhere are bought.
 *   4. Consolidation: a Ready worker is unneeded when the safety rules let it go (its pods fit
 *      on the other workers with the headroom slots held, fleet.h) and it holds no slot. The cycle
 * keeps when each became unneeded; one unneeded for scale_down_unneeded_time goes, least used
 * first, from the market placement says to shrink, at most scale_down_max_nodes a cycle, each
 *      checked with those before it gone. Scaling up resets every timer (nothing is unneeded
 *      then), which with the headroom is what keeps the pool from flapping.
 * Long because its steps share the pool's figures; each step is a block with its trail line. */
#include "policy.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <assert.h>
#include <string.h>

#include "fleet.h"
#include "forecast.h"

void nf_policy_seed_rules(const struct nf_policy *p, const struct nf_observation *obs,
                          struct nf_plan *plan, bool quiet);

#define NF_DEFAULT_BINS_MAX    1000   /* new workers one plan may buy (max_nodes is at most 1000) */
#define NF_DEFAULT_SHAPES_SEEN 64     /* pod shapes told apart ... */
#define NF_DEFAULT_SHAPES_MAX  32     /* ... of which the most common get headroom slots */
#define NF_DEFAULT_SLOTS_MAX   100000 /* headroom slots of one shape, at most */

/* what the pool has and what its pods ask */
struct figures {
    int size, ready_workers, spot_workers;
    double cpu_m;     /* allocatable CPU of the Ready, schedulable workers */
    double requested; /* CPU the pods request (running and pending the template can host) */
    int unhostable;
};

static bool worker(const struct nf_fnode *n)
{
    return n->ready && !n->unschedulable && !n->control_plane && !n->deleting;
}

static void measure(const struct nf_fleet *f, struct figures *g)
{
    for (size_t k = 0; k < f->nnodes; k++)
        if (worker(&f->nodes[k])) {
            g->ready_workers++;
            g->spot_workers += f->nodes[k].market == NF_MARKET_SPOT;
            g->cpu_m += (double)f->nodes[k].alloc_cpu_m;
        }
}

/* A pod shape: CPU and memory requests, and how many pods have it (or slots of it). */
struct shape {
    int64_t cpu, mem;
    int n;
};

static bool counted(const struct nf_fleet *f, const struct nf_fpod *p, const struct nf_fnode *t)
{
    if (p->finished || p->left_alone)
        return false;
    return p->node >= 0 ? !f->nodes[p->node].control_plane : nf_pod_fits_template(p, t, NULL);
}

/* The shapes of the pods the pool holds or will (running on workers, pending ones a new worker
 * could host): the NF_DEFAULT_SHAPES_MAX most common, biggest CPU first. */
static int shapes_of(const struct nf_fleet *f, const struct nf_fnode *t, struct shape *s)
{
    struct shape all[NF_DEFAULT_SHAPES_SEEN];
    int n = 0;
    for (size_t i = 0; i < f->npods; i++) {
        const struct nf_fpod *p = &f->pods[i];
        if (!counted(f, p, t))
            continue;
        int j = 0;
        while (j < n && !(all[j].cpu == p->req_cpu_m && all[j].mem == p->req_mem))
            j++;
        if (j == n && n < NF_DEFAULT_SHAPES_SEEN)
            all[n++] = (struct shape){p->req_cpu_m, p->req_mem, 0};
        if (j < n)
            all[j].n++;
    }
    /* the most common first (an insertion sort), keep the first ones, then biggest first */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && all[j - 1].n < all[j].n; j--) {
            struct shape x = all[j];
            all[j] = all[j - 1];
            all[j - 1] = x;
        }
    if (n > NF_DEFAULT_SHAPES_MAX)
        n = NF_DEFAULT_SHAPES_MAX;
    for (int i = 0; i < n; i++) {
        int j = i;
        for (; j > 0 && s[j - 1].cpu < all[i].cpu; j--)
            s[j] = s[j - 1];
        s[j] = all[i];
    }
    return n;
}

/* Headroom as room for pods, not a share of CPU: headroom_pct of each shape's pods (at least
 * one of each) must find a place now, so that what the HPA adds between two cycles is
 * scheduled at once - CPU spare in crumbs too small for any pod is no headroom. The slots are
 * held (nf_fleet_reserve) on the Ready workers, the fullest that has room first (best fit:
 * the emptiest stay free to be consolidated); those that find none are left in `s[].n` for
 * the new workers. Returns the slots held. */
static int reserve(struct nf_fleet *f, struct shape *s, int ns, double pct)
{
    int held = 0;
    for (int i = 0; i < ns; i++) {
        double w = pct > 0 ? ceil(s[i].n * pct / 100.0 - 1e-9) : 0;
        int want = w > NF_DEFAULT_SLOTS_MAX ? NF_DEFAULT_SLOTS_MAX : (int)w;
        s[i].n = 0;
        for (int c = 0; c < want; c++) {
            size_t best = f->nnodes;
            for (size_t k = 0; k < f->nnodes; k++) {
                if (!worker(&f->nodes[k]) || f->free_cpu[k] < s[i].cpu ||
                    f->free_mem[k] < s[i].mem || f->free_pods[k] < 1)
                    continue;
                if (best == f->nnodes || f->free_cpu[k] < f->free_cpu[best])
                    best = k;
            }
            if (best == f->nnodes) {
                s[i].n = want - c;
                break;
            }
            nf_fleet_reserve(f, best, s[i].cpu, s[i].mem);
            held++;
        }
    }
    return held;
}

/* new workers shaped like the template, being filled */
struct bins {
    double cpu[NF_DEFAULT_BINS_MAX], mem[NF_DEFAULT_BINS_MAX];
    int pods[NF_DEFAULT_BINS_MAX];
    int n, cap;
    bool over; /* some did not fit in `cap` */
};

static void put(struct bins *b, const struct nf_fnode *t, double cpu, double mem)
{
    int k = 0;
    while (k < b->n && !(b->cpu[k] >= cpu && b->mem[k] >= mem && b->pods[k] > 0))
        k++;
    if (k == b->n) {
        if (b->n == b->cap) {
            b->over = true;
            return;
        }
        b->cpu[k] = (double)t->alloc_cpu_m;
        b->mem[k] = (double)t->alloc_mem;
        b->pods[k] = t->alloc_pods > 0 ? t->alloc_pods : 1 << 30;
        b->n++;
    }
    b->cpu[k] -= cpu;
    b->mem[k] -= mem;
    b->pods[k]--;
}

/* First fit decreasing of the hostable pending pods onto template-shaped bins. f->movable
 * holds the pods' order (the workspace). */
static void pack(struct nf_fleet *f, const struct nf_fnode *t, struct bins *b)
{
    size_t n = 0;
    for (size_t i = 0; i < f->npods; i++) {
        const struct nf_fpod *p = &f->pods[i];
        if (p->node >= 0 || !counted(f, p, t))
            continue;
        size_t j = n++;
        for (; j > 0 && f->pods[f->movable[j - 1]].req_cpu_m < p->req_cpu_m; j--)
            f->movable[j] = f->movable[j - 1];
        f->movable[j] = i;
    }
    for (size_t m = 0; m < n; m++) {
        const struct nf_fpod *p = &f->pods[f->movable[m]];
        put(b, t, (double)p->req_cpu_m, (double)p->req_mem);
    }
}

static const struct nf_trail_entry *trail_of(const struct nf_plan *p, const char *rule)
{
    for (size_t i = 0; i < p->ntrail; i++)
        if (strcmp(p->trail[i].rule, rule) == 0)
            return &p->trail[i];
    return NULL;
}

static double since_of(const struct nf_observation *obs, const char *node)
{
    for (size_t i = 0; i < obs->nunneeded; i++)
        if (strcmp(obs->unneeded[i].node, node) == 0)
            return obs->unneeded[i].since;
    return obs->now; /* unneeded from now on */
}

static bool bounds(const struct nf_seed_params *s, int size, struct nf_plan *plan)
{
    if (size < s->min_nodes) {
        nf_plan_trail(plan, "min_nodes", NF_TRAIL_CHOSEN, "size %d < min %d: add %d", size,
                      s->min_nodes, s->min_nodes - size);
        nf_plan_set(plan, NF_ACTION_SCALE_UP, s->min_nodes - size,
                    "below min_nodes: %d workers, min %d", size, s->min_nodes);
        return true;
    }
    if (size > s->max_nodes) {
        nf_plan_trail(plan, "max_nodes", NF_TRAIL_CHOSEN, "size %d > max %d: remove %d", size,
                      s->max_nodes, size - s->max_nodes);
        nf_plan_set(plan, NF_ACTION_SCALE_DOWN, size - s->max_nodes,
                    "above max_nodes: %d workers, max %d", size, s->max_nodes);
        return true;
    }
    return false;
}

/* How many of the `eligible` may go this cycle: at most scale_down_max_nodes, never below
 * min_nodes, and not so many that the measured CPU, spread over those left, reaches 90 % of its
 * trigger (the hysteresis that keeps a removal from buying the worker back). 0 with the plan
 * set when none may. */
static int removals(const struct nf_policy *p, const struct nf_observation *obs,
                    const struct figures *g, int eligible, struct nf_plan *plan)
{
    const struct nf_default_params *d = &p->dflt;
    int room = g->size - p->seed.min_nodes;
    int n = eligible < d->max_removals ? eligible : d->max_removals;
    if (n > room)
        n = room;
    /* and not so many that the CPU trigger would fire on those left: the measured CPU, spread
     * over fewer workers, stays under 90 % of its threshold (the hysteresis that keeps a
     * removal from buying the worker back) */
    double cpu = obs->nsamples ? obs->samples[obs->nsamples - 1].v[NF_SIG_CPU] : NAN;
    int r = obs->workers.ready;
    while (n > 0 && isfinite(cpu) && p->seed.up_cpu > 0 && r > n &&
           cpu * r / (r - n) >= 0.9 * p->seed.up_cpu)
        n--;
    if (n <= 0 && room > 0) {
        nf_plan_trail(plan, "cpu_after", NF_TRAIL_BLOCKED,
                      "%d unneeded, but CPU %.0f%% on fewer workers would reach the scale-up "
                      "threshold (%g%%)",
                      eligible, cpu, p->seed.up_cpu);
        nf_plan_set(plan, NF_ACTION_NONE, 0, "removing any would bring the CPU trigger back");
        return 0;
    }
    if (n <= 0) {
        nf_plan_trail(plan, "min_nodes", NF_TRAIL_BLOCKED, "%d unneeded, but the pool is at min %d",
                      eligible, p->seed.min_nodes);
        nf_plan_set(plan, NF_ACTION_NONE, 0, "at min_nodes");
        return 0;
    }
    return n;
}

/* Step 4: the unneeded workers, and those unneeded long enough to go */
static void consolidate(const struct nf_policy *p, const struct nf_observation *obs,
                        const struct figures *g, double want, struct nf_plan *plan)
{
    const struct nf_default_params *d = &p->dflt;
    struct nf_fleet *f = obs->fleet;
    int eligible = 0, unneeded = 0;
    double first_due = INFINITY;
    for (size_t k = 0; k < f->nnodes; k++) {
        const struct nf_fnode *n = &f->nodes[k];
        f->allowed[k] = false;
        if (!worker(n) || n->name == NULL || f->resv_pods[k] > 0 ||
            g->cpu_m - (double)n->alloc_cpu_m < want)
            continue; /* a worker holding headroom slots is needed */
        struct nf_drain_verdict v;
        nf_fleet_drainable(f, k, NULL, &v);
        if (v.block != NF_BLOCK_NONE)
            continue;
        unneeded++;
        if (plan->nunneeded < NF_PLAN_NODES_MAX)
            snprintf(plan->unneeded[plan->nunneeded++], NF_NODE_NAME_MAX, "%s", n->name);
        double due = since_of(obs, n->name) + d->unneeded_s;
        if (due <= obs->now) {
            f->allowed[k] = true;
            eligible++;
        } else if (due < first_due) {
            first_due = due;
        }
    }
    if (eligible == 0) {
        if (unneeded > 0)
            nf_plan_trail(plan, "unneeded", NF_TRAIL_NOT_HELD,
                          "%d worker(s) unneeded; the first may go in %.0fs", unneeded,
                          first_due - obs->now);
        else
            nf_plan_trail(plan, "unneeded", NF_TRAIL_NOT_HELD,
                          "no worker's pods fit elsewhere with the headroom slots held");
        nf_plan_set(plan, NF_ACTION_NONE, 0, "the pool fits its pods (%d unneeded)", unneeded);
        return;
    }
    int n = removals(p, obs, g, eligible, plan);
    if (n <= 0)
        return;
    int prefer = g->ready_workers > 0
                     ? (int)nf_place_remove_market(g->spot_workers, g->ready_workers, d->spot_pct)
                     : -1;
    size_t out[NF_PLAN_NODES_MAX];
    size_t got = nf_fleet_choose(f, f->allowed, (size_t)n, prefer, out, NULL);
    /* the headroom must hold with all of them gone */
    double left = g->cpu_m;
    size_t keep = 0;
    for (size_t i = 0; i < got; i++) {
        double a = (double)f->nodes[out[i]].alloc_cpu_m;
        if (left - a < want)
            break;
        left -= a;
        snprintf(plan->remove[plan->nremove++], NF_NODE_NAME_MAX, "%s", f->nodes[out[i]].name);
        keep++;
    }
    if (keep == 0) {
        nf_plan_trail(plan, "consolidate", NF_TRAIL_BLOCKED,
                      "%d unneeded long enough, but together their pods do not fit elsewhere",
                      eligible);
        nf_plan_set(plan, NF_ACTION_NONE, 0, "nothing may go together");
        return;
    }
    nf_plan_trail(plan, "consolidate", NF_TRAIL_CHOSEN,
                  "%zu worker(s) unneeded for %.0fs: %s%s, least used first", keep, d->unneeded_s,
                  plan->remove[0], keep > 1 ? " and more" : "");
    nf_plan_set(plan, NF_ACTION_SCALE_DOWN, (int)keep,
                "%zu worker(s) unneeded for %.0fs (their pods fit elsewhere)", keep, d->unneeded_s);
}

/* The peak demand (cores) of the last `span` seconds (by the minute within the hour), and
 * `now_cores`: what the pool needed that recently, it keeps room for - the scale-down
 * stabilization that lets a rise come back without a boot (the HPA keeps its own
 * recommendations for 300 s the same way). */
static double recent_peak(const struct nf_observation *obs, double span, double now_cores)
{
    double p = obs->demand != NULL ? nf_demand_peak(obs->demand, obs->now, span) : NAN;
    return isfinite(p) && p > now_cores ? p : now_cores;
}

/* Step 3's sizing: the pending pods packed onto new workers less those joining (add), then
 * the headroom slots no Ready worker has room for (extra). */
struct need {
    int add, extra, slots, unplaced;
    bool over; /* more than max_nodes allows */
};

static void size_up(const struct nf_policy *p, const struct nf_observation *obs,
                    const struct nf_fnode *t, double req, struct need *nd, struct nf_plan *plan)
{
    struct nf_fleet *f = obs->fleet;
    int cap = p->seed.max_nodes - obs->workers.ready;
    static_assert(NF_DEFAULT_BINS_MAX <= 1000, "the bins live on the stack");
    struct bins b = {.cap = cap < 0 ? 0 : cap > NF_DEFAULT_BINS_MAX ? NF_DEFAULT_BINS_MAX : cap};
    struct shape sh[NF_DEFAULT_SHAPES_MAX];
    int ns = shapes_of(f, t, sh);
    double peak = recent_peak(obs, p->dflt.peak_window_s, req);
    double pct = p->dflt.headroom_pct;
    if (req > 0 && peak > req) /* room for the recent peak, and the headroom above it */
        pct = (peak / req * (1.0 + pct / 100.0) - 1.0) * 100.0;
    *nd = (struct need){.slots = reserve(f, sh, ns, pct)};
    pack(f, t, &b);
    int pending_bins = b.n;
    for (int i = 0; i < ns && !b.over; i++) /* past max_nodes nothing more can be bought */
        for (int c = 0; c < sh[i].n && !b.over; c++, nd->unplaced++)
            put(&b, t, (double)sh[i].cpu, (double)sh[i].mem);
    /* the workers still joining hold as much as new ones would: not bought again */
    int joining = obs->workers.joining;
    nd->add = pending_bins > joining ? pending_bins - joining : 0;
    nd->extra = (b.n > joining ? b.n - joining : 0) - nd->add;
    nd->over = b.over;
    nf_plan_trail(plan, "pending", nd->add > 0 ? NF_TRAIL_HELD : NF_TRAIL_NOT_HELD,
                  "pending pods need %d new worker(s) (%d joining counted)%s", nd->add, joining,
                  nd->over ? "; more than max_nodes allows" : "");
    nf_plan_trail(plan, "headroom", nd->extra > 0 ? NF_TRAIL_HELD : NF_TRAIL_NOT_HELD,
                  "%g%% of each pod shape's count kept schedulable: %d slot(s) held on Ready "
                  "workers, %d need room on new ones%s",
                  p->dflt.headroom_pct, nd->slots, nd->unplaced, nd->extra > 0 ? ": add more" : "");
}

/* The forecast one boot and one interval ahead: capacity bought before it is needed, and not
 * removed while it will be. Raises *want and *extra when it needs more; true when it does. */
static bool forecast(const struct nf_policy *p, const struct nf_observation *obs, double tcpu,
                     double have, double *want, int *extra, struct nf_plan *plan)
{
    const struct nf_default_params *d = &p->dflt;
    double pred = obs->demand != NULL && d->forecast_ahead_s > 0
                      ? nf_demand_forecast(obs->demand, obs->now, obs->now + d->forecast_ahead_s)
                      : NAN;
    if (!isfinite(pred)) {
        nf_plan_trail(plan, "forecast", NF_TRAIL_UNKNOWN,
                      "unknown (less than a day of demand history, or a gap): reactive only");
        return false;
    }
    double want_f = pred * 1000.0 * (1.0 + d->headroom_pct / 100.0);
    int extra_f = tcpu > 0 && have < want_f ? (int)ceil((want_f - have) / tcpu - 1e-9) : 0;
    nf_plan_trail(plan, "forecast", extra_f > *extra ? NF_TRAIL_HELD : NF_TRAIL_NOT_HELD,
                  "in %.0fs the pods will request %.2f cores: %.0fm wanted, %.0fm there",
                  d->forecast_ahead_s, pred, want_f, have);
    if (want_f > *want)
        *want = want_f;
    if (extra_f <= *extra)
        return false;
    *extra = extra_f;
    return true;
}

/* The metric triggers (CPU, the application signals, custom triggers), as the seed judges
 * them: the workers they add, sized to bring CPU back under its threshold, or 0. Left out: the
 * pending-pods rule (the packing answered the pending pods) and memory (pods use about what
 * they request, and packing fills workers to their memory on purpose: a usage threshold would
 * buy a third more than the pods need). */
static int metric_triggers(const struct nf_policy *p, const struct nf_observation *obs,
                           struct nf_plan *plan)
{
    const struct nf_seed_params *s = &p->seed;
    struct nf_plan sp;
    nf_policy_seed_rules(p, obs, &sp, true);
    const char *why = nf_plan_code(&sp);
    if (sp.action != NF_ACTION_SCALE_UP || strcmp(why, "pending_pods") == 0 ||
        strcmp(why, "memory_high") == 0 || strcmp(why, "min_nodes") == 0)
        return 0;
    int m = sp.nodes;
    double cpu = obs->nsamples ? obs->samples[obs->nsamples - 1].v[NF_SIG_CPU] : NAN;
    if (isfinite(cpu) && cpu > s->up_cpu && s->up_cpu > 0 && obs->workers.ready > 0) {
        int sized = (int)ceil(obs->workers.ready * cpu / s->up_cpu - 1e-9) - obs->workers.ready;
        if (sized > m)
            m = sized;
    }
    nf_plan_trail(plan, "metrics", NF_TRAIL_HELD, "%s (%s): %d more", sp.reason, why, m);
    return m;
}

static void decide(const struct nf_policy *p, const struct nf_observation *obs,
                   struct nf_plan *plan)
{
    const struct nf_seed_params *s = &p->seed;
    nf_plan_init(plan);
    struct figures g = {.size = obs->workers.ready + obs->workers.joining};
    nf_plan_trail(plan, "size", NF_TRAIL_INFO,
                  "ready %d + joining %d = %d (draining %d not counted); min %d, max %d",
                  obs->workers.ready, obs->workers.joining, g.size, obs->workers.draining,
                  s->min_nodes, s->max_nodes);
    if (bounds(s, g.size, plan))
        return;
    /* 2. no pods to see: the metric rules */
    if (obs->fleet == NULL) {
        nf_policy_seed_rules(p, obs, plan, false);
        nf_plan_trail(plan, "pool", NF_TRAIL_INFO,
                      "no pool model (the cluster shows no pods): the seed's metric rules decided");
        return;
    }
    struct nf_fleet *f = obs->fleet;
    struct nf_fnode t = obs->tmpl ? *obs->tmpl : (struct nf_fnode){.name = "(a new worker)"};
    char first[240];
    g.unhostable = nf_fleet_unhostable(f, &t, first, sizeof first);
    measure(f, &g);
    if (g.unhostable > 0)
        nf_plan_trail(plan, "unhostable", NF_TRAIL_BLOCKED,
                      "%d pending pod(s) no new worker could host, not bought for (%s)",
                      g.unhostable, first);
    /* 3. scale-up: the pending pods packed, the joining workers counted, then headroom */
    g.requested = 1000.0 * nf_fleet_requested_cores(f, &t);
    struct need nd;
    size_up(p, obs, &t, g.requested / 1000.0, &nd, plan);
    int add = nd.add, extra = nd.extra;
    bool over = nd.over;
    double tcpu = t.alloc_cpu_m > 0 && t.alloc_cpu_m < INT64_MAX ? (double)t.alloc_cpu_m : 0;
    double have = g.cpu_m + (double)(obs->workers.joining + add + extra) * tcpu;
    double want = g.requested;
    bool by_forecast = forecast(p, obs, tcpu, have, &want, &extra, plan);
    int up = add + extra;
    int m = metric_triggers(p, obs, plan);
    if (m > up) { /* the reason is the metrics' */
        up = m;
        add = 0;
        extra = m;
    }
    /* a draining worker is still an instance: max_nodes caps what the pool pays for (only an
     * interrupted worker's replacement, outside the policy, may pass it while it drains) */
    int room = s->max_nodes - g.size - obs->workers.draining;
    if (up > room)
        up = room;
    if ((add + extra > 0 || over) && up <= 0) {
        nf_plan_trail(plan, "max_nodes", NF_TRAIL_BLOCKED, "at max %d", s->max_nodes);
        nf_plan_set(plan, NF_ACTION_NONE, 0, "more workers wanted, but the pool is at max_nodes");
        return;
    }
    if (up > 0) {
        const char *rule = add > 0                     ? "pending"
                           : trail_of(plan, "metrics") ? "metrics"
                           : by_forecast               ? "forecast"
                                                       : "headroom";
        nf_plan_trail(plan, rule, NF_TRAIL_CHOSEN, "add %d", up);
        nf_plan_set(plan, NF_ACTION_SCALE_UP, up, "%s: add %d worker(s)",
                    add > 0                         ? "pending pods bin-packed onto new workers"
                    : strcmp(rule, "metrics") == 0  ? "metric triggers held"
                    : strcmp(rule, "forecast") == 0 ? "the forecast needs more"
                                                    : "headroom",
                    up);
        return;
    }
    /* 4. consolidation */
    consolidate(p, obs, &g, want, plan);
}

void nf_policy_default_decide(const struct nf_policy *p, const struct nf_observation *obs,
                              struct nf_plan *plan)
{
    decide(p, obs, plan);
    if (obs->fleet != NULL) /* the headroom slots were this decision's: the pool is as it was */
        nf_fleet_unreserve(obs->fleet);
}
