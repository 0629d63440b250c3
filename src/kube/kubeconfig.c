/* kubeconfig.c - kubeconfig and in-cluster credentials for the API server. */
#define _POSIX_C_SOURCE 200809L
#include "kubeconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "../util/base64.h"
#include "../util/buf.h"
#include "../util/files.h"
#include "../util/yaml_depth.h"

void nf_kube_auth_free(struct nf_kube_auth *a)
{
    char **secrets[] = {&a->ca_pem, &a->cert_pem, &a->key_pem, &a->token};
    for (size_t i = 0; i < 4; i++) {
        if (*secrets[i]) {
            memset(*secrets[i], 0, strlen(*secrets[i]));
            free(*secrets[i]);
            *secrets[i] = NULL;
        }
    }
}

/* ---- reading the YAML ---------------------------------------------------------------- */

struct kc {
    yaml_document_t *doc;
    const char *file;
    char dir[512]; /* the kubeconfig's directory, for relative paths */
    struct nf_err *err;
};

static int fail_at(struct kc *k, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(struct kc *k, const yaml_node_t *n, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (n)
        return nf_err_set(k->err, NF_E_CONFIG, "%s:%lu: %s", k->file,
                          (unsigned long)n->start_mark.line + 1, what);
    return nf_err_set(k->err, NF_E_CONFIG, "%s: %s", k->file, what);
}

static const yaml_node_t *get(struct kc *k, const yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = yaml_document_get_node(k->doc, p->key);
        if (kn && kn->type == YAML_SCALAR_NODE &&
            strcmp((const char *)kn->data.scalar.value, key) == 0)
            return yaml_document_get_node(k->doc, p->value);
    }
    return NULL;
}

/* A scalar's text; NULL when absent or null; an error (and NULL) when not a scalar. */
static const char *text(struct kc *k, const yaml_node_t *n, const char *what, int *rc)
{
    if (n == NULL)
        return NULL;
    if (n->type != YAML_SCALAR_NODE) {
        *rc = fail_at(k, n, "%s: expected a string", what);
        return NULL;
    }
    const char *s = (const char *)n->data.scalar.value;
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        (s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0))
        return NULL;
    return s;
}

/* The `inner` mapping of the entry named `name` in the list `list` ("clusters", ...). */
static const yaml_node_t *named(struct kc *k, const yaml_node_t *root, const char *list,
                                const char *inner, const char *name, int *rc)
{
    const yaml_node_t *seq = get(k, root, list);
    if (seq == NULL) {
        *rc = fail_at(k, NULL, "no %s list, so no %s named \"%s\"", list, inner, name);
        return NULL;
    }
    if (seq->type != YAML_SEQUENCE_NODE) {
        *rc = fail_at(k, seq, "%s: expected a list", list);
        return NULL;
    }
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        const yaml_node_t *e = yaml_document_get_node(k->doc, *it);
        if (e == NULL || e->type != YAML_MAPPING_NODE) {
            *rc = fail_at(k, e, "%s: each entry must be a mapping with name and %s", list, inner);
            return NULL;
        }
        const char *n = text(k, get(k, e, "name"), "name", rc);
        if (*rc != NF_OK)
            return NULL;
        if (n && strcmp(n, name) == 0) {
            const yaml_node_t *v = get(k, e, inner);
            if (v == NULL || v->type != YAML_MAPPING_NODE) {
                *rc = fail_at(k, e, "%s \"%s\" has no %s mapping", inner, name, inner);
                return NULL;
            }
            return v;
        }
    }
    *rc = fail_at(k, seq, "no %s named \"%s\"", inner, name);
    return NULL;
}

/* ---- the values ---------------------------------------------------------------------- */

static int copy(struct kc *k, const yaml_node_t *n, char *out, size_t outlen, const char *what)
{
    if ((size_t)snprintf(out, outlen, "%s", (const char *)n->data.scalar.value) >= outlen)
        return fail_at(k, n, "%s is too long", what);
    return NF_OK;
}

/* base64 PEM from a *-data field, NUL-terminated on the heap */
static int from_data(struct kc *k, const yaml_node_t *n, const char *s, const char *what,
                     char **out)
{
    struct nf_buf b;
    nf_buf_init(&b, NF_KUBECONFIG_MAX);
    if (nf_base64_decode(&b, s, strlen(s)) != NF_OK || b.len == 0 ||
        memchr(b.data, '\0', b.len) != NULL) {
        if (b.data)
            memset(b.data, 0, b.len);
        nf_buf_free(&b);
        return fail_at(k, n, "%s is not base64-encoded PEM", what);
    }
    *out = b.data; /* the buffer's NUL-terminated text, now ours */
    return NF_OK;
}

/* a file named by the kubeconfig (relative to its directory), NUL-terminated on the heap */
static int from_file(struct kc *k, const yaml_node_t *n, const char *path, const char *what,
                     bool trim, char **out)
{
    char full[1024];
    if (path[0] == '/' || k->dir[0] == '\0')
        snprintf(full, sizeof full, "%s", path);
    else
        snprintf(full, sizeof full, "%s/%s", k->dir, path);
    struct nf_buf b;
    nf_buf_init(&b, NF_KUBECONFIG_MAX);
    struct nf_err e;
    if (nf_buf_read_file(&b, full, full, &e) != NF_OK) {
        nf_buf_free(&b);
        return fail_at(k, n, "%s %s", what, e.msg);
    }
    if (b.data == NULL || memchr(b.data, '\0', b.len) != NULL) {
        if (b.data)
            memset(b.data, 0, b.len);
        nf_buf_free(&b);
        return fail_at(k, n, "%s %s is empty or binary", what, full);
    }
    if (trim)
        while (b.len > 0 &&
               (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r' || b.data[b.len - 1] == ' '))
            b.data[--b.len] = '\0';
    *out = b.data;
    return NF_OK;
}

/* field `data` (base64) or field `file` (a path): one of them, into *out */
static int pem(struct kc *k, const yaml_node_t *map, const char *data, const char *file,
               const char *what, char **out)
{
    int rc = NF_OK;
    const yaml_node_t *dn = get(k, map, data), *fn = get(k, map, file);
    const char *d = text(k, dn, data, &rc), *f = rc == NF_OK ? text(k, fn, file, &rc) : NULL;
    if (rc != NF_OK)
        return rc;
    if (d)
        return from_data(k, dn, d, data, out);
    if (f)
        return from_file(k, fn, f, what, false, out);
    return NF_OK;
}

static const char *const unsupported[] = {"exec", "auth-provider", "username", "password", NULL};

/* the cluster entry: its server URL, TLS checking, and certificate authority */
static int read_cluster(struct kc *k, const yaml_node_t *root, const char *cname,
                        struct nf_kube_auth *out)
{
    int rc = NF_OK;
    const yaml_node_t *cl = named(k, root, "clusters", "cluster", cname, &rc);
    if (rc != NF_OK)
        return rc;
    const yaml_node_t *sn = get(k, cl, "server");
    const char *server = text(k, sn, "server", &rc);
    if (rc != NF_OK)
        return rc;
    if (server == NULL ||
        (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0))
        return fail_at(k, sn ? sn : cl, "cluster \"%s\": server must be an http(s):// URL", cname);
    if ((rc = copy(k, sn, out->server, sizeof out->server, "server")) != NF_OK)
        return rc;
    size_t sl = strlen(out->server);
    while (sl > 0 && out->server[sl - 1] == '/')
        out->server[--sl] = '\0';
    static const char *const cl_unsupported[] = {"tls-server-name", "proxy-url", NULL};
    for (const char *const *u = cl_unsupported; *u; u++)
        if (get(k, cl, *u) != NULL)
            return fail_at(k, get(k, cl, *u), "cluster \"%s\": %s is not supported", cname, *u);
    const yaml_node_t *in = get(k, cl, "insecure-skip-tls-verify");
    const char *ins = text(k, in, "insecure-skip-tls-verify", &rc);
    if (rc != NF_OK)
        return rc;
    if (ins && strcmp(ins, "true") != 0 && strcmp(ins, "false") != 0)
        return fail_at(k, in, "insecure-skip-tls-verify: expected true or false");
    out->insecure = ins && strcmp(ins, "true") == 0;
    return pem(k, cl, "certificate-authority-data", "certificate-authority",
               "certificate authority", &out->ca_pem);
}

/* the user entry: a client certificate and key, a token, or a token file */
static int read_user(struct kc *k, const yaml_node_t *root, const char *uname,
                     struct nf_kube_auth *out)
{
    int rc = NF_OK;
    const yaml_node_t *us = named(k, root, "users", "user", uname, &rc);
    if (rc != NF_OK)
        return rc;
    for (const char *const *u = unsupported; *u; u++)
        if (get(k, us, *u) != NULL)
            return fail_at(k, get(k, us, *u),
                           "user \"%s\": %s is not supported (use a token, a token file or a "
                           "client certificate)",
                           uname, *u);
    if ((rc = pem(k, us, "client-certificate-data", "client-certificate", "client certificate",
                  &out->cert_pem)) != NF_OK)
        return rc;
    if ((rc = pem(k, us, "client-key-data", "client-key", "client key", &out->key_pem)) != NF_OK)
        return rc;
    if ((out->cert_pem == NULL) != (out->key_pem == NULL))
        return fail_at(k, us,
                       "user \"%s\": a client certificate needs its key, and a key its "
                       "certificate",
                       uname);
    const yaml_node_t *tok = get(k, us, "token"), *tf = get(k, us, "tokenFile");
    const char *t = text(k, tok, "token", &rc);
    const char *f = rc == NF_OK ? text(k, tf, "tokenFile", &rc) : NULL;
    if (rc != NF_OK)
        return rc;
    if (t) {
        out->token = strdup(t);
        if (out->token == NULL)
            return nf_err_set(k->err, NF_E_NOMEM, "out of memory");
    } else if (f) {
        return from_file(k, tf, f, "token file", true, &out->token);
    }
    return NF_OK;
}

/* the chosen context (kube.context, else current-context), then its cluster and user */
static int read_context(struct kc *k, const yaml_node_t *root, const char *context,
                        struct nf_kube_auth *out)
{
    int rc = NF_OK;
    if (root == NULL || root->type != YAML_MAPPING_NODE)
        return fail_at(k, root,
                       "not a kubeconfig (expected a mapping with clusters, users, "
                       "contexts)");
    const char *ctx = context && context[0]
                          ? context
                          : text(k, get(k, root, "current-context"), "current-context", &rc);
    if (rc != NF_OK)
        return rc;
    if (ctx == NULL)
        return fail_at(k, NULL, "no current-context, and no context chosen (kube.context)");
    snprintf(out->context, sizeof out->context, "%s", ctx);
    const yaml_node_t *cx = named(k, root, "contexts", "context", ctx, &rc);
    if (rc != NF_OK)
        return rc;
    const char *cname = text(k, get(k, cx, "cluster"), "cluster", &rc);
    const char *uname = rc == NF_OK ? text(k, get(k, cx, "user"), "user", &rc) : NULL;
    if (rc != NF_OK)
        return rc;
    if (cname == NULL)
        return fail_at(k, cx, "context \"%s\" names no cluster", ctx);
    if ((rc = read_cluster(k, root, cname, out)) != NF_OK)
        return rc;
    if (uname != NULL && (rc = read_user(k, root, uname, out)) != NF_OK)
        return rc;
    snprintf(out->source, sizeof out->source, "kubeconfig %.400s, context %.200s", k->file, ctx);
    return NF_OK;
}

int nf_kubeconfig_parse(const char *data, size_t len, const char *file, const char *context,
                        struct nf_kube_auth *out, struct nf_err *err)
{
    memset(out, 0, sizeof *out);
    char shown[NF_PATH_SHOWN_MAX + 1]; /* the path in messages: long ones lose their middle */
    const char *path = file;
    file = nf_path_shown(path, shown);
    if (len > NF_KUBECONFIG_MAX)
        return nf_err_set(err, NF_E_CONFIG, "%s: larger than %d bytes", file, NF_KUBECONFIG_MAX);
    struct kc k = {.file = file, .err = err};
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(k.dir, sizeof k.dir, "%.*s", (int)(slash - path), path);
    if (slash == path)
        snprintf(k.dir, sizeof k.dir, "/");
    unsigned long deep_line = 0;
    char deep_why[128];
    if (nf_yaml_check_depth(data, len, NF_YAML_DEPTH_MAX, &deep_line, deep_why, sizeof deep_why) !=
        NF_OK)
        return nf_err_set(err, NF_E_CONFIG, "%s:%lu: %s", file, deep_line, deep_why);
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return nf_err_set(err, NF_E_NOMEM, "cannot initialise the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    if (!yaml_parser_load(&parser, &doc)) {
        int rc = nf_err_set(err, NF_E_CONFIG, "%s:%lu: YAML syntax error: %s", file,
                            (unsigned long)parser.problem_mark.line + 1,
                            parser.problem ? parser.problem : "unknown problem");
        yaml_parser_delete(&parser);
        return rc;
    }
    k.doc = &doc;
    int rc = read_context(&k, yaml_document_get_root_node(&doc), context, out);
    /* wipe the document's copy of any secret before freeing it */
    for (yaml_node_t *n = doc.nodes.start; n < doc.nodes.top; n++)
        if (n->type == YAML_SCALAR_NODE)
            memset(n->data.scalar.value, 0, n->data.scalar.length);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc != NF_OK)
        nf_kube_auth_free(out);
    return rc;
}

static int nf_kubeconfig_load(const char *path, const char *context, struct nf_kube_auth *out,
                              struct nf_err *err)
{
    struct nf_buf b;
    nf_buf_init(&b, NF_KUBECONFIG_MAX);
    struct nf_err e;
    int rc = nf_buf_read_file(&b, path, "kubeconfig", &e);
    if (rc != NF_OK) {
        nf_buf_free(&b);
        memset(out, 0, sizeof *out);
        return nf_err_set(err,
                          rc == NF_E_TOO_BIG ? NF_E_CONFIG
                          : rc == NF_E_NOMEM ? rc
                                             : NF_E_CONFIG,
                          "%s", e.msg);
    }
    rc = nf_kubeconfig_parse(b.data ? b.data : "", b.len, path, context, out, err);
    if (b.data)
        memset(b.data, 0, b.len);
    nf_buf_free(&b);
    return rc;
}

static const char *env(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (char *const *e = envp; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static int nf_kube_in_cluster(const char *sa_dir, char *const *envp, struct nf_kube_auth *out,
                              struct nf_err *err)
{
    memset(out, 0, sizeof *out);
    const char *host = env(envp, "KUBERNETES_SERVICE_HOST");
    const char *port = env(envp, "KUBERNETES_SERVICE_PORT");
    if (host == NULL || host[0] == '\0')
        return nf_err_set(err, NF_E_NOT_FOUND, "not in a cluster (KUBERNETES_SERVICE_HOST unset)");
    bool v6 = strchr(host, ':') != NULL;
    snprintf(out->server, sizeof out->server, "https://%s%s%s:%s", v6 ? "[" : "", host,
             v6 ? "]" : "", port && port[0] ? port : "443");
    struct kc k = {.file = "in-cluster service account", .err = err};
    snprintf(k.dir, sizeof k.dir, "%s", sa_dir);
    int rc = from_file(&k, NULL, "token", "service account token", true, &out->token);
    if (rc == NF_OK)
        rc = from_file(&k, NULL, "ca.crt", "service account CA", false, &out->ca_pem);
    if (rc != NF_OK) {
        nf_kube_auth_free(out);
        return rc;
    }
    snprintf(out->source, sizeof out->source, "in-cluster service account (%.500s)", sa_dir);
    return NF_OK;
}

int nf_kube_auth_find(const char *kubeconfig, const char *context, const char *sa_dir,
                      char *const *envp, struct nf_kube_auth *out, struct nf_err *err)
{
    char path[1024];
    if (kubeconfig && kubeconfig[0]) {
        /* KUBECONFIG may list several files: the first that exists */
        const char *p = kubeconfig;
        while (*p) {
            size_t n = strcspn(p, ":");
            snprintf(path, sizeof path, "%.*s", (int)n, p);
            if (path[0] && access(path, F_OK) == 0)
                return nf_kubeconfig_load(path, context, out, err);
            p += n + (p[n] == ':');
        }
        return nf_err_set(err, NF_E_CONFIG, "kubeconfig %s: no such file", kubeconfig);
    }
    const char *home = env(envp, "HOME");
    if (home && home[0]) {
        snprintf(path, sizeof path, "%s/.kube/config", home);
        if (access(path, F_OK) == 0)
            return nf_kubeconfig_load(path, context, out, err);
    }
    const char *host = env(envp, "KUBERNETES_SERVICE_HOST");
    if (host && host[0])
        return nf_kube_in_cluster(sa_dir, envp, out, err);
    if (access("/etc/rancher/k3s/k3s.yaml", F_OK) == 0)
        return nf_kubeconfig_load("/etc/rancher/k3s/k3s.yaml", context, out, err);
    memset(out, 0, sizeof *out);
    return nf_err_set(err, NF_E_CONFIG,
                      "no way to reach the API server: set kube.kubeconfig (KUBECONFIG), or put "
                      "one at ~/.kube/config, or run in a pod, or on a K3s server "
                      "(/etc/rancher/k3s/k3s.yaml)");
}
