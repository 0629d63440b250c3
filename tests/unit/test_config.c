/* test_config.c - the settings table: round trips, layering, and every kind of bad value. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config/config.h"

static char path[64];

static const char *write_file(const char *text)
{
    snprintf(path, sizeof path, "/tmp/nf-test-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

static int teardown(void **state)
{
    (void)state;
    if (path[0])
        unlink(path);
    path[0] = '\0';
    return 0;
}

/* Load and return the problem text (static), asserting the expected result code. */
static const char *load(struct nf_config *c, const char *file, char **envp, const char **sets,
                        size_t nsets, int want)
{
    static char text[8192];
    struct nf_buf probs;
    nf_buf_init(&probs, sizeof text - 1);
    struct nf_config_sources src = {.file = file, .envp = envp, .sets = sets, .nsets = nsets};
    struct nf_err err = {0};
    int rc = nf_config_load(c, &src, &probs, &err);
    snprintf(text, sizeof text, "%s", probs.data ? probs.data : "");
    nf_buf_free(&probs);
    if (rc != want)
        fail_msg("load returned %d, wanted %d; problems: %s", rc, want, text);
    return text;
}

static void format(const struct nf_config *c, int id, bool mask, char *out, size_t n)
{
    struct nf_buf b;
    nf_buf_init(&b, 4096);
    nf_config_format_value(c, id, mask, &b);
    snprintf(out, n, "%s", b.data);
    nf_buf_free(&b);
}

static void every_setting_round_trips_through_set(void **state)
{
    (void)state;
    struct nf_config d, c;
    nf_config_defaults(&d);
    for (int id = 0; id < NF_CFG__COUNT; id++) {
        char shown[2048], again[2048], set[2300];
        format(&d, id, false, shown, sizeof shown);
        /* strings are printed quoted and escaped; --set takes the raw text */
        const char *raw = shown;
        if (nf_settings[id].type == NF_CT_STR)
            raw = (const char *)&d + nf_settings[id].offset;
        snprintf(set, sizeof set, "%s=%s", nf_settings[id].name, raw);
        const char *sets[] = {set};
        load(&c, NULL, NULL, sets, 1, NF_OK);
        format(&c, id, false, again, sizeof again);
        assert_string_equal(shown, again);
        assert_int_equal(c.origin[id].source, NF_SRC_FLAG);
        /* and the table is consistent */
        assert_non_null(nf_settings[id].env);
        assert_non_null(nf_settings[id].help);
        assert_int_equal(nf_setting_find(nf_settings[id].name, strlen(nf_settings[id].name)), id);
    }
}

static void example_config_loads_to_the_defaults(void **state)
{
    (void)state;
    struct nf_buf ex;
    nf_buf_init(&ex, 1 << 20);
    nf_config_write_example(&ex);
    assert_int_equal(ex.status, NF_OK);
    const char *f = write_file(ex.data);
    nf_buf_free(&ex);
    struct nf_config d, c;
    nf_config_defaults(&d);
    load(&c, f, NULL, NULL, 0, NF_OK);
    for (int id = 0; id < NF_CFG__COUNT; id++) {
        char a[2048], b[2048];
        format(&d, id, false, a, sizeof a);
        format(&c, id, false, b, sizeof b);
        assert_string_equal(a, b);
        assert_int_equal(c.origin[id].source, NF_SRC_FILE);
    }
}

static void layers_apply_in_order(void **state)
{
    (void)state;
    const char *f = write_file("# comment\nmin_nodes: 3\nsim:\n  boot_s: 2m\n");
    char *envp[] = {"MIN_NODES=4", "UNRELATED=1", NULL};
    const char *sets[] = {"min_nodes=5"};
    struct nf_config c;
    load(&c, f, NULL, NULL, 0, NF_OK);
    assert_int_equal(c.min_nodes, 3);
    assert_int_equal(c.origin[NF_CFG_min_nodes].source, NF_SRC_FILE);
    assert_int_equal(c.origin[NF_CFG_min_nodes].line, 2);
    assert_true(c.sim_boot_s == 120);
    load(&c, f, envp, NULL, 0, NF_OK);
    assert_int_equal(c.min_nodes, 4);
    assert_int_equal(c.origin[NF_CFG_min_nodes].source, NF_SRC_ENV);
    load(&c, f, envp, sets, 1, NF_OK);
    assert_int_equal(c.min_nodes, 5);
    assert_int_equal(c.origin[NF_CFG_min_nodes].source, NF_SRC_FLAG);
}

static void seed_environment_variables_keep_their_meaning(void **state)
{
    (void)state;
    char *envp[] = {"PROMETHEUS_URL=http://10.0.1.5:30090",
                    "DYNAMODB_TABLE=k3s-autoscaler-state",
                    "CLUSTER_ID=node-fleet-prod",
                    "MIN_NODES=3",
                    "MAX_NODES=12",
                    "SCALE_UP_THRESHOLD_CPU=65",
                    "SCALE_DOWN_THRESHOLD_CPU=25",
                    "COOLDOWN_SCALE_UP=240",
                    "COOLDOWN_SCALE_DOWN=900",
                    "ENABLE_PREDICTIVE_SCALING=false",
                    "SPOT_PERCENTAGE=60",
                    "METRICS_HISTORY_TABLE=k3s-metrics-history",
                    "AWS_REGION=ap-southeast-1",
                    NULL};
    struct nf_config c;
    load(&c, NULL, envp, NULL, 0, NF_OK);
    assert_string_equal(c.prometheus_url, "http://10.0.1.5:30090");
    assert_string_equal(c.dynamodb_table, "k3s-autoscaler-state");
    assert_string_equal(c.cluster_id, "node-fleet-prod");
    assert_int_equal(c.min_nodes, 3);
    assert_int_equal(c.max_nodes, 12);
    assert_true(c.scale_up_threshold_cpu == 65);
    assert_true(c.scale_down_threshold_cpu == 25);
    assert_true(c.cooldown_scale_up == 240);
    assert_true(c.cooldown_scale_down == 900);
    assert_false(c.enable_predictive_scaling);
    assert_true(c.spot_percentage == 60);
    assert_string_equal(c.metrics_history_table, "k3s-metrics-history");
    assert_string_equal(c.aws_region, "ap-southeast-1");
}

static void loading_is_all_or_nothing(void **state)
{
    (void)state;
    struct nf_config c;
    memset(&c, 0x5a, sizeof c);
    struct nf_config before = c;
    const char *sets[] = {"min_nodes=4", "max_nodes=oops"};
    load(&c, NULL, NULL, sets, 2, NF_E_CONFIG);
    assert_memory_equal(&c, &before, sizeof c);
}

struct bad_case {
    const char *yaml;
    const char *problem; /* expected line (after the file name) */
};

static void bad_files_name_file_line_and_key(void **state)
{
    (void)state;
    const struct bad_case cases[] = {
        {"min_nodes: 3\nmni_nodes: 2\n",
         ":2: mni_nodes: unknown setting (did you mean 'min_nodes'?)"},
        {"min_nodes: abc\n", ":1: min_nodes: expected an integer, got \"abc\""},
        {"min_nodes: 2.5\n", ":1: min_nodes: expected an integer, got \"2.5\""},
        {"min_nodes: 5\nmax_nodes: 4\n",
         ":2: max_nodes: min_nodes (5) is greater than max_nodes (4)"},
        {"cooldown_scale_up: -5\n", ":1: cooldown_scale_up: must not be negative: \"-5\""},
        {"scale_up_threshold_cpu: 101\n",
         ":1: scale_up_threshold_cpu: \"101\" is out of range (must be between 0 and 100)"},
        {"scale_down_threshold_cpu: -1\n",
         ":1: scale_down_threshold_cpu: \"-1\" is out of range (must be between 0 and 100)"},
        {"enable_predictive_scaling: maybe\n",
         ":1: enable_predictive_scaling: expected true or false: \"maybe\""},
        {"min_nodes: [1, 2]\n", ":1: min_nodes: expected a single value, not a list"},
        {"min_nodes:\n", ":1: min_nodes: missing value"},
        {"min_nodes: 2\nmin_nodes: 3\n", ":2: min_nodes: set twice (first at line 1)"},
        {"sim: 5\n", ":1: sim: is a section: expected its settings, indented below"},
        {"sim:\n  boot: 5\n", ":2: sim.boot: unknown setting (did you mean 'sim.boot_s'?)"},
        {"min_nodes: 2\n  max_nodes: 3\n", ":2: YAML syntax error: mapping values are not allowed"},
        {"- 1\n- 2\n", ":1: expected a mapping of settings (name: value)"},
        {"log_level: loud\n", ":1: log_level: must be one of debug|info|warn|error, not \"loud\""},
        {"policy: smart\n", ":1: policy: unknown policy (known: default, seed, static:N): \"smart\""},
        {"sim:\n  boot_s: 30\n  boot_jitter_s: 40\n",
         ":3: sim.boot_jitter_s: boot jitter (40s) is larger than the boot time (30s)"},
        {"scale_up_for: 5 minutes\n",
         ":1: scale_up_for: not a duration (use seconds, or e.g. 90s, 5m, 1h30m): \"5 minutes\""},
        {"a: 1\n---\nb: 2\n", ":3: only one YAML document is allowed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *f = write_file(cases[i].yaml);
        struct nf_config c;
        const char *text = load(&c, f, NULL, NULL, 0, NF_E_CONFIG);
        char want[512];
        snprintf(want, sizeof want, "%s%s", f, cases[i].problem);
        if (strstr(text, want) == NULL)
            fail_msg("case %zu: problems\n%s\ndo not contain\n%s", i, text, want);
        unlink(f);
    }
}

static void every_problem_is_listed(void **state)
{
    (void)state;
    const char *f = write_file("min_nodes: x\nmax_nodes: y\nbogus: 1\n");
    struct nf_config c;
    const char *text = load(&c, f, NULL, NULL, 0, NF_E_CONFIG);
    int lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 3);
}

static void env_and_set_problems_say_where(void **state)
{
    (void)state;
    char *envp[] = {"MAX_NODES=ten", NULL};
    const char *sets[] = {"spot_percentage=120", "nope=1", "min_nodes"};
    struct nf_config c;
    const char *text = load(&c, NULL, envp, sets, 3, NF_E_CONFIG);
    assert_string_contains(text, "env MAX_NODES: max_nodes: expected an integer, got \"ten\"");
    assert_string_contains(text, "--set: spot_percentage: \"120\" is out of range");
    assert_string_contains(text, "--set: nope: unknown setting");
    assert_string_contains(text, "--set: expected name=value, got \"min_nodes\"");
    /* a conflict is blamed on the layer that set it last */
    char *envp2[] = {"MIN_NODES=8", NULL};
    const char *sets2[] = {"max_nodes=6"};
    text = load(&c, NULL, envp2, sets2, 1, NF_E_CONFIG);
    assert_string_contains(text, "--set: max_nodes: min_nodes (8) is greater than max_nodes (6)");
}

static void missing_file_is_a_config_problem(void **state)
{
    (void)state;
    struct nf_config c;
    const char *text = load(&c, "/nonexistent/nodefleet.yaml", NULL, NULL, 0, NF_E_CONFIG);
    assert_string_contains(text,
                           "/nonexistent/nodefleet.yaml: cannot open: no such file or directory");
}

static void secrets_are_masked_and_never_echoed(void **state)
{
    (void)state;
    const char *sets[] = {"notify.slack_webhook_url=https://hooks.slack.com/services/T0/B0/s3cr3t"};
    struct nf_config c;
    load(&c, NULL, NULL, sets, 1, NF_OK);
    struct nf_buf out;
    nf_buf_init(&out, 1 << 20);
    nf_config_write_effective(&c, &out);
    assert_null(strstr(out.data, "s3cr3t"));
    assert_string_contains(out.data, "slack_webhook_url: \"********\"  # --set");
    nf_buf_free(&out);
    /* an over-long secret is rejected without being quoted back */
    static char big[2100];
    memset(big, 'x', sizeof big - 1);
    memcpy(big, "notify.slack_webhook_url=s3cr3t", 31);
    const char *sets2[] = {big};
    const char *text = load(&c, NULL, NULL, sets2, 1, NF_E_CONFIG);
    assert_null(strstr(text, "s3cr3t"));
}

static void durations_take_units(void **state)
{
    (void)state;
    const char *sets[] = {"scale_up_for=1m30s", "cooldown_scale_down=1h", "scale_down_for=600"};
    struct nf_config c;
    load(&c, NULL, NULL, sets, 3, NF_OK);
    assert_true(c.scale_up_for == 90);
    assert_true(c.cooldown_scale_down == 3600);
    assert_true(c.scale_down_for == 600);
}

static void triggers_load_from_the_file(void **state)
{
    (void)state;
    const char *f = write_file("min_nodes: 2\n"
                               "triggers:\n"
                               "  - name: orders_backlog\n"
                               "    query: sum(app_orders_pending)\n"
                               "    above: 500\n"
                               "    for: 2m\n"
                               "    scale_by: 3\n"
                               "  - name: free_slots\n"
                               "    query: min(app_free_slots)\n"
                               "    below: 2\n");
    struct nf_config c;
    load(&c, f, NULL, NULL, 0, NF_OK);
    assert_int_equal(c.ntriggers, 2);
    assert_string_equal(c.triggers[0].name, "orders_backlog");
    assert_string_equal(c.triggers[0].query, "sum(app_orders_pending)");
    assert_false(c.triggers[0].below);
    assert_true(c.triggers[0].threshold == 500);
    assert_true(c.triggers[0].for_s == 120);
    assert_int_equal(c.triggers[0].scale_by, 3);
    assert_int_equal(c.triggers[0].line, 3);
    assert_true(c.triggers[1].below);
    assert_true(c.triggers[1].for_s == 120); /* default */
    assert_int_equal(c.triggers[1].scale_by, 1);
    struct nf_buf out;
    nf_buf_init(&out, 1 << 20);
    nf_config_write_effective(&c, &out);
    assert_string_contains(out.data, "triggers:\n  - name: \"orders_backlog\"");
    assert_string_contains(out.data, "    below: 2\n    for: 120s\n    scale_by: 1\n");
    nf_buf_free(&out);
}

static void bad_triggers_are_named(void **state)
{
    (void)state;
    const struct bad_case cases[] = {
        {"triggers: 5\n", ":1: triggers: expected a list of triggers"},
        {"triggers:\n  - query: x\n    above: 1\n", ":2: triggers[0]: needs a name"},
        {"triggers:\n  - name: a\n    above: 1\n", ":2: triggers[0]: needs a query"},
        {"triggers:\n  - name: a\n    query: x\n",
         ":2: triggers[0]: needs exactly one of above or below"},
        {"triggers:\n  - name: a\n    query: x\n    above: 1\n    below: 2\n",
         ":2: triggers[0]: needs exactly one of above or below"},
        {"triggers:\n  - name: Bad-Name\n    query: x\n    above: 1\n",
         ":2: triggers[0].name: must be lower-case letters"},
        {"triggers:\n  - name: cpu\n    query: x\n    above: 1\n",
         ":2: triggers[0]: name 'cpu' is a built-in signal"},
        {"triggers:\n  - name: a\n    query: x\n    above: 1\n  - name: a\n    query: y\n    "
         "above: 2\n",
         ":5: triggers[1]: name 'a' already used at line 2"},
        {"triggers:\n  - name: a\n    query: x\n    abov: 1\n",
         ":4: triggers[0].abov: unknown field (did you mean 'above'?)"},
        {"triggers:\n  - name: a\n    query: x\n    above: lots\n",
         ":4: triggers[0].above: expected a number, got \"lots\""},
        {"triggers:\n  - name: a\n    query: x\n    above: 1\n    scale_by: 0\n",
         ":5: triggers[0].scale_by: expected a whole number from 1 to 100"},
        {"triggers:\n  - name: a\n    query: x\n    above: 1\n    for: -1\n",
         ":5: triggers[0].for: must not be negative"},
        {"triggers:\n  - just a string\n", ":2: triggers[0]: expected a mapping"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *f = write_file(cases[i].yaml);
        struct nf_config c;
        const char *text = load(&c, f, NULL, NULL, 0, NF_E_CONFIG);
        char want[512];
        snprintf(want, sizeof want, "%s%s", f, cases[i].problem);
        if (strstr(text, want) == NULL)
            fail_msg("case %zu: problems\n%s\ndo not contain\n%s", i, text, want);
        unlink(f);
    }
    /* nine is one too many */
    struct nf_buf y;
    nf_buf_init(&y, 1 << 16);
    nf_buf_puts(&y, "triggers:\n");
    for (int i = 0; i < 9; i++)
        nf_buf_printf(&y, "  - {name: t%d, query: x, above: 1}\n", i);
    const char *f = write_file(y.data);
    nf_buf_free(&y);
    struct nf_config c;
    assert_string_contains(load(&c, f, NULL, NULL, 0, NF_E_CONFIG), "at most 8 triggers, got 9");
}

static void listen_addresses_are_checked(void **state)
{
    (void)state;
    const char *good[] = {"server.listen=127.0.0.1:9470", "server.listen=:9470",
                          "server.listen=[::1]:9470", "server.listen=localhost:1",
                          "server.listen="};
    struct nf_config c;
    for (size_t i = 0; i < 5; i++)
        load(&c, NULL, NULL, &good[i], 1, NF_OK);
    const char *bad[] = {"server.listen=9470", "server.listen=1.2.3.4:-1",
                         "server.listen=example.com:80", "server.listen=::1:80",
                         "server.listen=127.0.0.1:99999"};
    for (size_t i = 0; i < 5; i++)
        assert_string_contains(load(&c, NULL, NULL, &bad[i], 1, NF_E_CONFIG), "server.listen: ");
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, teardown)
    const struct CMUnitTest tests[] = {
        T(every_setting_round_trips_through_set),
        T(example_config_loads_to_the_defaults),
        T(layers_apply_in_order),
        T(seed_environment_variables_keep_their_meaning),
        T(loading_is_all_or_nothing),
        T(bad_files_name_file_line_and_key),
        T(every_problem_is_listed),
        T(env_and_set_problems_say_where),
        T(missing_file_is_a_config_problem),
        T(secrets_are_masked_and_never_echoed),
        T(durations_take_units),
        T(triggers_load_from_the_file),
        T(bad_triggers_are_named),
        T(listen_addresses_are_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
