/* http.c - HTTP/1.1 requests with caps, timeouts, redacted errors, guarded retries and kept
 * connections, on conn.c (sockets, proxies, TLS) and wire.c (the bytes). */
#define _POSIX_C_SOURCE 200809L
#include "http.h"

#include "../util/dynlib.h"
#include "../util/budget.h"
#include "../util/clock.h"

#include "conn.h"
#include "wire.h"
#include "../util/base64.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#ifndef NF_VERSION
#define NF_VERSION "dev"
#endif

#define NF_HTTP_BACKOFF_CAP_S 20.0
#define NF_HTTP_ATTEMPTS_MAX  10
#define NF_HTTP_POOL          4     /* kept connections per handle (one per host it talks to) */
#define NF_HTTP_IDLE_MAX_S    50.0  /* a kept connection older than this is closed, not reused */
#define NF_HTTP_CONNECT_DEFAULT_S 300.0 /* when the caller sets no connect timeout */

struct kept {
    struct nf_conn conn;      /* fd < 0: empty */
    struct nf_tls_ctx *tls;   /* the context it was made with (a reference) */
    void *session;            /* the TLS session to offer the next connection with this key */
    char key[400];
    double idle_since;
};

struct nf_http {
    struct kept pool[NF_HTTP_POOL];
    unsigned long long jitter_state;
};

/* what one attempt gathers as the answer arrives */
struct sink {
    struct nf_http_response *resp;
    const struct nf_http_opts *o;
    bool streaming, too_big, stopped;
};

static int on_header(void *ud, const char *name, size_t nl, const char *value, size_t vl)
{
    struct sink *s = ud;
    struct nf_buf *h = &s->resp->headers;
    if (nl == 12 && strncasecmp(name, "content-type", 12) == 0)
        snprintf(s->resp->content_type, sizeof s->resp->content_type, "%.*s", (int)vl, value);
    if (h->status == NF_OK) {
        size_t before = h->len;
        nf_buf_append(h, name, nl);
        nf_buf_append(h, ": ", 2);
        nf_buf_append(h, value, vl);
        nf_buf_putc(h, '\n');
        if (h->status != NF_OK) { /* too many headers: keep the lines that fitted */
            h->status = NF_OK;
            h->len = before;
            if (h->data)
                h->data[before] = '\0';
        }
    }
    return 0;
}

static int on_head(void *ud, long status)
{
    struct sink *s = ud;
    s->resp->status = status;
    if (s->o->stream && status >= 200 && status < 300) {
        s->streaming = true;
        if (s->o->stream(s->o->stream_ctx, NULL, 0) != 0) {
            s->stopped = true;
            return 1;
        }
    }
    return 0;
}

static int on_body(void *ud, const char *p, size_t n)
{
    struct sink *s = ud;
    if (s->streaming) {
        if (s->o->stream(s->o->stream_ctx, p, n) != 0) {
            s->stopped = true;
            return 1;
        }
        return 0;
    }
    if (nf_buf_append(&s->resp->body, p, n) != NF_OK) {
        s->too_big = s->resp->body.status == NF_E_TOO_BIG;
        return 1;
    }
    return 0;
}
bool nf_http_header(const struct nf_http_response *resp, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    const char *p = resp->headers.data;
    while (p != NULL && *p) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl + 1;
            while (v < p + l && (*v == ' ' || *v == '\t'))
                v++;
            snprintf(out, outlen, "%.*s", (int)(p + l - v), v);
            return true;
        }
        p = e ? e + 1 : p + l;
    }
    return false;
}

struct nf_http *nf_http_new(struct nf_err *err)
{
    struct nf_http *h = calloc(1, sizeof *h);
    if (h == NULL) {
        nf_err_set(err, NF_E_NOMEM, "out of memory");
        return NULL;
    }
    for (int i = 0; i < NF_HTTP_POOL; i++)
        h->pool[i].conn.fd = -1;
    double m = nf_mono_now();
    h->jitter_state = (unsigned long long)((m - floor(m)) * 1e9) ^ ((unsigned long long)m << 20);
    return h;
}

static void kept_drop(struct kept *k)
{
    nf_conn_close(&k->conn);
    nf_tls_session_free(k->session);
    nf_tls_ctx_put(k->tls);
    memset(k, 0, sizeof *k);
    k->conn.fd = -1;
}

void nf_http_free(struct nf_http *h)
{
    if (h == NULL)
        return;
    for (int i = 0; i < NF_HTTP_POOL; i++)
        kept_drop(&h->pool[i]);
    free(h);
}

void nf_http_response_free(struct nf_http_response *resp)
{
    nf_buf_free(&resp->body);
    nf_buf_free(&resp->headers);
}

void nf_http_redact_url(const char *url, char *out, size_t outlen)
{
    const char *scheme_end = strstr(url, "://");
    const char *auth = scheme_end ? scheme_end + 3 : url;
    /* userinfo ends at the last '@' before the path */
    const char *path = auth + strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *p = auth; p < path; p++)
        if (*p == '@')
            at = p;
    const char *host = at ? at + 1 : auth;
    size_t rest = strcspn(path, "?#");
    snprintf(out, outlen, "%.*s%.*s%.*s", (int)(auth - url), url, (int)(path - host), host,
             (int)rest, path);
}

void nf_http_urlencode(struct nf_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            nf_buf_putc(out, (char)c);
        } else {
            char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
            nf_buf_append(out, enc, 3);
        }
    }
}

static double jitter01(struct nf_http *h)
{
    h->jitter_state = h->jitter_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(h->jitter_state >> 11) / 9007199254740992.0;
}

static bool retryable_status(long status)
{
    return status == 429 || (status >= 500 && status <= 599);
}


const char *nf_http_ca_bundle(bool (*exists)(const char *path))
{
    static const char *const places[] = {"/etc/ssl/certs/ca-certificates.crt",
                                         "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem",
                                         "/etc/ssl/ca-bundle.pem"};
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++)
        if (exists(places[i]))
            return places[i];
    return NULL;
}

static bool readable(const char *path)
{
    return access(path, R_OK) == 0;
}

static const char *system_ca_path;
static void find_system_ca(void)
{
    system_ca_path = nf_http_ca_bundle(readable);
}

/* the system's bundle, looked for once */
static const char *system_ca(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, find_system_ca);
    return system_ca_path;
}

/* the slot for `key`: its own, else an empty one, else the least recently used (emptied) */
static struct kept *slot_for(struct nf_http *h, const char *key)
{
    struct kept *best = NULL;
    for (int i = 0; i < NF_HTTP_POOL; i++) {
        struct kept *k = &h->pool[i];
        if (k->key[0] && strcmp(k->key, key) == 0)
            return k;
        if (best == NULL || (best->key[0] && (!k->key[0] || k->idle_since < best->idle_since)))
            best = k;
    }
    kept_drop(best);
    return best;
}

static bool header_given(const struct nf_http_opts *o, const char *name)
{
    size_t n = strlen(name);
    for (const char *const *hd = o->headers; hd && *hd; hd++)
        if (strncasecmp(*hd, name, n) == 0 && (*hd)[n] == ':')
            return true;
    return false;
}

/* "Authorization: Basic ..." for user:password */
static int basic_line(struct nf_buf *out, const char *user, const char *password)
{
    struct nf_buf cred;
    nf_buf_init(&cred, 4096);
    nf_buf_putv(&cred, user ? user : "", ":", password ? password : "", (const char *)NULL);
    nf_buf_puts(out, "Authorization: Basic ");
    nf_base64_encode(out, cred.data ? cred.data : "", cred.len);
    nf_buf_puts(out, "\r\n");
    if (cred.data)
        memset(cred.data, 0, cred.len);
    int rc = cred.status;
    nf_buf_free(&cred);
    return rc;
}

/* The request's head and body, as they go on the wire. */
static int request_bytes(const char *method, const struct nf_url *u,
                         bool absolute, const char *proxy_auth, const void *body, size_t body_len,
                         const struct nf_http_opts *o, struct nf_buf *out)
{
    nf_buf_putv(out, method, " ", (const char *)NULL);
    if (absolute) /* through a proxy: the whole URL, without userinfo or fragment */
        nf_buf_putv(out, u->tls ? "https://" : "http://", u->hostport, (const char *)NULL);
    nf_buf_append(out, u->target, u->target_len);
    nf_buf_puts(out, " HTTP/1.1\r\n");
    if (!header_given(o, "Host"))
        nf_buf_putv(out, "Host: ", u->hostport, "\r\n", (const char *)NULL);
    if (!header_given(o, "User-Agent"))
        nf_buf_puts(out, "User-Agent: nodefleet/" NF_VERSION "\r\n");
    if (!header_given(o, "Accept"))
        nf_buf_puts(out, "Accept: */*\r\n");
    if (absolute && proxy_auth[0])
        nf_buf_putv(out, "Proxy-Authorization: ", proxy_auth, "\r\n", (const char *)NULL);
    if (o->auth.kind == NF_HTTP_AUTH_BEARER)
        nf_buf_putv(out, "Authorization: Bearer ", o->auth.token ? o->auth.token : "", "\r\n",
                    (const char *)NULL);
    else if (o->auth.kind == NF_HTTP_AUTH_BASIC)
        basic_line(out, o->auth.user, o->auth.password);
    else if (u->has_userinfo)
        basic_line(out, u->user, u->password);
    if (o->content_type && !header_given(o, "Content-Type"))
        nf_buf_putv(out, "Content-Type: ", o->content_type, "\r\n", (const char *)NULL);
    bool has_body = body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
                    strcmp(method, "PATCH") == 0;
    if (has_body)
        nf_buf_printf(out, "Content-Length: %zu\r\n", body ? body_len : 0);
    for (const char *const *hd = o->headers; hd && *hd; hd++) {
        const char *colon = strchr(*hd, ':');
        if (colon == NULL || colon[1 + strspn(colon + 1, " \t")] == '\0')
            continue; /* "Name:" with no value only keeps the default out */
        if (strpbrk(*hd, "\r\n"))
            return NF_E_INPUT; /* a header cannot smuggle another line */
        nf_buf_putv(out, *hd, "\r\n", (const char *)NULL);
    }
    nf_buf_puts(out, "\r\n");
    if (has_body && body)
        nf_buf_append(out, body, body_len);
    return out->status;
}

/* Send the request on c and read the answer into resp. *fresh_fail says the kept
 * connection broke before a byte of the answer came (so a new connection may try again). */
static int exchange(struct nf_conn *c, const struct nf_buf *req, bool head,
                    const struct nf_conn_wait *w, struct sink *sink, bool *keep,
                    bool *fresh_fail, struct nf_err *err)
{
    *keep = false;
    *fresh_fail = false;
    int rc = nf_conn_write(c, req->data, req->len, w, err);
    if (rc != NF_OK) {
        *fresh_fail = true;
        return rc;
    }
    struct nf_wire_resp *r = calloc(1, sizeof *r);
    char *buf = malloc(16384);
    if (r == NULL || buf == NULL) {
        free(r);
        free(buf);
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    }
    nf_wire_resp_init(r);
    r->head_request = head;
    r->on_header = on_header;
    r->on_head = on_head;
    r->on_body = on_body;
    r->ctx = sink;
    int st = NF_WIRE_MORE;
    size_t total = 0, used = 0, got = 0;
    while (st == NF_WIRE_MORE) {
        rc = nf_conn_read(c, buf, 16384, &got, w, err);
        if (rc != NF_OK) {
            *fresh_fail = total == 0;
            break;
        }
        if (got == 0) {
            *fresh_fail = total == 0;
            st = nf_wire_resp_eof(r);
        } else {
            total += got;
            st = nf_wire_resp_feed(r, buf, got, &used);
        }
    }
    if (rc == NF_OK && st == NF_WIRE_ERROR)
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "a bad answer: %s", r->error);
    else if (rc == NF_OK && st == NF_WIRE_STOPPED)
        rc = NF_E_UNAVAILABLE; /* the sink says why */
    *keep = rc == NF_OK && r->keep_alive && used == got;
    free(r);
    free(buf);
    return rc;
}

/* what one request is */
struct call {
    const char *method;
    const struct nf_url *u;
    const void *body;
    size_t body_len;
    const struct nf_http_opts *o;
    const char *proxy;
};

/* The request on slot k's connection (made when it has none), and once more on a new one
 * when a kept connection the server had closed fails before the answer began. */
static int on_slot(struct kept *k, const struct call *c, const struct nf_conn_wait *w,
                   struct sink *sink, struct nf_buf *req, struct nf_err *err)
{
    int rc = NF_OK;
    for (int tries = 0; tries < 2; tries++) {
        bool kept_conn = k->conn.fd >= 0, keep = false, fresh_fail = false;
        if (!kept_conn && (rc = nf_conn_open(&k->conn, c->u, c->proxy, k->tls, k->session,
                                             c->o->keepalive, w, err)) != NF_OK)
            return rc;
        nf_buf_reset(req);
        if (request_bytes(c->method, c->u, k->conn.via_proxy, k->conn.proxy_auth,
                          c->body, c->body_len, c->o, req) != NF_OK) {
            nf_conn_close(&k->conn);
            return nf_err_set(err, NF_E_INPUT,
                              "a header with a line break, or a request over 64 MiB");
        }
        rc = exchange(&k->conn, req, strcmp(c->method, "HEAD") == 0, w, sink, &keep,
                      &fresh_fail, err);
        if (k->conn.ssl && rc == NF_OK) {
            nf_tls_session_free(k->session);
            k->session = nf_tls_session(k->conn.ssl);
        }
        if (!keep)
            nf_conn_close(&k->conn);
        k->idle_since = nf_mono_now();
        if (!(rc != NF_OK && kept_conn && fresh_fail && !sink->stopped &&
              !(c->o->cancel && *c->o->cancel)))
            break;
    }
    return rc;
}

/* the TLS context for these options (a reference), the system's CA when none is named */
static int tls_for(const struct nf_http_opts *o, struct nf_tls_ctx **tls, struct nf_err *err)
{
    struct nf_tls_cfg tc = {.ca_file = o->ca_file && o->ca_file[0] ? o->ca_file : NULL,
                            .ca_pem = o->ca_pem, .cert_pem = o->cert_pem, .key_pem = o->key_pem,
                            .insecure = o->insecure};
    if (tc.ca_file == NULL && tc.ca_pem == NULL)
        tc.ca_file = system_ca(); /* where this system keeps it */
    return nf_tls_ctx_get(&tc, tls, err);
}

static struct nf_conn_wait waits(const struct nf_http_opts *o, double now)
{
    struct nf_conn_wait w = {.deadline = o->timeout_s > 0 ? now + o->timeout_s : INFINITY,
                             .cancel = o->cancel, .start = now};
    w.connect_deadline =
        now + (o->connect_timeout_s > 0 ? o->connect_timeout_s : NF_HTTP_CONNECT_DEFAULT_S);
    if (w.connect_deadline > w.deadline)
        w.connect_deadline = w.deadline;
    return w;
}

/* One attempt. Returns NF_OK with resp filled, or an error with a redacted message. */
static int attempt(struct nf_http *h, const char *method, const char *url, const void *body,
                   size_t body_len, const struct nf_http_opts *o, struct nf_http_response *resp,
                   struct nf_err *err)
{
    char redacted[512];
    nf_http_redact_url(url, redacted, sizeof redacted);
    const char *what = o->what ? o->what : "HTTP request";
    nf_buf_reset(&resp->body);
    nf_buf_reset(&resp->headers);
    resp->status = 0;
    resp->content_type[0] = '\0';
    struct nf_url *u = malloc(sizeof *u);
    if (u == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    char why[160];
    if (nf_url_parse(url, u, why, sizeof why) != 0) {
        free(u);
        return nf_err_set(err, NF_E_CONFIG, "%s %s: %s", what, redacted, why);
    }
    struct nf_tls_ctx *tls = NULL;
    int rc = u->tls ? tls_for(o, &tls, err) : NF_OK;
    char proxy[512], key[400];
    nf_conn_proxy_for(u, NULL, proxy, sizeof proxy);
    snprintf(key, sizeof key, "%s|%s|%d|%p|%.200s", u->tls ? "https" : "http", u->host, u->port,
             (void *)tls, proxy);
    double now = nf_mono_now();
    struct nf_conn_wait w = waits(o, now);
    struct nf_buf req;
    nf_buf_init(&req, (size_t)64 << 20);
    struct sink sink = {.resp = resp, .o = o};
    if (rc == NF_OK) {
        struct kept *k = slot_for(h, key);
        if (!(k->key[0] && nf_conn_alive(&k->conn) && now - k->idle_since < NF_HTTP_IDLE_MAX_S))
            nf_conn_close(&k->conn);
        if (!k->key[0]) { /* a new slot: it holds its own reference to the context */
            snprintf(k->key, sizeof k->key, "%s", key);
            k->tls = tls;
            tls = NULL;
        }
        struct call c = {method, u, body, body_len, o, proxy};
        rc = on_slot(k, &c, &w, &sink, &req, err);
    }
    if (rc != NF_OK && sink.too_big)
        rc = nf_err_set(err, NF_E_TOO_BIG, "%s %s: response larger than the %zu-byte limit",
                        what, redacted, o->max_body);
    else if (rc != NF_OK && sink.stopped)
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "%s %s: stopped by its reader", what, redacted);
    else if (rc != NF_OK)
        nf_err_prefix(err, "%s %s", what, redacted);
    if (req.data)
        memset(req.data, 0, req.len); /* it held credentials */
    nf_buf_free(&req);
    nf_tls_ctx_put(tls);
    memset(u, 0, sizeof *u);
    free(u);
    if (rc != NF_OK) {
        nf_buf_reset(&resp->body);
        return rc;
    }
    if (resp->body.data == NULL)
        nf_buf_append(&resp->body, "", 0);
    return NF_OK;
}

int nf_http_request(struct nf_http *h, const char *method, const char *url, const void *body,
                    size_t body_len, const struct nf_http_opts *o, struct nf_http_response *resp,
                    struct nf_err *err)
{
    nf_buf_init(&resp->body, o->max_body);
    nf_buf_init(&resp->headers, NF_HTTP_HEADERS_MAX);
    resp->status = 0;
    resp->content_type[0] = '\0';
    resp->attempts = 0;

    if (o->auth.kind == NF_HTTP_AUTH_BEARER && o->auth.token && strlen(o->auth.token) >= 8192)
        return nf_err_set(err, NF_E_CONFIG, "%s: bearer token too long", o->what ? o->what : "HTTP");
    int attempts = o->attempts < 1 ? 1 : o->attempts;
    if (attempts > NF_HTTP_ATTEMPTS_MAX)
        attempts = NF_HTTP_ATTEMPTS_MAX;
    int rc = NF_OK;
    double t0 = nf_mono_now();
    struct nf_http_opts ao = *o; /* this attempt's timeouts, within the total */
    for (int i = 0; i < attempts; i++) {
        double left = INFINITY;
        if (o->total_timeout_s > 0)
            left = o->total_timeout_s - (nf_mono_now() - t0);
        double budget = o->unbudgeted ? INFINITY : nf_budget_left();
        if (budget <= 0.001) {
            if (i == 0) /* (a retry keeps the last attempt's error) */
                rc = nf_err_set(err, NF_E_UNAVAILABLE,
                                "deadline: no time left for %s (the reserve is kept for the "
                                "state and the lease)",
                                o->what ? o->what : "the request");
            break;
        }
        if (budget < left)
            left = budget;
        if (i > 0) {
            /* full jitter: uniform in [0, min(cap, base * 2^i)] */
            double ceiling = o->retry_base_s * pow(2, i);
            if (ceiling > NF_HTTP_BACKOFF_CAP_S)
                ceiling = NF_HTTP_BACKOFF_CAP_S;
            double wait = jitter01(h) * ceiling;
            if (wait + 0.05 >= left)
                break; /* no time left for another attempt: the last error stands */
            nf_sleep_s(wait);
            left -= wait;
        }
        if (isfinite(left)) { /* 0 in a timeout means none: keep it so, unless a limit binds */
            if (o->timeout_s <= 0 || o->timeout_s > left)
                ao.timeout_s = left > 0.001 ? left : 0.001;
            if (o->connect_timeout_s <= 0 || o->connect_timeout_s > left)
                ao.connect_timeout_s = left > 0.001 ? left : 0.001;
        }
        resp->attempts = i + 1;
        rc = attempt(h, method, url, body, body_len, &ao, resp, err);
        if (rc == NF_OK && !retryable_status(resp->status))
            break;
        if (rc == NF_E_TOO_BIG || rc == NF_E_NOMEM || rc == NF_E_CONFIG || rc == NF_E_INPUT ||
            (o->cancel && *o->cancel))
            break; /* a retry would get the same */
    }
    if (rc != NF_OK) /* no response: nothing for the caller to free */
        nf_http_response_free(resp);
    return rc;
}
