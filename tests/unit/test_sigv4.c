/* test_sigv4.c - SigV4 against both AWS test suites, byte for byte: the classic
 * aws-sig-v4-test-suite (.req -> .creq, .sts, .authz) and aws-c-auth's newer signing suite
 * (request.txt + context.json -> header-canonical-request, -string-to-sign, -signature). */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "aws/crypto.h"
#include "aws/sigv4.h"
#include "util/buf.h"
#include "util/timefmt.h"

/* Both suites sign through one key cache: every case after the first of its scope uses a
 * cached key, and must still match byte for byte. */
static struct nf_sigv4_key_cache keys;

static const char *vectors(void)
{
    const char *v = getenv("NF_VECTORS");
    if (v == NULL)
        fail_msg("NF_VECTORS is not set (run through ctest)");
    return v;
}

static char *slurp(const char *path)
{
    struct nf_buf b;
    nf_buf_init(&b, 1 << 20);
    struct nf_err e;
    if (nf_buf_read_file(&b, path, path, &e) != NF_OK)
        fail_msg("%s", e.msg);
    return b.data;
}

/* A raw HTTP request as the suites write it: request line, headers (a line starting with
 * blanks continues the previous value), blank line, body. */
struct raw_req {
    char method[16];
    char path[2048];
    char query[2048];
    bool has_query;
    struct nf_header h[NF_SIGV4_HEADERS_MAX];
    char names[NF_SIGV4_HEADERS_MAX][128];
    struct nf_buf values[NF_SIGV4_HEADERS_MAX];
    size_t nh;
    const char *body;
    size_t body_len;
};

static void parse_req(char *text, struct raw_req *r)
{
    memset(r, 0, sizeof *r);
    char *line_end = strchr(text, '\n');
    assert_non_null(line_end);
    *line_end = '\0';
    char *sp1 = strchr(text, ' ');
    char *sp2 = strrchr(text, ' '); /* the URI may hold a raw space */
    assert_true(sp1 && sp2 && sp2 > sp1);
    snprintf(r->method, sizeof r->method, "%.*s", (int)(sp1 - text), text);
    char uri[2048];
    snprintf(uri, sizeof uri, "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
    char *q = strchr(uri, '?');
    if (q) {
        *q = '\0';
        r->has_query = true;
        snprintf(r->query, sizeof r->query, "%s", q + 1);
    }
    snprintf(r->path, sizeof r->path, "%s", uri);
    char *p = line_end + 1;
    while (*p && *p != '\n') {
        char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (*p == ' ' || *p == '\t') { /* continuation */
            nf_buf_putc(&r->values[r->nh - 1], '\n');
            nf_buf_append(&r->values[r->nh - 1], p, l);
        } else {
            char *colon = memchr(p, ':', l);
            assert_non_null(colon);
            snprintf(r->names[r->nh], sizeof r->names[0], "%.*s", (int)(colon - p), p);
            nf_buf_init(&r->values[r->nh], 1 << 16);
            nf_buf_append(&r->values[r->nh], colon + 1, l - (size_t)(colon + 1 - p));
            r->nh++;
        }
        p = e ? e + 1 : p + l;
    }
    if (*p == '\n') {
        r->body = p + 1;
        r->body_len = strlen(p + 1);
    }
    for (size_t i = 0; i < r->nh; i++)
        r->h[i] = (struct nf_header){r->names[i], r->values[i].data ? r->values[i].data : ""};
}

static void free_req(struct raw_req *r)
{
    for (size_t i = 0; i < r->nh; i++)
        nf_buf_free(&r->values[i]);
}

static const struct nf_aws_credentials example = {.access_key_id = "AKIDEXAMPLE",
                                                  .secret_access_key =
                                                      "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};

static void strip_trailing_newline(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '\n')
        s[--n] = '\0';
}

static int cases_classic;

static void classic_case(const char *dir, const char *name)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s.req", dir, name);
    char *text = slurp(path);
    struct raw_req r;
    parse_req(text, &r);
    struct nf_aws_credentials cr = example;
    if (strcmp(name, "get-vanilla-with-session-token") == 0) /* token from the suite's context */
        snprintf(cr.session_token, sizeof cr.session_token, "%s",
                 "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267");
    struct nf_sigv4_request req = {.method = r.method,
                                   .path = r.path,
                                   .query = r.has_query ? r.query : NULL,
                                   .headers = r.h,
                                   .nheaders = r.nh,
                                   .body = r.body,
                                   .body_len = r.body_len,
                                   .region = "us-east-1",
                                   .service = "service",
                                   .when = 1440938160, /* 20150830T123600Z */
                                   .normalize = true,
                                   .keys = &keys};
    struct nf_sigv4_result out;
    struct nf_err err;
    if (nf_sigv4_sign(&req, &cr, &out, &err) != NF_OK)
        fail_msg("%s: %s", name, err.msg);
    const char *ext[] = {"creq", "sts", "authz"};
    const char *got[] = {out.canonical.data, out.string_to_sign.data, out.authorization};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext[k]);
        char *want = slurp(path);
        strip_trailing_newline(want);
        if (strcmp(want, got[k]) != 0)
            fail_msg("%s.%s differs\n--- want\n%s\n--- got\n%s", name, ext[k], want, got[k]);
        free(want);
    }
    nf_sigv4_result_free(&out);
    free_req(&r);
    free(text);
    cases_classic++;
}

static void walk_classic(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        size_t l = strlen(e->d_name);
        if (S_ISDIR(st.st_mode)) {
            walk_classic(path);
        } else if (l > 4 && strcmp(e->d_name + l - 4, ".req") == 0) {
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(l - 4), e->d_name);
            classic_case(dir, name);
        }
    }
    closedir(d);
}

static void classic_suite(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/sigv4/aws4_testsuite", vectors());
    walk_classic(dir);
    assert_int_equal(cases_classic, 34);
}

static void newer_suite(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/sigv4/aws-c-auth-v4", vectors());
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int cases = 0;
    while ((e = readdir(d)) != NULL) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s/context.json", dir, e->d_name);
        struct stat st;
        if (e->d_name[0] == '.' || stat(path, &st) != 0)
            continue;
        json_error_t je;
        json_t *ctx = json_load_file(path, 0, &je);
        assert_non_null(ctx);
        struct nf_aws_credentials cr = {0};
        json_t *c = json_object_get(ctx, "credentials");
        snprintf(cr.access_key_id, sizeof cr.access_key_id, "%s",
                 json_string_value(json_object_get(c, "access_key_id")));
        snprintf(cr.secret_access_key, sizeof cr.secret_access_key, "%s",
                 json_string_value(json_object_get(c, "secret_access_key")));
        if (json_object_get(c, "token"))
            snprintf(cr.session_token, sizeof cr.session_token, "%s",
                     json_string_value(json_object_get(c, "token")));
        double when;
        const char *why;
        assert_int_equal(
            nf_parse_time(json_string_value(json_object_get(ctx, "timestamp")), &when, &why),
            NF_OK);
        snprintf(path, sizeof path, "%s/%s/request.txt", dir, e->d_name);
        char *text = slurp(path);
        struct raw_req r;
        parse_req(text, &r);
        struct nf_sigv4_request req = {
            .method = r.method,
            .path = r.path,
            .query = r.has_query ? r.query : NULL,
            .headers = r.h,
            .nheaders = r.nh,
            .body = r.body,
            .body_len = r.body_len,
            .region = json_string_value(json_object_get(ctx, "region")),
            .service = json_string_value(json_object_get(ctx, "service")),
            .when = (time_t)when,
            .normalize = json_is_true(json_object_get(ctx, "normalize")),
            .sign_body = json_is_true(json_object_get(ctx, "sign_body")),
            .omit_session_token = json_is_true(json_object_get(ctx, "omit_session_token")),
            .keys = &keys};
        struct nf_sigv4_result out;
        struct nf_err err;
        if (nf_sigv4_sign(&req, &cr, &out, &err) != NF_OK)
            fail_msg("%s: %s", e->d_name, err.msg);
        const char *files[] = {"header-canonical-request.txt", "header-string-to-sign.txt",
                               "header-signature.txt"};
        const char *sig = strstr(out.authorization, "Signature=") + 10;
        const char *got[] = {out.canonical.data, out.string_to_sign.data, sig};
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "%s/%s/%s", dir, e->d_name, files[k]);
            char *want = slurp(path);
            strip_trailing_newline(want);
            if (strcmp(want, got[k]) != 0)
                fail_msg("%s %s differs\n--- want\n%s\n--- got\n%s", e->d_name, files[k], want,
                         got[k]);
            free(want);
        }
        /* and the Authorization line of the signed request */
        snprintf(path, sizeof path, "%s/%s/header-signed-request.txt", dir, e->d_name);
        char *signed_req = slurp(path);
        char want_line[1200];
        snprintf(want_line, sizeof want_line, "Authorization:%s\n", out.authorization);
        if (strstr(signed_req, want_line) == NULL)
            fail_msg("%s: Authorization not in the signed request", e->d_name);
        free(signed_req);
        nf_sigv4_result_free(&out);
        free_req(&r);
        free(text);
        json_decref(ctx);
        cases++;
    }
    closedir(d);
    assert_int_equal(cases, 38);
}

static int setup(void **state)
{
    (void)state;
    struct nf_err err;
    if (nf_crypto_load(&err) != NF_OK)
        fail_msg("%s", err.msg);
    return 0;
}

static void cached_keys_follow_the_secret_and_scope(void **state)
{
    (void)state;
    struct nf_header h[] = {{"Host", "example.amazonaws.com"}};
    struct nf_sigv4_request req = {.method = "GET",
                                   .path = "/",
                                   .headers = h,
                                   .nheaders = 1,
                                   .region = "us-east-1",
                                   .service = "service",
                                   .when = 1440938160,
                                   .normalize = true};
    struct nf_aws_credentials a = {.access_key_id = "AKIDEXAMPLE", .secret_access_key = "one"};
    struct nf_aws_credentials b = {.access_key_id = "AKIDEXAMPLE", .secret_access_key = "two"};
    struct nf_sigv4_key_cache kc;
    nf_sigv4_keys_clear(&kc);
    struct nf_err err;
    char plain[4][1024];
    struct nf_sigv4_result out;
    /* without a cache: a, b, a in another region, a a day later */
    const struct nf_aws_credentials *who[4] = {&a, &b, &a, &a};
    const char *region[4] = {"us-east-1", "us-east-1", "eu-west-1", "us-east-1"};
    time_t when[4] = {1440938160, 1440938160, 1440938160, 1440938160 + 86400};
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < 4; i++) {
            req.region = region[i];
            req.when = when[i];
            req.keys = pass == 0 ? NULL : &kc;
            assert_int_equal(nf_sigv4_sign(&req, who[i], &out, &err), NF_OK);
            if (pass == 0)
                snprintf(plain[i], sizeof plain[i], "%s", out.authorization);
            else
                assert_string_equal(out.authorization, plain[i]);
            nf_sigv4_result_free(&out);
        }
    for (int i = 1; i < 4; i++)
        assert_string_not_equal(plain[0], plain[i]);
    nf_sigv4_keys_clear(&kc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cached_keys_follow_the_secret_and_scope),
        cmocka_unit_test(classic_suite),
        cmocka_unit_test(newer_suite),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
