/* test_aws_local.c - the AWS pieces that need no server: the shared-file reader, the
 * credential chain's environment and file sources, the credentials document, and the
 * DynamoDB state item decoder (strict: a damaged field is an error naming it). */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "adapters/dynamodb.h"
#include "aws/creds.h"
#include "aws/ini.h"

static const char ini_text[] = "# comment\n"
                               "[default]\n"
                               "aws_access_key_id = AKIADEFAULT\n"
                               "aws_secret_access_key=  s1  \n"
                               "\n"
                               "; other comment\n"
                               "[profile ops]\n"
                               "region = eu-west-1\n"
                               "s3 =\n"
                               "  max_concurrent_requests = 20\n"
                               "aws_session_token = tok\n";

static int ini(const char *text, const char *section, const char *key, char *out, size_t n,
               struct nf_err *e)
{
    return nf_ini_get(text, strlen(text), "creds", section, key, out, n, e);
}

static void ini_reads_sections_and_trims(void **state)
{
    (void)state;
    char v[64];
    struct nf_err e;
    assert_int_equal(ini(ini_text, "default", "aws_secret_access_key", v, sizeof v, &e), NF_OK);
    assert_string_equal(v, "s1");
    assert_int_equal(ini(ini_text, "profile ops", "region", v, sizeof v, &e), NF_OK);
    assert_string_equal(v, "eu-west-1");
    /* the nested s3 block is skipped, the key after it is still in the section */
    assert_int_equal(ini(ini_text, "profile ops", "aws_session_token", v, sizeof v, &e), NF_OK);
    assert_string_equal(v, "tok");
    assert_int_equal(ini(ini_text, "default", "region", v, sizeof v, &e), NF_E_NOT_FOUND);
    assert_int_equal(ini(ini_text, "ops", "region", v, sizeof v, &e), NF_E_NOT_FOUND);
}

static void ini_rejects_malformed_lines_with_their_number(void **state)
{
    (void)state;
    char v[64];
    struct nf_err e;
    assert_int_equal(ini("[default]\nregion = x\njunk\n", "default", "region", v, sizeof v, &e),
                     NF_E_INPUT);
    assert_string_equal(e.msg, "creds:3: expected [section] or key = value");
    assert_int_equal(ini("region = x\n", "default", "region", v, sizeof v, &e), NF_E_INPUT);
    assert_string_equal(e.msg, "creds:1: a setting before any [section]");
    assert_int_equal(ini("[default\n", "default", "region", v, sizeof v, &e), NF_E_INPUT);
    assert_string_equal(e.msg, "creds:1: malformed section header");
    assert_int_equal(ini("[a]\n= v\n", "a", "x", v, sizeof v, &e), NF_E_INPUT);
    assert_string_equal(e.msg, "creds:2: empty key");
    char nul[] = "[a]\nx = 1\0\n";
    assert_int_equal(nf_ini_get(nul, sizeof nul - 1, "creds", "a", "x", v, sizeof v, &e),
                     NF_E_INPUT);
    assert_string_equal(e.msg, "creds:2: contains a NUL byte");
}

static void chain_prefers_the_environment_then_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/nf-creds-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], home[300], cfg[300];
    snprintf(path, sizeof path, "%s/credentials", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(ini_text, f);
    fclose(f);
    snprintf(home, sizeof home, "AWS_SHARED_CREDENTIALS_FILE=%s", path);
    snprintf(cfg, sizeof cfg, "AWS_CONFIG_FILE=%s/none", dir);
    char *env_keys[] = {"AWS_ACCESS_KEY_ID=AKIAENV",
                        "AWS_SECRET_ACCESS_KEY=sek",
                        "AWS_SESSION_TOKEN=st",
                        home,
                        cfg,
                        NULL};
    struct nf_aws_creds_chain c;
    struct nf_aws_credentials cr;
    struct nf_err e;
    nf_aws_creds_init(&c, env_keys, NULL);
    assert_int_equal(nf_aws_creds_get(&c, 1000, &cr, &e), NF_OK);
    assert_string_equal(cr.access_key_id, "AKIAENV");
    assert_string_equal(cr.session_token, "st");
    assert_string_equal(cr.source, "environment");
    nf_aws_creds_forget(&c);

    char *env_files[] = {home, cfg, "AWS_EC2_METADATA_DISABLED=true", NULL};
    nf_aws_creds_init(&c, env_files, NULL);
    assert_int_equal(nf_aws_creds_get(&c, 1000, &cr, &e), NF_OK);
    assert_string_equal(cr.access_key_id, "AKIADEFAULT");
    assert_string_equal(cr.secret_access_key, "s1");
    assert_string_equal(cr.source, "credentials file");
    nf_aws_creds_forget(&c);

    /* a key id without its secret is a configuration error, not a fall-through */
    char *half[] = {"AWS_ACCESS_KEY_ID=AKIAENV", NULL};
    nf_aws_creds_init(&c, half, NULL);
    assert_int_equal(nf_aws_creds_get(&c, 1000, &cr, &e), NF_E_CONFIG);
    assert_non_null(strstr(e.msg, "AWS_SECRET_ACCESS_KEY is not"));

    /* nothing anywhere: a configuration error that says where it looked */
    char *none[] = {cfg, "AWS_SHARED_CREDENTIALS_FILE=/nonexistent/x",
                    "AWS_EC2_METADATA_DISABLED=true", NULL};
    nf_aws_creds_init(&c, none, NULL);
    assert_int_equal(nf_aws_creds_get(&c, 1000, &cr, &e), NF_E_CONFIG);
    assert_non_null(strstr(e.msg, "no AWS credentials"));
    unlink(path);
    rmdir(dir);
}

static void credentials_document_is_checked(void **state)
{
    (void)state;
    struct nf_aws_credentials cr;
    struct nf_err e;
    const char *good = "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":"
                       "\"topsecret\",\"Token\":\"t\",\"Expiration\":\"2026-01-01T00:00:00Z\"}";
    memset(&cr, 0, sizeof cr);
    assert_int_equal(nf_aws_creds_parse(good, strlen(good), "instance profile", &cr, &e), NF_OK);
    assert_string_equal(cr.access_key_id, "ASIA1");
    assert_true(fabs(cr.expiration - 1767225600.0) < 1e-6);
    const char *failed = "{\"Code\":\"AssumeRoleUnauthorizedAccess\"}";
    assert_int_equal(nf_aws_creds_parse(failed, strlen(failed), "instance profile", &cr, &e),
                     NF_E_UNAVAILABLE);
    assert_non_null(strstr(e.msg, "AssumeRoleUnauthorizedAccess"));
    const char *partial = "{\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"topsecret\"}";
    assert_int_equal(nf_aws_creds_parse(partial, strlen(partial), "container", &cr, &e),
                     NF_E_UNAVAILABLE);
    assert_null(strstr(e.msg, "topsecret"));
    const char *badtime = "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"topsecret\",\"Token\":"
                          "\"t\",\"Expiration\":\"soon\"}";
    assert_int_equal(nf_aws_creds_parse(badtime, strlen(badtime), "container", &cr, &e),
                     NF_E_UNAVAILABLE);
    assert_non_null(strstr(e.msg, "Expiration"));
    assert_int_equal(nf_aws_creds_parse("[1", 2, "container", &cr, &e), NF_E_UNAVAILABLE);
}

static int decode(const char *item_json, struct nf_state *st, struct nf_err *e)
{
    json_t *j = json_loads(item_json, 0, NULL);
    assert_non_null(j);
    int rc = nf_dynamodb_state_decode(j, st, e);
    json_decref(j);
    return rc;
}

static void state_item_decodes_the_seed_layout_and_ours(void **state)
{
    (void)state;
    static struct nf_state st;
    struct nf_err e;
    assert_int_equal(
        decode(
            "{\"cluster_id\":{\"S\":\"p\"},\"node_count\":{\"N\":\"4\"},"
            "\"last_scale_action\":{\"S\":\"scale_up\"},\"last_scale_up\":{\"N\":\"1700\"},"
            "\"draining_instances\":{\"L\":[{\"S\":\"i-0abc:ip-10-0-1-5:1700000000\"}]},"
            "\"in_flight_launches\":{\"L\":[{\"M\":{\"intent\":{\"S\":\"up-1\"},\"az\":"
            "{\"S\":\"us-east-1a\"},\"market\":{\"S\":\"spot\"},\"launched_at\":{\"N\":"
            "\"1699\"},\"instances\":{\"L\":[{\"S\":\"i-1\"},{\"S\":\"i-2\"}]}}}]},"
            "\"metrics_history\":{\"L\":[{\"M\":{\"t\":{\"N\":\"1\"},\"cpu\":{\"N\":\"55.5\"}}}]}}",
            &st, &e),
        NF_OK);
    assert_int_equal(st.node_count, 4);
    assert_string_equal(st.last_action, "scale_up");
    assert_true(st.last_scale_up == 1700);
    assert_int_equal(st.ndrains, 1);
    assert_string_equal(st.drains[0].instance, "i-0abc");
    assert_string_equal(st.drains[0].node, "ip-10-0-1-5");
    assert_true(st.drains[0].started_at == 1700000000);
    assert_int_equal(st.nlaunches, 1);
    assert_int_equal(st.launches[0].ninstances, 2);
    assert_string_equal(st.launches[0].instances[1], "i-2");
    assert_int_equal(st.nhistory, 1);
    assert_true(st.history[0].cpu == 55.5);
    assert_true(isnan(st.history[0].memory));
    /* a fresh pool: no item fields at all */
    assert_int_equal(decode("{}", &st, &e), NF_OK);
    assert_int_equal(st.node_count, 0);
}

static void a_damaged_state_item_is_an_error_naming_the_field(void **state)
{
    (void)state;
    static const struct {
        const char *item, *msg;
    } bad[] = {
        {"{\"node_count\":{\"S\":\"4\"}}",
         "state item: node_count: expected a number attribute {\"N\": ...}"},
        {"{\"node_count\":{\"N\":\"4.5\"}}",
         "state item: node_count: not a whole number from 0 to 100000"},
        {"{\"node_count\":{\"N\":\"1e999\"}}", "state item: node_count: not a finite number"},
        {"{\"draining_instances\":{\"L\":[{\"S\":\"i-1:n:1\"},{\"S\":\"i-2:n\"}]}}",
         "state item: draining_instances[1]: expected \"instance:node:started_at\""},
        {"{\"draining_instances\":{\"S\":\"x\"}}",
         "state item: draining_instances: expected a list attribute {\"L\": [...]}"},
        {"{\"in_flight_launches\":{\"L\":[{\"M\":{\"az\":{\"S\":\"a\"}}}]}}",
         "state item: in_flight_launches[0]: no intent"},
        {"{\"in_flight_launches\":{\"L\":[{\"M\":{\"intent\":{\"S\":\"u\"},\"instances\":"
         "{\"L\":[{\"N\":\"1\"}]}}}]}}",
         "state item: in_flight_launches[0]: an instance id is not a short string"},
        {"{\"last_scale_up\":{\"N\":\"soon\"}}", "state item: last_scale_up: not a finite number"},
    };
    static struct nf_state st;
    struct nf_err e;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(decode(bad[i].item, &st, &e), NF_E_INPUT);
        assert_string_equal(e.msg, bad[i].msg);
        assert_int_equal(st.node_count, 0); /* nothing half-decoded is handed back */
        assert_int_equal(st.ndrains, 0);
    }
}

static void state_json_round_trips_and_refuses_damage(void **state)
{
    (void)state;
    static struct nf_state a, b;
    memset(&a, 0, sizeof a);
    a.node_count = 4;
    a.last_scale_up = 1700000000.5;
    snprintf(a.last_action, sizeof a.last_action, "scale_up");
    snprintf(a.last_reason, sizeof a.last_reason, "cpu > 70 for 180s \"quoted\"");
    a.nlaunches = 1;
    snprintf(a.launches[0].intent, sizeof a.launches[0].intent, "up-1700000000-1");
    a.launches[0].count = 3;
    a.launches[0].spot = 2;
    a.launches[0].ninstances = 2;
    snprintf(a.launches[0].instances[1], sizeof a.launches[0].instances[1], "i-0b");
    snprintf(a.launches[0].instances[0], sizeof a.launches[0].instances[0], "i-0a");
    snprintf(a.launches[0].types, sizeof a.launches[0].types, "c5.large*2,m5.xlarge*1");
    a.ndrains = 1;
    snprintf(a.drains[0].node, sizeof a.drains[0].node, "ip-10-0-1-5");
    a.drains[0].started_at = 1700000100;
    a.nhistory = 1;
    a.history[0].t = 5;
    a.history[0].cpu = 12.5;
    a.history[0].memory = NAN;
    a.history[0].pending_pods = 0;
    a.launch_failures = 7;
    a.nbackoffs = 1;
    snprintf(a.backoffs[0].az, sizeof a.backoffs[0].az, "us-east-1b");
    snprintf(a.backoffs[0].market, sizeof a.backoffs[0].market, "spot");
    snprintf(a.backoffs[0].type, sizeof a.backoffs[0].type, "c5.large");
    a.cost_on_demand = 0.192;
    a.cost_spot = 0.07;
    a.cost_if_on_demand = 0.384;
    a.backoffs[0].until = 1700000600.25;
    a.nunneeded = 1;
    snprintf(a.unneeded[0].node, sizeof a.unneeded[0].node, "ip-10-0-1-9");
    a.unneeded[0].since = 1700000300.5;
    nf_demand_record(&a.demand, 1700000000, 2.5);
    nf_demand_record(&a.demand, 1700000900, 3.25); /* two gaps before it */
    for (int i = 0; i < NF_STATE_DECISIONS_MAX + 5; i++) {
        struct nf_decision_rec d = {.t = i, .nodes = i % 3};
        snprintf(d.action, sizeof d.action, "none");
        nf_state_add_decision(&a, &d);
    }
    assert_int_equal(a.ndecisions, NF_STATE_DECISIONS_MAX);
    assert_true(a.decisions[0].t == 5); /* the oldest five went */
    struct nf_buf j;
    nf_buf_init(&j, 1 << 20);
    assert_int_equal(nf_state_to_json(&a, &j), NF_OK);
    struct nf_err e;
    assert_int_equal(nf_state_from_json(j.data, j.len, &b, &e), NF_OK);
    assert_int_equal(b.node_count, 4);
    assert_true(b.last_scale_up == 1700000000.5);
    assert_string_equal(b.last_reason, a.last_reason);
    assert_int_equal(b.launches[0].spot, 2);
    assert_string_equal(b.launches[0].instances[1], "i-0b");
    assert_string_equal(b.drains[0].node, "ip-10-0-1-5");
    assert_true(isnan(b.history[0].memory));
    assert_true(b.history[0].cpu == 12.5);
    assert_int_equal(b.ndecisions, NF_STATE_DECISIONS_MAX);
    assert_int_equal(b.launch_failures, 7);
    assert_int_equal(b.nbackoffs, 1);
    assert_string_equal(b.backoffs[0].az, "us-east-1b");
    assert_string_equal(b.backoffs[0].market, "spot");
    assert_string_equal(b.backoffs[0].type, "c5.large"); /* a pool: type, zone, market */
    assert_true(b.cost_on_demand == 0.192 && b.cost_spot == 0.07 && b.cost_if_on_demand == 0.384);
    char each[NF_LAUNCH_INSTANCES_MAX][32];
    assert_int_equal(nf_launch_types_expand(b.launches[0].types, 3, each), 0);
    assert_string_equal(each[1], "c5.large");
    assert_string_equal(each[2], "m5.xlarge");
    assert_int_equal(nf_launch_types_expand("", 2, each), 0); /* unnamed: the first type */
    assert_string_equal(each[1], "");
    assert_true(b.backoffs[0].until == 1700000600.25);
    assert_int_equal(b.nunneeded, 1);
    assert_string_equal(b.unneeded[0].node, "ip-10-0-1-9");
    assert_true(b.unneeded[0].since == 1700000300.5);
    assert_int_equal(b.demand.n, 4);
    assert_true(nf_demand_at(&b.demand, 1700000000) == 2.5f);
    assert_true(isnan(nf_demand_at(&b.demand, 1700000300)));
    assert_true(nf_demand_at(&b.demand, 1700000900) == 3.25f);
    /* the last hour by the minute comes back too */
    assert_true(b.demand.minute_t == a.demand.minute_t);
    assert_float_equal(nf_demand_peak(&b.demand, 1700000900, 0), 3.25, 1e-6);
    assert_float_equal(nf_demand_peak(&b.demand, 1700000900, 900), 3.25, 1e-6);
    assert_non_null(strstr(j.data, "\"schema\":4")); /* what is written names its schema */
    nf_buf_free(&j);
    /* a state written before the default policy (schema 1: no "schema", no "unneeded"): read
     * as it is, and written again as the current schema */
    assert_int_equal(nf_state_from_json("{\"node_count\": 2}", 17, &b, &e), NF_OK);
    assert_int_equal(b.nunneeded, 0);
    assert_int_equal(b.node_count, 2);
    nf_buf_init(&j, 1 << 20);
    assert_int_equal(nf_state_to_json(&b, &j), NF_OK);
    assert_non_null(strstr(j.data, "\"schema\":4"));
    nf_buf_free(&j);
    /* a newer nodefleet's state is refused, not saved without what this one does not know */
    const char *newer = "{\"schema\": 5, \"node_count\": 2}";
    assert_int_equal(nf_state_from_json(newer, strlen(newer), &b, &e), NF_E_INPUT);
    assert_non_null(strstr(e.msg, "schema 5 was written by a newer nodefleet"));
    static const struct {
        const char *json, *msg;
    } bad[] = {
        {"[]", "state: not a JSON object (another type)"},
        {"{\"node_count\": -1}", "state: node_count: expected a whole number in range"},
        {"{\"launches\": [{\"intent\": \"x\", \"count\": 2, \"spot\": 3}]}",
         "state: launches[0]: expected a whole number in range"},
        {"{\"launches\": [{\"count\": 1}]}", "state: launches[0]: no intent"},
        {"{\"cost\": [1]}", "state: cost: expected an object"},
        {"{\"cost\": {\"on_demand\": -1, \"spot\": 0, \"if_all_on_demand\": 1}}",
         "state: cost: expected dollars an hour, 0 or more"},
        {"{\"launches\": [{\"intent\": \"x\", \"count\": 2, \"types\": \"m5.large*3\"}]}",
         "state: launches[0]: types: expected TYPE*N runs adding up to count"},
        {"{\"launches\": [{\"intent\": \"x\", \"count\": 2, \"types\": \"m5.large*1,\"}]}",
         "state: launches[0]: types: expected TYPE*N runs adding up to count"},
        {"{\"drains\": [{\"node\": 5}]}", "state: drains[0]: expected a string"},
        {"{\"decisions\": {}}", "state: decisions: expected a list"},
        {"{\"backoffs\": [{\"az\": \"us-east-1a\", \"market\": \"cheap\", \"until\": 1}]}",
         "state: backoffs[0]: market is neither spot nor on-demand"},
        {"{\"backoffs\": [{\"az\": \"a\", \"market\": \"spot\", \"until\": \"soon\"}]}",
         "state: backoffs[0]: expected a number"},
        {"{\"unneeded\": [{\"node\": \"\", \"since\": 1}]}", "state: unneeded[0]: no node"},
        {"{\"unneeded\": [5]}", "state: unneeded[0]: expected an object"},
        {"{\"schema\": \"two\"}", "state: schema: expected a whole number in range"},
        {"{\"demand_minutes\": {\"newest_t\": 61, \"cores\": []}}",
         "state: demand_minutes: newest_t is not the start of a minute"},
        {"{\"demand_minutes\": {\"newest_t\": 60, \"cores\": [1]}}",
         "state: demand_minutes.cores: expected 60 values"},
        {"{\"schema\": 0}", "state: schema: expected a whole number in range"},
        {"{\"demand\": {\"bucket_s\": 60, \"newest_t\": 600, \"cores\": [1]}}",
         "state: demand: bucket_s is not 300"},
        {"{\"demand\": {\"bucket_s\": 300, \"newest_t\": 601, \"cores\": [1]}}",
         "state: demand: newest_t is not the start of a bucket"},
        {"{\"demand\": {\"bucket_s\": 300, \"newest_t\": 600, \"cores\": [-1]}}",
         "state: demand.cores: expected numbers of 0 or more, or null"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(nf_state_from_json(bad[i].json, strlen(bad[i].json), &b, &e), NF_E_INPUT);
        assert_string_equal(e.msg, bad[i].msg);
        assert_int_equal(b.node_count, 0);
    }
}

/* The fullest state (every list at its cap, names at their longest, 14 days of demand and the
 * last hour by the minute; none of it grows with the pool's size) is one
 * DynamoDB attribute: the item must stay under DynamoDB's 400 KB limit */
static void the_fullest_state_fits_a_dynamodb_item(void **state)
{
    (void)state;
    static struct nf_state a;
    memset(&a, 0, sizeof a);
    for (int i = 0; i < NF_STATE_LAUNCHES_MAX; i++) {
        struct nf_launch_rec *l = &a.launches[a.nlaunches++];
        memset(l->intent, 'x', sizeof l->intent - 1);
        l->count = l->ninstances = NF_LAUNCH_INSTANCES_MAX;
        for (int k = 0; k < l->ninstances; k++)
            memset(l->instances[k], 'i', sizeof l->instances[k] - 1);
    }
    for (int i = 0; i < NF_STATE_DRAINS_MAX; i++) {
        memset(a.drains[i].node, 'n', sizeof a.drains[i].node - 1);
        memset(a.drains[i].instance, 'i', sizeof a.drains[i].instance - 1);
    }
    a.ndrains = NF_STATE_DRAINS_MAX;
    for (int i = 0; i < NF_STATE_DECISIONS_MAX; i++) {
        struct nf_decision_rec d = {.t = i};
        memset(d.reason, 'r', sizeof d.reason - 1);
        snprintf(d.action, sizeof d.action, "scale_down");
        nf_state_add_decision(&a, &d);
    }
    for (int i = 0; i < NF_STATE_UNNEEDED_MAX; i++) {
        memset(a.unneeded[i].node, 'n', sizeof a.unneeded[i].node - 1);
        a.unneeded[i].since = 1700000000.123;
    }
    a.nunneeded = NF_STATE_UNNEEDED_MAX;
    for (int i = 0; i < NF_DEMAND_BUCKETS; i++)
        nf_demand_record(&a.demand, 1700000000 + 300.0 * i, 1234.567 + i);
    for (int i = 1; i <= NF_DEMAND_MINUTES; i++) /* and every minute of the last hour */
        nf_demand_record(&a.demand, 1700000000 + 300.0 * NF_DEMAND_BUCKETS + 60.0 * i, 9999.999);
    struct nf_buf j;
    nf_buf_init(&j, 1 << 22);
    assert_int_equal(nf_state_to_json(&a, &j), NF_OK);
    print_message("the fullest state: %zu bytes of JSON (DynamoDB's item limit: 409600)\n", j.len);
    assert_true(j.len < 300 * 1024); /* room left for the lease and the key attributes */
    nf_buf_free(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ini_reads_sections_and_trims),
        cmocka_unit_test(ini_rejects_malformed_lines_with_their_number),
        cmocka_unit_test(chain_prefers_the_environment_then_files),
        cmocka_unit_test(credentials_document_is_checked),
        cmocka_unit_test(state_item_decodes_the_seed_layout_and_ours),
        cmocka_unit_test(a_damaged_state_item_is_an_error_naming_the_field),
        cmocka_unit_test(state_json_round_trips_and_refuses_damage),
        cmocka_unit_test(the_fullest_state_fits_a_dynamodb_item),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
