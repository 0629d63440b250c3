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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(urls_lose_credentials_and_queries),
        cmocka_unit_test(query_values_are_percent_encoded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
