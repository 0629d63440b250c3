/* test_window.c - "condition held for D", exactly as DESIGN.md defines it. */
#include "test_util.h"

#include "core/window.h"

static const struct nf_condset cpu_above_70 = {.n = 1, .c = {{NF_SIG_CPU, NF_CMP_ABOVE, 70}}};

static struct nf_sample cpu_sample(double t, double cpu)
{
    struct nf_sample s = sample_at(t);
    s.v[NF_SIG_CPU] = cpu;
    return s;
}

static void no_samples(void **state)
{
    (void)state;
    struct nf_window_result r;
    assert_false(nf_window_holds(NULL, 0, 1000, 180, &cpu_above_70, &r));
    assert_int_equal(r.state, NF_WIN_NO_SAMPLES);
}

static void exactly_the_duration_holds(void **state)
{
    (void)state;
    struct nf_sample s[] = {cpu_sample(820, 75), cpu_sample(1000, 75)};
    struct nf_window_result r;
    assert_true(nf_window_holds(s, 2, 1000, 180, &cpu_above_70, &r));
    assert_int_equal(r.state, NF_WIN_HELD);
    assert_true(r.since == 820);
}

static void one_second_short_does_not_hold(void **state)
{
    (void)state;
    struct nf_sample s[] = {cpu_sample(819, 60), cpu_sample(821, 75), cpu_sample(1000, 75)};
    struct nf_window_result r;
    assert_false(nf_window_holds(s, 3, 1000, 180, &cpu_above_70, &r));
    assert_int_equal(r.state, NF_WIN_TOO_SHORT);
    assert_int_equal(r.run_len, 2);
    assert_true(r.since == 821);
}

static void equal_to_threshold_is_not_above(void **state)
{
    (void)state;
    struct nf_sample s[] = {cpu_sample(700, 70), cpu_sample(1000, 70)};
    struct nf_window_result r;
    assert_false(nf_window_holds(s, 2, 1000, 180, &cpu_above_70, &r));
    assert_int_equal(r.state, NF_WIN_NEWEST_FAILS);
}

static void newest_must_satisfy(void **state)
{
    (void)state;
    struct nf_sample s[] = {cpu_sample(500, 90), cpu_sample(800, 90), cpu_sample(1000, 50)};
    struct nf_window_result r;
    assert_false(nf_window_holds(s, 3, 1000, 180, &cpu_above_70, &r));
    assert_int_equal(r.state, NF_WIN_NEWEST_FAILS);
    assert_int_equal(r.failing, 0);
}

static void a_break_in_the_run_restarts_it(void **state)
{
    (void)state;
    struct nf_sample s[] = {cpu_sample(700, 90), cpu_sample(850, 60), cpu_sample(900, 90),
                            cpu_sample(1000, 90)};
    assert_false(nf_window_holds(s, 4, 1000, 180, &cpu_above_70, NULL));
    /* ...but a shorter duration the run does cover holds */
    assert_true(nf_window_holds(s, 4, 1000, 100, &cpu_above_70, NULL));
}

static void unknown_newest_is_neither_high_nor_low(void **state)
{
    (void)state;
    struct nf_sample s[] = {cpu_sample(700, 90), cpu_sample(1000, NAN)};
    struct nf_window_result r;
    assert_false(nf_window_holds(s, 2, 1000, 180, &cpu_above_70, &r));
    assert_int_equal(r.state, NF_WIN_NEWEST_UNKNOWN);
    const struct nf_condset below = {.n = 1, .c = {{NF_SIG_CPU, NF_CMP_BELOW, 30}}};
    assert_false(nf_window_holds(s, 2, 1000, 180, &below, &r));
    assert_int_equal(r.state, NF_WIN_NEWEST_UNKNOWN);
}

static void unknown_in_the_middle_breaks_the_run(void **state)
{
    (void)state;
    struct nf_sample s[] = {cpu_sample(700, 90), cpu_sample(900, INFINITY), cpu_sample(1000, 90)};
    struct nf_window_result r;
    assert_false(nf_window_holds(s, 3, 1000, 180, &cpu_above_70, &r));
    assert_int_equal(r.state, NF_WIN_TOO_SHORT);
}

static void zero_duration_needs_only_the_newest(void **state)
{
    (void)state;
    struct nf_sample s[] = {cpu_sample(999, 60), cpu_sample(1000, 71)};
    assert_true(nf_window_holds(s, 2, 1000, 0, &cpu_above_70, NULL));
}

static void sparse_samples_follow_the_definition(void **state)
{
    (void)state;
    /* two samples 1000 s apart, both high: the run reaches back past now - D */
    struct nf_sample s[] = {cpu_sample(0, 90), cpu_sample(1000, 90)};
    assert_true(nf_window_holds(s, 2, 1000, 180, &cpu_above_70, NULL));
    /* a single sample newer than now - D cannot prove the duration */
    struct nf_sample one[] = {cpu_sample(900, 90)};
    assert_false(nf_window_holds(one, 1, 1000, 180, &cpu_above_70, NULL));
}

static void conjunction_needs_every_part(void **state)
{
    (void)state;
    const struct nf_condset idle = {.n = 3,
                                    .c = {{NF_SIG_CPU, NF_CMP_BELOW, 30},
                                          {NF_SIG_MEMORY, NF_CMP_BELOW, 50},
                                          {NF_SIG_PENDING_PODS, NF_CMP_EQUAL, 0}}};
    struct nf_sample s[3];
    size_t n = fill_samples(s, 3, 400, 1000, 300, 10, 20, 0);
    assert_int_equal(n, 3);
    assert_true(nf_window_holds(s, n, 1000, 600, &idle, NULL));
    s[1].v[NF_SIG_MEMORY] = 50; /* equal is not below */
    struct nf_window_result r;
    assert_false(nf_window_holds(s, n, 1000, 600, &idle, &r));
    assert_int_equal(r.state, NF_WIN_TOO_SHORT);
    s[1].v[NF_SIG_MEMORY] = 20;
    s[2].v[NF_SIG_PENDING_PODS] = NAN;
    assert_false(nf_window_holds(s, n, 1000, 600, &idle, &r));
    assert_int_equal(r.state, NF_WIN_NEWEST_UNKNOWN);
    assert_int_equal(r.failing, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_samples),
        cmocka_unit_test(exactly_the_duration_holds),
        cmocka_unit_test(one_second_short_does_not_hold),
        cmocka_unit_test(equal_to_threshold_is_not_above),
        cmocka_unit_test(newest_must_satisfy),
        cmocka_unit_test(a_break_in_the_run_restarts_it),
        cmocka_unit_test(unknown_newest_is_neither_high_nor_low),
        cmocka_unit_test(unknown_in_the_middle_breaks_the_run),
        cmocka_unit_test(zero_duration_needs_only_the_newest),
        cmocka_unit_test(sparse_samples_follow_the_definition),
        cmocka_unit_test(conjunction_needs_every_part),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
