/* test_expo.c - the exposition writer reproduces the reference writer's outputs byte for byte
 * (tests/vectors/prometheus/exposition/writer-cases, inputs from text_create_test.go). */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>

#include "metrics/expo.h"
#include "metrics/registry.h"
#include "util/buf.h"

static void expect_case(const char *file, const struct nf_buf *got)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/prometheus/exposition/writer-cases/%s", getenv("NF_VECTORS"),
             file);
    struct nf_buf want;
    nf_buf_init(&want, 1 << 20);
    struct nf_err e;
    if (nf_buf_read_file(&want, path, path, &e) != NF_OK)
        fail_msg("%s", e.msg);
    assert_int_equal(got->status, NF_OK);
    if (strcmp(want.data, got->data) != 0)
        fail_msg("%s differs:\n--- want\n%s--- got\n%s", file, want.data, got->data);
    nf_buf_free(&want);
}

#define L(n, v) ((struct nf_label){(n), (v)})

static void counter_and_gauges(void **state)
{
    (void)state;
    struct nf_buf b;
    nf_buf_init(&b, 1 << 16);
    nf_expo_family(&b, "name", "two-line\n doc  str\\ing", "counter");
    struct nf_label l1[] = {L("labelname", "val1"), L("basename", "basevalue")};
    struct nf_label l2[] = {L("labelname", "val2"), L("basename", "basevalue")};
    nf_expo_sample(&b, "name", NULL, l1, 2, NAN, false, 0);
    nf_expo_sample(&b, "name", NULL, l2, 2, .23, true, 1234567890);
    expect_case("00-counter-nan-as-value-timestamp-given.prom", &b);

    for (int utf8 = 0; utf8 < 2; utf8++) {
        nf_buf_reset(&b);
        const char *fam = utf8 ? "gauge.name" : "gauge_name";
        const char *n1 = utf8 ? "name.1" : "name_1", *n2 = utf8 ? "name*2" : "name_2";
        nf_expo_family(&b, fam, "gauge\ndoc\nstr\"ing", "gauge");
        struct nf_label a[] = {L(n1, "val with\nnew line"),
                               L(n2, "val with \\backslash and \"quotes\"")};
        struct nf_label c[] = {L(n1, "Björn"), L(n2, "佖佥")};
        nf_expo_sample(&b, fam, NULL, a, 2, INFINITY, false, 0);
        nf_expo_sample(&b, fam, NULL, c, 2, 3.14e42, false, 0);
        expect_case(utf8 ? "02-gauge-utf-8-inf-as-value-multi-byte-characters-in-label-valu.prom"
                         : "01-gauge-some-escaping-required-inf-as-value-multi-byte-charact.prom",
                    &b);
    }

    nf_buf_reset(&b);
    nf_expo_family(&b, "untyped_name", NULL, "untyped");
    nf_expo_sample(&b, "untyped_name", NULL, NULL, 0, -INFINITY, false, 0);
    struct nf_label u[] = {L("name_1", "value 1")};
    nf_expo_sample(&b, "untyped_name", NULL, u, 1, -1.23e-45, false, 0);
    expect_case("03-untyped-no-help-one-sample-with-no-labels-and-inf-as-value-a.prom", &b);

    nf_buf_reset(&b);
    nf_expo_family(&b, "name", "doc string", "counter");
    nf_expo_sample(&b, "name", NULL, NULL, 0, -INFINITY, false, 0);
    expect_case("07-no-metric-type-should-result-in-default-type-counter.prom", &b);
    nf_buf_free(&b);
}

static void summary(void **state)
{
    (void)state;
    struct nf_buf b;
    nf_buf_init(&b, 1 << 16);
    nf_expo_family(&b, "summary_name", "summary docstring", "summary");
    const double qs[] = {0.5, 0.9, 0.99};
    const double v1[] = {-1.23, .2342354, 0}, v2[] = {1, 2, 3};
    for (int m = 0; m < 2; m++) {
        struct nf_label ls[3] = {L("name_1", "value 1"), L("name_2", "value 2")};
        size_t base = m ? 2 : 0;
        char q[32];
        for (int i = 0; i < 3; i++) {
            nf_expo_float(qs[i], q);
            ls[base] = L("quantile", q);
            nf_expo_sample(&b, "summary_name", NULL, ls, base + 1, m ? v2[i] : v1[i], false, 0);
        }
        nf_expo_sample(&b, "summary_name", "_sum", ls, base, m ? 2010.1971 : -3.4567, false, 0);
        nf_expo_sample(&b, "summary_name", "_count", ls, base, m ? 4711 : 42, false, 0);
    }
    expect_case("04-summary.prom", &b);
    nf_buf_free(&b);
}

static void histograms(void **state)
{
    (void)state;
    const double with_inf[] = {100, 120, 144, 172.8, INFINITY};
    const double counts[] = {123, 412, 592, 1524, 2693};
    const double fcounts[] = {123.123, 412, 592, 1524, 2693.123};
    const struct {
        const char *file, *name, *help;
        size_t n;
        const double *c;
        double count;
    } cases[] = {
        {"05-histogram.prom", "request_duration_microseconds", "The response latency.", 5, counts,
         2693},
        {"06-histogram-with-missing-inf-bucket.prom", "request_duration_microseconds",
         "The response latency.", 4, counts, 2693},
        {"08-float-histogram-with-inf.prom", "name", "doc string", 5, fcounts, 2693.123},
        {"09-float-histogram-without-inf.prom", "name", "doc string", 4, fcounts, 2693.123},
        {"10-gauge-histogram-rendered-as-regular-histogram.prom", "name", "doc string", 5, counts,
         2693},
        {"11-gauge-float-histogram-rendered-as-regular-histogram.prom", "name", "doc string", 5,
         fcounts, 2693.123},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nf_buf b;
        nf_buf_init(&b, 1 << 16);
        nf_expo_family(&b, cases[i].name, cases[i].help, "histogram");
        nf_expo_histogram(&b, cases[i].name, NULL, 0, with_inf, cases[i].c, cases[i].n, 1756047.3,
                          cases[i].count);
        expect_case(cases[i].file, &b);
        nf_buf_free(&b);
    }
}

static void floats_like_go(void **state)
{
    (void)state;
    const struct {
        double v;
        const char *s;
    } cases[] = {{1, "1"},
                 {0, "0"},
                 {-0.0, "0"},
                 {-1, "-1"},
                 {0.23, "0.23"},
                 {1756047.3, "1.7560473e+06"},
                 {100000, "100000"},
                 {1e6, "1e+06"},
                 {123456789, "1.23456789e+08"},
                 {0.0001, "0.0001"},
                 {0.00001, "1e-05"},
                 {2010.1971, "2010.1971"},
                 {1e21, "1e+21"},
                 {1234567, "1.234567e+06"},
                 {123456, "123456"},
                 {-1.23e-45, "-1.23e-45"},
                 {5e-324, "5e-324"},
                 {1.7976931348623157e308, "1.7976931348623157e+308"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[32];
        nf_expo_float(cases[i].v, out);
        if (strcmp(out, cases[i].s) != 0)
            fail_msg("%.17g: got %s, want %s", cases[i].v, out, cases[i].s);
    }
}

/* The series the dashboards and alert rules read (issue 17): settings as gauges, a cycle's
 * facts added up, the join histogram, and a standby's facts not overwriting the pool. */
static void the_registry_keeps_what_the_rules_read(void **state)
{
    (void)state;
    const char *names[] = {"cpu"};
    struct nf_registry *r = nf_registry_new("1.2.3", names, 1);
    struct nf_registry_settings set = {.interval_s = 30,
                                       .drain_timeout_s = 300,
                                       .provision_timeout_s = 600,
                                       .min_nodes = 2,
                                       .max_nodes = 10};
    nf_registry_settings(r, &set);
    double joined[] = {40, 100};
    struct nf_registry_facts f = {.decided = true,
                                  .lease_held = true,
                                  .launch_failures = 1,
                                  .drains_done = 2,
                                  .njoined = 2,
                                  .joined_s = joined,
                                  .pool_known = true,
                                  .drains_in_flight = 1,
                                  .drain_oldest_age_s = 42,
                                  .instances = {2, 3},
                                  .cost_if_on_demand = 0.5};
    nf_registry_facts(r, &f, 1000);
    struct nf_registry_facts standby = {.lease_lost = true, .deadline_cut = true};
    nf_registry_facts(r, &standby, 1030);
    nf_registry_cycle(r, 0.1, NULL, NULL, NULL, NULL, 1030, 1); /* a failed cycle */
    struct nf_buf b;
    nf_buf_init(&b, 1 << 20);
    nf_registry_render(r, &b);
    const char *want[] = {"nodefleet_interval_seconds 30\n",
                          "nodefleet_nodes_max 10\n",
                          "nodefleet_drain_timeout_seconds 300\n",
                          "nodefleet_cycles_failed_total 1\n",
                          "nodefleet_last_decision_timestamp_seconds 1000\n",
                          "nodefleet_lease_held 0\n",
                          "nodefleet_lease_lost_total 1\n",
                          "nodefleet_deadline_cuts_total 1\n",
                          "nodefleet_launch_failures_total 1\n",
                          "nodefleet_join_duration_seconds_bucket{le=\"30\"} 0\n",
                          "nodefleet_join_duration_seconds_bucket{le=\"45\"} 1\n",
                          "nodefleet_join_duration_seconds_bucket{le=\"120\"} 2\n",
                          "nodefleet_join_duration_seconds_bucket{le=\"+Inf\"} 2\n",
                          "nodefleet_join_duration_seconds_sum 140\n",
                          "nodefleet_join_duration_seconds_count 2\n",
                          "nodefleet_drains_total{outcome=\"done\"} 2\n",
                          "nodefleet_drains_in_flight 1\n",
                          "nodefleet_drain_oldest_age_seconds 42\n",
                          "nodefleet_instances{market=\"spot\"} 3\n",
                          "nodefleet_cost_if_on_demand_dollars_per_hour 0.5\n",
                          "# TYPE nodefleet_join_duration_seconds histogram\n"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (strstr(b.data, want[i]) == NULL)
            fail_msg("missing %s in:\n%s", want[i], b.data);
    nf_buf_free(&b);
    nf_registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counter_and_gauges),
        cmocka_unit_test(summary),
        cmocka_unit_test(histograms),
        cmocka_unit_test(floats_like_go),
        cmocka_unit_test(the_registry_keeps_what_the_rules_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
