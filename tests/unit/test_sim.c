/* test_sim.c - the simulator's model (the HPA, pod placement, the safety rules), the fair oracle,
 * billing and determinism. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>

#include "sim/sim.h"
#include "sim/sim_internal.h"

static struct nf_config cfg;

static int setup(void **state)
{
    (void)state;
    nf_config_defaults(&cfg);
    return 0;
}

/* A trace of `n` rows `step` apart whose value is `lo` until row `rise`, then `hi`. */
static void make_trace(struct nf_trace *tr, size_t n, double step, double lo, double hi,
                       size_t rise)
{
    struct nf_buf b;
    nf_buf_init(&b, 1 << 24);
    nf_buf_puts(&b, "t_seconds,value\n");
    for (size_t i = 0; i < n; i++)
        nf_buf_printf(&b, "%g,%g\n", (double)i * step, i < rise ? lo : hi);
    struct nf_err err;
    assert_int_equal(nf_trace_parse(b.data, b.len, "test.csv", tr, &err), NF_OK);
    nf_buf_free(&b);
}

static void run(const struct nf_trace *tr, const char **specs, size_t n, struct nf_sim_report *rep)
{
    struct nf_policy pols[8];
    for (size_t i = 0; i < n; i++)
        assert_int_equal(nf_config_policy(&pols[i], specs[i], &cfg, NULL), NF_OK);
    struct nf_sim_params sp;
    nf_sim_params_from_config(&sp, &cfg);
    struct nf_err err = {0};
    int rc = nf_sim_run_all(tr, NULL, &sp, pols, n, rep, &err);
    if (rc != NF_OK)
        fail_msg("simulation failed: %s", err.msg);
}

static int peak_need(const struct nf_sim_report *rep)
{
    int peak = 0;
    for (size_t b = 0; b < rep->nbuckets; b++)
        if (rep->demand_max[b] > peak)
            peak = (int)rep->demand_max[b];
    return peak;
}

static void the_peak_percentile_needs_exactly_peak_nodes(void **state)
{
    (void)state;
    struct nf_trace tr;
    make_trace(&tr, 100, 60, 1000, 1000, 0); /* flat at the p99 value */
    struct nf_sim_report rep;
    run(&tr, NULL, 0, &rep);
    assert_true(rep.trace_percentile_value == 1000);
    assert_int_equal(peak_need(&rep), 8); /* the oracle needs exactly 8 workers, not 9 */
    /* the scale is the largest that does: a hair more demand needs a ninth worker */
    struct nf_sim_params sp = rep.params;
    int pods[NF_SIM_SHAPES_MAX];
    for (int k = 0; k < sp.nshapes; k++)
        pods[k] = nf__hpa_desired(&sp, k, rep.scale * 1000 * 1.001 * sp.shapes[k].share_pct / 100);
    assert_int_equal(nf__sim_nodes_for(&sp, pods), 9);
    nf_sim_report_free(&rep);
    nf_trace_free(&tr);
}

static void static_pool_costs_exactly_its_hours(void **state)
{
    (void)state;
    struct nf_trace tr;
    make_trace(&tr, 1440, 60, 5, 5, 0); /* one day, flat */
    struct nf_sim_report rep;
    const char *specs[] = {"static:5"};
    run(&tr, specs, 1, &rep);
    const struct nf_sim_metrics *m = &rep.runs[0].m;
    assert_true(fabs(m->node_hours - 5 * 24.0) < 1e-9);
    /* it starts with the mix placement allows: floor(0.7 x 5) = 3 spot, 2 on-demand */
    assert_true(fabs(m->cost_usd - 24 * (3 * 0.0070 + 2 * 0.0232)) < 1e-9);
    assert_true(fabs(m->spot_node_hours - 3 * 24.0) < 1e-9);
    assert_int_equal(m->scale_ups, 0);
    assert_int_equal(m->scale_downs, 0);
    assert_int_equal(m->nodes_launched, 0);
    assert_true(rep.runs[0].interval_s == 120); /* static's own interval */
    nf_sim_report_free(&rep);
    nf_trace_free(&tr);
}

/* The oracle holds exactly n workers with floor(0.7 n) of them spot, for n = 1..10 */
static void oracle_holds_the_best_mix_placement_allows(void **state)
{
    (void)state;
    cfg.min_nodes = 1;
    cfg.max_nodes = 10;
    for (int n = 1; n <= 10; n++) {
        cfg.sim_peak_nodes = n;
        struct nf_trace tr;
        make_trace(&tr, 1440, 60, 7, 7, 0);
        struct nf_sim_report rep;
        run(&tr, NULL, 0, &rep);
        int spot = (int)floor(0.7 * n + 1e-9);
        double hourly = spot * 0.0070 + (n - spot) * 0.0232;
        if (fabs(rep.oracle.m.node_hours - n * 24.0) > 1e-9 ||
            fabs(rep.oracle.m.cost_usd - 24 * hourly) > 1e-9 ||
            fabs(rep.oracle.m.spot_node_hours - spot * 24.0) > 1e-9)
            fail_msg("n=%d: node-hours %g, cost %g, spot hours %g; want %g, %g, %g", n,
                     rep.oracle.m.node_hours, rep.oracle.m.cost_usd, rep.oracle.m.spot_node_hours,
                     n * 24.0, 24 * hourly, spot * 24.0);
        assert_true(rep.oracle.m.overload_minutes == 0);
        assert_true(rep.oracle.m.accuracy_u == 0 && rep.oracle.m.accuracy_o == 0);
        assert_true(rep.oracle.m.cost_vs_oracle == 1 && rep.oracle.m.node_hours_vs_oracle == 1);
        nf_sim_report_free(&rep);
        nf_trace_free(&tr);
    }
}

/* One shape of 1 vCPU at a 50 % target: a pod carries 0.5 vCPU. */
static void one_shape(struct nf_sim_params *p)
{
    memset(p, 0, sizeof *p);
    p->nshapes = 1;
    p->shapes[0] = (struct nf_pod_shape){.cpu = 1, .memory_mib = 512, .share_pct = 100};
    p->hpa_target_pct = 50;
    p->node_vcpu = 2;
    p->node_memory_mib = 2048;
    p->max_pods_per_node = 110;
}

/* Kubernetes' HPA at its defaults, against a series computed by hand */
static void the_hpa_keeps_kubernetes_defaults(void **state)
{
    (void)state;
    struct nf_sim_params p;
    one_shape(&p);
    struct hpa h;
    nf__hpa_init(&h, &p, 0, 1.0, 1000);
    assert_int_equal(h.replicas, 2); /* 1 vCPU / 0.5 */
    /* within the 10 % tolerance nothing moves: 1.09 / (2 x 0.5) = 1.09 */
    assert_true(nf__hpa_sync(&h, &p, 0, 1.09, 0));
    assert_int_equal(h.replicas, 2);
    /* not again before 15 s */
    assert_false(nf__hpa_sync(&h, &p, 0, 10, 10));
    /* 20 wanted: up by at most max(4 pods, 100 %) a sync: 2 -> 6 -> 12 -> 20 */
    static const struct {
        double t, demand;
        int want;
    } series[] = {
        {15, 10, 6},   {30, 10, 12}, {45, 10, 20}, {60, 1, 20},
        {75, 1, 20},   {330, 1, 20}, {345, 1, 20}, /* t=45's 20 is still inside the 300 s window */
        {360, 1, 2},                               /* now the highest of the window is 2 */
        {375, 2.6, 6},                             /* 6 wanted, +4 allowed */
        {390, 0.4, 6},                             /* 1 wanted, held by the window */
    };
    for (size_t i = 0; i < sizeof series / sizeof series[0]; i++) {
        assert_true(nf__hpa_sync(&h, &p, 0, series[i].demand, series[i].t));
        if (h.replicas != series[i].want)
            fail_msg("t=%g demand %g: %d replicas, want %d", series[i].t, series[i].demand,
                     h.replicas, series[i].want);
    }
    /* the ceiling: an exact multiple stays (11.2 / 0.35 = 32.000000000000004 -> 32) */
    p.shapes[0].cpu = 0.5;
    p.hpa_target_pct = 70;
    assert_int_equal(nf__hpa_desired(&p, 0, 11.2), 32);
    assert_int_equal(nf__hpa_desired(&p, 0, 0), 1); /* minReplicas */
}

/* a world of `n` Ready workers with the default shapes' pods for `demand` */
static struct world *make_world(struct nf_sim_params *p, struct nf_sim_metrics *met, int n,
                                double demand)
{
    struct world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->p = p;
    w->met = met;
    w->pods = calloc(NF_SIM_PODS_MAX, sizeof *w->pods);
    assert_non_null(w->pods);
    assert_int_equal(nf__sim_pods_init(w, demand), NF_OK);
    for (int i = 0; i < n; i++)
        assert_int_equal(nf__sim_add_node(w, 0, NF_MARKET_ON_DEMAND, 0, 0), NF_OK);
    nf__sim_schedule(w);
    return w;
}

static void free_world(struct world *w)
{
    nf__sim_world_free(w);
    free(w->pods);
    free(w);
}

/* Pods of three shapes, placed one by one: nothing over a worker's CPU, memory or pod limit,
 * the least allocated worker first, and what does not fit waits */
static void pods_of_mixed_shapes_are_placed(void **state)
{
    (void)state;
    struct nf_sim_params p;
    nf_sim_params_from_config(&p, &cfg);
    p.hpa_target_pct = 100;
    p.unevictable_pct = 0;
    struct nf_sim_metrics met = {0};
    /* 3.6 vCPU: 0.3 x 3.6 / 0.25 -> 5 small, 0.4 x 3.6 / 0.5 -> 3 medium, 0.3 x 3.6 / 1 -> 2
     * large = 1.25 + 1.5 + 2 = 4.75 vCPU of requests: 3 workers' worth (6 vCPU) */
    struct world *w = make_world(&p, &met, 3, 3.6);
    assert_int_equal(w->shape_pods[0], 5);
    assert_int_equal(w->shape_pods[1], 3);
    assert_int_equal(w->shape_pods[2], 2);
    int placed = 0;
    for (size_t j = 0; j < w->n; j++) {
        assert_true(w->nodes[j].cpu_used <= p.node_vcpu + 1e-9);
        assert_true(w->nodes[j].mem_used <= p.node_memory_mib + 1e-9);
        assert_true(w->nodes[j].npods > 0); /* least allocated first: spread over all three */
        placed += w->nodes[j].npods;
    }
    assert_int_equal(placed, 10);
    struct service sv = nf__sim_serve(w, 3.6);
    assert_int_equal(sv.pending, 0);
    assert_true(fabs(sv.served - 3.6) < 1e-9);
    assert_int_equal(sv.need, 3); /* 4.75 vCPU on 2-vCPU workers */
    free_world(w);
    /* one worker: 2 vCPU hold what fits, the rest waits, and serves nothing */
    memset(&met, 0, sizeof met);
    w = make_world(&p, &met, 1, 3.6);
    sv = nf__sim_serve(w, 3.6);
    assert_true(w->nodes[0].cpu_used <= 2 + 1e-9 && w->nodes[0].cpu_used >= 1.5 - 1e-9);
    assert_int_equal(sv.running + sv.pending, 10);
    assert_true(sv.pending > 0);
    assert_true(sv.served <= 2 + 1e-9);
    /* most-allocated packs: the same pods on three workers fill the first before the others */
    free_world(w);
    p.pack = true;
    memset(&met, 0, sizeof met);
    w = make_world(&p, &met, 3, 1.0); /* 2 small, 1 medium, 1 large = 2 vCPU of requests */
    assert_int_equal(w->nodes[0].npods + w->nodes[1].npods + w->nodes[2].npods, 4);
    assert_true(w->nodes[0].cpu_used > 1.4); /* not spread: at most one worker stays empty */
    assert_true(w->nodes[1].npods == 0 || w->nodes[2].npods == 0);
    p.pack = false;
    /* the kubelet's pod limit holds too */
    free_world(w);
    p.max_pods_per_node = 2;
    memset(&met, 0, sizeof met);
    w = make_world(&p, &met, 2, 3.6);
    assert_int_equal(w->nodes[0].npods, 2);
    assert_int_equal(w->nodes[1].npods, 2);
    assert_int_equal(nf__sim_serve(w, 3.6).pending, 6);
    free_world(w);
}

/* A node holding a pod that may not be evicted is not chosen and its drain is refused; removing
 * it anyway (terminating the instance, as an autoscaler that skips the drain does) is counted
 * as an unsafe removal */
static void removing_a_node_with_a_pinned_pod_is_unsafe(void **state)
{
    (void)state;
    struct nf_sim_params p;
    nf_sim_params_from_config(&p, &cfg);
    p.unevictable_pct = 0;
    p.hpa_target_pct = 100;
    struct nf_sim_metrics met = {0};
    struct world *w = make_world(&p, &met, 3, 0.5); /* a few small pods over three workers */
    /* pin one pod, on the first node that has one */
    size_t victim = 0;
    for (size_t i = 0; i < w->npods; i++)
        if (w->pods[i].node >= 0) {
            w->pods[i].pinned = true;
            w->nodes[w->pods[i].node].npinned++;
            victim = (size_t)w->pods[i].node;
            break;
        }
    struct nf_cluster_view view;
    struct nf_err err = {0};
    assert_int_equal(nf__sim_cluster_port.observe(w, &view, &err), NF_OK);
    const char *names[3];
    for (size_t i = 0; i < view.nnodes; i++)
        names[i] = view.nodes[i].name;
    assert_string_contains(view.nodes[victim].why_not, "statefulset: ");
    assert_string_contains(view.nodes[victim].why_not, "belongs to StatefulSet db");
    assert_non_null(view.fleet);
    assert_int_equal(view.fleet->nnodes, 3);
    size_t chosen[3], nchosen = 0;
    char why[256] = "";
    assert_int_equal(nf__sim_cluster_port.choose(w, names, view.nnodes, 3, -1, chosen, &nchosen,
                                                 why, sizeof why, &err),
                     NF_OK);
    for (size_t k = 0; k < nchosen; k++)
        assert_true(chosen[k] != victim);
    assert_string_contains(why, "statefulset: pod sim/");
    struct nf_drain_report rep;
    assert_int_equal(nf__sim_cluster_port.drain_step(w, names[victim], 0, 0, 0, &rep, &err), NF_OK);
    assert_int_equal(rep.state, NF_DRAIN_ABORTED);
    assert_int_equal(w->nodes[victim].st, NODE_READY);
    assert_int_equal(met.unsafe_removals, 0);
    /* terminate it without a drain: counted, and its pods wait for a place */
    char id[32];
    snprintf(id, sizeof id, "i-sim%ld", w->nodes[victim].serial);
    const char *ids[] = {id};
    assert_int_equal(nf__sim_cloud_port.terminate(w, ids, 1, &err), NF_OK);
    assert_int_equal(met.unsafe_removals, 1);
    assert_int_equal(w->n, 2);
    assert_true(nf__sim_serve(w, 0.5).pending > 0);
    nf__sim_schedule(w);
    assert_int_equal(nf__sim_serve(w, 0.5).pending, 0);
    free_world(w);
}

static void billing_has_a_minimum(void **state)
{
    (void)state;
    struct nf_trace tr;
    make_trace(&tr, 2, 15, 1, 1, 0); /* 30 s of trace */
    struct nf_sim_report rep;
    const char *specs[] = {"static:1"};
    run(&tr, specs, 1, &rep);
    assert_true(fabs(rep.runs[0].m.cost_usd - 0.0232 * 60 / 3600) < 1e-12);
    assert_true(fabs(rep.runs[0].m.node_hours - 30 / 3600.0) < 1e-12);
    nf_sim_report_free(&rep);
    nf_trace_free(&tr);
}

static void seed_follows_a_rise_within_bounds(void **state)
{
    (void)state;
    struct nf_trace tr;
    /* 12 h quiet, then 12 h at the p99 level (8 workers needed) */
    make_trace(&tr, 1440, 60, 1, 100, 720);
    struct nf_sim_report rep;
    const char *specs[] = {"seed", "static:5"};
    run(&tr, specs, 2, &rep);
    const struct nf_sim_run *seed = &rep.runs[0], *st = &rep.runs[1];
    assert_true(seed->m.scale_ups >= 3);
    assert_true(seed->m.nodes_launched >= 6);
    assert_true(seed->m.time_to_capacity_p95_s > 0);
    /* the rise is met: the last hour has the 8 Ready workers needed (the seed's CPU rule,
     * with the HPA holding pods at 70 % of their requests, takes it on to max), never above */
    float last = seed->supply_mean[rep.nbuckets - 1];
    assert_true(last >= 7.99 && last <= cfg.max_nodes + 1e-6);
    for (size_t b = 0; b < rep.nbuckets; b++)
        assert_true(seed->supply_mean[b] <= cfg.max_nodes + 1e-6);
    /* 5 static workers cannot carry 8 workers' load: overloaded for the whole second half */
    assert_true(st->m.overload_minutes >= 12 * 60 - 1);
    assert_true(seed->m.overload_minutes < st->m.overload_minutes);
    assert_true(seed->m.unserved_fraction < st->m.unserved_fraction);
    nf_sim_report_free(&rep);
    nf_trace_free(&tr);
}

static void same_seed_same_report(void **state)
{
    (void)state;
    struct nf_trace tr;
    make_trace(&tr, 2000, 60, 3, 90, 700);
    cfg.sim_spot_interruptions_per_hour = 0.5;
    const char *specs[] = {"seed", "static:4"};
    char *out[2];
    for (int k = 0; k < 2; k++) {
        struct nf_sim_report rep;
        run(&tr, specs, 2, &rep);
        struct nf_buf b;
        nf_buf_init(&b, 1 << 24);
        nf_sim_write_json(&rep, &b);
        nf_sim_write_html(&rep, &b);
        assert_int_equal(b.status, NF_OK);
        out[k] = strdup(b.data);
        nf_buf_free(&b);
        nf_sim_report_free(&rep);
    }
    assert_string_equal(out[0], out[1]);
    free(out[0]);
    free(out[1]);
    nf_trace_free(&tr);
}

/* sim.node_types: the cycle chooses among the types as aws.instance_types does; with a type
 * cheaper for these pods (c5.large: less memory, which 1 GiB-per-vCPU pods do not need) the
 * same policy costs less than with the first type alone, and the workers carry their types */
static void several_worker_types_are_chosen_among(void **state)
{
    (void)state;
    struct nf_trace tr;
    make_trace(&tr, 2880, 60, 1, 100, 720); /* a quiet 12 hours, then a step up */
    const char *specs[] = {"default"};
    snprintf(cfg.sim_node_types, sizeof cfg.sim_node_types, "m5.large:2:8192:0.096:0.035");
    struct nf_sim_report one;
    run(&tr, specs, 1, &one);
    snprintf(cfg.sim_node_types, sizeof cfg.sim_node_types,
             "m5.large:2:8192:0.096:0.035,c5.large:2:4096:0.085:0.032");
    struct nf_sim_report two;
    run(&tr, specs, 1, &two);
    assert_int_equal(two.params.ntypes, 2);
    assert_float_equal(two.params.node_memory_mib, 8192, 1e-9); /* the first is the unit */
    assert_true(two.runs[0].m.cost_usd < one.runs[0].m.cost_usd * 0.95);
    assert_true(two.runs[0].m.overload_minutes <= one.runs[0].m.overload_minutes + 1);
    assert_int_equal(two.runs[0].m.unsafe_removals, 0);
    /* the oracle keeps the first type: the same in both */
    assert_float_equal(two.oracle.m.cost_usd, one.oracle.m.cost_usd, 1e-9);
    nf_sim_report_free(&one);
    nf_sim_report_free(&two);
    /* a type that is not there is refused by the settings, with the reason */
    const char *why = NULL;
    assert_int_not_equal(nf_node_types_parse("m5.large:2:8192:0.096", NULL, NULL, &why), NF_OK);
    assert_non_null(strstr(why, "NAME:VCPU:MEMORY_MIB:ON_DEMAND:SPOT"));
    assert_int_not_equal(
        nf_node_types_parse("m5.large:2:8192:0.1:0.1,m5.large:2:8192:0.1:0.1", NULL, NULL, &why),
        NF_OK);
    assert_string_equal(why, "a type is named twice");
    cfg.sim_node_types[0] = '\0';
    nf_trace_free(&tr);
}

static void spot_workers_can_be_reclaimed(void **state)
{
    (void)state;
    struct nf_trace tr;
    make_trace(&tr, 1440, 60, 1, 100, 60); /* quiet first hour: the pool starts at min */
    cfg.sim_spot_interruptions_per_hour = 0.2;
    struct nf_sim_report rep;
    const char *specs[] = {"seed"};
    run(&tr, specs, 1, &rep);
    const struct nf_sim_metrics *m = &rep.runs[0].m;
    assert_true(m->spot_interruptions > 0);
    assert_true(m->spot_node_hours > 0);
    /* replacement comes at once or through the normal rules; either way workers are added */
    assert_true(m->nodes_launched > 6);
    /* the warnings go to the cycle (sim.interruption_response: replace, the default): it
     * drains and replaces each at once; with wait, the pods go pending and the policy buys */
    assert_true(m->warnings_acted_on > 0);
    assert_int_equal(m->warnings_acted_on, m->spot_interruptions);
    snprintf(cfg.sim_interruption_response, sizeof cfg.sim_interruption_response, "wait");
    nf_sim_report_free(&rep);
    run(&tr, specs, 1, &rep);
    assert_true(rep.runs[0].m.spot_interruptions > 0);
    assert_int_equal(rep.runs[0].m.warnings_acted_on, 0);
    snprintf(cfg.sim_interruption_response, sizeof cfg.sim_interruption_response, "replace");
    nf_sim_report_free(&rep);
    nf_trace_free(&tr);
    /* a monthly share: 5 % a month is -ln(0.95)/720 an hour; the hourly rate overrides it */
    struct nf_sim_params sp;
    cfg.sim_spot_interruptions_per_hour = 0;
    cfg.sim_spot_interruption_pct_month = 5;
    nf_sim_params_from_config(&sp, &cfg);
    assert_float_equal(sp.spot_interruptions_per_hour, -log(0.95) / 720, 1e-12);
    cfg.sim_spot_interruptions_per_hour = 0.3;
    nf_sim_params_from_config(&sp, &cfg);
    assert_float_equal(sp.spot_interruptions_per_hour, 0.3, 1e-12);
    /* each type is a pool with its own rate: one that is never reclaimed, whatever the
     * common rate, and one reclaimed almost surely within a month */
    cfg.sim_spot_interruptions_per_hour = 0.5;
    snprintf(cfg.sim_node_types, sizeof cfg.sim_node_types, "m5.large:2:8192:0.096:0.035:0");
    make_trace(&tr, 1440, 60, 1, 100, 60);
    run(&tr, specs, 1, &rep);
    assert_int_equal(rep.runs[0].m.spot_interruptions, 0);
    nf_sim_report_free(&rep);
    cfg.sim_spot_interruptions_per_hour = 0;
    snprintf(cfg.sim_node_types, sizeof cfg.sim_node_types, "m5.large:2:8192:0.096:0.035:100");
    run(&tr, specs, 1, &rep);
    assert_true(rep.runs[0].m.spot_interruptions > 0);
    nf_sim_report_free(&rep);
    nf_trace_free(&tr);
    cfg.sim_node_types[0] = '\0';
    cfg.sim_spot_interruptions_per_hour = 0;
    cfg.sim_spot_interruption_pct_month = 0;
    make_trace(&tr, 1440, 60, 1, 100, 60);
    run(&tr, specs, 1, &rep);
    assert_int_equal(rep.runs[0].m.spot_interruptions, 0);
    nf_sim_report_free(&rep);
    nf_trace_free(&tr);
}

static void an_all_zero_trace_is_refused(void **state)
{
    (void)state;
    struct nf_trace tr;
    make_trace(&tr, 10, 60, 0, 0, 0);
    struct nf_sim_params sp;
    nf_sim_params_from_config(&sp, &cfg);
    struct nf_sim_report rep;
    struct nf_err err;
    assert_int_equal(nf_sim_run_all(&tr, NULL, &sp, NULL, 0, &rep, &err), NF_E_INPUT);
    assert_string_contains(err.msg, "99th percentile is 0");
    nf_trace_free(&tr);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
    const struct CMUnitTest tests[] = {
        T(the_peak_percentile_needs_exactly_peak_nodes),
        T(static_pool_costs_exactly_its_hours),
        T(oracle_holds_the_best_mix_placement_allows),
        T(the_hpa_keeps_kubernetes_defaults),
        T(pods_of_mixed_shapes_are_placed),
        T(removing_a_node_with_a_pinned_pod_is_unsafe),
        T(billing_has_a_minimum),
        T(seed_follows_a_rise_within_bounds),
        T(same_seed_same_report),
        T(several_worker_types_are_chosen_among),
        T(spot_workers_can_be_reclaimed),
        T(an_all_zero_trace_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
