/* http.c - libcurl-backed requests with caps, timeouts, redacted errors and guarded retries. */
#define _POSIX_C_SOURCE 200809L
#include "http.h"

#include "../util/dynlib.h"
#include "../util/budget.h"
#include "../util/clock.h"

#include <curl/curl.h>
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

/* libcurl, opened on first use (see util/dynlib.h for why). */
#define CURL_FNS(X)                                                                                \
    X(global_init, "curl_global_init", CURLcode, (long))                                           \
    X(global_cleanup, "curl_global_cleanup", void, (void))                                         \
    X(easy_init, "curl_easy_init", CURL *, (void))                                                 \
    X(easy_cleanup, "curl_easy_cleanup", void, (CURL *))                                           \
    X(easy_reset, "curl_easy_reset", void, (CURL *))                                               \
    X(easy_setopt, "curl_easy_setopt", CURLcode, (CURL *, CURLoption, ...))                        \
    X(easy_perform, "curl_easy_perform", CURLcode, (CURL *))                                       \
    X(easy_getinfo, "curl_easy_getinfo", CURLcode, (CURL *, CURLINFO, ...))                        \
    X(easy_strerror, "curl_easy_strerror", const char *, (CURLcode))                               \
    X(slist_append, "curl_slist_append", struct curl_slist *, (struct curl_slist *, const char *)) \
    X(slist_free_all, "curl_slist_free_all", void, (struct curl_slist *))

static const char *const curl_names[] = {CURL_FNS(NF_DYNLIB_NAME) NULL};
static void *curl_fns[sizeof curl_names / sizeof curl_names[0]];
static struct nf_dynlib curl_lib = NF_DYNLIB_INIT("libcurl.so.4", "libcurl4", curl_names, curl_fns);
static struct {
    CURL_FNS(NF_DYNLIB_FIELD)
} C;

static int load_curl(struct nf_err *err)
{
    return nf_dynlib_bind(&curl_lib, &C, sizeof C, err);
}

#define NF_HTTP_BACKOFF_CAP_S 20.0
#define NF_HTTP_ATTEMPTS_MAX  10

struct nf_http {
    CURL *curl;
    unsigned long long jitter_state;
};

struct sink {
    struct nf_buf *body, *headers;
    bool too_big;
    CURL *curl;
    const struct nf_http_opts *o;
    int streaming; /* 0 not decided yet, 1 to the stream, -1 into the body */
    bool stopped;  /* the stream callback asked to stop */
};

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct sink *s = ud;
    struct nf_buf *h = s->headers;
    size_t len = size * n;
    if (s->o->stream && (len == 2 || len == 1) && (p[0] == '\r' || p[0] == '\n')) {
        long st = 0; /* the end of a response's headers: a 2xx stream is open */
        C.easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &st);
        if (st >= 200 && st < 300) {
            s->streaming = 1;
            if (s->o->stream(s->o->stream_ctx, NULL, 0) != 0) {
                s->stopped = true;
                return 0;
            }
        }
    }
    /* a new status line (after a 100-continue, say) starts the headers over */
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0)
        nf_buf_reset(h);
    size_t l = len;
    while (l > 0 && (p[l - 1] == '\r' || p[l - 1] == '\n'))
        l--;
    if (l > 0 && h->status == NF_OK) {
        nf_buf_append(h, p, l);
        nf_buf_putc(h, '\n');
        if (h->status != NF_OK) /* too many headers: keep what fitted */
            h->status = NF_OK;
    }
    return len;
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

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    struct sink *s = ud;
    size_t len = size * n;
    if (s->o->stream && s->streaming == 0) {
        long st = 0;
        C.easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &st);
        s->streaming = st >= 200 && st < 300 ? 1 : -1;
    }
    if (s->streaming == 1) {
        if (s->o->stream(s->o->stream_ctx, p, len) != 0) {
            s->stopped = true;
            return 0;
        }
        return len;
    }
    if (nf_buf_append(s->body, p, len) != NF_OK) {
        s->too_big = s->body->status == NF_E_TOO_BIG;
        return 0; /* abort the transfer */
    }
    return len;
}

struct nf_http *nf_http_new(struct nf_err *err)
{
    if (load_curl(err) != NF_OK)
        return NULL;
    /* thread-safe since libcurl 7.84; repeated calls are reference counted */
    if (C.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        nf_err_set(err, NF_E_INTERNAL, "cannot initialise libcurl");
        return NULL;
    }
    struct nf_http *h = calloc(1, sizeof *h);
    if (h == NULL) {
        C.global_cleanup();
        nf_err_set(err, NF_E_NOMEM, "out of memory");
        return NULL;
    }
    h->curl = C.easy_init();
    if (h->curl == NULL) {
        free(h);
        C.global_cleanup();
        nf_err_set(err, NF_E_INTERNAL, "cannot create a libcurl handle");
        return NULL;
    }
    double m = nf_mono_now();
    h->jitter_state = (unsigned long long)((m - floor(m)) * 1e9) ^ ((unsigned long long)m << 20);
    return h;
}

void nf_http_free(struct nf_http *h)
{
    if (h == NULL)
        return;
    C.easy_cleanup(h->curl);
    free(h);
    C.global_cleanup();
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

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    const volatile int *cancel = ud;
    return *cancel ? 1 : 0;
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

/* One attempt. Returns NF_OK with resp filled, or an error with a redacted message. */

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

static int attempt(struct nf_http *h, const char *method, const char *url, const void *body,
                   size_t body_len, const struct nf_http_opts *o, struct nf_http_response *resp,
                   struct curl_slist *headers, struct nf_err *err, CURLcode *transport)
{
    CURL *c = h->curl;
    C.easy_reset(c);
    nf_buf_reset(&resp->body);
    struct sink sink = {.body = &resp->body, .headers = &resp->headers, .curl = c, .o = o};
    char redacted[512];
    nf_http_redact_url(url, redacted, sizeof redacted);
    const char *what = o->what ? o->what : "HTTP request";

    C.easy_setopt(c, CURLOPT_URL, url);
    C.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    C.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    C.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    C.easy_setopt(c, CURLOPT_USERAGENT, "nodefleet/" NF_VERSION);
    C.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(o->connect_timeout_s * 1000));
    C.easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(o->timeout_s * 1000));
    C.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    C.easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    nf_buf_reset(&resp->headers);
    C.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    C.easy_setopt(c, CURLOPT_HEADERDATA, &sink);
    if (o->stream == NULL) /* a stream's reader bounds each of its records */
        C.easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_body);
    C.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
    C.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
    if (o->ca_file && o->ca_file[0])
        C.easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
    else if (system_ca() != NULL) /* where this system keeps it, not where libcurl was built */
        C.easy_setopt(c, CURLOPT_CAINFO, system_ca());
    /* PEM in memory; libcurl copies blobs (CURL_BLOB_COPY), so nothing outlives the call */
    struct curl_blob ca = {(void *)o->ca_pem, o->ca_pem ? strlen(o->ca_pem) : 0, CURL_BLOB_COPY};
    struct curl_blob cert = {(void *)o->cert_pem, o->cert_pem ? strlen(o->cert_pem) : 0,
                             CURL_BLOB_COPY};
    struct curl_blob key = {(void *)o->key_pem, o->key_pem ? strlen(o->key_pem) : 0,
                            CURL_BLOB_COPY};
    if (o->ca_pem) { /* this CA alone, as the contract says: not the system's besides */
        C.easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
        C.easy_setopt(c, CURLOPT_CAINFO, (char *)NULL);
        C.easy_setopt(c, CURLOPT_CAPATH, (char *)NULL);
    }
    if (o->cert_pem) {
        C.easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
        C.easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (o->key_pem) {
        C.easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
        C.easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (o->auth.kind == NF_HTTP_AUTH_BASIC) {
        C.easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        C.easy_setopt(c, CURLOPT_USERNAME, o->auth.user ? o->auth.user : "");
        C.easy_setopt(c, CURLOPT_PASSWORD, o->auth.password ? o->auth.password : "");
    }
    if (headers)
        C.easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (o->cancel) {
        C.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        C.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        C.easy_setopt(c, CURLOPT_XFERINFODATA, (void *)o->cancel);
    }
    if (o->keepalive) {
        C.easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
        C.easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 30L);
        C.easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 10L);
    }
    if (strcmp(method, "GET") == 0) {
        C.easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        C.easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        if (body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
            strcmp(method, "PATCH") == 0) {
            C.easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
            C.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        }
    }
    char ebuf[CURL_ERROR_SIZE] = "";
    C.easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);

    CURLcode rc = C.easy_perform(c);
    *transport = rc;
    if (rc != CURLE_OK) {
        if (sink.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
            nf_buf_reset(&resp->body);
            return nf_err_set(err, NF_E_TOO_BIG, "%s %s: response larger than the %zu-byte limit",
                              what, redacted, o->max_body);
        }
        if (rc == CURLE_ABORTED_BY_CALLBACK)
            return nf_err_set(err, NF_E_UNAVAILABLE, "%s %s: cancelled", what, redacted);
        if (sink.stopped)
            return nf_err_set(err, NF_E_UNAVAILABLE, "%s %s: stopped by its reader", what,
                              redacted);
        int code = rc == CURLE_OUT_OF_MEMORY ? NF_E_NOMEM : NF_E_UNAVAILABLE;
        /* curl's own text names host and port, never credentials */
        return nf_err_set(err, code, "%s %s: %s", what, redacted,
                          ebuf[0] ? ebuf : C.easy_strerror(rc));
    }
    C.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    char *ct = NULL;
    C.easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(resp->content_type, sizeof resp->content_type, "%s", ct ? ct : "");
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

    struct curl_slist *headers = NULL;
    char line[8192];
    bool oom = false;
    if (o->auth.kind == NF_HTTP_AUTH_BEARER) {
        int n = snprintf(line, sizeof line, "Authorization: Bearer %s",
                         o->auth.token ? o->auth.token : "");
        if (n < 0 || (size_t)n >= sizeof line)
            return nf_err_set(err, NF_E_CONFIG, "%s: bearer token too long",
                              o->what ? o->what : "HTTP");
        struct curl_slist *t = C.slist_append(headers, line);
        oom |= t == NULL;
        headers = t ? t : headers;
        memset(line, 0, sizeof line); /* do not leave the token on the stack */
    }
    if (o->content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", o->content_type);
        struct curl_slist *t = C.slist_append(headers, line);
        oom |= t == NULL;
        headers = t ? t : headers;
    }
    for (const char *const *hd = o->headers; hd && *hd; hd++) {
        struct curl_slist *t = C.slist_append(headers, *hd);
        oom |= t == NULL;
        headers = t ? t : headers;
    }
    /* no "Expect: 100-continue" round trip on bodies */
    struct curl_slist *t = C.slist_append(headers, "Expect:");
    oom |= t == NULL;
    headers = t ? t : headers;
    if (oom) {
        C.slist_free_all(headers);
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    }

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
        CURLcode transport = CURLE_OK;
        resp->attempts = i + 1;
        rc = attempt(h, method, url, body, body_len, &ao, resp, headers, err, &transport);
        if (rc == NF_OK && !retryable_status(resp->status))
            break;
        if (rc == NF_E_TOO_BIG || rc == NF_E_NOMEM)
            break; /* a retry would get the same */
    }
    C.slist_free_all(headers);
    if (rc != NF_OK) /* no response: nothing for the caller to free */
        nf_http_response_free(resp);
    return rc;
}
