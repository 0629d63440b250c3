/* kclient.c - requests to the API server. */
#define _POSIX_C_SOURCE 200809L
#include "kclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/log.h"

int nf_kube_open(struct nf_kube *k, const struct nf_kube_opts *o, char *const *envp,
                 struct nf_err *err)
{
    memset(k, 0, sizeof *k);
    k->timeout_s = o->timeout_s;
    k->page_size = o->page_size;
    int rc;
    if (o->kubeconfig_text && o->kubeconfig_text[0])
        rc = nf_kubeconfig_parse(o->kubeconfig_text, strlen(o->kubeconfig_text),
                                 "aws.kubeconfig_secret", o->context ? o->context : "", &k->auth,
                                 err);
    else
        rc = nf_kube_auth_find(o->kubeconfig ? o->kubeconfig : "", o->context ? o->context : "",
                               o->serviceaccount_dir ? o->serviceaccount_dir : "", envp, &k->auth,
                               err);
    if (rc != NF_OK)
        return rc;
    if (k->auth.insecure)
        nf_log(NF_LOG_WARN,
               "TLS verification of the API server is off, as the kubeconfig says "
               "(insecure-skip-tls-verify)",
               NF_LF_STR("source", k->auth.source), NF_LF_END);
    if (strncmp(k->auth.server, "http://", 7) == 0 && k->auth.token)
        nf_log(NF_LOG_WARN, "the API server is plain http: the bearer token travels unencrypted",
               NF_LF_STR("server", k->auth.server), NF_LF_END);
    k->http = nf_http_new(err);
    if (k->http == NULL) {
        nf_kube_auth_free(&k->auth);
        return err ? err->code : NF_E_UNAVAILABLE;
    }
    return NF_OK;
}

void nf_kube_close(struct nf_kube *k)
{
    nf_http_free(k->http);
    k->http = NULL;
    for (int i = 0; i < NF_KUBE_LISTS - 1; i++) {
        nf_http_free(k->more[i]);
        k->more[i] = NULL;
    }
    nf_kube_auth_free(&k->auth);
}

static void read_status(const json_t *j, const struct nf_http_response *r,
                        struct nf_kube_status *st)
{
    memset(st, 0, sizeof *st);
    st->code = r->status;
    const char *reason = json_string_value(json_object_get(j, "reason"));
    const char *msg = json_string_value(json_object_get(j, "message"));
    snprintf(st->reason, sizeof st->reason, "%s", reason ? reason : "");
    snprintf(st->message, sizeof st->message, "%s", msg ? msg : "");
    const json_t *ra = json_object_get(json_object_get(j, "details"), "retryAfterSeconds");
    if (json_is_integer(ra) && json_integer_value(ra) > 0)
        st->retry_after_s = (double)json_integer_value(ra);
    char h[32];
    if (st->retry_after_s == 0 && nf_http_header(r, "Retry-After", h, sizeof h)) {
        long v = strtol(h, NULL, 10);
        if (v > 0 && v < 86400)
            st->retry_after_s = (double)v;
    }
    /* the first cause's message says which budget refused an eviction */
    const json_t *cause =
        json_array_get(json_object_get(json_object_get(j, "details"), "causes"), 0);
    const char *cm = json_string_value(json_object_get(cause, "message"));
    size_t ml = strlen(st->message);
    if (cm && ml + strlen(cm) + 4 < sizeof st->message)
        snprintf(st->message + ml, sizeof st->message - ml, " (%s)", cm);
}

static const char *const accept_json[] = {"Accept: application/json", NULL};

static void request_opts(const struct nf_kube *k, bool read, const char *content_type,
                         struct nf_http_opts *o)
{
    *o = (struct nf_http_opts){
        .what = "API server",
        .connect_timeout_s = k->timeout_s < 10 ? k->timeout_s : 10,
        .timeout_s = k->timeout_s,
        .ca_pem = k->auth.ca_pem,
        .cert_pem = k->auth.cert_pem,
        .key_pem = k->auth.key_pem,
        .insecure = k->auth.insecure,
        .auth = {.kind = k->auth.token ? NF_HTTP_AUTH_BEARER : NF_HTTP_AUTH_NONE,
                 .token = k->auth.token},
        .max_body = NF_KUBE_BODY_MAX,
        .attempts = read ? 3 : 1,
        .retry_base_s = 0.2,
        .headers = accept_json,
        .content_type = content_type,
    };
}

/* A failed call's message, from its status. */
static int status_error(const struct nf_kube *k, const char *method, const char *path,
                        const struct nf_kube_status *st, struct nf_err *err)
{
    if (st->code == 401)
        return nf_err_set(err, NF_E_KUBE,
                          "API server %s refused the credentials from %s (401 Unauthorized): the "
                          "token or client certificate is invalid or expired",
                          k->auth.server, k->auth.source);
    if (st->code == 403)
        return nf_err_set(err, NF_E_KUBE,
                          "API server: %s %s: 403 Forbidden: %.200s (nodefleet's RBAC needs this "
                          "verb: see README)",
                          method, path, st->message);
    return nf_err_set(err, NF_E_KUBE, "API server: %s %s: %ld %s%s%.300s", method, path, st->code,
                      st->reason, st->reason[0] ? ": " : "", st->message);
}

int nf_kube_call(struct nf_kube *k, const char *method, const char *path, const char *body,
                 const char *content_type, json_t **out, struct nf_kube_status *st,
                 struct nf_err *err)
{
    if (out)
        *out = NULL;
    struct nf_kube_status local;
    if (st == NULL)
        st = &local;
    memset(st, 0, sizeof *st);
    char url[4096];
    if ((size_t)snprintf(url, sizeof url, "%s%s", k->auth.server, path) >= sizeof url)
        return nf_err_set(err, NF_E_INPUT, "API path too long");
    bool read = strcmp(method, "GET") == 0;
    struct nf_http_opts o;
    request_opts(k, read, content_type, &o);
    struct nf_http_response r;
    k->requests++;
    int rc = nf_http_request(k->http, method, url, body, body ? strlen(body) : 0, &o, &r, err);
    if (rc != NF_OK)
        return rc;
    json_t *j = NULL;
    if (r.body.len > 0) {
        json_error_t je;
        j = json_loadb(r.body.data, r.body.len, 0, &je);
        if (j == NULL && r.status >= 200 && r.status < 300) {
            rc = nf_err_set(err, NF_E_INPUT,
                            "API server: %s %s: the answer is not JSON: %s at "
                            "byte %d",
                            method, path, je.text, je.position);
            nf_http_response_free(&r);
            return rc;
        }
    }
    if (r.status >= 200 && r.status < 300) {
        st->code = r.status;
        nf_http_response_free(&r);
        if (out)
            *out = j;
        else
            json_decref(j);
        return NF_OK;
    }
    read_status(j, &r, st);
    json_decref(j);
    nf_http_response_free(&r);
    return status_error(k, method, path, st, err);
}

int nf_kube_list(struct nf_kube *k, const char *path, const char *query, nf_kube_item_fn fn,
                 void *ctx, struct nf_err *err)
{
    return nf_kube_list_rv(k, path, query, fn, ctx, NULL, 0, err);
}

int nf_kube_list_rv(struct nf_kube *k, const char *path, const char *query, nf_kube_item_fn fn,
                    void *ctx, char *rv, size_t rvlen, struct nf_err *err)
{
    if (rv && rvlen)
        rv[0] = '\0';
    char cont[2048] = "";
    for (int page = 0;; page++) {
        struct nf_buf p;
        nf_buf_init(&p, 8192);
        nf_buf_printf(&p, "%s?limit=%d", path, k->page_size);
        if (query && query[0])
            nf_buf_putv(&p, "&", query, (const char *)NULL);
        if (cont[0]) {
            nf_buf_puts(&p, "&continue=");
            nf_http_urlencode(&p, cont);
        }
        if (p.status != NF_OK) {
            nf_buf_free(&p);
            return nf_err_set(err, NF_E_INPUT, "API list path too long");
        }
        json_t *j = NULL;
        int rc = nf_kube_call(k, "GET", p.data, NULL, NULL, &j, NULL, err);
        nf_buf_free(&p);
        if (rc != NF_OK)
            return rc;
        const json_t *items = json_object_get(j, "items");
        if (!json_is_object(j) || !(json_is_array(items) || json_is_null(items))) {
            json_decref(j);
            return nf_err_set(err, NF_E_INPUT,
                              "API server: GET %s: the answer is not a list "
                              "(no items)",
                              path);
        }
        size_t i;
        const json_t *it;
        json_array_foreach(items, i, it)
        {
            rc = fn(ctx, it, err);
            if (rc != NF_OK) {
                json_decref(j);
                return rc;
            }
        }
        const json_t *md = json_object_get(j, "metadata");
        const char *lrv = json_string_value(json_object_get(md, "resourceVersion"));
        if (rv && rvlen && page == 0) { /* a list's pages all answer as of its first */
            if (lrv == NULL || lrv[0] == '\0' || strlen(lrv) >= rvlen) {
                json_decref(j);
                return nf_err_set(err, NF_E_INPUT,
                                  "API server: GET %s: the list has no usable "
                                  "metadata.resourceVersion",
                                  path);
            }
            snprintf(rv, rvlen, "%s", lrv);
        }
        const json_t *c = json_object_get(md, "continue");
        const char *cs = json_string_value(c);
        if (c && !json_is_null(c) && cs == NULL) {
            json_decref(j);
            return nf_err_set(err, NF_E_INPUT,
                              "API server: GET %s: metadata.continue is not a "
                              "string",
                              path);
        }
        if (cs == NULL || cs[0] == '\0') {
            json_decref(j);
            return NF_OK;
        }
        if (strlen(cs) >= sizeof cont || page > 100000) {
            json_decref(j);
            return nf_err_set(err, NF_E_INPUT, "API server: GET %s: continue token too long", path);
        }
        snprintf(cont, sizeof cont, "%s", cs);
        json_decref(j);
    }
}

/* ---- watch ------------------------------------------------------------------------------ */

void nf_kube_wstream_init(struct nf_kube_wstream *w, const char *path, nf_kube_event_fn fn,
                          void *ctx)
{
    memset(w, 0, sizeof *w);
    nf_buf_init(&w->line, NF_KUBE_BODY_MAX);
    w->fn = fn;
    w->ctx = ctx;
    w->path = path;
}

void nf_kube_wstream_free(struct nf_kube_wstream *w)
{
    nf_buf_free(&w->line);
}

/* One line: {"type": T, "object": {...}}. */
static int watch_line(struct nf_kube_wstream *w, const char *p, size_t n)
{
    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
        n--;
    if (n == 0)
        return NF_OK;
    json_error_t je;
    json_t *ev = json_loadb(p, n, 0, &je);
    const char *type = json_string_value(json_object_get(ev, "type"));
    const json_t *obj = json_object_get(ev, "object");
    int rc = NF_OK;
    if (ev == NULL)
        rc = nf_err_set(&w->err, NF_E_INPUT, "API server: watch %s: event %ld is not JSON: %s",
                        w->path, w->events + 1, je.text);
    else if (type == NULL || !json_is_object(obj))
        rc = nf_err_set(&w->err, NF_E_INPUT,
                        "API server: watch %s: event %ld has no type or no object", w->path,
                        w->events + 1);
    else
        rc = w->fn(w->ctx, type, obj, &w->err);
    w->events++;
    json_decref(ev);
    return rc;
}

int nf_kube_wstream_feed(struct nf_kube_wstream *w, const char *p, size_t n)
{
    if (p == NULL) /* open */
        return w->rc = w->fn(w->ctx, NULL, NULL, &w->err);
    while (n > 0 && w->rc == NF_OK) {
        const char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n;
        if (nf_buf_append(&w->line, p, take) != NF_OK)
            return w->rc = nf_err_set(&w->err, NF_E_TOO_BIG,
                                      "API server: watch %s: an event over %u bytes", w->path,
                                      (unsigned)NF_KUBE_BODY_MAX);
        if (nl == NULL)
            break;
        w->rc = watch_line(w, w->line.data ? w->line.data : "", w->line.len);
        nf_buf_reset(&w->line);
        p = nl + 1;
        n -= take + 1;
    }
    return w->rc;
}

static int watch_data(void *ud, const char *p, size_t n)
{
    return nf_kube_wstream_feed(ud, p, n) != NF_OK;
}

int nf_kube_watch(struct nf_kube *k, const char *path, const char *rv, int timeout_s,
                  const volatile int *cancel, nf_kube_event_fn fn, void *ctx,
                  struct nf_kube_status *st, struct nf_err *err)
{
    memset(st, 0, sizeof *st);
    struct nf_buf u;
    nf_buf_init(&u, 8192);
    nf_buf_printf(&u, "%s%s?watch=1&allowWatchBookmarks=true&timeoutSeconds=%d&resourceVersion=",
                  k->auth.server, path, timeout_s);
    nf_http_urlencode(&u, rv);
    if (u.status != NF_OK) {
        nf_buf_free(&u);
        return nf_err_set(err, NF_E_INPUT, "API path too long");
    }
    struct nf_http_opts o;
    request_opts(k, false, NULL, &o);
    o.timeout_s = timeout_s + k->timeout_s; /* the server ends it first */
    o.max_body = 1u << 20;                  /* an error's Status, not the stream */
    o.keepalive = true;
    o.unbudgeted = true; /* a watch outlives any cycle */
    o.cancel = cancel;
    struct nf_kube_wstream w;
    nf_kube_wstream_init(&w, path, fn, ctx);
    o.stream = watch_data;
    o.stream_ctx = &w;
    struct nf_http_response r;
    k->requests++;
    int rc = nf_http_request(k->http, "GET", u.data, NULL, 0, &o, &r, err);
    nf_buf_free(&u);
    nf_kube_wstream_free(&w);
    if (w.rc != NF_OK) { /* the reader stopped it: its reason stands */
        if (rc == NF_OK)
            nf_http_response_free(&r);
        if (err)
            *err = w.err;
        return w.rc;
    }
    if (rc != NF_OK)
        return rc;
    if (r.status >= 200 && r.status < 300) {
        st->code = r.status;
        nf_http_response_free(&r);
        return NF_OK;
    }
    json_t *j = r.body.len ? json_loadb(r.body.data, r.body.len, 0, NULL) : NULL;
    read_status(j, &r, st);
    json_decref(j);
    nf_http_response_free(&r);
    return status_error(k, "GET", path, st, err);
}
