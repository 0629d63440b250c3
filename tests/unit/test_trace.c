/* test_trace.c - the trace reader accepts the real format and rejects each kind of damage
 * with FILE:LINE. */
#include "test_util.h"

#include "sim/trace.h"

static int parse(const char *text, struct nf_trace *tr, struct nf_err *err)
{
    return nf_trace_parse(text, strlen(text), "t.csv", tr, err);
}

static void reads_rows_and_the_end(void **state)
{
    (void)state;
    struct nf_trace tr;
    struct nf_err err;
    assert_int_equal(parse("t_seconds,value\n0,42\n60,61\n120,57.5\n", &tr, &err), NF_OK);
    assert_int_equal(tr.n, 3);
    assert_true(tr.v[2] == 57.5);
    assert_true(tr.end == 180);
    size_t cur = 0;
    assert_true(nf_trace_value_at(&tr, &cur, 0) == 42);
    assert_true(nf_trace_value_at(&tr, &cur, 59.9) == 42);
    assert_true(nf_trace_value_at(&tr, &cur, 60) == 61);
    assert_true(nf_trace_value_at(&tr, &cur, 500) == 57.5);
    assert_true(nf_trace_value_at(&tr, &cur, 10) == 42); /* going back restarts */
    nf_trace_free(&tr);
}

static void accepts_crlf_bom_and_no_final_newline(void **state)
{
    (void)state;
    struct nf_trace tr;
    struct nf_err err;
    assert_int_equal(parse("\xEF\xBB\xBFt_seconds,value\r\n0,1\r\n300,2", &tr, &err), NF_OK);
    assert_int_equal(tr.n, 2);
    assert_true(tr.end == 600);
    nf_trace_free(&tr);
}

static void percentile_is_nearest_rank(void **state)
{
    (void)state;
    struct nf_trace tr;
    struct nf_err err;
    assert_int_equal(parse("t_seconds,value\n0,5\n1,1\n2,4\n3,2\n4,3\n", &tr, &err), NF_OK);
    double v;
    assert_int_equal(nf_trace_percentile(&tr, 100, &v, &err), NF_OK);
    assert_true(v == 5);
    assert_int_equal(nf_trace_percentile(&tr, 50, &v, &err), NF_OK);
    assert_true(v == 3);
    assert_int_equal(nf_trace_percentile(&tr, 1, &v, &err), NF_OK);
    assert_true(v == 1);
    nf_trace_free(&tr);
}

static void rejects_damage_with_file_and_line(void **state)
{
    (void)state;
    const struct {
        const char *text, *msg;
    } cases[] = {
        {"", "t.csv:1: empty file"},
        {"time,value\n0,1\n1,2\n", "t.csv:1: bad header \"time,value\""},
        {"t_seconds,value\n0,1\n60,abc\n", "t.csv:3: value \"abc\" is not numeric"},
        {"t_seconds,value\n0,1\nx,2\n", "t.csv:3: t_seconds \"x\" is not numeric"},
        {"t_seconds,value\n0,1\n60,2\n30,3\n", "t.csv:4: time \"30\" goes backwards"},
        {"t_seconds,value\n0,1\n60,2\n60,3\n", "t.csv:4: time \"60\" repeats"},
        {"t_seconds,value\n0,1\n60,-2\n", "t.csv:3: value \"-2\" is negative"},
        {"t_seconds,value\n-60,1\n0,2\n", "t.csv:2: t_seconds \"-60\" is negative"},
        {"t_seconds,value\n0,1\n60,2,3\n", "t.csv:3: expected two fields"},
        {"t_seconds,value\n0,1\n60\n", "t.csv:3: expected two fields"},
        {"t_seconds,value\n0,1\n\n120,2\n", "t.csv:3: empty line"},
        {"t_seconds,value\n0,1\n", "needs at least two data rows"},
        {"t_seconds,value\n0,1\n60,nan\n", "t.csv:3: value \"nan\" is not numeric"},
        {"t_seconds,value\n0,1\n60,1e999\n", "t.csv:3: value \"1e999\" is not numeric"},
        {"t_seconds,value\n0,1\n60, 2\n", "t.csv:3: value \" 2\" is not numeric"},
        {"t_seconds,value\n0,1\n60,0x10\n", "t.csv:3: value \"0x10\" is not numeric"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nf_trace tr;
        struct nf_err err = {0};
        int rc = parse(cases[i].text, &tr, &err);
        if (rc != NF_E_INPUT)
            fail_msg("case %zu: rc %d, want NF_E_INPUT", i, rc);
        if (strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].msg);
        assert_null(tr.t);
    }
}

static void a_long_field_is_cut_in_the_message(void **state)
{
    (void)state;
    char text[400];
    snprintf(text, sizeof text, "t_seconds,value\n0,1\n60,%0300d\n", 7);
    text[strlen(text) - 2] = 'x';
    struct nf_trace tr;
    struct nf_err err;
    assert_int_equal(parse(text, &tr, &err), NF_E_INPUT);
    assert_string_contains(err.msg, "...\" is not numeric");
    assert_true(strlen(err.msg) < 120);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_rows_and_the_end),
        cmocka_unit_test(accepts_crlf_bom_and_no_final_newline),
        cmocka_unit_test(percentile_is_nearest_rank),
        cmocka_unit_test(rejects_damage_with_file_and_line),
        cmocka_unit_test(a_long_field_is_cut_in_the_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
