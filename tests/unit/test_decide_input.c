/* test_decide_input.c - the decide contract: what is accepted, and each rejection names the
 * field and the problem. */
#include "test_util.h"

#include <stdio.h>

#include "cli/decide_input.h"

static int parse(const char *text, struct nf_decide_input *in, struct nf_err *err)
{
    return nf_decide_parse(text, strlen(text), NULL, in, err);
}

static void accepts_the_documented_shape(void **state)
{
    (void)state;
    const char *text =
        "{\"now\": 1700000000, \"workers\": {\"ready\": 3, \"joining\": 1, \"draining\": 2},"
        " \"samples\": [{\"t\": 1699999760, \"cpu\": 75.0, \"memory\": 40.0, \"pending_pods\": 0,"
        "  \"queue_depth\": 12, \"latency_p95_ms\": 180, \"error_rate_pct\": 0.2},"
        " {\"t\": 1699999775.5, \"cpu\": null}],"
        " \"last_scale_up\": 1699990000, \"last_scale_down\": null}";
    struct nf_decide_input in;
    struct nf_err err = {0};
    assert_int_equal(parse(text, &in, &err), NF_OK);
    assert_true(in.obs.now == 1700000000);
    assert_int_equal(in.obs.workers.ready, 3);
    assert_int_equal(in.obs.workers.joining, 1);
    assert_int_equal(in.obs.workers.draining, 2);
    assert_int_equal(in.obs.nsamples, 2);
    assert_true(in.obs.samples[0].v[NF_SIG_ERROR_RATE_PCT] == 0.2);
    assert_true(isnan(in.obs.samples[1].v[NF_SIG_CPU]));
    assert_true(isnan(in.obs.samples[1].v[NF_SIG_MEMORY])); /* absent = unknown */
    assert_true(in.obs.last_scale_up == 1699990000);
    assert_true(isnan(in.obs.last_scale_down));
    nf_decide_input_free(&in);
}

static void minimal_input_defaults_the_rest(void **state)
{
    (void)state;
    struct nf_decide_input in;
    struct nf_err err = {0};
    assert_int_equal(
        parse("{\"now\": 5, \"workers\": {\"ready\": 0, \"joining\": 0, \"draining\": 0}}", &in,
              &err),
        NF_OK);
    assert_int_equal(in.obs.nsamples, 0);
    assert_int_equal(in.obs.workers.joining, 0);
    assert_true(isnan(in.obs.last_scale_up));
    nf_decide_input_free(&in);
}

static void rejects_with_the_field_named(void **state)
{
    (void)state;
    const struct {
        const char *text, *msg;
    } cases[] = {
        {"{\"now\": 1", "input: invalid JSON at line 1"},
        {"[1,2]", "input: expected a JSON object, got an array"},
        {"{\"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}}", "now: missing"},
        {"{\"now\": \"soon\", \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}}",
         "now: expected a number, got a string"},
        {"{\"now\": null, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}}",
         "now: must not be null"},
        {"{\"now\": -1, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}}",
         "now: must not be negative"},
        {"{\"now\": 1}", "workers: missing"},
        {"{\"now\": 1, \"workers\": 3}", "workers: expected an object, got a number"},
        {"{\"now\": 1, \"workers\": {}}", "workers.ready: missing"},
        {"{\"now\": 1, \"workers\": {\"ready\": -2}}", "workers.ready: must not be negative"},
        {"{\"now\": 1, \"workers\": {\"ready\": 1.5}}",
         "workers.ready: expected a whole number, got a fraction"},
        {"{\"now\": 1, \"workers\": {\"ready\": 1, \"joining\": \"2\"}}",
         "workers.joining: expected a whole number, got a string"},
        /* issue 10: a missing count is not 0 */
        {"{\"now\": 1, \"workers\": {\"ready\": 3}}", "workers.joining: missing"},
        {"{\"now\": 1, \"workers\": {\"ready\": 3, \"joining\": 0}}", "workers.draining: missing"},
        {"{\"now\": 1, \"workers\": {\"ready\": 1, \"spare\": 2}}", "workers.spare: unknown field"},
        {"{\"now\": 1, \"workers\": {\"ready\": 99999999, \"joining\": 0, \"draining\": 0}}",
         "workers.ready: too large"},
        {"{\"now\": 1, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}, \"extra\": 1}",
         "extra: unknown field"},
        {"{\"now\": 1, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}, \"samples\": "
         "{}}",
         "samples: expected an array, got an object"},
        {"{\"now\": 100, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}, "
         "\"samples\": [5]}",
         "samples[0]: expected an object, got a number"},
        {"{\"now\": 100, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}, "
         "\"samples\": [{\"cpu\": 5}]}",
         "samples[0].t: missing"},
        {"{\"now\": 100, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}, "
         "\"samples\": [{\"t\": 101}]}",
         "samples[0].t: later than now"},
        {"{\"now\": 100, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}, "
         "\"samples\": [{\"t\": 50}, {\"t\": 40}]}",
         "samples[1].t: samples out of time order"},
        {"{\"now\": 100, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}, "
         "\"samples\": [{\"t\": 50}, {\"t\": 50}]}",
         "samples[1].t: samples out of time order"},
        {"{\"now\": 100, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}, "
         "\"samples\": [{\"t\": 50, \"cpu\": "
         "\"high\"}]}",
         "samples[0].cpu: expected a number, got a string"},
        {"{\"now\": 100, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}, "
         "\"samples\": [{\"t\": 50, \"pending_pods\": "
         "-1}]}",
         "samples[0].pending_pods: must not be negative"},
        {"{\"now\": 100, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}, "
         "\"samples\": [{\"t\": 50, \"cpus\": 1}]}",
         "samples[0].cpus: unknown field"},
        {"{\"now\": 100, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}, "
         "\"last_scale_up\": 200}",
         "last_scale_up: later than now"},
        {"{\"now\": 100, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}, "
         "\"last_scale_down\": true}",
         "last_scale_down: expected a number, got a boolean"},
        {"{\"now\": 1, \"now\": 2, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}}",
         "input: invalid JSON"},
        {"{\"now\": 1e999, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}}",
         "input: invalid JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nf_decide_input in;
        struct nf_err err = {0};
        int rc = parse(cases[i].text, &in, &err);
        if (rc != NF_E_INPUT)
            fail_msg("case %zu: rc %d, want NF_E_INPUT (%s)", i, rc, cases[i].text);
        if (strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
            fail_msg("case %zu: \"%s\" does not start with \"%s\"", i, err.msg, cases[i].msg);
        assert_null(in.samples);
        assert_null(strchr(err.msg, '\n'));
    }
}

static void writes_the_decision_as_json(void **state)
{
    (void)state;
    struct nf_plan p;
    nf_plan_init(&p);
    nf_plan_trail(&p, "cpu_high", NF_TRAIL_HELD, "cpu \"quoted\"");
    nf_plan_set(&p, NF_ACTION_SCALE_UP, 2, "why");
    struct nf_buf b;
    nf_buf_init(&b, 4096);
    nf_decide_write_plan(&p, &b);
    assert_string_equal(b.data, "{\"action\":\"scale_up\",\"nodes\":2,\"reason\":\"why\",\"trail\":"
                                "[{\"rule\":\"cpu_high\",\"status\":\"held\",\"detail\":"
                                "\"cpu \\\"quoted\\\"\"}]}\n");
    nf_buf_free(&b);
}

static void custom_trigger_values_need_a_configured_trigger(void **state)
{
    (void)state;
    struct nf_config cfg;
    nf_config_defaults(&cfg);
    cfg.ntriggers = 1;
    snprintf(cfg.triggers[0].name, sizeof cfg.triggers[0].name, "orders");
    const char *text =
        "{\"now\": 100, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}, \"samples\": "
        "[{\"t\": 50, \"custom\": {\"orders\": 7}}, {\"t\": 60}]}";
    struct nf_decide_input in;
    struct nf_err err = {0};
    assert_int_equal(nf_decide_parse(text, strlen(text), &cfg, &in, &err), NF_OK);
    assert_true(in.obs.samples[0].v[NF_SIG_CUSTOM(0)] == 7);
    assert_true(isnan(in.obs.samples[1].v[NF_SIG_CUSTOM(0)]));
    assert_true(isnan(in.obs.samples[0].v[NF_SIG_CUSTOM(1)]));
    nf_decide_input_free(&in);
    const char *bad =
        "{\"now\": 100, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}, \"samples\": "
        "[{\"t\": 50, \"custom\": {\"other\": 7}}]}";
    assert_int_equal(nf_decide_parse(bad, strlen(bad), &cfg, &in, &err), NF_E_INPUT);
    assert_string_equal(err.msg,
                        "samples[0].custom.other: no trigger of that name in the configuration");
    const char *bad2 =
        "{\"now\": 100, \"workers\": {\"ready\": 1, \"joining\": 0, \"draining\": 0}, \"samples\": "
        "[{\"t\": 50, \"custom\": {\"orders\": \"x\"}}]}";
    assert_int_equal(nf_decide_parse(bad2, strlen(bad2), &cfg, &in, &err), NF_E_INPUT);
    assert_string_contains(err.msg, "samples[0].custom.orders: expected a number");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_the_documented_shape),
        cmocka_unit_test(minimal_input_defaults_the_rest),
        cmocka_unit_test(rejects_with_the_field_named),
        cmocka_unit_test(writes_the_decision_as_json),
        cmocka_unit_test(custom_trigger_values_need_a_configured_trigger),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
