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
    int rc =
        nf_kube_auth_find(o->kubeconfig ? o->kubeconfig : "", o->context ? o->context : "",
                          o->serviceaccount_dir ? o->serviceaccount_dir : "", envp, &k->auth, err);
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
    static const char *const accept[] = {"Accept: application/json", NULL};
    struct nf_http_opts o = {
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
        .headers = accept,
        .content_type = content_type,
    };
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

int nf_kube_list(struct nf_kube *k, const char *path, const char *query, nf_kube_item_fn fn,
                 void *ctx, struct nf_err *err)
{
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
        const json_t *c = json_object_get(json_object_get(j, "metadata"), "continue");
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
