/* test_ec2_events.c - the queue's events (aws/ec2_events.h), from AWS's documented examples
 * (tests/vectors/aws/examples) and from bodies that must be refused. */
#include <stdlib.h>

#include "test_util.h"

#include "aws/ec2_events.h"
#include "util/timefmt.h"

static char *vector(const char *name, size_t *len)
{
    const char *v = getenv("NF_VECTORS");
    if (v == NULL)
        fail_msg("NF_VECTORS is not set (run through ctest)");
    char path[1024];
    snprintf(path, sizeof path, "%s/aws/examples/%s", v, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    static char buf[65536];
    *len = fread(buf, 1, sizeof buf - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static size_t parse_ok(const char *body, struct nf_ec2_event *ev, size_t cap)
{
    size_t n = 0;
    struct nf_err err = {0};
    int rc = nf_ec2_events_parse(body, strlen(body), ev, cap, &n, &err);
    if (rc != NF_OK)
        fail_msg("refused: %s", err.msg);
    return n;
}

static double at(const char *t)
{
    double v;
    const char *why;
    assert_int_equal(nf_parse_time(t, &v, &why), NF_OK);
    return v;
}

static void spot_warning_gives_two_minutes(void **state)
{
    (void)state;
    size_t len;
    struct nf_ec2_event ev[4];
    size_t n =
        parse_ok(vector("eventbridge-spot-interruption-warning.nth-example.json", &len), ev, 4);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].kind, NF_EC2EV_SPOT_INTERRUPTION);
    assert_string_equal(ev[0].instance, "i-0b662ef9931388ba0");
    assert_string_equal(ev[0].id, "1e5527d7-bb36-4607-3370-4164db56a40e");
    assert_string_equal(ev[0].detail, "terminate");
    assert_true(ev[0].time == 0);
    assert_true(ev[0].deadline == 120);
    /* the same through SNS */
    n = parse_ok(vector("sns-wrapped-spot-interruption.derived.json", &len), ev, 4);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].kind, NF_EC2EV_SPOT_INTERRUPTION);
    assert_string_equal(ev[0].instance, "i-0b662ef9931388ba0");
    assert_string_equal(nf_ec2_event_kind_name(ev[0].kind), "spot_interruption");
}

static void the_docs_placeholder_time_is_refused_by_name(void **state)
{
    (void)state;
    size_t len, n = 9;
    struct nf_ec2_event ev[4];
    struct nf_err err = {0};
    const char *body = vector("eventbridge-spot-interruption-warning.aws-docs.json", &len);
    assert_int_equal(nf_ec2_events_parse(body, len, ev, 4, &n, &err), NF_E_INPUT);
    assert_int_equal(n, 0);
    assert_string_contains(err.msg, "time: \"yyyy-mm-ddThh:mm:ssZ\"");
}

static void rebalance_state_change_and_health(void **state)
{
    (void)state;
    size_t len;
    struct nf_ec2_event ev[4];
    size_t n = parse_ok(vector("eventbridge-rebalance-recommendation.derived.json", &len), ev, 4);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].kind, NF_EC2EV_REBALANCE);
    assert_true(ev[0].deadline == 0);
    assert_true(ev[0].time == at("2026-11-30T14:03:11Z"));

    n = parse_ok(vector("eventbridge-state-change-stopped.derived.json", &len), ev, 4);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].kind, NF_EC2EV_STATE_CHANGE);
    assert_string_equal(ev[0].detail, "stopped");
    assert_string_equal(ev[0].instance, "i-1234567890abcdef0");

    n = parse_ok(vector("health-scheduled-retirement.derived.json", &len), ev, 4);
    assert_int_equal(n, 2); /* one per affected instance, the same event id */
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ev[i].kind, NF_EC2EV_SCHEDULED);
        assert_string_equal(ev[i].detail, "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED");
        assert_true(ev[i].deadline == at("2026-12-07T06:00:00Z"));
        assert_string_equal(ev[i].id, ev[0].id);
    }
    assert_string_equal(ev[1].instance, "i-1234567890abcdef0");
    /* more instances than room: refused whole, never cut */
    size_t m = 7;
    struct nf_err err = {0};
    const char *body = vector("health-scheduled-retirement.derived.json", &len);
    assert_int_equal(nf_ec2_events_parse(body, len, ev, 1, &m, &err), NF_E_TOO_BIG);
    assert_int_equal(m, 0);
}

static void other_events_are_other(void **state)
{
    (void)state;
    struct nf_ec2_event ev[2];
    const char *s3 = "{\"version\":\"0\",\"id\":\"a\",\"detail-type\":\"Object Created\","
                     "\"source\":\"aws.s3\",\"time\":\"2026-11-30T00:00:00Z\",\"detail\":{}}";
    assert_int_equal(parse_ok(s3, ev, 2), 1);
    assert_int_equal(ev[0].kind, NF_EC2EV_OTHER);
    assert_string_equal(ev[0].instance, "");
    const char *ami = "{\"version\":\"0\",\"id\":\"b\",\"detail-type\":\"EC2 AMI Available\","
                      "\"source\":\"aws.ec2\",\"time\":\"2026-11-30T00:00:00Z\",\"detail\":{}}";
    assert_int_equal(parse_ok(ami, ev, 2), 1);
    assert_int_equal(ev[0].kind, NF_EC2EV_OTHER);
    const char *rds = "{\"version\":\"0\",\"id\":\"c\",\"detail-type\":\"AWS Health Event\","
                      "\"source\":\"aws.health\",\"time\":\"2026-11-30T00:00:00Z\","
                      "\"detail\":{\"service\":\"RDS\",\"eventTypeCategory\":\"scheduledChange\","
                      "\"affectedEntities\":[{\"entityValue\":\"db-1\"}]}}";
    assert_int_equal(parse_ok(rds, ev, 2), 1);
    assert_int_equal(ev[0].kind, NF_EC2EV_OTHER);
}

static void bad_bodies_name_what_is_wrong(void **state)
{
    (void)state;
    static const struct {
        const char *body, *says;
    } cases[] = {
        {"", "not JSON"},
        {"[1]", "not a JSON object"},
        {"{\"id\":\"a\",\"id\":\"b\"}", "not JSON"}, /* duplicate keys */
        {"{\"detail-type\":\"x\",\"source\":\"aws.ec2\",\"time\":\"2026-11-30T00:00:00Z\","
         "\"detail\":{}}",
         "id: missing"},
        {"{\"id\":\"\",\"detail-type\":\"x\",\"source\":\"aws.ec2\",\"time\":\"2026-11-30T00:00:"
         "00Z\","
         "\"detail\":{}}",
         "id: empty"},
        {"{\"id\":\"a\",\"detail-type\":\"x\",\"source\":\"aws.ec2\",\"time\":5,\"detail\":{}}",
         "time: not a string"},
        {"{\"id\":\"a\",\"detail-type\":\"x\",\"source\":\"aws.ec2\",\"time\":\"2026-11-30T00:00:"
         "00Z\","
         "\"detail\":[]}",
         "detail: not an object"},
        {"{\"id\":\"a\",\"detail-type\":\"EC2 Spot Instance Interruption Warning\",\"source\":"
         "\"aws.ec2\",\"time\":\"2026-11-30T00:00:00Z\",\"detail\":{\"instance-id\":\"i-xyz\","
         "\"instance-action\":\"terminate\"}}",
         "detail.instance-id: \"i-xyz\": not an EC2 instance id"},
        {"{\"id\":\"a\",\"detail-type\":\"EC2 Instance Rebalance Recommendation\",\"source\":"
         "\"aws.ec2\",\"time\":\"2026-11-30T00:00:00Z\",\"detail\":{\"instance-id\":\"i-0123\"}}",
         "\"i-0123\": not an EC2 instance id"},
        {"{\"id\":\"a\",\"detail-type\":\"EC2 Spot Instance Interruption Warning\",\"source\":"
         "\"aws.ec2\",\"time\":\"2026-11-30T00:00:00Z\",\"detail\":{\"instance-id\":"
         "\"i-0123456789abcdef0\"}}",
         "detail.instance-action: missing"},
        {"{\"id\":\"a\",\"detail-type\":\"EC2 Instance State-change Notification\",\"source\":"
         "\"aws.ec2\",\"time\":\"2026-11-30T00:00:00Z\",\"detail\":{\"state\":\"stopped\"}}",
         "detail.instance-id: missing"},
        {"{\"Type\":\"Notification\",\"Message\":\"{not json\"}", "Message is not JSON"},
        {"{\"Type\":\"Notification\"}", "Message is missing"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nf_ec2_event ev[2];
        size_t n = 3;
        struct nf_err err = {0};
        int rc = nf_ec2_events_parse(cases[i].body, strlen(cases[i].body), ev, 2, &n, &err);
        if (rc != NF_E_INPUT)
            fail_msg("case %zu: rc %d (%s)", i, rc, err.msg);
        assert_int_equal(n, 0);
        assert_string_contains(err.msg, cases[i].says);
    }
    /* over SQS's own limit */
    static char big[NF_EC2_EVENT_MAX + 2];
    memset(big, ' ', sizeof big);
    size_t n;
    struct nf_ec2_event ev[1];
    assert_int_equal(nf_ec2_events_parse(big, sizeof big, ev, 1, &n, NULL), NF_E_TOO_BIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spot_warning_gives_two_minutes),
        cmocka_unit_test(the_docs_placeholder_time_is_refused_by_name),
        cmocka_unit_test(rebalance_state_change_and_health),
        cmocka_unit_test(other_events_are_other),
        cmocka_unit_test(bad_bodies_name_what_is_wrong),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
