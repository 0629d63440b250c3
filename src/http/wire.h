/* wire.h - HTTP/1.1 as bytes: a URL split into what a connection needs, a request's head
 * written, and a response read incrementally. Pure: no sockets, no allocation.
 *
 * Contract
 *   - nf_url_parse() takes http:// and https:// URLs only; the host is a name, an IPv4
 *     address or a bracketed IPv6 address; the port 1-65535 (80/443 when absent). userinfo
 *     ("user:password@") is percent-decoded into `user`/`password` for basic auth. A fragment
 *     is dropped. Errors name what is wrong, never the userinfo.
 *   - The response reader is fed whatever arrives, in pieces of any size; the result does not
 *     depend on where the pieces were cut. It is bounded: a line of the head over
 *     NF_WIRE_LINE_MAX, a head over NF_WIRE_HEAD_MAX, a chunk size over 2^60, two different
 *     Content-Lengths, a malformed status line, header line or chunk framing, are errors with
 *     a message saying which. 1xx answers (but 101) are skipped; a HEAD, 204 or 304 answer
 *     has no body; otherwise chunked, then Content-Length, then "until the connection
 *     closes" frames the body.
 *   - Callbacks: `on_header` for each header line of the final answer (name and value
 *     trimmed), `on_head` once its head is complete, `on_body` for each piece of the body
 *     (de-chunked). A nonzero return stops the reader (NF_WIRE_STOPPED).
 */
#ifndef NF_WIRE_H
#define NF_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#define NF_WIRE_LINE_MAX 8192
#define NF_WIRE_HEAD_MAX 65536

struct nf_url {
    bool tls;
    bool ipv6;          /* host is an IPv6 address (written without brackets) */
    char host[256];
    int port;
    char hostport[272]; /* the Host header's value: host, or host:port off the default */
    const char *target; /* path and query, pointing into the URL ("/" when it has none) */
    size_t target_len;
    char user[256], password[256];
    bool has_userinfo;
};

int nf_url_parse(const char *url, struct nf_url *u, char *why, size_t whylen);

/* The reader's result. */
enum { NF_WIRE_MORE = 0, NF_WIRE_DONE = 1, NF_WIRE_ERROR = -1, NF_WIRE_STOPPED = -2 };

struct nf_wire_resp {
    /* set by the caller before feeding */
    bool head_request; /* the request was a HEAD: the answer has no body */
    bool connect;      /* the request was a CONNECT: a 2xx answer ends at its head */
    int (*on_header)(void *ctx, const char *name, size_t nlen, const char *value, size_t vlen);
    int (*on_head)(void *ctx, long status);
    int (*on_body)(void *ctx, const char *p, size_t n);
    void *ctx;
    /* the answer, as read */
    long status;
    int minor;          /* HTTP/1.minor */
    bool keep_alive;    /* the connection may carry another request after this answer */
    bool until_close;   /* the body ends when the connection closes */
    unsigned long long content_length; /* when known (-1 as unsigned otherwise) */
    char error[160];
    /* state */
    int state;
    bool chunked, has_length, close;
    unsigned long long left; /* of the body or of the chunk */
    size_t line_len, head_bytes;
    char line[NF_WIRE_LINE_MAX];
};

void nf_wire_resp_init(struct nf_wire_resp *r);
/* Feed `n` bytes. Returns NF_WIRE_MORE (wants more), NF_WIRE_DONE (the answer is complete;
 * *used says how many of the bytes were its own - the rest belong to what follows),
 * NF_WIRE_ERROR (r->error says why) or NF_WIRE_STOPPED (a callback said stop). */
int nf_wire_resp_feed(struct nf_wire_resp *r, const char *p, size_t n, size_t *used);
/* The connection ended: NF_WIRE_DONE when that completes the answer, else NF_WIRE_ERROR. */
int nf_wire_resp_eof(struct nf_wire_resp *r);

#endif
