/* test_aws_protocols.c - the protocol codec against the official AWS protocol test suites
 * (tests/vectors/aws/protocol-tests: ec2, query, json 1.1, json 1.0; input and output). Every
 * case runs, except the ones listed in `skipped` with the reason (features nodefleet does not
 * use) and botocore's own ignore list. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <strings.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "aws/proto.h"
#include "aws/xml.h"

static const struct {
    const char *prefix, *why;
} skipped[] = {
    {"SDKAppliedContentEncoding", "request compression (gzip): nodefleet sends small bodies"},
    {"SDKAppendsGzip", "request compression (gzip)"},
    {"SDKAppendedGzip", "request compression (gzip)"},
    {"AwsJson10EndpointTrait", "endpoint host prefixes: not used by the services nodefleet calls"},
    {"AwsJson11EndpointTrait", "endpoint host prefixes"},
    {"Ec2QueryEndpointTrait", "endpoint host prefixes"},
    {"QueryEndpointTrait", "endpoint host prefixes"},
    {"AwsJson10HostWithPath", "endpoints with a path"},
    {"AwsJson11HostWithPath", "endpoints with a path"},
    {"Ec2QueryHostWithPath", "endpoints with a path"},
    {"QueryHostWithPath", "endpoints with a path"},
    {"Ec2ProtocolIdempotencyTokenAutoFill", "token auto-fill: nodefleet always derives its token"},
    {"QueryProtocolIdempotencyTokenAutoFill", "token auto-fill"},
    {"AwsJson11PutAndGetInlineDocuments", "document types: not used"},
    {"PutAndGetInlineDocuments", "document types"},
};

static json_t *ignore_list;

static const char *vectors(void)
{
    const char *v = getenv("NF_VECTORS");
    if (v == NULL)
        fail_msg("NF_VECTORS is not set (run through ctest)");
    return v;
}

static bool is_skipped(const char *id, const char *proto, bool input)
{
    for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++)
        if (strncmp(id, skipped[i].prefix, strlen(skipped[i].prefix)) == 0)
            return true;
    json_t *cases = json_object_get(
        json_object_get(json_object_get(json_object_get(ignore_list, "protocols"), proto),
                        input ? "input" : "output"),
        "cases");
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) if (strcmp(json_string_value(c), id) == 0) return true;
    return false;
}

static json_t *load(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/aws/protocol-tests/%s", vectors(), rel);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (j == NULL)
        fail_msg("%s: %s", path, je.text);
    return j;
}

static enum nf_aws_protocol proto_of(const char *p)
{
    if (strcmp(p, "ec2") == 0)
        return NF_AWS_EC2;
    if (strcmp(p, "query") == 0)
        return NF_AWS_QUERY;
    return NF_AWS_JSON;
}

static void run_input(const char *file, int min_pass)
{
    json_t *suites = load(file);
    int pass = 0, fail = 0, skip = 0;
    size_t si;
    json_t *suite;
    json_array_foreach(suites, si, suite)
    {
        json_t *meta = json_object_get(suite, "metadata");
        const char *pname = json_string_value(json_object_get(meta, "protocol"));
        enum nf_aws_protocol proto = proto_of(pname);
        json_t *shapes = json_object_get(suite, "shapes");
        size_t ci;
        json_t *c;
        json_array_foreach(json_object_get(suite, "cases"), ci, c)
        {
            const char *id = json_string_value(json_object_get(c, "id"));
            json_t *given = json_object_get(c, "given");
            json_t *ser = json_object_get(c, "serialized");
            if (is_skipped(id, pname, true) || json_object_get(ser, "body") == NULL) {
                skip++;
                continue;
            }
            const char *op = json_string_value(json_object_get(given, "name"));
            const char *in =
                json_string_value(json_object_get(json_object_get(given, "input"), "shape"));
            const char *want = json_string_value(json_object_get(ser, "body"));
            struct nf_buf body;
            nf_buf_init(&body, 1 << 20);
            struct nf_err err = {0};
            int rc;
            bool ok;
            if (proto == NF_AWS_JSON) {
                rc = nf_awsjson_serialize(shapes, in, json_object_get(c, "params"), &body, &err);
                json_t *a = json_loads(want, 0, NULL),
                       *b = body.data ? json_loads(body.data, 0, NULL) : NULL;
                ok = rc == NF_OK && a && b && json_equal(a, b);
                json_decref(a);
                json_decref(b);
            } else {
                rc = nf_awsq_serialize(proto, shapes, in, json_object_get(c, "params"), op,
                                       json_string_value(json_object_get(meta, "apiVersion")),
                                       &body, &err);
                ok = rc == NF_OK && strcmp(want, body.data) == 0;
            }
            if (ok) {
                pass++;
            } else {
                fail++;
                fprintf(stderr, "FAIL %s %s\n  want %s\n  got  %s %s\n", file, id, want,
                        body.data ? body.data : "", err.msg);
            }
            nf_buf_free(&body);
        }
    }
    fprintf(stderr, "%s: %d passed, %d skipped\n", file, pass, skip);
    json_decref(suites);
    assert_int_equal(fail, 0);
    assert_true(pass >= min_pass);
}

static json_t *header(json_t *headers, const char *name)
{
    const char *k;
    json_t *v;
    json_object_foreach(headers, k, v) if (strcasecmp(k, name) == 0) return v;
    return NULL;
}

static void run_output(const char *file, int min_pass)
{
    json_t *suites = load(file);
    int pass = 0, fail = 0, skip = 0;
    size_t si;
    json_t *suite;
    json_array_foreach(suites, si, suite)
    {
        json_t *meta = json_object_get(suite, "metadata");
        const char *pname = json_string_value(json_object_get(meta, "protocol"));
        enum nf_aws_protocol proto = proto_of(pname);
        json_t *shapes = json_object_get(suite, "shapes");
        size_t ci;
        json_t *c;
        json_array_foreach(json_object_get(suite, "cases"), ci, c)
        {
            const char *id = json_string_value(json_object_get(c, "id"));
            if (is_skipped(id, pname, false)) {
                skip++;
                continue;
            }
            json_t *given = json_object_get(c, "given");
            json_t *resp = json_object_get(c, "response");
            const char *body = json_string_value(json_object_get(resp, "body"));
            const char *want_code = json_string_value(json_object_get(c, "errorCode"));
            json_t *want = want_code ? json_object_get(c, "error") : json_object_get(c, "result");
            json_t *got = NULL;
            char code[128] = "", msg[512] = "";
            struct nf_err err = {0};
            if (proto == NF_AWS_JSON) {
                json_t *b = body && body[0] ? json_loads(body, 0, NULL) : json_object();
                if (want_code) {
                    json_t *h = header(json_object_get(resp, "headers"), "X-Amzn-Errortype");
                    nf_awsjson_error(h ? json_string_value(h) : NULL, b, code, sizeof code, msg,
                                     sizeof msg);
                    const char *es = nf_aws_error_shape(shapes, code);
                    if (es != NULL)
                        nf_awsjson_parse(shapes, es, b, &got, &err);
                    else
                        got = json_object();
                } else {
                    const char *os = json_string_value(
                        json_object_get(json_object_get(given, "output"), "shape"));
                    nf_awsjson_parse(shapes, os, b, &got, &err);
                }
                json_decref(b);
            } else {
                struct nf_xml_doc doc;
                if (body == NULL || body[0] == '\0') {
                    got = json_object(); /* no body: no output members */
                } else if (nf_xml_parse(body, strlen(body), &doc, &err) == NF_OK) {
                    if (want_code) {
                        nf_awsxml_error(proto, shapes, doc.root, code, sizeof code, msg, sizeof msg,
                                        &got);
                    } else {
                        json_t *out = json_object_get(given, "output");
                        nf_awsxml_parse(proto, shapes,
                                        json_string_value(json_object_get(out, "shape")),
                                        json_string_value(json_object_get(out, "resultWrapper")),
                                        doc.root, &got, &err);
                    }
                    nf_xml_free(&doc);
                }
            }
            bool ok = got != NULL && (want_code == NULL || strcmp(code, want_code) == 0) &&
                      json_equal(got, want);
            if (ok) {
                pass++;
            } else {
                fail++;
                char *g = got ? json_dumps(got, JSON_COMPACT) : NULL,
                     *w = json_dumps(want, JSON_COMPACT);
                fprintf(stderr, "FAIL %s %s\n  want %s %s\n  got  %s %s %s\n", file, id,
                        want_code ? want_code : "", w, code, g ? g : "(none)", err.msg);
                free(g);
                free(w);
            }
            json_decref(got);
        }
    }
    fprintf(stderr, "%s: %d passed, %d skipped\n", file, pass, skip);
    json_decref(suites);
    assert_int_equal(fail, 0);
    assert_true(pass >= min_pass);
}

static void ec2_input(void **s)
{
    (void)s;
    run_input("input/ec2.json", 20);
}
static void query_input(void **s)
{
    (void)s;
    run_input("input/query.json", 25);
}
static void json11_input(void **s)
{
    (void)s;
    run_input("input/json.json", 20);
}
static void json10_input(void **s)
{
    (void)s;
    run_input("input/json_1_0.json", 10);
}
static void ec2_output(void **s)
{
    (void)s;
    run_output("output/ec2.json", 25);
}
static void query_output(void **s)
{
    (void)s;
    run_output("output/query.json", 30);
}
static void json11_output(void **s)
{
    (void)s;
    run_output("output/json.json", 40);
}
static void json10_output(void **s)
{
    (void)s;
    run_output("output/json_1_0.json", 25);
}

static int setup(void **state)
{
    (void)state;
    ignore_list = load("protocol-tests-ignore-list.json");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(ignore_list);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ec2_input),     cmocka_unit_test(query_input),
        cmocka_unit_test(json11_input),  cmocka_unit_test(json10_input),
        cmocka_unit_test(ec2_output),    cmocka_unit_test(query_output),
        cmocka_unit_test(json11_output), cmocka_unit_test(json10_output),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
