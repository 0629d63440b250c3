/* test_policy_default.c - nodefleet's own policy: bin-packing the pending pods (CPU-, memory-
 * and pod-count-bound), the joining workers counted, pods no new worker could host left out,
 * headroom, consolidation with its timers and the safety rules, bounds, and the fallback to the
 * metric rules without a pool model. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/fleet.h"
#include "core/forecast.h"
#include "core/policy.h"

#define GI (1024LL * 1024 * 1024)

static struct nf_policy pol;
static void *ws;

static int setup(void **state)
{
    (void)state;
    struct nf_policy_params pp = {0};
    pp.seed.min_nodes = 1;
    pp.seed.max_nodes = 10;
    pp.seed.up_cpu = 70;
    pp.seed.up_memory = 75;
    pp.seed.up_pending = 1;
    pp.seed.up_for = 180;
    pp.seed.up_step = 1;
    pp.seed.up_urgent_step = 2;
    pp.seed.urgent_cpu = 90;
    pp.seed.urgent_pending = 10;
    pp.seed.down_cpu = 30;
    pp.seed.down_memory = 50;
    pp.seed.down_for = 600;
    pp.seed.up_queue = pp.seed.up_latency_ms = pp.seed.up_error_pct = NAN;
    pp.dflt = (struct nf_default_params){.headroom_pct = 0,
                                         .unneeded_s = 600,
                                         .peak_window_s = 600,
                                         .max_removals = 2,
                                         .spot_pct = 70};
    assert_int_equal(nf_policy_init(&pol, "default", &pp, NULL), NF_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(ws);
    ws = NULL;
    return 0;
}

static struct nf_fnode worker(const char *name)
{
    return (struct nf_fnode){
        .name = name, .ready = true, .alloc_cpu_m = 2000, .alloc_mem = 4 * GI, .alloc_pods = 110};
}

static struct nf_fpod pod(long node, int64_t cpu_m, int64_t mem)
{
    return (struct nf_fpod){.ns = "shop",
                            .name = "p",
                            .node = node,
                            .req_cpu_m = cpu_m,
                            .req_mem = mem,
                            .safe_to_evict = -1,
                            .owner = NF_FOWN_REPLICAS,
                            .owner_name = "web",
                            .replicas = 3,
                            .pdb = -1,
                            .pdb2 = -1};
}

static int draining; /* workers being drained beside the nodes given */

static struct nf_plan decide(struct nf_fnode *nodes, size_t nn, struct nf_fpod *pods, size_t np,
                             int joining, const struct nf_unneeded *un, size_t nun)
{
    static struct nf_fleet f;
    f = (struct nf_fleet){.nodes = nodes, .nnodes = nn, .pods = pods, .npods = np};
    free(ws);
    ws = malloc(nf_fleet_ws_bytes(nn, np));
    assert_non_null(ws);
    nf_fleet_prepare(&f, ws);
    static struct nf_fnode tmpl;
    tmpl = (struct nf_fnode){.name = "(new)"};
    struct nf_observation obs = {.now = 10000,
                                 .workers = {.ready = (int)nn, .joining = joining,
                                             .draining = draining},
                                 .last_scale_up = NAN,
                                 .last_scale_down = NAN,
                                 .fleet = &f,
                                 .tmpl = &tmpl,
                                 .unneeded = un,
                                 .nunneeded = nun};
    struct nf_plan plan;
    nf_policy_decide(&pol, &obs, &plan);
    return plan;
}

static const struct nf_trail_entry *trail(const struct nf_plan *p, const char *rule)
{
    for (size_t i = 0; i < p->ntrail; i++)
        if (strcmp(p->trail[i].rule, rule) == 0)
            return &p->trail[i];
    return NULL;
}

/* pending pods bin-packed onto new workers: bound by CPU, by memory, by the pod count */
static void pending_pods_are_bin_packed(void **state)
{
    (void)state;
    static const struct {
        int64_t cpu_m, mem;
        int count, max_pods, joining, want;
    } cases[] = {
        {800, GI / 4, 5, 110, 0, 3},  /* CPU: two 800m a worker -> 3 */
        {1500, GI / 4, 3, 110, 0, 3}, /* CPU: one each */
        {100, 3 * GI, 4, 110, 0, 4},  /* memory: one 3 GiB pod a 4 GiB worker */
        {10, GI / 16, 5, 2, 0, 3},    /* pod count: two a worker */
        {800, GI / 4, 5, 110, 2, 1},  /* 3 needed, 2 joining: 1 more */
        {800, GI / 4, 5, 110, 3, 0},  /* the joining workers hold them all */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nf_fnode n[1] = {worker("w0")};
        n[0].alloc_pods = cases[i].max_pods;
        struct nf_fpod p[8];
        p[0] = pod(0, 1900, GI / 4); /* w0 is full */
        for (int k = 0; k < cases[i].count; k++)
            p[1 + k] = pod(-1, cases[i].cpu_m, cases[i].mem);
        /* the template takes the largest worker's allocatable and pod limit */
        struct nf_plan plan =
            decide(n, 1, p, 1 + (size_t)cases[i].count, cases[i].joining, NULL, 0);
        int got = plan.action == NF_ACTION_SCALE_UP ? plan.nodes : 0;
        if (got != cases[i].want)
            fail_msg("case %zu: %d workers, want %d (%s)", i, got, cases[i].want, plan.reason);
    }
}

/* a pending pod no new worker could host is reported, never bought for */
static void unhostable_pods_are_not_bought_for(void **state)
{
    (void)state;
    static const struct nf_label gpu[] = {{"accel", "gpu"}};
    struct nf_fnode n[1] = {worker("w0")};
    struct nf_fpod p[3] = {pod(0, 1900, GI / 4), pod(-1, 500, GI / 4), pod(-1, 5000, GI / 4)};
    p[1].node_selector = gpu;
    p[1].nnode_selector = 1;
    struct nf_plan plan = decide(n, 1, p, 3, 0, NULL, 0);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    const struct nf_trail_entry *e = trail(&plan, "unhostable");
    assert_non_null(e);
    assert_int_equal(e->status, NF_TRAIL_BLOCKED);
    assert_non_null(strstr(e->detail, "2 pending pod(s)"));
}

/* headroom is room for pods: headroom_pct of each shape's pods (at least one) must fit now;
 * spare CPU in crumbs too small for a pod does not count; and the pool keeps room for the
 * recent peak (the demand of the last unneeded_s) */
static void headroom_is_room_for_pods(void **state)
{
    (void)state;
    pol.dflt.headroom_pct = 10;
    struct nf_fnode n[2] = {worker("w0"), worker("w1")};
    struct nf_fpod p[4] = {pod(0, 1900, GI / 4), pod(1, 1900, GI / 4), pod(0, 0, 0),
                           pod(0, 0, 0)}; /* the last two: used below */
    /* one more 1900m pod fits nowhere: one worker more */
    struct nf_plan plan = decide(n, 2, p, 2, 0, NULL, 0);
    assert_int_equal(plan.action, NF_ACTION_SCALE_UP);
    assert_int_equal(plan.nodes, 1);
    assert_int_equal(trail(&plan, "headroom")->status, NF_TRAIL_HELD);
    assert_non_null(strstr(trail(&plan, "headroom")->detail, "0 slot(s) held"));
    assert_non_null(strstr(plan.reason, "headroom"));
    /* the joining worker is that room: nothing more */
    plan = decide(n, 2, p, 2, 1, NULL, 0);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    /* 900m pods: a slot fits beside each: nothing */
    p[0].req_cpu_m = p[1].req_cpu_m = 900;
    plan = decide(n, 2, p, 2, 0, NULL, 0);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    assert_int_equal(trail(&plan, "headroom")->status, NF_TRAIL_NOT_HELD);
    /* crumbs: 3000m of 4000m requested (1000m spare, more than 10 %), but as 500m on each
     * worker: the next 1000m pod has nowhere to go, so a worker is bought */
    p[0] = pod(0, 1000, GI / 4), p[1] = pod(1, 1000, GI / 4);
    p[2] = pod(0, 500, GI / 4), p[3] = pod(1, 500, GI / 4);
    plan = decide(n, 2, p, 4, 0, NULL, 0);
    assert_int_equal(plan.action, NF_ACTION_SCALE_UP);
    assert_int_equal(plan.nodes, 1);
    /* with headroom 0 the crumbs are fine */
    pol.dflt.headroom_pct = 0;
    plan = decide(n, 2, p, 4, 0, NULL, 0);
    assert_int_equal(plan.action, NF_ACTION_NONE);
}

/* the recent peak: demand of 3.6 cores five minutes ago keeps room for it now, with 1.2 */
static void the_recent_peak_keeps_its_room(void **state)
{
    (void)state;
    struct nf_demand_history *h = calloc(1, sizeof *h);
    assert_non_null(h);
    double now = 10000;
    nf_demand_record(h, now - 300, 3.6);
    nf_demand_record(h, now, 1.2);
    struct nf_fnode n[3] = {worker("w0"), worker("w1"), worker("w2")};
    struct nf_fpod p[3] = {pod(0, 400, GI / 8), pod(1, 400, GI / 8), pod(2, 400, GI / 8)};
    static struct nf_fleet f;
    f = (struct nf_fleet){.nodes = n, .nnodes = 3, .pods = p, .npods = 3};
    free(ws);
    ws = malloc(nf_fleet_ws_bytes(3, 3));
    assert_non_null(ws);
    nf_fleet_prepare(&f, ws);
    struct nf_unneeded un[3] = {{"w0", 0}, {"w1", 0}, {"w2", 0}};
    struct nf_observation obs = {.now = now,
                                 .workers = {.ready = 3},
                                 .last_scale_up = NAN,
                                 .last_scale_down = NAN,
                                 .fleet = &f,
                                 .unneeded = un,
                                 .nunneeded = 3,
                                 .demand = h};
    struct nf_plan plan;
    /* 1.2 cores requested, 3.6 five minutes ago: room for 6 more 400m pods is held (4 on w0,
     * 2 on w1: the fullest with room first), so only w2 is unneeded and goes */
    nf_policy_decide(&pol, &obs, &plan);
    assert_non_null(strstr(trail(&plan, "headroom")->detail, "6 slot(s) held"));
    assert_int_equal(plan.nunneeded, 1);
    assert_string_equal(plan.unneeded[0], "w2");
    assert_int_equal(plan.action, NF_ACTION_SCALE_DOWN);
    assert_int_equal(plan.nodes, 1);
    /* without the history only the pods count: two workers may go (min 1, at most 2) */
    obs.demand = NULL;
    nf_policy_decide(&pol, &obs, &plan);
    assert_int_equal(plan.action, NF_ACTION_SCALE_DOWN);
    assert_int_equal(plan.nodes, 2);
    free(h);
}

/* consolidation: unneeded workers are listed, and go only after unneeded_s; a node the safety
 * rules keep is never listed; least used first */
static void unneeded_workers_go_after_their_time(void **state)
{
    (void)state;
    struct nf_fnode n[3] = {worker("w0"), worker("w1"), worker("w2")};
    struct nf_fpod p[3] = {pod(0, 600, GI / 4), pod(1, 300, GI / 4), pod(2, 200, GI / 4)};
    p[0].owner = NF_FOWN_STATEFULSET; /* w0 stays */
    struct nf_plan plan = decide(n, 3, p, 3, 0, NULL, 0);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    assert_int_equal(plan.nunneeded, 2); /* w1 and w2 */
    assert_string_equal(plan.unneeded[0], "w1");
    assert_string_equal(plan.unneeded[1], "w2");
    assert_non_null(strstr(trail(&plan, "unneeded")->detail, "may go in 600s"));
    /* w2 unneeded for 700 s: it goes (w1 for 100 s does not) */
    struct nf_unneeded un[2] = {{"w1", 9900}, {"w2", 9300}};
    plan = decide(n, 3, p, 3, 0, un, 2);
    assert_int_equal(plan.action, NF_ACTION_SCALE_DOWN);
    assert_int_equal(plan.nodes, 1);
    assert_int_equal(plan.nremove, 1);
    assert_string_equal(plan.remove[0], "w2");
    /* both long enough: both go (max 2), least used first; but never below min */
    un[0].since = 9000;
    plan = decide(n, 3, p, 3, 0, un, 2);
    assert_int_equal(plan.nremove, 2);
    assert_string_equal(plan.remove[0], "w2");
    assert_string_equal(plan.remove[1], "w1");
    pol.seed.min_nodes = 2;
    plan = decide(n, 3, p, 3, 0, un, 2);
    assert_int_equal(plan.nremove, 1);
    pol.seed.min_nodes = 1;
}

static void bounds_and_the_fallback_without_a_pool(void **state)
{
    (void)state;
    struct nf_fnode n[1] = {worker("w0")};
    struct nf_fpod p[1] = {pod(-1, 500, GI / 4)};
    pol.seed.max_nodes = 1;
    struct nf_plan plan = decide(n, 1, p, 1, 0, NULL, 0);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    assert_int_equal(trail(&plan, "max_nodes")->status, NF_TRAIL_BLOCKED);
    /* found by the soak: a worker draining (its drain held by a budget) is still an instance,
     * so a pending pod does not buy one past max_nodes */
    pol.seed.max_nodes = 2;
    plan = decide(n, 1, p, 1, 0, NULL, 0);
    assert_int_equal(plan.action, NF_ACTION_SCALE_UP);
    assert_int_equal(plan.nodes, 1);
    draining = 1;
    plan = decide(n, 1, p, 1, 0, NULL, 0);
    draining = 0;
    assert_int_equal(plan.action, NF_ACTION_NONE);
    assert_int_equal(trail(&plan, "max_nodes")->status, NF_TRAIL_BLOCKED);
    pol.seed.max_nodes = 10;
    pol.seed.min_nodes = 3;
    plan = decide(n, 1, p, 1, 0, NULL, 0);
    assert_int_equal(plan.action, NF_ACTION_SCALE_UP);
    assert_int_equal(plan.nodes, 2);
    pol.seed.min_nodes = 1;
    /* no pool model: the seed's metric rules, and the trail says so */
    struct nf_observation obs = {
        .now = 10000, .workers = {.ready = 2}, .last_scale_up = NAN, .last_scale_down = NAN};
    nf_policy_decide(&pol, &obs, &plan);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    assert_non_null(trail(&plan, "pool"));
    assert_non_null(strstr(trail(&plan, "pool")->detail, "seed's metric rules"));
}

/* the metric triggers still add capacity, sized to bring CPU under its threshold */
static void metric_triggers_add_capacity(void **state)
{
    (void)state;
    struct nf_fnode n[2] = {worker("w0"), worker("w1")};
    struct nf_fpod p[2] = {pod(0, 500, GI / 4), pod(1, 500, GI / 4)};
    static struct nf_fleet f;
    f = (struct nf_fleet){.nodes = n, .nnodes = 2, .pods = p, .npods = 2};
    free(ws);
    ws = malloc(nf_fleet_ws_bytes(2, 2));
    nf_fleet_prepare(&f, ws);
    struct nf_sample s[25];
    for (int i = 0; i < 25; i++) { /* 6 minutes at 80 % CPU */
        s[i].t = 10000 - 360 + 15 * i;
        for (int k = 0; k < NF_SAMPLE_VALUES; k++)
            s[i].v[k] = NAN;
        s[i].v[NF_SIG_CPU] = 80;
        s[i].v[NF_SIG_PENDING_PODS] = 0;
    }
    struct nf_observation obs = {.now = 10000,
                                 .workers = {.ready = 2},
                                 .samples = s,
                                 .nsamples = 25,
                                 .last_scale_up = NAN,
                                 .last_scale_down = NAN,
                                 .fleet = &f};
    struct nf_plan plan;
    nf_policy_decide(&pol, &obs, &plan);
    assert_int_equal(plan.action, NF_ACTION_SCALE_UP);
    assert_int_equal(plan.nodes, 1); /* 2 x 80 / 70 -> 3 workers: one more */
    assert_non_null(strstr(plan.reason, "metric triggers held"));
    assert_int_equal(trail(&plan, "metrics")->status, NF_TRAIL_HELD);
    /* memory above the seed's 75 % is left to the packing: nothing bought for it */
    for (int i = 0; i < 25; i++) {
        s[i].v[NF_SIG_CPU] = 40;
        s[i].v[NF_SIG_MEMORY] = 95;
    }
    nf_policy_decide(&pol, &obs, &plan);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    assert_null(trail(&plan, "metrics"));
    for (int i = 0; i < 25; i++)
        s[i].v[NF_SIG_MEMORY] = NAN;
    /* at 99 % the seed's urgent step (2) is more than the sizing (ceil(2.83) - 2 = 1) */
    for (int i = 0; i < 25; i++)
        s[i].v[NF_SIG_CPU] = 99;
    nf_policy_decide(&pol, &obs, &plan);
    assert_int_equal(plan.nodes, 2);
}

/* the forecast buys ahead: yesterday at this time plus 3 minutes the pods asked for 6 cores */
static void the_forecast_buys_ahead_and_holds_capacity(void **state)
{
    (void)state;
    struct nf_demand_history *h = calloc(1, sizeof *h);
    assert_non_null(h);
    double now = 2 * 86400.0 + 12 * 3600;
    for (double t = 0; t <= now; t += 300) { /* 2 cores, but 6 from 12:00 to 13:00 each day */
        double hour = fmod(t, 86400.0) / 3600;
        nf_demand_record(h, t, hour >= 12.05 && hour < 13 ? 6 : 2);
    }
    struct nf_fnode n[2] = {worker("w0"), worker("w1")};
    struct nf_fpod p[2] = {pod(0, 1000, GI / 4), pod(1, 1000, GI / 4)};
    static struct nf_fleet f;
    f = (struct nf_fleet){.nodes = n, .nnodes = 2, .pods = p, .npods = 2};
    free(ws);
    ws = malloc(nf_fleet_ws_bytes(2, 2));
    nf_fleet_prepare(&f, ws);
    struct nf_observation obs = {.now = now,
                                 .workers = {.ready = 2},
                                 .last_scale_up = NAN,
                                 .last_scale_down = NAN,
                                 .fleet = &f,
                                 .demand = h};
    struct nf_plan plan;
    /* off: 2 cores on 4: nothing to buy */
    pol.dflt.forecast_ahead_s = 0;
    nf_policy_decide(&pol, &obs, &plan);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    assert_int_equal(trail(&plan, "forecast")->status, NF_TRAIL_UNKNOWN);
    /* 180 s ahead: 6 cores wanted, 4 there: one more worker */
    pol.dflt.forecast_ahead_s = 180;
    nf_policy_decide(&pol, &obs, &plan);
    assert_int_equal(plan.action, NF_ACTION_SCALE_UP);
    assert_int_equal(plan.nodes, 1);
    assert_non_null(strstr(plan.reason, "the forecast needs more"));
    /* too little history: unknown, reactive only */
    struct nf_demand_history *young = calloc(1, sizeof *young);
    nf_demand_record(young, now - 600, 2);
    obs.demand = young;
    nf_policy_decide(&pol, &obs, &plan);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    assert_int_equal(trail(&plan, "forecast")->status, NF_TRAIL_UNKNOWN);
    pol.dflt.forecast_ahead_s = 0;
    free(young);
    free(h);
}

static uint64_t rng_state = 42;
static unsigned rnd(unsigned n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(rng_state >> 33) % n;
}

/* a property: on random pools the plan stays within min and max, and never names a node the
 * safety rules keep */
static void random_pools_keep_the_bounds_and_the_rules(void **state)
{
    (void)state;
    static const int64_t shapes[4] = {100, 250, 500, 1000};
    static char names[16][16];
    int ups = 0, downs = 0;
    for (int iter = 0; iter < 2000; iter++) {
        struct nf_fnode n[16];
        struct nf_fpod p[96];
        int nn = 1 + (int)rnd(12), np = 0;
        for (int k = 0; k < nn; k++) {
            snprintf(names[k], sizeof names[k], "w%d", k);
            n[k] = worker(names[k]);
            n[k].market = rnd(2) ? NF_MARKET_SPOT : NF_MARKET_ON_DEMAND;
            int pods = (int)rnd(6);
            int64_t used = 0;
            for (int i = 0; i < pods; i++) {
                int64_t c = shapes[rnd(4)];
                if (used + c > 2000)
                    break;
                used += c;
                p[np] = pod(k, c, GI / 8);
                if (rnd(5) == 0)
                    p[np].owner = NF_FOWN_STATEFULSET;
                if (rnd(7) == 0)
                    p[np].replicas = 1;
                np++;
            }
        }
        int pending = (int)rnd(8);
        for (int i = 0; i < pending; i++)
            p[np++] = pod(-1, shapes[rnd(4)], GI / 8);
        pol.seed.min_nodes = (int)rnd(4);
        pol.seed.max_nodes = pol.seed.min_nodes + (int)rnd(12);
        pol.dflt.headroom_pct = (double)rnd(30);
        pol.dflt.max_removals = 1 + (int)rnd(3);
        int joining = (int)rnd(3);
        struct nf_unneeded un[16];
        for (int k = 0; k < nn; k++)
            un[k] = (struct nf_unneeded){.since = 10000 - (double)rnd(1200)};
        for (int k = 0; k < nn; k++)
            snprintf(un[k].node, sizeof un[k].node, "%.15s", names[k]);
        struct nf_plan plan = decide(n, (size_t)nn, p, (size_t)np, joining, un, (size_t)nn);
        int size = nn + joining;
        ups += plan.action == NF_ACTION_SCALE_UP;
        downs += plan.nremove > 0;
        if (plan.action == NF_ACTION_SCALE_UP && size < pol.seed.max_nodes &&
            size + plan.nodes > pol.seed.max_nodes)
            fail_msg("iter %d: %d + %d above max %d", iter, size, plan.nodes, pol.seed.max_nodes);
        if (plan.action == NF_ACTION_SCALE_DOWN && size > pol.seed.min_nodes &&
            size - plan.nodes < pol.seed.min_nodes)
            fail_msg("iter %d: %d - %d below min %d", iter, size, plan.nodes, pol.seed.min_nodes);
        /* every node named may go by the rules, on the pool as it was */
        static struct nf_fleet f;
        f = (struct nf_fleet){.nodes = n, .nnodes = (size_t)nn, .pods = p, .npods = (size_t)np};
        void *w2 = malloc(nf_fleet_ws_bytes((size_t)nn, (size_t)np));
        nf_fleet_prepare(&f, w2);
        for (int r = 0; r < plan.nremove; r++)
            for (int k = 0; k < nn; k++)
                if (strcmp(names[k], plan.remove[r]) == 0) {
                    struct nf_drain_verdict v;
                    nf_fleet_drainable(&f, (size_t)k, NULL, &v);
                    if (v.block != NF_BLOCK_NONE)
                        fail_msg("iter %d: %s named but %s", iter, names[k], v.detail);
                }
        free(w2);
    }
    /* the property was exercised both ways */
    assert_true(ups > 100);
    assert_true(downs > 100);
    pol.seed.min_nodes = 1;
    pol.seed.max_nodes = 10;
    pol.dflt.headroom_pct = 0;
    pol.dflt.max_removals = 2;
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(pending_pods_are_bin_packed),
        T(unhostable_pods_are_not_bought_for),
        T(headroom_is_room_for_pods),
        T(the_recent_peak_keeps_its_room),
        T(unneeded_workers_go_after_their_time),
        T(bounds_and_the_fallback_without_a_pool),
        T(metric_triggers_add_capacity),
        T(random_pools_keep_the_bounds_and_the_rules),
        T(the_forecast_buys_ahead_and_holds_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
