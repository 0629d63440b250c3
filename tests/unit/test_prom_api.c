/* test_prom_api.c - the Prometheus API parser against real responses (tests/vectors). */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>

#include "prom/prom_api.h"
#include "util/buf.h"

static struct nf_prom_result R;

static int parse_vector(const char *name, struct nf_err *err)
{
    const char *dir = getenv("NF_VECTORS");
    if (dir == NULL)
        fail_msg("NF_VECTORS is not set (run through ctest)");
    char path[1024];
    snprintf(path, sizeof path, "%s/prometheus/api/%s", dir, name);
    struct nf_buf b;
    nf_buf_init(&b, 1 << 20);
    struct nf_err e;
    if (nf_buf_read_file(&b, path, path, &e) != NF_OK)
        fail_msg("%s", e.msg);
    int rc = nf_prom_parse(b.data, b.len, &R, err);
    nf_buf_free(&b);
    return rc;
}

static void ok(const char *name)
{
    struct nf_err err = {0};
    if (parse_vector(name, &err) != NF_OK)
        fail_msg("%s: %s", name, err.msg);
}

static int teardown(void **state)
{
    (void)state;
    nf_prom_result_free(&R);
    return 0;
}

static void instant_vector(void **state)
{
    (void)state;
    ok("docs-instant-query-vector.json");
    assert_true(R.ok);
    assert_int_equal(R.type, NF_PROM_VECTOR);
    assert_int_equal(R.nseries, 2);
    assert_string_contains(R.series[0].labels, "__name__=\"up\"");
    assert_string_contains(R.series[0].labels, "job=\"prometheus\"");
    assert_int_equal(R.series[0].n, 1);
    assert_true(R.series[0].pts[0].t == 1435781451.781);
    assert_true(R.series[0].pts[0].v == 1);
    assert_true(R.series[1].pts[0].v == 0);
}

static void range_matrix(void **state)
{
    (void)state;
    ok("docs-range-query-matrix.json");
    assert_int_equal(R.type, NF_PROM_MATRIX);
    assert_int_equal(R.nseries, 2);
    assert_int_equal(R.series[0].n, 3);
    assert_true(R.series[0].pts[1].t == 1435781445.781);
    assert_true(R.series[0].pts[2].t - R.series[0].pts[1].t == 15);
}

static void scalar_and_special_values(void **state)
{
    (void)state;
    ok("assembled-scalar-nan.json");
    assert_int_equal(R.type, NF_PROM_SCALAR);
    assert_int_equal(R.nseries, 1);
    assert_true(isnan(R.series[0].pts[0].v));
    nf_prom_result_free(&R);
    ok("openapi-scalar-result.json");
    assert_int_equal(R.type, NF_PROM_SCALAR);
    assert_true(R.series[0].pts[0].v == 42);
    double v;
    assert_int_equal(nf_prom_parse_value("+Inf", 4, &v), NF_OK);
    assert_true(isinf(v) && v > 0);
    assert_int_equal(nf_prom_parse_value("-Inf", 4, &v), NF_OK);
    assert_true(isinf(v) && v < 0);
    assert_int_equal(nf_prom_parse_value("1.2345678e-67", 13, &v), NF_OK);
    assert_true(v == 1.2345678e-67);
    assert_int_equal(nf_prom_parse_value("inf", 3, &v), NF_E_INPUT);
    assert_int_equal(nf_prom_parse_value("", 0, &v), NF_E_INPUT);
}

static void string_result(void **state)
{
    (void)state;
    ok("assembled-string-result.json");
    assert_int_equal(R.type, NF_PROM_STRING);
    assert_true(R.string_value[0] != '\0');
}

static void errors_are_kept_with_their_type(void **state)
{
    (void)state;
    const struct {
        const char *file, *type;
    } cases[] = {{"assembled-error-bad-data-parse.json", "bad_data"},
                 {"assembled-error-execution.json", "execution"},
                 {"assembled-error-timeout.json", "timeout"},
                 {"apitest-error-timeout-with-data.json", "timeout"},
                 {"apitest-error-not-acceptable.json", "not_acceptable"},
                 {"openapi-error-tsdb-not-ready.json", "internal"},
                 {"assembled-error-bad-data-too-many-points.json", "bad_data"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ok(cases[i].file);
        assert_false(R.ok);
        assert_string_equal(R.error_type, cases[i].type);
        assert_true(R.error[0] != '\0');
        nf_prom_result_free(&R);
    }
    ok("assembled-error-with-warnings.json"); /* warnings are kept on errors too */
    assert_false(R.ok);
    assert_int_equal(R.nwarnings, 1);
    assert_string_equal(R.warnings[0], "a");
    assert_int_equal(R.ninfos, 1);
}

static void warnings_and_infos(void **state)
{
    (void)state;
    ok("assembled-vector-with-warnings-and-infos.json");
    assert_true(R.ok);
    assert_int_equal(R.nwarnings, 1);
    assert_string_equal(R.warnings[0], "results truncated due to limit");
    assert_int_equal(R.ninfos, 1);
    assert_true(R.series[0].pts[0].v == 42);
}

static void native_histograms_have_no_float(void **state)
{
    (void)state;
    ok("openapi-vector-native-histogram.json");
    assert_int_equal(R.type, NF_PROM_VECTOR);
    assert_true(R.series[0].histogram);
    assert_true(isnan(R.series[0].pts[0].v));
    nf_prom_result_free(&R);
    ok("codec-matrix-native-histogram.json");
    assert_int_equal(R.type, NF_PROM_MATRIX);
    assert_true(R.series[0].histogram);
    assert_int_equal(R.series[0].n, 0);
}

static void not_query_results_are_rejected(void **state)
{
    (void)state;
    struct nf_err err = {0};
    /* data is a list of series, or a bare point: not a query result */
    assert_int_equal(parse_vector("docs-series.json", &err), NF_E_INPUT);
    assert_string_contains(err.msg, "data");
    assert_int_equal(parse_vector("codec-point-nan.json", &err), NF_E_INPUT);
    assert_int_equal(parse_vector("common-matrix.json", &err), NF_E_INPUT);
}

/* The prometheus/common result payloads, put in an envelope as the API sends them. */
static void wrapped(const char *type, const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/prometheus/api/%s", getenv("NF_VECTORS"), file);
    struct nf_buf b, body;
    nf_buf_init(&b, 1 << 20);
    nf_buf_init(&body, 1 << 20);
    struct nf_err e;
    if (nf_buf_read_file(&b, path, path, &e) != NF_OK)
        fail_msg("%s", e.msg);
    nf_buf_printf(&body, "{\"status\":\"success\",\"data\":{\"resultType\":\"%s\",\"result\":%s}}",
                  type, b.data);
    if (nf_prom_parse(body.data, body.len, &R, &e) != NF_OK)
        fail_msg("%s: %s", file, e.msg);
    nf_buf_free(&b);
    nf_buf_free(&body);
}

static void result_payloads_from_the_client_library(void **state)
{
    (void)state;
    wrapped("matrix", "common-matrix.json");
    assert_int_equal(R.nseries, 2);
    assert_true(R.series[1].pts[1].v == 223.12);
    assert_true(R.series[1].pts[1].t == 22345.678);
    nf_prom_result_free(&R);
    wrapped("vector", "common-vector-with-inf.json");
    bool inf = false;
    for (size_t i = 0; i < R.nseries; i++)
        inf = inf || isinf(R.series[i].pts[0].v);
    assert_true(inf);
    nf_prom_result_free(&R);
    wrapped("scalar", "common-scalar-value-neg-inf.json");
    assert_true(isinf(R.series[0].pts[0].v) && R.series[0].pts[0].v < 0);
    nf_prom_result_free(&R);
    wrapped("scalar", "common-scalar-value.json");
    assert_true(isfinite(R.series[0].pts[0].v));
}

static void malformed_bodies(void **state)
{
    (void)state;
    const struct {
        const char *body, *msg;
    } cases[] = {
        {"", "body: invalid JSON"},
        {"{\"status\":\"success\",\"data\":{\"resultT", "body: invalid JSON"},
        {"[]", "body: expected a JSON object"},
        {"{}", "status: missing"},
        {"{\"status\":\"maybe\"}", "status: neither"},
        {"{\"status\":\"success\"}", "data: expected an object"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"cube\",\"result\":[]}}",
         "unknown result type"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":[1,"
         "\"x\"]}]}}",
         "result[0]: value is not a number"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":[1,"
         "2]}]}}",
         "result[0]: value is not a string"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"values\":[[2,"
         "\"1\"],[1,\"1\"]]}]}}",
         "timestamps not increasing"},
        {"{\"status\":\"success\",\"warnings\":[1],\"data\":{\"resultType\":\"vector\",\"result\":["
         "]}}",
         "warnings: expected an array of strings"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1]}}",
         "data.result: expected [timestamp, \"value\"]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nf_err err = {0};
        int rc = nf_prom_parse(cases[i].body, strlen(cases[i].body), &R, &err);
        if (rc != NF_E_INPUT)
            fail_msg("case %zu accepted", i);
        if (strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].msg);
        assert_null(R.series);
    }
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, teardown)
    const struct CMUnitTest tests[] = {
        T(instant_vector),
        T(range_matrix),
        T(scalar_and_special_values),
        T(string_result),
        T(errors_are_kept_with_their_type),
        T(warnings_and_infos),
        T(native_histograms_have_no_float),
        T(not_query_results_are_rejected),
        T(result_payloads_from_the_client_library),
        T(malformed_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
