/* nfhttp.c - a test driver: nodefleet's HTTP client as a command, so tests/http can run it
 * against real servers, proxies and TLS on loopback. One handle for every request, as an
 * adapter keeps one, so connections are reused the way nodefleet reuses them.
 *
 *   nfhttp [--ca FILE] [--ca-pem FILE] [--cert FILE --key FILE] [--insecure] [--timeout S]
 *          [--max-body N] [--data N] [--attempts N] METHOD URL [URL...]
 *
 * One JSON line a request: {"status", "len", "body" (the first 200 bytes), "error"}; then
 * {"fds": N} (open descriptors at the end, the handle still open). Exit status 0. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "util/buf.h"
#include "util/parse.h"

static char *slurp(const char *path)
{
    struct nf_buf b;
    nf_buf_init(&b, 1 << 20);
    struct nf_err err = {0};
    if (nf_buf_read_file(&b, path, "PEM file", &err) != NF_OK) {
        fprintf(stderr, "nfhttp: %s\n", err.msg);
        exit(2);
    }
    return b.data;
}

/* an option's number, or exit 2 saying which and why */
static double num(const char *opt, const char *v)
{
    double d;
    const char *why = NULL;
    if (nf_parse_double(v, strlen(v), &d, &why) != NF_OK || d < 0) {
        fprintf(stderr, "nfhttp: %s %s: %s\n", opt, v, why ? why : "not a number >= 0");
        exit(2);
    }
    return d;
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n - 1; /* the directory's own */
}

int main(int argc, char **argv)
{
    struct nf_http_opts o = {.what = "nfhttp", .connect_timeout_s = 5, .timeout_s = 10,
                             .max_body = 16 << 20, .attempts = 1, .retry_base_s = 0.05};
    char *ca_pem = NULL, *cert = NULL, *key = NULL, *data = NULL;
    size_t data_len = 0;
    int i = 1;
    for (; i < argc - 1 && strncmp(argv[i], "--", 2) == 0; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (strcmp(a, "--ca") == 0)
            o.ca_file = v;
        else if (strcmp(a, "--ca-pem") == 0)
            o.ca_pem = ca_pem = slurp(v);
        else if (strcmp(a, "--cert") == 0)
            o.cert_pem = cert = slurp(v);
        else if (strcmp(a, "--key") == 0)
            o.key_pem = key = slurp(v);
        else if (strcmp(a, "--insecure") == 0)
            o.insecure = num(a, v) != 0;
        else if (strcmp(a, "--timeout") == 0)
            o.timeout_s = num(a, v);
        else if (strcmp(a, "--max-body") == 0)
            o.max_body = (size_t)num(a, v);
        else if (strcmp(a, "--attempts") == 0)
            o.attempts = (int)num(a, v);
        else if (strcmp(a, "--data") == 0) {
            data_len = (size_t)num(a, v);
            data = malloc(data_len + 1);
            memset(data, 'x', data_len);
        } else {
            fprintf(stderr, "nfhttp: unknown option %s\n", a);
            return 2;
        }
    }
    if (argc - i < 2) {
        fprintf(stderr, "usage: nfhttp [options] METHOD URL...\n");
        return 2;
    }
    const char *method = argv[i++];
    struct nf_err err = {0};
    struct nf_http *h = nf_http_new(&err);
    if (h == NULL) {
        fprintf(stderr, "nfhttp: %s\n", err.msg);
        return 1;
    }
    for (; i < argc; i++) {
        struct nf_http_response r;
        json_t *line = json_object();
        if (nf_http_request(h, method, argv[i], data, data_len, &o, &r, &err) == NF_OK) {
            json_object_set_new(line, "status", json_integer(r.status));
            json_object_set_new(line, "len", json_integer((json_int_t)r.body.len));
            json_object_set_new(line, "body", json_stringn(r.body.data, r.body.len < 200 ? r.body.len : 200));
            json_object_set_new(line, "attempts", json_integer(r.attempts));
            nf_http_response_free(&r);
        } else {
            json_object_set_new(line, "error", json_string(err.msg));
            json_object_set_new(line, "code", json_integer(err.code));
        }
        char *s = json_dumps(line, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        json_decref(line);
    }
    printf("{\"fds\": %d}\n", open_fds());
    nf_http_free(h);
    free(ca_pem);
    free(cert);
    free(key);
    free(data);
    return 0;
}
