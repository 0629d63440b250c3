/* test_http.c - the HTTP client's pure helpers: what URLs look like in messages, and query
 * encoding. (Requests themselves are tested against real servers in tests/prom.) */
#include "test_util.h"

#include "http/http.h"

static void urls_lose_credentials_and_queries(void **state)
{
    (void)state;
    const struct {
        const char *in, *out;
    } cases[] = {
        {"http://user:pass@host:9090/api/v1/query?query=up", "http://host:9090/api/v1/query"},
        {"https://host/prom/api?x=1#frag", "https://host/prom/api"},
        {"http://a@b@host/p", "http://host/p"},
        {"http://host", "http://host"},
        {"http://u:p@host", "http://host"},
        {"host:1/p?q", "host:1/p"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[256];
        nf_http_redact_url(cases[i].in, out, sizeof out);
        assert_string_equal(out, cases[i].out);
    }
}

static void query_values_are_percent_encoded(void **state)
{
    (void)state;
    struct nf_buf b;
    nf_buf_init(&b, 1024);
    nf_http_urlencode(&b, "sum(rate(x{a=\"b\"}[5m])) * 100 / y-z_~.");
    assert_string_equal(b.data, "sum%28rate%28x%7Ba%3D%22b%22%7D%5B5m%5D%29%29%20%2A%20100%20%2F"
                                "%20y-z_~.");
    nf_buf_free(&b);
}

/* Issue 18: the CA bundle where the system keeps it - Amazon Linux 2023 (a Lambda function's
 * provided.al2023) has only /etc/pki/tls/certs/ca-bundle.crt, not Debian's file. */
static const char *present;
static bool only_present(const char *path)
{
    return present != NULL && strcmp(path, present) == 0;
}
static bool debian_and_al2023(const char *path)
{
    return strcmp(path, "/etc/pki/tls/certs/ca-bundle.crt") == 0 ||
           strcmp(path, "/etc/ssl/certs/ca-certificates.crt") == 0;
}

static void the_system_ca_bundle_is_found_where_the_system_keeps_it(void **state)
{
    (void)state;
    present = "/etc/pki/tls/certs/ca-bundle.crt";
    assert_string_equal(nf_http_ca_bundle(only_present), present);
    present = "/etc/ssl/cert.pem";
    assert_string_equal(nf_http_ca_bundle(only_present), present);
    assert_string_equal(nf_http_ca_bundle(debian_and_al2023), "/etc/ssl/certs/ca-certificates.crt");
    present = NULL;
    assert_null(nf_http_ca_bundle(only_present));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(urls_lose_credentials_and_queries),
        cmocka_unit_test(the_system_ca_bundle_is_found_where_the_system_keeps_it),
        cmocka_unit_test(query_values_are_percent_encoded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
