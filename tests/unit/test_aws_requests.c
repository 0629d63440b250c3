/* test_aws_requests.c - nodefleet's requests are the AWS SDK's, byte for byte: for the 8
 * requests in tests/vectors/aws/sdk-generated (serialised and signed by botocore with the
 * SigV4 suite's credentials and date), the body, canonical request, string to sign and
 * Authorization header match exactly. Also: endpoint overrides and response parsing. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "aws/client.h"
#include "util/buf.h"

static const struct {
    const char *dir;
    const struct nf_aws_service *svc;
    struct nf_aws_op op;
} cases[] = {
    {"ec2-run-instances", &nf_aws_ec2, {"RunInstances", "RunInstancesRequest", "Reservation"}},
    {"ec2-describe-instances",
     &nf_aws_ec2,
     {"DescribeInstances", "DescribeInstancesRequest", "DescribeInstancesResult"}},
    {"ec2-terminate-instances",
     &nf_aws_ec2,
     {"TerminateInstances", "TerminateInstancesRequest", "TerminateInstancesResult"}},
    {"dynamodb-put-item", &nf_aws_dynamodb, {"PutItem", NULL, "*"}},
    {"ssm-get-parameter", &nf_aws_ssm, {"GetParameter", NULL, "*"}},
    {"secretsmanager-get-secret-value", &nf_aws_secretsmanager, {"GetSecretValue", NULL, "*"}},
    {"sns-publish", &nf_aws_sns, {"Publish", "PublishInput", "PublishResponse"}},
    {"cloudwatch-put-metric-data",
     &nf_aws_cloudwatch,
     {"PutMetricData", "PutMetricDataInput", NULL}},
};

static char *slurp(const char *dir, const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/aws/sdk-generated/%s/%s", getenv("NF_VECTORS"), dir, file);
    struct nf_buf b;
    nf_buf_init(&b, 1 << 20);
    struct nf_err e;
    if (nf_buf_read_file(&b, path, path, &e) != NF_OK)
        fail_msg("%s", e.msg);
    size_t n = b.len;
    while (n > 0 && b.data[n - 1] == '\n')
        b.data[--n] = '\0';
    return b.data;
}

static void requests_match_the_sdk(void **state)
{
    (void)state;
    char *envp[] = {NULL};
    struct nf_aws_client c;
    struct nf_err err;
    if (nf_aws_client_init(&c, "us-east-1", envp, &err) != NF_OK)
        fail_msg("%s", err.msg);
    struct nf_aws_credentials cr = {.access_key_id = "AKIDEXAMPLE",
                                    .secret_access_key =
                                        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *ptext = slurp(cases[i].dir, "params.json");
        json_t *params = json_loads(ptext, 0, NULL);
        assert_non_null(params);
        struct nf_aws_request req;
        if (nf_aws_build(&c, cases[i].svc, &cases[i].op, params, &cr, 1440938160, 1, &req, &err) !=
            NF_OK)
            fail_msg("%s: %s", cases[i].dir, err.msg);
        char *body = slurp(cases[i].dir, "body");
        char *creq = slurp(cases[i].dir, "canonical-request.txt");
        char *sts = slurp(cases[i].dir, "string-to-sign.txt");
        char *authz = slurp(cases[i].dir, "authorization.txt");
        if (strcmp(body, req.body.data) != 0)
            fail_msg("%s body\n want %s\n got  %s", cases[i].dir, body, req.body.data);
        if (strcmp(creq, req.sig.canonical.data) != 0)
            fail_msg("%s canonical request\n want %s\n got  %s", cases[i].dir, creq,
                     req.sig.canonical.data);
        assert_string_equal(sts, req.sig.string_to_sign.data);
        assert_string_equal(authz, req.sig.authorization);
        char url[256];
        snprintf(url, sizeof url, "https://%s.us-east-1.amazonaws.com/",
                 cases[i].svc->endpoint_prefix);
        assert_string_equal(req.url, url);
        nf_aws_request_free(&req);
        json_decref(params);
        free(ptext);
        free(body);
        free(creq);
        free(sts);
        free(authz);
    }
    nf_aws_client_free(&c);
    nf_aws_models_free();
}

static void endpoints_follow_the_sdk_variables(void **state)
{
    (void)state;
    char *envp[] = {"AWS_ENDPOINT_URL=http://127.0.0.1:5000/",
                    "AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000", NULL};
    struct nf_aws_client c;
    struct nf_err err;
    assert_int_equal(nf_aws_client_init(&c, "eu-west-1", envp, &err), NF_OK);
    char ep[256];
    nf_aws_endpoint(&c, &nf_aws_dynamodb, ep, sizeof ep);
    assert_string_equal(ep, "http://127.0.0.1:8000");
    nf_aws_endpoint(&c, &nf_aws_ec2, ep, sizeof ep);
    assert_string_equal(ep, "http://127.0.0.1:5000");
    nf_aws_client_free(&c);
    char *envp2[] = {"AWS_ENDPOINT_URL=http://127.0.0.1:5000",
                     "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true", NULL};
    assert_int_equal(nf_aws_client_init(&c, "eu-west-1", envp2, &err), NF_OK);
    nf_aws_endpoint(&c, &nf_aws_cloudwatch, ep, sizeof ep);
    assert_string_equal(ep, "https://monitoring.eu-west-1.amazonaws.com");
    nf_aws_client_free(&c);
}

static void errors_parse_per_protocol(void **state)
{
    (void)state;
    json_t *res;
    struct nf_aws_error ae = {0};
    struct nf_err err;
    const char *ec2 = "<Response><Errors><Error><Code>InsufficientInstanceCapacity</Code><Message>"
                      "no capacity</Message></Error></Errors><RequestID>r-1</RequestID></Response>";
    struct nf_aws_op run = {"RunInstances", "RunInstancesRequest", "Reservation"};
    assert_int_equal(nf_aws_parse(&nf_aws_ec2, &run, 500, NULL, ec2, strlen(ec2), &res, &ae, &err),
                     NF_E_AWS);
    assert_string_equal(ae.code, "InsufficientInstanceCapacity");
    assert_string_equal(ae.message, "no capacity");
    assert_string_equal(ae.request_id, "r-1");
    memset(&ae, 0, sizeof ae);
    const char *ddb =
        "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\","
        "\"message\":\"The conditional request failed\"}";
    struct nf_aws_op put = {"PutItem", NULL, "*"};
    assert_int_equal(
        nf_aws_parse(&nf_aws_dynamodb, &put, 400, NULL, ddb, strlen(ddb), &res, &ae, &err),
        NF_E_AWS);
    assert_string_equal(ae.code, "ConditionalCheckFailedException");
    assert_string_equal(ae.message, "The conditional request failed");
    memset(&ae, 0, sizeof ae);
    assert_int_equal(nf_aws_parse(&nf_aws_dynamodb, &put, 503, NULL, "", 0, &res, &ae, &err),
                     NF_E_AWS);
    assert_string_equal(ae.code, "HTTP503");
    assert_int_equal(
        nf_aws_parse(&nf_aws_ec2, &run, 502, NULL, "<html>bad gateway", 17, &res, &ae, &err),
        NF_E_AWS);
    assert_string_equal(ae.code, "HTTP502");
    assert_int_equal(nf_aws_parse(&nf_aws_ec2, &run, 200, NULL, "<nope", 5, &res, &ae, &err),
                     NF_E_INPUT);
    assert_true(nf_aws_retryable_code("RequestLimitExceeded"));
    assert_true(nf_aws_retryable_code("ThrottlingException"));
    assert_false(nf_aws_retryable_code("InsufficientInstanceCapacity"));
    assert_false(nf_aws_retryable_code("ConditionalCheckFailedException"));
    nf_aws_models_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(requests_match_the_sdk),
        cmocka_unit_test(endpoints_follow_the_sdk_variables),
        cmocka_unit_test(errors_parse_per_protocol),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
