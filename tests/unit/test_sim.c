/* test_sim.c - the simulator's model, oracle, billing and determinism. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>

#include "sim/sim.h"

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

static void the_peak_percentile_needs_exactly_peak_nodes(void **state)
{
    (void)state;
    struct nf_trace tr;
    /* 100 rows: 98 at 10, 2 at 1000; p99 (nearest rank 99) = 1000 */
    make_trace(&tr, 100, 60, 10, 1000, 98);
    struct nf_sim_report rep;
    const char *specs[] = {"static:5"};
    run(&tr, specs, 1, &rep);
    assert_int_equal(rep.pods_per_node, 4);
    assert_true(rep.trace_percentile_value == 1000);
    /* 8 workers x 4 pods x 0.35 vCPU at the 70% target = 11.2 vCPU at the p99 value */
    assert_true(fabs(rep.scale * 1000 - 11.2) < 1e-12);
    /* the oracle at the peak needs exactly 8 workers: its max is 8, not 9 */
    int peak = 0;
    for (size_t b = 0; b < rep.nbuckets; b++)
        if (rep.demand_max[b] > peak)
            peak = (int)rep.demand_max[b];
    assert_int_equal(peak, 8);
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
    assert_true(fabs(m->cost_usd - 5 * 24 * 0.0232) < 1e-9);
    assert_int_equal(m->scale_ups, 0);
    assert_int_equal(m->scale_downs, 0);
    assert_int_equal(m->nodes_launched, 0);
    nf_sim_report_free(&rep);
    nf_trace_free(&tr);
}

static void oracle_pays_exactly_the_needed_workers_at_the_spot_share(void **state)
{
    (void)state;
    struct nf_trace tr;
    make_trace(&tr, 1440, 60, 7, 7, 0); /* flat: p99 = 7 -> 8 workers all day */
    struct nf_sim_report rep;
    run(&tr, NULL, 0, &rep);
    double blend = 0.7 * 0.0070 + 0.3 * 0.0232;
    assert_true(fabs(rep.oracle.m.node_hours - 8 * 24.0) < 1e-9);
    assert_true(fabs(rep.oracle.m.cost_usd - 8 * 24 * blend) < 1e-9);
    assert_true(rep.oracle.m.overload_minutes == 0);
    assert_true(rep.oracle.m.accuracy_u == 0 && rep.oracle.m.accuracy_o == 0);
    nf_sim_report_free(&rep);
    nf_trace_free(&tr);
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
    /* the rise is met: the last hour has 8 Ready workers, never above max */
    float last = seed->supply_mean[rep.nbuckets - 1];
    assert_true(last >= 7.99 && last <= 8.01);
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
    /* replacement comes through the normal rules: pods go pending, the seed adds workers */
    assert_true(m->nodes_launched > 6);
    nf_sim_report_free(&rep);
    nf_trace_free(&tr);
    cfg.sim_spot_interruptions_per_hour = 0;
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
        T(oracle_pays_exactly_the_needed_workers_at_the_spot_share),
        T(billing_has_a_minimum),
        T(seed_follows_a_rise_within_bounds),
        T(same_seed_same_report),
        T(spot_workers_can_be_reclaimed),
        T(an_all_zero_trace_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
