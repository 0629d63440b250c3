/* test_policy_seed.c - every rule of the seed preset, each boundary, unknowns, and the
 * interplay of min/max and cooldowns. */
#include "test_util.h"

#include "config/config.h"
#include "core/policy.h"

#define NOW 1700000000.0
#define CAP 256

struct fixture {
    struct nf_config cfg;
    struct nf_policy pol;
    struct nf_sample s[CAP];
    struct nf_observation obs;
    struct nf_plan plan;
};

static struct fixture F;

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    nf_config_defaults(&F.cfg);
    assert_int_equal(nf_config_policy(&F.pol, "seed", &F.cfg, NULL), NF_OK);
    F.obs.now = NOW;
    F.obs.workers = (struct nf_workers){.ready = 4};
    F.obs.samples = F.s;
    F.obs.last_scale_up = NAN;
    F.obs.last_scale_down = NAN;
    return 0;
}

/* samples every 15 s over the last `span` seconds (newest at now) */
static void load(double span, double cpu, double memory, double pending)
{
    F.obs.nsamples = fill_samples(F.s, CAP, NOW - span, NOW, 15, cpu, memory, pending);
}

/* two samples: one exactly `span` ago and one now, both with the same values */
static void load_two(double span, double cpu, double memory, double pending)
{
    F.obs.nsamples = fill_samples(F.s, CAP, NOW - span, NOW, span, cpu, memory, pending);
    assert_int_equal(F.obs.nsamples, 2);
}

static void set_app(enum nf_signal sig, double v)
{
    for (size_t i = 0; i < F.obs.nsamples; i++)
        F.s[i].v[sig] = v;
}

static void decide(void)
{
    nf_policy_decide(&F.pol, &F.obs, &F.plan);
}

static void expect(enum nf_action a, int nodes)
{
    decide();
    if (F.plan.action != a || F.plan.nodes != nodes)
        fail_msg("expected %s %d, got %s %d (%s)", nf_action_name(a), nodes,
                 nf_action_name(F.plan.action), F.plan.nodes, F.plan.reason);
}

static const struct nf_trail_entry *trail(const char *rule)
{
    for (size_t i = 0; i < F.plan.ntrail; i++)
        if (strcmp(F.plan.trail[i].rule, rule) == 0)
            return &F.plan.trail[i];
    fail_msg("no trail line for %s (reason: %s)", rule, F.plan.reason);
    return NULL;
}

/* ---- bounds ---- */

static void below_min_scales_up_to_min_ignoring_cooldown(void **state)
{
    (void)state;
    F.obs.workers = (struct nf_workers){.ready = 0};
    F.obs.last_scale_up = NOW - 1;
    F.obs.last_scale_down = NOW - 1;
    expect(NF_ACTION_SCALE_UP, 2);
    assert_int_equal(trail("min_nodes")->status, NF_TRAIL_CHOSEN);
    F.obs.workers.ready = 1;
    expect(NF_ACTION_SCALE_UP, 1);
}

static void joining_workers_count_toward_size(void **state)
{
    (void)state;
    F.obs.workers = (struct nf_workers){.ready = 1, .joining = 1};
    expect(NF_ACTION_NONE, 0); /* at min, no samples */
    assert_string_contains(F.plan.reason, "no samples");
}

static void draining_workers_do_not_count(void **state)
{
    (void)state;
    F.obs.workers = (struct nf_workers){.ready = 1, .draining = 3};
    expect(NF_ACTION_SCALE_UP, 1);
}

static void above_max_scales_down_to_max_ignoring_cooldown(void **state)
{
    (void)state;
    F.obs.workers = (struct nf_workers){.ready = 11, .joining = 2};
    F.obs.last_scale_up = NOW - 1;
    F.obs.last_scale_down = NOW - 1;
    load(600, 95, 90, 10); /* even under load: max is a hard bound */
    expect(NF_ACTION_SCALE_DOWN, 3);
    assert_int_equal(trail("max_nodes")->status, NF_TRAIL_CHOSEN);
}

static void no_samples_means_none(void **state)
{
    (void)state;
    expect(NF_ACTION_NONE, 0);
    assert_int_equal(trail("samples")->status, NF_TRAIL_UNKNOWN);
}

/* ---- scale-up conditions ---- */

static void cpu_above_70_for_exactly_180s_adds_one(void **state)
{
    (void)state;
    load_two(180, 75, 40, 0);
    expect(NF_ACTION_SCALE_UP, 1);
    assert_int_equal(trail("cpu_high")->status, NF_TRAIL_HELD);
    assert_string_contains(F.plan.reason, "cpu > 70 for 180s");
}

static void cpu_for_179s_is_not_enough(void **state)
{
    (void)state;
    load_two(179, 75, 40, 0);
    expect(NF_ACTION_NONE, 0);
    assert_int_equal(trail("cpu_high")->status, NF_TRAIL_NOT_HELD);
}

static void cpu_equal_to_threshold_is_not_above(void **state)
{
    (void)state;
    load(600, 70, 40, 0);
    expect(NF_ACTION_NONE, 0);
}

static void memory_above_75_for_180s(void **state)
{
    (void)state;
    load_two(180, 50, 76, 0);
    expect(NF_ACTION_SCALE_UP, 1);
    assert_int_equal(trail("memory_high")->status, NF_TRAIL_HELD);
    load_two(180, 50, 75, 0);
    expect(NF_ACTION_NONE, 0);
    load_two(179, 50, 76, 0);
    expect(NF_ACTION_NONE, 0);
}

static void pending_pods_for_180s(void **state)
{
    (void)state;
    load_two(180, 50, 40, 1);
    expect(NF_ACTION_SCALE_UP, 1);
    assert_int_equal(trail("pending_pods")->status, NF_TRAIL_HELD);
    load_two(179, 50, 40, 1);
    expect(NF_ACTION_NONE, 0);
}

static void app_signals_hold_for_120s(void **state)
{
    (void)state;
    const struct {
        enum nf_signal sig;
        double above, at;
        const char *rule;
    } cases[] = {{NF_SIG_QUEUE_DEPTH, 101, 100, "queue_depth"},
                 {NF_SIG_LATENCY_P95_MS, 2001, 2000, "latency_p95"},
                 {NF_SIG_ERROR_RATE_PCT, 5.1, 5, "error_rate"}};
    for (size_t i = 0; i < 3; i++) {
        load_two(120, 50, 40, 0);
        set_app(cases[i].sig, cases[i].above);
        expect(NF_ACTION_SCALE_UP, 1);
        assert_int_equal(trail(cases[i].rule)->status, NF_TRAIL_HELD);
        load_two(119, 50, 40, 0);
        set_app(cases[i].sig, cases[i].above);
        expect(NF_ACTION_NONE, 0);
        load_two(120, 50, 40, 0);
        set_app(cases[i].sig, cases[i].at);
        expect(NF_ACTION_NONE, 0);
    }
}

static void urgent_cpu_adds_two(void **state)
{
    (void)state;
    load(180, 86, 40, 0);
    expect(NF_ACTION_SCALE_UP, 2);
    assert_int_equal(trail("urgent")->status, NF_TRAIL_HELD);
    load(180, 85, 40, 0); /* equal is not above */
    expect(NF_ACTION_SCALE_UP, 1);
}

static void urgency_is_judged_on_the_newest_sample_only(void **state)
{
    (void)state;
    load(180, 90, 40, 0);
    F.s[F.obs.nsamples - 1].v[NF_SIG_CPU] = 80;
    expect(NF_ACTION_SCALE_UP, 1);
    load(180, 80, 40, 0);
    F.s[F.obs.nsamples - 1].v[NF_SIG_CPU] = 90;
    expect(NF_ACTION_SCALE_UP, 2);
}

static void urgent_pending_adds_two(void **state)
{
    (void)state;
    load(180, 50, 40, 6);
    expect(NF_ACTION_SCALE_UP, 2);
    load(180, 50, 40, 5);
    expect(NF_ACTION_SCALE_UP, 1);
}

static void scale_up_is_clamped_at_max(void **state)
{
    (void)state;
    F.obs.workers = (struct nf_workers){.ready = 8, .joining = 1};
    load(180, 95, 40, 0);
    expect(NF_ACTION_SCALE_UP, 1);
    assert_int_equal(trail("max_nodes")->status, NF_TRAIL_BLOCKED);
    F.obs.workers = (struct nf_workers){.ready = 10};
    expect(NF_ACTION_NONE, 0);
    assert_string_contains(F.plan.reason, "at max_nodes");
}

static void scale_up_cooldown_boundary(void **state)
{
    (void)state;
    load(180, 75, 40, 0);
    F.obs.last_scale_up = NOW - 299;
    expect(NF_ACTION_NONE, 0);
    assert_int_equal(trail("cooldown_scale_up")->status, NF_TRAIL_BLOCKED);
    F.obs.last_scale_up = NOW - 300;
    expect(NF_ACTION_SCALE_UP, 1);
}

static void scale_up_ignores_scale_down_cooldown(void **state)
{
    (void)state;
    load(180, 75, 40, 0);
    F.obs.last_scale_down = NOW - 1;
    expect(NF_ACTION_SCALE_UP, 1);
}

static void unknown_newest_signal_never_scales_up(void **state)
{
    (void)state;
    load(600, 95, 40, 0);
    F.s[F.obs.nsamples - 1].v[NF_SIG_CPU] = NAN;
    expect(NF_ACTION_NONE, 0);
    assert_int_equal(trail("cpu_high")->status, NF_TRAIL_UNKNOWN);
}

/* ---- scale-down ---- */

static void idle_for_600s_removes_one(void **state)
{
    (void)state;
    load_two(600, 20, 30, 0);
    expect(NF_ACTION_SCALE_DOWN, 1);
    assert_int_equal(trail("idle")->status, NF_TRAIL_HELD);
    assert_int_equal(trail("scale_down")->status, NF_TRAIL_CHOSEN);
}

static void idle_for_599s_is_not_enough(void **state)
{
    (void)state;
    load_two(599, 20, 30, 0);
    expect(NF_ACTION_NONE, 0);
}

static void idle_needs_all_three_together(void **state)
{
    (void)state;
    load(600, 30, 30, 0); /* cpu equal to threshold: not below */
    expect(NF_ACTION_NONE, 0);
    load(600, 20, 50, 0); /* memory equal to threshold */
    expect(NF_ACTION_NONE, 0);
    load(600, 20, 30, 0);
    F.s[3].v[NF_SIG_PENDING_PODS] = 1; /* one pending sample inside the window breaks it */
    expect(NF_ACTION_NONE, 0);
    /* cpu low only in the first half, memory low only in the second: never together */
    load(600, 20, 60, 0);
    for (size_t i = F.obs.nsamples / 2; i < F.obs.nsamples; i++) {
        F.s[i].v[NF_SIG_CPU] = 50;
        F.s[i].v[NF_SIG_MEMORY] = 30;
    }
    expect(NF_ACTION_NONE, 0);
}

static void unknown_signal_never_scales_down(void **state)
{
    (void)state;
    const enum nf_signal sigs[] = {NF_SIG_CPU, NF_SIG_MEMORY, NF_SIG_PENDING_PODS};
    for (size_t k = 0; k < 3; k++) {
        load(900, 5, 10, 0);
        F.s[F.obs.nsamples - 1].v[sigs[k]] = NAN;
        expect(NF_ACTION_NONE, 0);
        assert_int_equal(trail("idle")->status, NF_TRAIL_UNKNOWN);
        /* and an unknown sample in the middle of the window breaks the run */
        load(900, 5, 10, 0);
        F.s[F.obs.nsamples - 5].v[sigs[k]] = NAN;
        expect(NF_ACTION_NONE, 0);
    }
}

static void scale_down_cooldown_counts_either_event(void **state)
{
    (void)state;
    load(900, 10, 10, 0);
    F.obs.last_scale_down = NOW - 599;
    expect(NF_ACTION_NONE, 0);
    assert_int_equal(trail("cooldown_scale_down")->status, NF_TRAIL_BLOCKED);
    F.obs.last_scale_down = NOW - 600;
    expect(NF_ACTION_SCALE_DOWN, 1);
    F.obs.last_scale_down = NAN;
    F.obs.last_scale_up = NOW - 599;
    expect(NF_ACTION_NONE, 0);
    F.obs.last_scale_up = NOW - 600;
    expect(NF_ACTION_SCALE_DOWN, 1);
    /* the later of the two counts */
    F.obs.last_scale_up = NOW - 5000;
    F.obs.last_scale_down = NOW - 100;
    expect(NF_ACTION_NONE, 0);
}

static void scale_down_never_below_min(void **state)
{
    (void)state;
    F.obs.workers = (struct nf_workers){.ready = 2};
    load(900, 5, 5, 0);
    expect(NF_ACTION_NONE, 0);
    assert_int_equal(trail("min_nodes")->status, NF_TRAIL_BLOCKED);
    F.obs.workers = (struct nf_workers){.ready = 2, .joining = 1};
    expect(NF_ACTION_SCALE_DOWN, 1);
}

static void held_up_condition_blocks_scale_down_even_when_cooling_down(void **state)
{
    (void)state;
    /* idle by cpu/memory/pending, but the queue is deep: the pool must not shrink */
    load(900, 10, 10, 0);
    set_app(NF_SIG_QUEUE_DEPTH, 500);
    F.obs.last_scale_up = NOW - 100;
    expect(NF_ACTION_NONE, 0);
    assert_int_equal(trail("queue_depth")->status, NF_TRAIL_HELD);
    assert_int_equal(trail("cooldown_scale_up")->status, NF_TRAIL_BLOCKED);
}

static void thresholds_and_durations_come_from_config(void **state)
{
    (void)state;
    struct nf_config_sources src = {.sets = (const char *const[]){"scale_up_threshold_cpu=50",
                                                                  "scale_up_for=60", "min_nodes=3",
                                                                  "cooldown_scale_up=10m"},
                                    .nsets = 4};
    assert_int_equal(nf_config_load(&F.cfg, &src, NULL, NULL), NF_OK);
    assert_int_equal(nf_config_policy(&F.pol, "seed", &F.cfg, NULL), NF_OK);
    load_two(60, 55, 40, 0);
    expect(NF_ACTION_SCALE_UP, 1);
    F.obs.last_scale_up = NOW - 599;
    expect(NF_ACTION_NONE, 0);
    F.obs.workers = (struct nf_workers){.ready = 2};
    expect(NF_ACTION_SCALE_UP, 1); /* below the configured min of 3 */
}

static void custom_triggers_are_sustained_conditions(void **state)
{
    (void)state;
    F.cfg.ntriggers = 2;
    F.cfg.triggers[0] = (struct nf_trigger){
        .name = "orders", .query = "q", .threshold = 500, .for_s = 120, .scale_by = 3};
    F.cfg.triggers[1] = (struct nf_trigger){.name = "free_slots",
                                            .query = "q",
                                            .below = true,
                                            .threshold = 2,
                                            .for_s = 60,
                                            .scale_by = 1};
    assert_int_equal(nf_config_policy(&F.pol, "seed", &F.cfg, NULL), NF_OK);
    assert_true(nf_policy_lookback(&F.pol) == 600);
    load_two(120, 50, 40, 0);
    set_app(NF_SIG_CUSTOM(0), 501);
    expect(NF_ACTION_SCALE_UP, 3); /* scale_by beats the normal step */
    assert_int_equal(trail("trigger:orders")->status, NF_TRAIL_HELD);
    assert_string_contains(F.plan.reason, "orders > 500 for 120s");
    set_app(NF_SIG_CUSTOM(0), 500); /* equal is not above */
    expect(NF_ACTION_NONE, 0);
    load_two(119, 50, 40, 0);
    set_app(NF_SIG_CUSTOM(0), 900);
    expect(NF_ACTION_NONE, 0);
    /* below */
    load_two(60, 50, 40, 0);
    set_app(NF_SIG_CUSTOM(1), 1);
    expect(NF_ACTION_SCALE_UP, 1);
    assert_int_equal(trail("trigger:free_slots")->status, NF_TRAIL_HELD);
    /* unknown never holds, and a held trigger blocks scale-down */
    load(900, 10, 10, 0);
    expect(NF_ACTION_SCALE_DOWN, 1);
    assert_int_equal(trail("trigger:orders")->status, NF_TRAIL_UNKNOWN);
    set_app(NF_SIG_CUSTOM(1), 0);
    F.obs.last_scale_up = NOW - 10;
    expect(NF_ACTION_NONE, 0);
    assert_int_equal(trail("cooldown_scale_up")->status, NF_TRAIL_BLOCKED);
}

static void static_policy_holds_its_size(void **state)
{
    (void)state;
    struct nf_policy st;
    assert_int_equal(nf_config_policy(&st, "static:5", &F.cfg, NULL), NF_OK);
    F.obs.workers = (struct nf_workers){.ready = 3, .joining = 1};
    nf_policy_decide(&st, &F.obs, &F.plan);
    assert_int_equal(F.plan.action, NF_ACTION_SCALE_UP);
    assert_int_equal(F.plan.nodes, 1);
    F.obs.workers = (struct nf_workers){.ready = 7};
    nf_policy_decide(&st, &F.obs, &F.plan);
    assert_int_equal(F.plan.action, NF_ACTION_SCALE_DOWN);
    assert_int_equal(F.plan.nodes, 2);
    F.obs.workers = (struct nf_workers){.ready = 5};
    load(900, 99, 99, 50);
    nf_policy_decide(&st, &F.obs, &F.plan);
    assert_int_equal(F.plan.action, NF_ACTION_NONE);
}

static void policy_specs_are_checked(void **state)
{
    (void)state;
    struct nf_err err;
    struct nf_policy p;
    const char *bad[] = {"",          "seeds",    "seed:1",      "static",    "static:",
                         "static:-1", "static:x", "static:1001", "static:5:5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (nf_config_policy(&p, bad[i], &F.cfg, &err) == NF_OK)
            fail_msg("policy spec \"%s\" accepted", bad[i]);
        assert_int_equal(err.code, NF_E_USAGE);
    }
    assert_int_equal(nf_config_policy(&p, "static:0", &F.cfg, &err), NF_OK);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
    const struct CMUnitTest tests[] = {
        T(below_min_scales_up_to_min_ignoring_cooldown),
        T(joining_workers_count_toward_size),
        T(draining_workers_do_not_count),
        T(above_max_scales_down_to_max_ignoring_cooldown),
        T(no_samples_means_none),
        T(cpu_above_70_for_exactly_180s_adds_one),
        T(cpu_for_179s_is_not_enough),
        T(cpu_equal_to_threshold_is_not_above),
        T(memory_above_75_for_180s),
        T(pending_pods_for_180s),
        T(app_signals_hold_for_120s),
        T(urgent_cpu_adds_two),
        T(urgency_is_judged_on_the_newest_sample_only),
        T(urgent_pending_adds_two),
        T(scale_up_is_clamped_at_max),
        T(scale_up_cooldown_boundary),
        T(scale_up_ignores_scale_down_cooldown),
        T(unknown_newest_signal_never_scales_up),
        T(idle_for_600s_removes_one),
        T(idle_for_599s_is_not_enough),
        T(idle_needs_all_three_together),
        T(unknown_signal_never_scales_down),
        T(scale_down_cooldown_counts_either_event),
        T(scale_down_never_below_min),
        T(held_up_condition_blocks_scale_down_even_when_cooling_down),
        T(thresholds_and_durations_come_from_config),
        T(custom_triggers_are_sustained_conditions),
        T(static_policy_holds_its_size),
        T(policy_specs_are_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
