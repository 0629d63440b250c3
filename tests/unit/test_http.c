/* test_http.c - the HTTP client's pure helpers: what URLs look like in messages, and query
 * encoding. (Requests themselves are tested against real servers in tests/prom.) */
#include "test_util.h"

#include "http/conn.h"
#include "http/http.h"
#include "http/wire.h"

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

/* ---- the response reader (wire.c) ---- */

struct got {
    char headers[2048];
    char body[4096];
    size_t body_len;
    long head_status;
    int heads;
};

static int got_header(void *ctx, const char *n, size_t nl, const char *v, size_t vl)
{
    struct got *g = ctx;
    size_t l = strlen(g->headers);
    snprintf(g->headers + l, sizeof g->headers - l, "%.*s=%.*s;", (int)nl, n, (int)vl, v);
    return 0;
}

static int got_head(void *ctx, long status)
{
    struct got *g = ctx;
    g->head_status = status;
    g->heads++;
    return 0;
}

static int got_body(void *ctx, const char *p, size_t n)
{
    struct got *g = ctx;
    assert_true(g->body_len + n < sizeof g->body);
    memcpy(g->body + g->body_len, p, n);
    g->body_len += n;
    g->body[g->body_len] = '\0';
    return 0;
}

/* feed `text` in pieces of `piece` bytes (then the end, when it wants more); the result */
static int feed(const char *text, size_t piece, int kind, struct nf_wire_resp *r, struct got *g,
                size_t *used_total)
{
    memset(g, 0, sizeof *g);
    memset(r, 0, sizeof *r);
    nf_wire_resp_init(r);
    r->head_request = kind == 1;
    r->connect = kind == 2;
    r->on_header = got_header;
    r->on_head = got_head;
    r->on_body = got_body;
    r->ctx = g;
    size_t n = strlen(text), off = 0;
    int rc = NF_WIRE_MORE;
    while (off < n && rc == NF_WIRE_MORE) {
        size_t k = n - off < piece ? n - off : piece, used = 0;
        rc = nf_wire_resp_feed(r, text + off, k, &used);
        off += used;
    }
    if (rc == NF_WIRE_MORE)
        rc = nf_wire_resp_eof(r);
    *used_total = off;
    return rc;
}

static void answers_are_read_the_same_however_they_are_cut(void **state)
{
    (void)state;
    const struct {
        const char *text;
        int kind; /* 0 GET, 1 HEAD, 2 CONNECT */
        long status;
        const char *headers, *body;
        bool keep;
        size_t used; /* 0: all of it */
    } cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhelloNEXT", 0,
         200, "Content-Length=5;Content-Type=text/plain;", "hello", true, 69},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n"
         "6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
         0, 200, "Transfer-Encoding=chunked;", "hello world", true, 0},
        {"HTTP/1.1 100 Continue\r\nX-A: 1\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
         0, 201, "Content-Length=2;", "ok", true, 0},
        {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", 1, 200, "Content-Length=10;", "", true,
         0},
        {"HTTP/1.1 204 No Content\r\n\r\n", 0, 204, "", "", true, 0},
        {"HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n", 0, 304, "Content-Length=7;",
         "", true, 0},
        {"HTTP/1.0 200 OK\r\n\r\nto the end", 0, 200, "", "to the end", false, 0},
        {"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\n\r\nrest", 0, 200,
         "Connection=keep-alive, close;", "rest", false, 0},
        {"HTTP/1.1 200 OK\nContent-Length:   3  \n\nabc", 0, 200, "Content-Length=3;", "abc",
         true, 0},
        {"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03", 2, 200, "", "", false, 39},
        {"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 1\r\n\r\nx", 2, 407,
         "Content-Length=1;", "x", true, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (size_t piece = 1; piece <= 64; piece *= 3) {
            struct nf_wire_resp r;
            struct got g;
            size_t used;
            int rc = feed(cases[i].text, piece, cases[i].kind, &r, &g, &used);
            assert_int_equal(rc, NF_WIRE_DONE);
            assert_int_equal(r.status, cases[i].status);
            assert_int_equal(g.head_status, cases[i].status);
            assert_int_equal(g.heads, 1); /* the 100 Continue is not the answer */
            assert_string_equal(g.headers, cases[i].headers);
            assert_string_equal(g.body, cases[i].body);
            assert_int_equal(r.keep_alive, cases[i].keep);
            assert_int_equal(used, cases[i].used ? cases[i].used : strlen(cases[i].text));
        }
    }
}

static void bad_answers_are_refused_with_what_is_wrong(void **state)
{
    (void)state;
    static char long_line[NF_WIRE_LINE_MAX + 64], big_head[NF_WIRE_HEAD_MAX + 256];
    snprintf(long_line, sizeof long_line, "HTTP/1.1 200 OK\r\nX: %0*d\r\n\r\n",
             NF_WIRE_LINE_MAX, 0);
    size_t n = (size_t)snprintf(big_head, sizeof big_head, "HTTP/1.1 200 OK\r\n");
    while (n + 40 < sizeof big_head - 8)
        n += (size_t)snprintf(big_head + n, sizeof big_head - n, "X-Filler: %028d\r\n", 0);
    snprintf(big_head + n, sizeof big_head - n, "\r\n");
    const struct {
        const char *text, *why;
    } cases[] = {
        {"HTTP/2 200\r\n\r\n", "malformed status line"},
        {"ICY 200 OK\r\n\r\n", "malformed status line"},
        {"HTTP/1.1 20 OK\r\n\r\n", "malformed status line"},
        {"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "without a name"},
        {"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", "folded"},
        {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "header name"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "two different"},
        {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad Content-Length"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", "bad Content-Length"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "cannot read"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size line"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", "2^60"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", "longer than its size"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "before the body's end"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "before the body's end"},
        {"HTTP/1.1 200 OK\r\nX: 1\r\n", "in the answer's head"},
        {"", "before an answer"},
        {long_line, "over 8192 bytes"},
        {big_head, "head over 65536 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nf_wire_resp r;
        struct got g;
        size_t used;
        int rc = feed(cases[i].text, 7, 0, &r, &g, &used);
        assert_int_equal(rc, NF_WIRE_ERROR);
        if (strstr(r.error, cases[i].why) == NULL)
            fail_msg("case %zu: '%s' does not say '%s'", i, r.error, cases[i].why);
    }
}

static void urls_are_split_for_the_connection(void **state)
{
    (void)state;
    const struct {
        const char *url;
        bool tls, ipv6;
        const char *host;
        int port;
        const char *hostport, *target, *user, *password;
    } ok[] = {
        {"http://prom:9090/api/v1/query?query=up#x", false, false, "prom", 9090, "prom:9090",
         "/api/v1/query?query=up", "", ""},
        {"HTTPS://ec2.us-east-1.amazonaws.com", true, false, "ec2.us-east-1.amazonaws.com", 443,
         "ec2.us-east-1.amazonaws.com", "/", "", ""},
        {"https://[::1]:6443/api", true, true, "::1", 6443, "[::1]:6443", "/api", "", ""},
        {"http://u%40x:p%3Aw@127.0.0.1/", false, false, "127.0.0.1", 80, "127.0.0.1", "/",
         "u@x", "p:w"},
        {"http://h?q=1", false, false, "h", 80, "h", "?q=1", "", ""},
        {"https://h:443/", true, false, "h", 443, "h", "/", "", ""},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct nf_url u;
        char why[160] = "";
        if (nf_url_parse(ok[i].url, &u, why, sizeof why) != 0)
            fail_msg("%s: %s", ok[i].url, why);
        assert_int_equal(u.tls, ok[i].tls);
        assert_int_equal(u.ipv6, ok[i].ipv6);
        assert_string_equal(u.host, ok[i].host);
        assert_int_equal(u.port, ok[i].port);
        assert_string_equal(u.hostport, ok[i].hostport);
        char target[256];
        snprintf(target, sizeof target, "%.*s", (int)u.target_len, u.target);
        assert_string_equal(target, ok[i].target);
        assert_string_equal(u.user, ok[i].user);
        assert_string_equal(u.password, ok[i].password);
    }
    const struct {
        const char *url, *why;
    } bad[] = {
        {"ftp://h/", "not an http"},       {"http:///x", "no host"},
        {"http://h:0/", "port"},           {"http://h:65536/", "port"},
        {"http://h:/", "empty port"},      {"http://[::1/", "without its ']'"},
        {"http://h x/", "space"},          {"http://[zz]/", "IPv6"},
        {"http://a:%zz@h/", "user information"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct nf_url u;
        char why[160] = "";
        assert_int_not_equal(nf_url_parse(bad[i].url, &u, why, sizeof why), 0);
        if (strstr(why, bad[i].why) == NULL)
            fail_msg("%s: '%s' does not say '%s'", bad[i].url, why, bad[i].why);
        assert_null(strstr(why, "zz@")); /* never the credentials */
    }
}

static void proxies_come_from_the_environment_as_curl_reads_it(void **state)
{
    (void)state;
    struct nf_url plain, tls, local;
    char why[160];
    assert_int_equal(nf_url_parse("http://prom.internal:9090/", &plain, why, sizeof why), 0);
    assert_int_equal(nf_url_parse("https://ec2.amazonaws.com/", &tls, why, sizeof why), 0);
    assert_int_equal(nf_url_parse("http://127.0.0.1:9001/", &local, why, sizeof why), 0);
    char out[256];
    char *none[] = {"HTTP_PROXY=http://cgi-header:1", NULL}; /* never the upper-case one */
    nf_conn_proxy_for(&plain, none, out, sizeof out);
    assert_string_equal(out, "");
    char *both[] = {"http_proxy=p1:3128", "HTTPS_PROXY=http://p2:3129",
                    "NO_PROXY=.internal, 127.0.0.1", NULL};
    nf_conn_proxy_for(&plain, both, out, sizeof out);
    assert_string_equal(out, ""); /* prom.internal is in .internal */
    nf_conn_proxy_for(&tls, both, out, sizeof out);
    assert_string_equal(out, "http://p2:3129");
    nf_conn_proxy_for(&local, both, out, sizeof out);
    assert_string_equal(out, "");
    char *all[] = {"ALL_PROXY=http://p3:1", "no_proxy=amazonaws.com.evil", NULL};
    nf_conn_proxy_for(&tls, all, out, sizeof out);
    assert_string_equal(out, "http://p3:1");
    nf_conn_proxy_for(&plain, all, out, sizeof out);
    assert_string_equal(out, "http://p3:1");
    char *star[] = {"https_proxy=http://p4:1", "no_proxy=*", NULL};
    nf_conn_proxy_for(&tls, star, out, sizeof out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(urls_lose_credentials_and_queries),
        cmocka_unit_test(the_system_ca_bundle_is_found_where_the_system_keeps_it),
        cmocka_unit_test(query_values_are_percent_encoded),
        cmocka_unit_test(answers_are_read_the_same_however_they_are_cut),
        cmocka_unit_test(bad_answers_are_refused_with_what_is_wrong),
        cmocka_unit_test(urls_are_split_for_the_connection),
        cmocka_unit_test(proxies_come_from_the_environment_as_curl_reads_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
