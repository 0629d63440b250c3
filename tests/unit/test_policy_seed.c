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

/* ---- the rules, one row per case ------------------------------------------------------ */

#define NEVER 0   /* no scale event yet */
#define L     'L' /* samples every 15 s over the span, newest now */
#define TWO   '2' /* two samples: one exactly `span` ago, one now */
enum { NONE_SIG = -1 };

/* One decision: the pool, the history, and what the seed policy must make of them. */
struct seed_case {
    const char *name;
    struct nf_workers workers;
    double up_ago, down_ago; /* seconds since the last scale-up / scale-down; NEVER */
    char load;               /* 0 (no samples), L or TWO */
    double span, cpu, memory, pending;
    int sig; /* a further signal set on every sample (NONE_SIG: none) */
    double sig_value;
    int newest_sig; /* this signal of the newest sample replaced (NONE_SIG: none) */
    double newest_value;
    int mid_sig; /* this signal of the 5th sample from the end replaced */
    double mid_value;
    enum nf_action want;
    int nodes;
    const char *rule; /* a trail line that must have `status` (NULL: none checked) */
    enum nf_trail_status status;
    const char *reason; /* a phrase of the reason (NULL: none checked) */
};

#define UP   NF_ACTION_SCALE_UP
#define DOWN NF_ACTION_SCALE_DOWN
#define NONE NF_ACTION_NONE
#define W(r, j, d)                                                                                 \
    {                                                                                              \
        .ready = (r), .joining = (j), .draining = (d)                                              \
    }
#define NO .sig = NONE_SIG, .newest_sig = NONE_SIG, .mid_sig = NONE_SIG

static const struct seed_case cases[] = {
    /* bounds: min and max are hard, cooldowns do not apply to them */
    {"below min: up to min, cooldown or not", W(0, 0, 0), 1, 1, 0, 0, 0, 0, 0, NO, .want = UP,
     .nodes = 2, .rule = "min_nodes", .status = NF_TRAIL_CHOSEN},
    {"one below min", W(1, 0, 0), 1, 1, 0, 0, 0, 0, 0, NO, .want = UP, .nodes = 1},
    {"joining workers count toward the size", W(1, 1, 0), NEVER, NEVER, 0, 0, 0, 0, 0, NO,
     .want = NONE, .reason = "no samples"},
    {"draining workers do not count", W(1, 0, 3), NEVER, NEVER, 0, 0, 0, 0, 0, NO, .want = UP,
     .nodes = 1},
    {"above max: down to max, even under load", W(11, 2, 0), 1, 1, L, 600, 95, 90, 10, NO,
     .want = DOWN, .nodes = 3, .rule = "max_nodes", .status = NF_TRAIL_CHOSEN},
    {"no samples, no decision", W(4, 0, 0), NEVER, NEVER, 0, 0, 0, 0, 0, NO, .want = NONE,
     .rule = "samples", .status = NF_TRAIL_UNKNOWN},
    /* scale-up: each condition, exactly at its duration and one second short */
    {"cpu > 70 for exactly 180 s adds one", W(4, 0, 0), NEVER, NEVER, TWO, 180, 75, 40, 0, NO,
     .want = UP, .nodes = 1, .rule = "cpu_high", .status = NF_TRAIL_HELD,
     .reason = "cpu > 70 for 180s"},
    {"cpu for 179 s is not enough", W(4, 0, 0), NEVER, NEVER, TWO, 179, 75, 40, 0, NO, .want = NONE,
     .rule = "cpu_high", .status = NF_TRAIL_NOT_HELD},
    {"cpu equal to the threshold is not above", W(4, 0, 0), NEVER, NEVER, L, 600, 70, 40, 0, NO,
     .want = NONE},
    {"memory > 75 for 180 s", W(4, 0, 0), NEVER, NEVER, TWO, 180, 50, 76, 0, NO, .want = UP,
     .nodes = 1, .rule = "memory_high", .status = NF_TRAIL_HELD},
    {"memory equal to 75", W(4, 0, 0), NEVER, NEVER, TWO, 180, 50, 75, 0, NO, .want = NONE},
    {"memory for 179 s", W(4, 0, 0), NEVER, NEVER, TWO, 179, 50, 76, 0, NO, .want = NONE},
    {"pending pods for 180 s", W(4, 0, 0), NEVER, NEVER, TWO, 180, 50, 40, 1, NO, .want = UP,
     .nodes = 1, .rule = "pending_pods", .status = NF_TRAIL_HELD},
    {"pending pods for 179 s", W(4, 0, 0), NEVER, NEVER, TWO, 179, 50, 40, 1, NO, .want = NONE},
    {"queue depth > 100 for 120 s", W(4, 0, 0), NEVER, NEVER, TWO, 120, 50, 40, 0,
     .sig = NF_SIG_QUEUE_DEPTH, .sig_value = 101, .newest_sig = NONE_SIG, .mid_sig = NONE_SIG,
     .want = UP, .nodes = 1, .rule = "queue_depth", .status = NF_TRAIL_HELD},
    {"queue depth for 119 s", W(4, 0, 0), NEVER, NEVER, TWO, 119, 50, 40, 0,
     .sig = NF_SIG_QUEUE_DEPTH, .sig_value = 101, .newest_sig = NONE_SIG, .mid_sig = NONE_SIG,
     .want = NONE},
    {"queue depth equal to 100", W(4, 0, 0), NEVER, NEVER, TWO, 120, 50, 40, 0,
     .sig = NF_SIG_QUEUE_DEPTH, .sig_value = 100, .newest_sig = NONE_SIG, .mid_sig = NONE_SIG,
     .want = NONE},
    {"p95 latency > 2000 ms for 120 s", W(4, 0, 0), NEVER, NEVER, TWO, 120, 50, 40, 0,
     .sig = NF_SIG_LATENCY_P95_MS, .sig_value = 2001, .newest_sig = NONE_SIG, .mid_sig = NONE_SIG,
     .want = UP, .nodes = 1, .rule = "latency_p95", .status = NF_TRAIL_HELD},
    {"p95 latency for 119 s", W(4, 0, 0), NEVER, NEVER, TWO, 119, 50, 40, 0,
     .sig = NF_SIG_LATENCY_P95_MS, .sig_value = 2001, .newest_sig = NONE_SIG, .mid_sig = NONE_SIG,
     .want = NONE},
    {"p95 latency equal to 2000", W(4, 0, 0), NEVER, NEVER, TWO, 120, 50, 40, 0,
     .sig = NF_SIG_LATENCY_P95_MS, .sig_value = 2000, .newest_sig = NONE_SIG, .mid_sig = NONE_SIG,
     .want = NONE},
    {"error rate > 5 % for 120 s", W(4, 0, 0), NEVER, NEVER, TWO, 120, 50, 40, 0,
     .sig = NF_SIG_ERROR_RATE_PCT, .sig_value = 5.1, .newest_sig = NONE_SIG, .mid_sig = NONE_SIG,
     .want = UP, .nodes = 1, .rule = "error_rate", .status = NF_TRAIL_HELD},
    {"error rate for 119 s", W(4, 0, 0), NEVER, NEVER, TWO, 119, 50, 40, 0,
     .sig = NF_SIG_ERROR_RATE_PCT, .sig_value = 5.1, .newest_sig = NONE_SIG, .mid_sig = NONE_SIG,
     .want = NONE},
    {"error rate equal to 5", W(4, 0, 0), NEVER, NEVER, TWO, 120, 50, 40, 0,
     .sig = NF_SIG_ERROR_RATE_PCT, .sig_value = 5, .newest_sig = NONE_SIG, .mid_sig = NONE_SIG,
     .want = NONE},
    /* urgency: the newest sample alone decides the step */
    {"urgent cpu adds two", W(4, 0, 0), NEVER, NEVER, L, 180, 86, 40, 0, NO, .want = UP, .nodes = 2,
     .rule = "urgent", .status = NF_TRAIL_HELD},
    {"cpu equal to the urgent threshold adds one", W(4, 0, 0), NEVER, NEVER, L, 180, 85, 40, 0, NO,
     .want = UP, .nodes = 1},
    {"urgent before, not now: one", W(4, 0, 0), NEVER, NEVER, L, 180, 90, 40, 0, .sig = NONE_SIG,
     .newest_sig = NF_SIG_CPU, .newest_value = 80, .mid_sig = NONE_SIG, .want = UP, .nodes = 1},
    {"urgent now only: two", W(4, 0, 0), NEVER, NEVER, L, 180, 80, 40, 0, .sig = NONE_SIG,
     .newest_sig = NF_SIG_CPU, .newest_value = 90, .mid_sig = NONE_SIG, .want = UP, .nodes = 2},
    {"urgent pending pods add two", W(4, 0, 0), NEVER, NEVER, L, 180, 50, 40, 6, NO, .want = UP,
     .nodes = 2},
    {"pending pods equal to the urgent threshold add one", W(4, 0, 0), NEVER, NEVER, L, 180, 50, 40,
     5, NO, .want = UP, .nodes = 1},
    /* max and the cooldowns */
    {"scale-up clamped at max", W(8, 1, 0), NEVER, NEVER, L, 180, 95, 40, 0, NO, .want = UP,
     .nodes = 1, .rule = "max_nodes", .status = NF_TRAIL_BLOCKED},
    {"at max: nothing", W(10, 0, 0), NEVER, NEVER, L, 180, 95, 40, 0, NO, .want = NONE,
     .reason = "at max_nodes"},
    {"scale-up cooldown: 299 s", W(4, 0, 0), 299, NEVER, L, 180, 75, 40, 0, NO, .want = NONE,
     .rule = "cooldown_scale_up", .status = NF_TRAIL_BLOCKED},
    {"scale-up cooldown: 300 s", W(4, 0, 0), 300, NEVER, L, 180, 75, 40, 0, NO, .want = UP,
     .nodes = 1},
    {"scale-up ignores the scale-down cooldown", W(4, 0, 0), NEVER, 1, L, 180, 75, 40, 0, NO,
     .want = UP, .nodes = 1},
    {"an unknown newest signal never scales up", W(4, 0, 0), NEVER, NEVER, L, 600, 95, 40, 0,
     .sig = NONE_SIG, .newest_sig = NF_SIG_CPU, .newest_value = NAN, .mid_sig = NONE_SIG,
     .want = NONE, .rule = "cpu_high", .status = NF_TRAIL_UNKNOWN},
    /* scale-down */
    {"idle for 600 s removes one", W(4, 0, 0), NEVER, NEVER, TWO, 600, 20, 30, 0, NO, .want = DOWN,
     .nodes = 1, .rule = "idle", .status = NF_TRAIL_HELD},
    {"idle for 599 s is not enough", W(4, 0, 0), NEVER, NEVER, TWO, 599, 20, 30, 0, NO,
     .want = NONE},
    {"cpu equal to the idle threshold is not below", W(4, 0, 0), NEVER, NEVER, L, 600, 30, 30, 0,
     NO, .want = NONE},
    {"memory equal to the idle threshold", W(4, 0, 0), NEVER, NEVER, L, 600, 20, 50, 0, NO,
     .want = NONE},
    {"one pending sample in the window breaks idle", W(4, 0, 0), NEVER, NEVER, L, 600, 20, 30, 0,
     .sig = NONE_SIG, .newest_sig = NONE_SIG, .mid_sig = NF_SIG_PENDING_PODS, .mid_value = 1,
     .want = NONE},
    {"unknown newest cpu never scales down", W(4, 0, 0), NEVER, NEVER, L, 900, 5, 10, 0,
     .sig = NONE_SIG, .newest_sig = NF_SIG_CPU, .newest_value = NAN, .mid_sig = NONE_SIG,
     .want = NONE, .rule = "idle", .status = NF_TRAIL_UNKNOWN},
    {"unknown newest memory", W(4, 0, 0), NEVER, NEVER, L, 900, 5, 10, 0, .sig = NONE_SIG,
     .newest_sig = NF_SIG_MEMORY, .newest_value = NAN, .mid_sig = NONE_SIG, .want = NONE,
     .rule = "idle", .status = NF_TRAIL_UNKNOWN},
    {"unknown newest pending pods", W(4, 0, 0), NEVER, NEVER, L, 900, 5, 10, 0, .sig = NONE_SIG,
     .newest_sig = NF_SIG_PENDING_PODS, .newest_value = NAN, .mid_sig = NONE_SIG, .want = NONE,
     .rule = "idle", .status = NF_TRAIL_UNKNOWN},
    {"an unknown cpu sample inside the window breaks the run", W(4, 0, 0), NEVER, NEVER, L, 900, 5,
     10, 0, .sig = NONE_SIG, .newest_sig = NONE_SIG, .mid_sig = NF_SIG_CPU, .mid_value = NAN,
     .want = NONE},
    {"an unknown memory sample inside the window", W(4, 0, 0), NEVER, NEVER, L, 900, 5, 10, 0,
     .sig = NONE_SIG, .newest_sig = NONE_SIG, .mid_sig = NF_SIG_MEMORY, .mid_value = NAN,
     .want = NONE},
    {"an unknown pending sample inside the window", W(4, 0, 0), NEVER, NEVER, L, 900, 5, 10, 0,
     .sig = NONE_SIG, .newest_sig = NONE_SIG, .mid_sig = NF_SIG_PENDING_PODS, .mid_value = NAN,
     .want = NONE},
    {"scale-down cooldown after a scale-down: 599 s", W(4, 0, 0), NEVER, 599, L, 900, 10, 10, 0, NO,
     .want = NONE, .rule = "cooldown_scale_down", .status = NF_TRAIL_BLOCKED},
    {"scale-down cooldown after a scale-down: 600 s", W(4, 0, 0), NEVER, 600, L, 900, 10, 10, 0, NO,
     .want = DOWN, .nodes = 1},
    {"scale-down cooldown after a scale-up: 599 s", W(4, 0, 0), 599, NEVER, L, 900, 10, 10, 0, NO,
     .want = NONE},
    {"scale-down cooldown after a scale-up: 600 s", W(4, 0, 0), 600, NEVER, L, 900, 10, 10, 0, NO,
     .want = DOWN, .nodes = 1},
    {"the later of the two events counts", W(4, 0, 0), 5000, 100, L, 900, 10, 10, 0, NO,
     .want = NONE},
    {"scale-down never below min", W(2, 0, 0), NEVER, NEVER, L, 900, 5, 5, 0, NO, .want = NONE,
     .rule = "min_nodes", .status = NF_TRAIL_BLOCKED},
    {"above min by a joining worker", W(2, 1, 0), NEVER, NEVER, L, 900, 5, 5, 0, NO, .want = DOWN,
     .nodes = 1},
    {"a held scale-up condition blocks scale-down, cooling down or not", W(4, 0, 0), 100, NEVER, L,
     900, 10, 10, 0, .sig = NF_SIG_QUEUE_DEPTH, .sig_value = 500, .newest_sig = NONE_SIG,
     .mid_sig = NONE_SIG, .want = NONE, .rule = "queue_depth", .status = NF_TRAIL_HELD},
};

static void run_case(const struct seed_case *c)
{
    F.obs.workers = c->workers;
    F.obs.last_scale_up = c->up_ago > 0 ? NOW - c->up_ago : NAN;
    F.obs.last_scale_down = c->down_ago > 0 ? NOW - c->down_ago : NAN;
    if (c->load == L)
        load(c->span, c->cpu, c->memory, c->pending);
    else if (c->load == TWO)
        load_two(c->span, c->cpu, c->memory, c->pending);
    if (c->sig != NONE_SIG)
        set_app((enum nf_signal)c->sig, c->sig_value);
    if (c->newest_sig != NONE_SIG)
        F.s[F.obs.nsamples - 1].v[c->newest_sig] = c->newest_value;
    if (c->mid_sig != NONE_SIG)
        F.s[F.obs.nsamples - 5].v[c->mid_sig] = c->mid_value;
    decide();
    if (F.plan.action != c->want || F.plan.nodes != c->nodes)
        fail_msg("%s: expected %s %d, got %s %d (%s)", c->name, nf_action_name(c->want), c->nodes,
                 nf_action_name(F.plan.action), F.plan.nodes, F.plan.reason);
    if (c->rule != NULL && trail(c->rule)->status != c->status)
        fail_msg("%s: trail %s is %s, expected %s", c->name, c->rule,
                 nf_trail_status_name(trail(c->rule)->status), nf_trail_status_name(c->status));
    if (c->reason != NULL && strstr(F.plan.reason, c->reason) == NULL)
        fail_msg("%s: reason \"%s\" lacks \"%s\"", c->name, F.plan.reason, c->reason);
}

static void the_rules_case_by_case(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setup(NULL);
        run_case(&cases[i]);
    }
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
        T(the_rules_case_by_case),
        T(idle_needs_all_three_together),
        T(thresholds_and_durations_come_from_config),
        T(custom_triggers_are_sustained_conditions),
        T(static_policy_holds_its_size),
        T(policy_specs_are_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
