/* test_predictive.c - node-fleet's predictive layer for the seed policy: each rule and each
 * boundary of predictive.h, then the layer inside the seed (only when the reactive rules decide
 * nothing, the cooldown applied, off when disabled or without a history). */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <math.h>
#include <string.h>

#include "core/policy.h"
#include "core/predictive.h"

#define HOUR 3600.0
#define DAY  86400.0
/* Monday 2026-11-30 10:00:00 UTC: the next hour is 11 */
#define NOW 1796032800.0

static struct nf_history_item items[200];
static size_t n;

/* `count` readings at 11:xx UTC on the 7 days before today (items[6] and [13] on last
 * Monday), and `other` readings at 03:xx UTC on the 6 days before (none a Monday), all at the
 * same CPU: the weekday factor is 1 unless a test changes one */
static void fill(int count, double cpu, double mem, double pending, int other)
{
    n = 0;
    for (int i = 0; i < count; i++)
        items[n++] =
            nf_history_item_at(NOW - (i % 7 + 1) * DAY + HOUR + 60 * (i / 7), cpu, mem, pending, 4);
    for (int i = 0; i < other; i++)
        items[n++] = nf_history_item_at(NOW - (i % 6 + 1) * DAY - 7 * HOUR + 60 * i, cpu, 20, 0, 4);
}

static void the_time_fields_are_utc(void **state)
{
    (void)state;
    struct nf_history_item it = nf_history_item_at(0, 1, 2, 3, 4);
    assert_int_equal(it.hour, 0);
    assert_int_equal(it.weekday, 3); /* 1970-01-01: a Thursday */
    it = nf_history_item_at(NOW + 11 * HOUR + 59, 1, 2, 3, 4);
    assert_int_equal(it.hour, 21);
    assert_int_equal(it.weekday, 0); /* Monday */
    it = nf_history_item_at(NOW - 11 * HOUR, 1, 2, 3, 4);
    assert_int_equal(it.hour, 23);
    assert_int_equal(it.weekday, 6); /* Sunday */
}

/* at least 20 items, at least 3 in the next hour: else no prediction */
static void too_little_history_predicts_nothing(void **state)
{
    (void)state;
    struct nf_prediction p;
    fill(3, 90, 50, 0, 16); /* 19 items */
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_false(p.known);
    assert_int_equal(p.items, 19);
    assert_int_equal(p.hour, 11);
    fill(3, 90, 50, 0, 17); /* 20 items: known */
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_true(p.known);
    assert_int_equal(p.hour_items, 3);
    fill(2, 90, 50, 0, 30); /* 2 in the hour */
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_false(p.known);
    /* older than 7 days: not counted */
    fill(3, 90, 50, 0, 17);
    items[n - 1].t = NOW - 7 * DAY - 1;
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_false(p.known);
    assert_int_equal(p.items, 19);
}

/* averages, confidence = min(count/10, 1), x1.2 below 0.5, the weekday factor */
static void averages_confidence_and_factors(void **state)
{
    (void)state;
    struct nf_prediction p;
    fill(3, 50, 40, 0, 17);
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_float_equal(p.confidence, 0.3, 1e-9);
    /* no item on a Monday: the factor stays 1; confidence 0.3 < 0.5: x1.2 */
    assert_float_equal(p.day_factor, 1.0, 1e-9);
    assert_float_equal(p.cpu, 60.0, 1e-9);
    assert_float_equal(p.memory, 48.0, 1e-9);
    fill(12, 50, 40, 0, 10);
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_float_equal(p.confidence, 1.0, 1e-9); /* 12 items: capped at 1 */
    fill(5, 50, 40, 0, 15);                      /* confidence exactly 0.5: not below it, no x1.2 */
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_float_equal(p.confidence, 0.5, 1e-9);
    assert_float_equal(p.cpu, 50.0, 1e-9);
    fill(4, 50, 40, 0, 16); /* 0.4: x1.2 */
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_float_equal(p.cpu, 60.0, 1e-9);
    /* a Monday item (7 days back) raises the factor: today's weekday average / the overall
     * average */
    fill(12, 50, 40, 0, 10);
    items[6].cpu = 80; /* NOW - 7 days + 1 h: last Monday at 11:00, the only Monday item */
    nf_predict(items, n, NOW, 4, 10, &p);
    double all = (21 * 50.0 + 80) / 22;
    assert_float_equal(p.day_factor, 80 / all, 1e-9);
    double hour = (11 * 50.0 + 80) / 12;
    assert_float_equal(p.cpu, hour * 80 / all, 1e-9);
    /* an unknown reading is left out of the averages */
    fill(12, 50, 40, 0, 10);
    items[0].cpu = NAN;
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_float_equal(p.cpu, 50.0, 1e-9);
}

/* scale up when cpu > 70, memory > 73.5 or pending >= 1 - each at its boundary */
static void each_threshold_at_its_boundary(void **state)
{
    (void)state;
    struct nf_prediction p;
    fill(10, 70, 20, 0, 10); /* confidence 1: no boost; cpu exactly 70: not above */
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_true(p.known);
    assert_false(p.up);
    fill(10, 70.5, 20, 0, 10);
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_true(p.up);
    fill(10, 20, 73.5, 0, 10);
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_false(p.up);
    fill(10, 20, 73.6, 0, 10);
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_true(p.up);
    assert_int_equal(p.target, 4); /* CPU 20 % sizes below the pool: it stays */
    fill(10, 20, 20, 0.9, 10);
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_false(p.up);
    fill(10, 20, 20, 1, 10);
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_true(p.up);
}

/* target = max(current, floor(cpu / 60 x current) + 1) within [2, current + 3] and max */
static void the_target_and_its_limits(void **state)
{
    (void)state;
    struct nf_prediction p;
    fill(10, 75, 20, 0, 10);
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_int_equal(p.target, 6); /* floor(75/60 x 4) + 1 = 6 */
    fill(10, 200, 20, 0, 10);
    nf_predict(items, n, NOW, 4, 10, &p);
    assert_int_equal(p.target, 7); /* floor(13.3) + 1 = 14, at most 4 + 3 */
    nf_predict(items, n, NOW, 4, 6, &p);
    assert_int_equal(p.target, 6); /* max_nodes */
    fill(10, 20, 20, 3, 10);
    nf_predict(items, n, NOW, 1, 10, &p);
    assert_int_equal(p.target, 2); /* at least 2 */
}

/* ---- inside the seed ---- */

static struct nf_policy pol;

static struct nf_plan seed_with(size_t nitems, double last_up, bool predictive)
{
    struct nf_policy_params pp = {0};
    pp.seed = (struct nf_seed_params){.min_nodes = 2,
                                      .max_nodes = 10,
                                      .up_cpu = 70,
                                      .up_memory = 75,
                                      .up_pending = 1,
                                      .up_for = 180,
                                      .up_step = 1,
                                      .up_urgent_step = 2,
                                      .urgent_cpu = 90,
                                      .urgent_pending = 10,
                                      .down_cpu = 30,
                                      .down_memory = 50,
                                      .down_for = 600,
                                      .cooldown_up = 300,
                                      .cooldown_down = 600,
                                      .predictive = predictive,
                                      .up_queue = NAN,
                                      .up_latency_ms = NAN,
                                      .up_error_pct = NAN};
    assert_int_equal(nf_policy_init(&pol, "seed", &pp, NULL), NF_OK);
    static struct nf_sample s[2];
    for (int i = 0; i < 2; i++) {
        s[i].t = NOW - 60 + 60 * i;
        for (int k = 0; k < NF_SAMPLE_VALUES; k++)
            s[i].v[k] = NAN;
        s[i].v[NF_SIG_CPU] = 50; /* neither high nor idle: the reactive rules do nothing */
        s[i].v[NF_SIG_MEMORY] = 60;
        s[i].v[NF_SIG_PENDING_PODS] = 0;
    }
    struct nf_observation obs = {.now = NOW,
                                 .workers = {.ready = 4},
                                 .samples = s,
                                 .nsamples = 2,
                                 .last_scale_up = last_up,
                                 .last_scale_down = NAN,
                                 .mhistory = nitems ? items : NULL,
                                 .nmhistory = nitems};
    struct nf_plan plan;
    nf_policy_decide(&pol, &obs, &plan);
    return plan;
}

static const struct nf_trail_entry *trail(const struct nf_plan *p, const char *rule)
{
    const struct nf_trail_entry *last = NULL;
    for (size_t i = 0; i < p->ntrail; i++)
        if (strcmp(p->trail[i].rule, rule) == 0)
            last = &p->trail[i];
    return last;
}

static void the_seed_predicts_when_nothing_else_acts(void **state)
{
    (void)state;
    fill(10, 75, 20, 0, 10);
    struct nf_plan plan = seed_with(n, NAN, true);
    assert_int_equal(plan.action, NF_ACTION_SCALE_UP);
    assert_int_equal(plan.nodes, 2); /* to 6 */
    assert_string_equal(nf_plan_code(&plan), "predictive");
    assert_non_null(strstr(plan.reason, "predicted for 11:00 UTC"));
    /* the scale-up cooldown applies */
    plan = seed_with(n, NOW - 100, true);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    assert_int_equal(trail(&plan, "cooldown_scale_up")->status, NF_TRAIL_BLOCKED);
    /* disabled, or no history: node-fleet's reactive rules alone */
    plan = seed_with(n, NAN, false);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    assert_null(trail(&plan, "predictive"));
    plan = seed_with(0, NAN, true);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    /* too little: said in the trail */
    plan = seed_with(5, NAN, true);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    assert_int_equal(trail(&plan, "predictive")->status, NF_TRAIL_UNKNOWN);
    /* a quiet next hour: not held */
    fill(10, 40, 20, 0, 10);
    plan = seed_with(n, NAN, true);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    assert_int_equal(trail(&plan, "predictive")->status, NF_TRAIL_NOT_HELD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_time_fields_are_utc),
        cmocka_unit_test(too_little_history_predicts_nothing),
        cmocka_unit_test(averages_confidence_and_factors),
        cmocka_unit_test(each_threshold_at_its_boundary),
        cmocka_unit_test(the_target_and_its_limits),
        cmocka_unit_test(the_seed_predicts_when_nothing_else_acts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
