/* http.h - the HTTP client every adapter uses: HTTP/1.1 of our own (wire.c) over sockets,
 * proxies and OpenSSL (conn.c, tls.c) - no libcurl, whose dependency tree (Kerberos, LDAP,
 * SSH, HTTP/2, IDN, ...) cost every process 11 ms of loading and ~4 MB (README, issue 14).
 *
 * Contract
 *   - TLS verification is on unless the caller sets `insecure` (only ever from an explicit
 *     user setting); `ca_file` or `ca_pem` (PEM in memory, e.g. a kubeconfig's
 *     certificate-authority-data) replaces the system CA bundle. `cert_pem`/`key_pem` give a
 *     client certificate and key (PEM in memory) for mutual TLS.
 *   - Every response body has a hard cap (`max_body`, named per use by the caller); a body
 *     over it fails with NF_E_TOO_BIG and is discarded, never truncated silently.
 *   - Retries only when the caller says the request is idempotent (`attempts` > 1): on
 *     transport errors, HTTP 429 and 5xx, with exponential backoff and full jitter.
 *   - Credentials (basic auth, bearer token) go in headers only; they never appear in an
 *     error message, and URLs in messages are shown without userinfo or query string.
 *   - No redirects are followed (a redirect could carry credentials elsewhere): a 3xx is
 *     returned to the caller as is.
 *   - Connections are kept: a handle keeps up to four (one per host it talks to), with the
 *     TLS session for the next one; a kept connection the server closed is made again once,
 *     transparently, when it fails before a byte of the answer. Names resolved are kept 60 s.
 *   - Proxies from the environment as curl reads them (http_proxy, https_proxy, NO_PROXY...;
 *     conn.h).
 *   A `struct nf_http` is not shared between threads.
 */
#ifndef NF_HTTP_H
#define NF_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/buf.h"
#include "../util/err.h"

enum nf_http_auth_kind { NF_HTTP_AUTH_NONE, NF_HTTP_AUTH_BASIC, NF_HTTP_AUTH_BEARER };

struct nf_http_auth {
    enum nf_http_auth_kind kind;
    const char *user;     /* basic */
    const char *password; /* basic */
    const char *token;    /* bearer */
};

struct nf_http_opts {
    const char *what; /* names the call in messages: "prometheus query" */
    double connect_timeout_s;
    double timeout_s;       /* whole request, per attempt */
    double total_timeout_s; /* every attempt and wait between them, all in; 0 = no limit */
    const char *ca_file;
    const char *ca_pem, *cert_pem, *key_pem; /* NUL-terminated PEM text, or NULL */
    bool insecure;
    struct nf_http_auth auth;
    size_t max_body;
    int attempts;               /* 1 = no retry; > 1 only for idempotent requests */
    double retry_base_s;        /* backoff base; the cap is 20 s */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated, may be NULL */
    const char *content_type;   /* for requests with a body */
    /* Streaming (a watch): a 2xx body goes to `stream` as it arrives instead of into
     * resp->body (any other status's body is kept there as usual); a nonzero return aborts
     * the transfer; it is called once with (NULL, 0) when a 2xx answer's headers are in
     * (the stream is open). `cancel`, when set, is polled about once a second while the request
     * waits: nonzero aborts it (NF_E_UNAVAILABLE, "cancelled"). */
    int (*stream)(void *ctx, const char *p, size_t n);
    void *stream_ctx;
    const volatile int *cancel;
    bool keepalive; /* TCP keep-alive probes (a long-lived request) */
    /* Outside the run's budget (util/budget.h): a watch, the Lambda Runtime API's wait for the
     * next event. Every other request's timeouts are cut to what the budget has left, and
     * one started with nothing left fails at once (NF_E_UNAVAILABLE, "deadline: ..."). */
    bool unbudgeted;
};

/* Response headers kept, at most (bytes); the rest are dropped. */
#define NF_HTTP_HEADERS_MAX 16384

struct nf_http_response {
    long status;
    struct nf_buf body;
    char content_type[128];
    int attempts;          /* how many were made */
    struct nf_buf headers; /* "Name: value\n" lines of the last response */
};

/* The value of response header `name` (case-insensitive), copied into `out`; false when
 * absent. */
bool nf_http_header(const struct nf_http_response *resp, const char *name, char *out,
                    size_t outlen);

struct nf_http;

struct nf_http *nf_http_new(struct nf_err *err);
void nf_http_free(struct nf_http *h);

/* Make one request (retrying as opts allow). NF_OK means an HTTP response arrived, whatever
 * its status; transport failures, timeouts and oversized bodies are errors. `resp->body` is
 * (re)initialised here and owned by the caller afterwards (nf_http_response_free); after an
 * error it is already freed (freeing it again is harmless). */
/* The system's CA bundle when no CA is configured: the first of the usual places that
 * `exists` - Debian and Ubuntu's, then Amazon Linux and RHEL's (a Lambda function's
 * provided.al2023 has only that one), then Alpine's and openSUSE's; NULL when none is there
 * (OpenSSL's default paths then). Pure: the caller says what exists. */
const char *nf_http_ca_bundle(bool (*exists)(const char *path));

int nf_http_request(struct nf_http *h, const char *method, const char *url, const void *body,
                    size_t body_len, const struct nf_http_opts *opts, struct nf_http_response *resp,
                    struct nf_err *err);
void nf_http_response_free(struct nf_http_response *resp);

/* Write `url` without userinfo, query or fragment, for messages. */
void nf_http_redact_url(const char *url, char *out, size_t outlen);

/* Append `s` percent-encoded as a query value (RFC 3986 unreserved kept). */
void nf_http_urlencode(struct nf_buf *out, const char *s);

#endif
