/* test_basics.c - the small shared pieces: strict parsers, bounded buffers, errors, the
 * JSON logger, and spot/on-demand placement. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/placement.h"
#include "util/budget.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/check.h"
#include "util/err.h"
#include "util/log.h"
#include "util/parse.h"

#define S(x) x, strlen(x)

static void integers_are_strict(void **state)
{
    (void)state;
    long long v = 0;
    const char *why;
    assert_int_equal(nf_parse_ll(S("42"), &v, &why), NF_OK);
    assert_int_equal(v, 42);
    assert_int_equal(nf_parse_ll(S("-7"), &v, &why), NF_OK);
    assert_int_equal(v, -7);
    const char *bad[] = {"", " 1", "1 ", "1.0", "0x10", "1e3", "+", "12a", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (nf_parse_ll(S(bad[i]), &v, &why) == NF_OK)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(nf_parse_ll(S("99999999999999999999"), &v, &why), NF_E_INPUT);
    assert_string_equal(why, "out of range");
    /* only n bytes are read */
    assert_int_equal(nf_parse_ll("123junk", 3, &v, &why), NF_OK);
    assert_int_equal(v, 123);
}

static void numbers_are_finite_decimals(void **state)
{
    (void)state;
    double d;
    const char *why;
    assert_int_equal(nf_parse_double(S("0.0232"), &d, &why), NF_OK);
    assert_true(d == 0.0232);
    assert_int_equal(nf_parse_double(S("-1e3"), &d, &why), NF_OK);
    assert_true(d == -1000);
    const char *bad[] = {"", "nan", "inf", "-inf", "0x1p3", "1e999", " 1", "1,5", "--1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (nf_parse_double(S(bad[i]), &d, &why) == NF_OK)
            fail_msg("accepted \"%s\"", bad[i]);
    char longnum[100];
    memset(longnum, '1', sizeof longnum);
    assert_int_equal(nf_parse_double(longnum, sizeof longnum, &d, &why), NF_E_INPUT);
    assert_string_equal(why, "value too long");
}

static void booleans_and_durations(void **state)
{
    (void)state;
    bool b = false;
    const char *why;
    assert_int_equal(nf_parse_bool(S("TRUE"), &b, &why), NF_OK);
    assert_true(b);
    assert_int_equal(nf_parse_bool(S("off"), &b, &why), NF_OK);
    assert_false(b);
    assert_int_equal(nf_parse_bool(S("truthy"), &b, &why), NF_E_INPUT);
    double s;
    const struct {
        const char *text;
        double secs;
    } ok[] = {{"300", 300},  {"2.5", 2.5},    {"90s", 90}, {"5m", 300},         {"1h30m", 5400},
              {"1d", 86400}, {"250ms", 0.25}, {"0", 0},    {"1d2h3m4s", 93784}, {"1s500ms", 1.5}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(nf_parse_duration(S(ok[i].text), &s, &why), NF_OK);
        assert_true(s == ok[i].secs);
    }
    /* units largest first, each once (issue 10: "5m5m" was 600 s, "1s1h" 3601 s) */
    const char *bad[] = {"-5", "5x", "m", "1h-5m", "", "5 m", "5m5m", "1s1h", "30m1h", "1ms1s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (nf_parse_duration(S(bad[i]), &s, &why) == NF_OK)
            fail_msg("accepted \"%s\"", bad[i]);
}

static void buffers_stop_at_their_limit_and_stay_stopped(void **state)
{
    (void)state;
    struct nf_buf b;
    nf_buf_init(&b, 8);
    assert_int_equal(nf_buf_puts(&b, "12345678"), NF_OK);
    assert_int_equal(b.len, 8);
    assert_int_equal(nf_buf_putc(&b, '9'), NF_E_TOO_BIG);
    assert_string_equal(b.data, "12345678");
    assert_int_equal(nf_buf_puts(&b, ""), NF_E_TOO_BIG); /* sticky */
    nf_buf_reset(&b);
    assert_int_equal(nf_buf_printf(&b, "%d-%s", 7, "x"), NF_OK);
    assert_string_equal(b.data, "7-x");
    assert_int_equal(nf_buf_printf(&b, "%0300d", 1), NF_E_TOO_BIG);
    nf_buf_free(&b);
}

static void json_strings_and_numbers(void **state)
{
    (void)state;
    struct nf_buf b;
    nf_buf_init(&b, 1024);
    nf_buf_json_str(&b, "a\"b\\c\n\x01");
    nf_buf_putc(&b, ' ');
    nf_buf_json_num(&b, 0.1);
    nf_buf_putc(&b, ' ');
    nf_buf_json_num(&b, NAN);
    nf_buf_putc(&b, ' ');
    nf_buf_json_num(&b, 1700000000);
    nf_buf_putc(&b, ' ');
    nf_buf_html(&b, "<a href='x'>&</a>");
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001\" 0.1 null 1700000000 "
                                "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
    nf_buf_free(&b);
}

static void errors_have_names_messages_and_exit_statuses(void **state)
{
    (void)state;
    assert_string_equal(nf_errname(NF_E_CONFIG), "NF_E_CONFIG");
    assert_int_equal(nf_err_exit_status(NF_OK), 0);
    assert_int_equal(nf_err_exit_status(NF_E_USAGE), 2);
    assert_int_equal(nf_err_exit_status(NF_E_CONFIG), 2);
    assert_int_equal(nf_err_exit_status(NF_E_INPUT), 2);
    assert_int_equal(nf_err_exit_status(NF_E_IO), 1);
    assert_int_equal(nf_err_exit_status(NF_E_UNAVAILABLE), 1);
    struct nf_err e;
    assert_int_equal(nf_err_set(&e, NF_E_IO, "read %s", "x"), NF_E_IO);
    nf_err_prefix(&e, "step %d", 3);
    assert_string_equal(e.msg, "step 3: read x");
    char longp[400];
    memset(longp, 'p', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    nf_err_prefix(&e, "%s", longp);
    assert_true(strlen(e.msg) < NF_ERR_MSG_MAX);
    assert_int_equal(nf_err_set(NULL, NF_E_IO, "ignored"), NF_E_IO);
}

static void logs_are_json_lines(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    nf_log_set_sink(f);
    nf_log_set_level(NF_LOG_INFO);
    nf_log(NF_LOG_DEBUG, "hidden", NF_LF_END);
    nf_log(NF_LOG_INFO, "Step 3: Metrics collected", NF_LF_NUM("cpu", 74.3),
           NF_LF_INT("node_count", 3), NF_LF_STR("note", "a \"b\""), NF_LF_BOOL("ok", 1),
           NF_LF_NUM("bad", NAN), NF_LF_END);
    nf_log_set_sink(NULL);
    fclose(f);
    assert_null(strstr(text, "hidden"));
    assert_string_contains(text, "\"level\":\"info\",\"msg\":\"Step 3: Metrics collected\","
                                 "\"cpu\":74.3,\"node_count\":3,\"note\":\"a \\\"b\\\"\","
                                 "\"ok\":true,\"bad\":null}\n");
    assert_true(strncmp(text, "{\"ts\":\"", 7) == 0);
    assert_int_equal(text[7 + 23], 'Z'); /* 2026-11-29T16:04:26.123Z */
    free(text);
    assert_int_equal(nf_log_level_parse("warn"), NF_LOG_WARN);
    assert_int_equal(nf_log_level_parse("loud"), -1);
}

static void spot_share_is_a_ceiling(void **state)
{
    (void)state;
    enum nf_market m[10];
    /* two on-demand workers, 70%: the next ones are spot while spot <= 70% of the pool */
    nf_place_markets(0, 2, 8, 70, m);
    int spot = 0;
    for (int i = 0; i < 8; i++)
        spot += m[i] == NF_MARKET_SPOT;
    assert_int_equal(spot, 7); /* 10 workers: at most 7 spot */
    assert_int_equal(m[0], NF_MARKET_SPOT);
    nf_place_markets(0, 0, 3, 0, m);
    for (int i = 0; i < 3; i++)
        assert_int_equal(m[i], NF_MARKET_ON_DEMAND);
    nf_place_markets(0, 0, 3, 100, m);
    for (int i = 0; i < 3; i++)
        assert_int_equal(m[i], NF_MARKET_SPOT);
    /* removal keeps the share: 8 spot of 10 at 70% -> take spot; 5 of 10 -> on-demand */
    assert_int_equal(nf_place_remove_market(8, 10, 70), NF_MARKET_SPOT);
    assert_int_equal(nf_place_remove_market(5, 10, 70), NF_MARKET_ON_DEMAND);
    assert_int_equal(nf_place_remove_market(3, 3, 70), NF_MARKET_SPOT);
}

/* "k=v,k=v" lists: every item read, values may hold '=', and any empty or '='-less item
 * (leading, doubled, trailing comma) is refused */
static void key_value_lists_split_on_commas(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *items; /* "key|value;" per item read, then "!" if refused */
    } cases[] = {
        {"", ""},
        {"a=1", "a|1;"},
        {"Name=x,k8s.io/cluster={cluster_id}", "Name|x;k8s.io/cluster|{cluster_id};"},
        {"a=b=c,d=", "a|b=c;d|;"},
        {"=v", "|v;"},
        {"a=1,", "a|1;!"},
        {",a=1", "!"},
        {"a=1,,b=2", "a|1;!"},
        {"plain", "!"},
        {"a=1,plain", "a|1;!"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[200] = "";
        const char *p = cases[i].text;
        struct nf_kv kv = {0};
        int r;
        while ((r = nf_kv_next(&p, &kv)) != 0) {
            size_t n = strlen(got);
            if (r < 0) {
                snprintf(got + n, sizeof got - n, "!");
                break;
            }
            snprintf(got + n, sizeof got - n, "%.*s|%.*s;", (int)kv.key_len, kv.key,
                     (int)kv.value_len, kv.value);
        }
        if (strcmp(got, cases[i].items) != 0)
            fail_msg("\"%s\": got \"%s\", want \"%s\"", cases[i].text, got, cases[i].items);
    }
}

/* issue 16: the run's budget - what a call may use, the reserve kept for the last writes */
static void the_budget_keeps_its_reserve(void **state)
{
    (void)state;
    /* no deadline: no limit */
    assert_true(isinf(nf_budget_cap(100, 0, 3, false)));
    /* 10 s to the deadline, 3 s reserve: ordinary calls get 7, the last writes 10 */
    assert_float_equal(nf_budget_cap(100, 110, 3, false), 7, 1e-12);
    assert_float_equal(nf_budget_cap(100, 110, 3, true), 10, 1e-12);
    /* inside the reserve: nothing for an ordinary call, the rest for the last writes */
    assert_true(nf_budget_cap(108, 110, 3, false) < 0);
    assert_float_equal(nf_budget_cap(108, 110, 3, true), 2, 1e-12);
    /* a step fits when its configured timeout does */
    assert_true(nf_budget_fits(7, 5));
    assert_true(nf_budget_fits(7, 7));
    assert_false(nf_budget_fits(7, 7.5));
    /* the process-wide budget */
    assert_true(isinf(nf_budget_left()));
    assert_false(nf_budget_spent());
    nf_budget_start(nf_mono_now() + 10, 3);
    double left = nf_budget_left();
    assert_true(left > 6.5 && left <= 7);
    nf_budget_final();
    assert_true(nf_budget_left() > 9.5);
    nf_budget_start(nf_mono_now() + 1, 3); /* already inside the reserve */
    assert_true(nf_budget_spent());
    nf_budget_clear();
    assert_true(isinf(nf_budget_left()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_budget_keeps_its_reserve),
        cmocka_unit_test(integers_are_strict),
        cmocka_unit_test(numbers_are_finite_decimals),
        cmocka_unit_test(booleans_and_durations),
        cmocka_unit_test(buffers_stop_at_their_limit_and_stay_stopped),
        cmocka_unit_test(json_strings_and_numbers),
        cmocka_unit_test(errors_have_names_messages_and_exit_statuses),
        cmocka_unit_test(logs_are_json_lines),
        cmocka_unit_test(spot_share_is_a_ceiling),
        cmocka_unit_test(key_value_lists_split_on_commas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
