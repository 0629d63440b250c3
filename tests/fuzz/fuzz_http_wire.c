/* fuzz_http_wire.c - libFuzzer target: the HTTP response reader and the URL splitter. The
 * first byte picks the request kind (HEAD, CONNECT) and the size of the pieces the answer is
 * fed in; the rest is the answer. The same answer fed whole and in pieces must give the same
 * result, status, headers and body (the reader's one promise about where bytes are cut). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    char trace[4096]; /* a digest of what the callbacks saw */
    size_t len;
    unsigned long long body, hash;
};

static void note(struct seen *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s->hash = (s->hash ^ (unsigned char)p[i]) * 1099511628211ULL;
}

static int on_header(void *ctx, const char *name, size_t nl, const char *v, size_t vl)
{
    struct seen *s = ctx;
    note(s, name, nl);
    note(s, ":", 1);
    note(s, v, vl);
    return 0;
}

static int on_head(void *ctx, long status)
{
    struct seen *s = ctx;
    char b[16];
    int n = snprintf(b, sizeof b, "[%ld]", status);
    note(s, b, (size_t)n);
    return 0;
}

static int on_body(void *ctx, const char *p, size_t n)
{
    struct seen *s = ctx;
    s->body += n;
    note(s, p, n);
    return 0;
}

static int read_all(const uint8_t *p, size_t n, size_t piece, int kind, struct seen *s,
                    struct nf_wire_resp *r)
{
    memset(s, 0, sizeof *s);
    s->hash = 14695981039346656037ULL;
    memset(r, 0, sizeof *r);
    nf_wire_resp_init(r);
    r->head_request = kind == 1;
    r->connect = kind == 2;
    r->on_header = on_header;
    r->on_head = on_head;
    r->on_body = on_body;
    r->ctx = s;
    size_t off = 0;
    int rc = NF_WIRE_MORE;
    while (off < n && rc == NF_WIRE_MORE) {
        size_t k = n - off < piece ? n - off : piece, used = 0;
        rc = nf_wire_resp_feed(r, (const char *)p + off, k, &used);
        if (used > k)
            abort();
        off += used;
    }
    if (rc == NF_WIRE_MORE)
        rc = nf_wire_resp_eof(r);
    if (rc == NF_WIRE_DONE && r->status < 100)
        abort(); /* a complete answer has a status */
    return rc == NF_WIRE_DONE ? (int)(off & 0x7fffffff) : rc - 10;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int kind = data[0] % 3;
    size_t piece = (size_t)(data[0] >> 2) + 1;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    static struct nf_wire_resp r1, r2;
    static struct seen a, b;
    int x = read_all(p, n, n ? n : 1, kind, &a, &r1);
    int y = read_all(p, n, piece, kind, &b, &r2);
    if (x != y || a.hash != b.hash || a.body != b.body || r1.status != r2.status ||
        r1.keep_alive != r2.keep_alive)
        abort();
    /* the URL splitter on the same bytes as text */
    char url[1024];
    size_t l = n < sizeof url - 1 ? n : sizeof url - 1;
    memcpy(url, p, l);
    url[l] = '\0';
    struct nf_url u;
    char why[160];
    if (nf_url_parse(url, &u, why, sizeof why) == 0) {
        if (u.port < 1 || u.port > 65535 || u.host[0] == '\0' || u.target_len == 0 ||
            u.target[0] == '#')
            abort();
    }
    return 0;
}
