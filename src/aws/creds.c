/* creds.c - the credential chain: environment, shared files, container, IMDSv2. */
#define _POSIX_C_SOURCE 200809L
#include "creds.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../util/check.h"
#include "../util/log.h"
#include "../util/timefmt.h"
#include "ini.h"

/* Metadata answers are small; anything bigger is not one. */
#define NF_METADATA_BODY_MAX 65536

const char *nf_env(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (char *const *e = envp; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

void nf_aws_creds_init(struct nf_aws_creds_chain *c, char *const *envp, struct nf_http *http)
{
    memset(c, 0, sizeof *c);
    c->envp = envp;
    c->http = http;
    c->metadata_timeout_s = 1.0;
}

void nf_aws_creds_forget(struct nf_aws_creds_chain *c)
{
    memset(&c->cached, 0, sizeof c->cached);
    memset(c->imds_token, 0, sizeof c->imds_token);
    c->imds_v1 = false;
    c->have = false;
}

static int put(char *dst, size_t n, const char *v, const char *what, struct nf_err *err)
{
    if (v == NULL || strlen(v) >= n)
        return nf_err_set(err, NF_E_CONFIG, "%s is missing or too long", what);
    memcpy(dst, v, strlen(v) + 1);
    return NF_OK;
}

static int from_env(struct nf_aws_creds_chain *c, struct nf_aws_credentials *cr, struct nf_err *err)
{
    const char *id = nf_env(c->envp, "AWS_ACCESS_KEY_ID");
    const char *secret = nf_env(c->envp, "AWS_SECRET_ACCESS_KEY");
    if (id == NULL || id[0] == '\0')
        return NF_E_NOT_FOUND;
    if (secret == NULL || secret[0] == '\0')
        return nf_err_set(err, NF_E_CONFIG,
                          "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    int rc = put(cr->access_key_id, sizeof cr->access_key_id, id, "AWS_ACCESS_KEY_ID", err);
    if (rc == NF_OK)
        rc = put(cr->secret_access_key, sizeof cr->secret_access_key, secret,
                 "AWS_SECRET_ACCESS_KEY", err);
    const char *tok = nf_env(c->envp, "AWS_SESSION_TOKEN");
    if (rc == NF_OK && tok && tok[0])
        rc = put(cr->session_token, sizeof cr->session_token, tok, "AWS_SESSION_TOKEN", err);
    snprintf(cr->source, sizeof cr->source, "environment");
    return rc;
}

/* Path of a shared file: the override variable, else ~/.aws/NAME. */
static void shared_path(struct nf_aws_creds_chain *c, const char *var, const char *name, char *out,
                        size_t n)
{
    const char *v = nf_env(c->envp, var);
    if (v && v[0]) {
        snprintf(out, n, "%s", v);
        return;
    }
    const char *home = nf_env(c->envp, "HOME");
    snprintf(out, n, "%s/.aws/%s", home ? home : "", name);
}

/* Look key up in the profile of one shared file; NF_E_NOT_FOUND when the file or key is
 * absent. */
static int shared_get(struct nf_aws_creds_chain *c, bool config_file, const char *key, char *out,
                      size_t outlen, struct nf_err *err)
{
    char path[1024];
    shared_path(c, config_file ? "AWS_CONFIG_FILE" : "AWS_SHARED_CREDENTIALS_FILE",
                config_file ? "config" : "credentials", path, sizeof path);
    const char *profile = nf_env(c->envp, "AWS_PROFILE");
    if (profile == NULL || profile[0] == '\0')
        profile = "default";
    char section[256];
    if (config_file && strcmp(profile, "default") != 0)
        snprintf(section, sizeof section, "profile %s", profile);
    else
        snprintf(section, sizeof section, "%s", profile);
    struct nf_buf b;
    nf_buf_init(&b, NF_INI_FILE_MAX);
    struct nf_err e;
    int rc = nf_buf_read_file(&b, path, path, &e);
    if (rc == NF_E_NOT_FOUND) {
        nf_buf_free(&b);
        return NF_E_NOT_FOUND;
    }
    if (rc != NF_OK) {
        nf_buf_free(&b);
        return nf_err_set(err, NF_E_CONFIG, "%s", e.msg);
    }
    rc = nf_ini_get(b.data, b.len, path, section, key, out, outlen, err);
    nf_buf_free(&b);
    if (rc == NF_E_INPUT && err) /* the file is there but broken: the operator must fix it */
        err->code = NF_E_CONFIG;
    return rc == NF_E_INPUT ? NF_E_CONFIG : rc;
}

static int from_files(struct nf_aws_creds_chain *c, struct nf_aws_credentials *cr,
                      struct nf_err *err)
{
    for (int f = 0; f < 2; f++) {
        bool cfg = f == 1;
        int rc = shared_get(c, cfg, "aws_access_key_id", cr->access_key_id,
                            sizeof cr->access_key_id, err);
        if (rc == NF_E_NOT_FOUND)
            continue;
        if (rc != NF_OK)
            return rc;
        rc = shared_get(c, cfg, "aws_secret_access_key", cr->secret_access_key,
                        sizeof cr->secret_access_key, err);
        if (rc == NF_E_NOT_FOUND)
            return nf_err_set(err, NF_E_CONFIG,
                              "the AWS %s file has aws_access_key_id but no "
                              "aws_secret_access_key for the profile",
                              cfg ? "config" : "credentials");
        if (rc != NF_OK)
            return rc;
        rc = shared_get(c, cfg, "aws_session_token", cr->session_token, sizeof cr->session_token,
                        err);
        if (rc != NF_OK && rc != NF_E_NOT_FOUND)
            return rc;
        snprintf(cr->source, sizeof cr->source, "%s file", cfg ? "config" : "credentials");
        return NF_OK;
    }
    return NF_E_NOT_FOUND;
}

/* A JSON credentials document (container or IMDS role). */
int nf_aws_creds_parse(const char *body, size_t len, const char *source,
                       struct nf_aws_credentials *cr, struct nf_err *err)
{
    json_error_t je;
    json_t *j = json_loadb(body, len, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return nf_err_set(err, NF_E_UNAVAILABLE, "%s: the credentials answer is not JSON", source);
    }
    const char *code = json_string_value(json_object_get(j, "Code"));
    const char *id = json_string_value(json_object_get(j, "AccessKeyId"));
    const char *secret = json_string_value(json_object_get(j, "SecretAccessKey"));
    const char *token = json_string_value(json_object_get(j, "Token"));
    const char *exp = json_string_value(json_object_get(j, "Expiration"));
    int rc = NF_OK;
    if (code != NULL && strcmp(code, "Success") != 0)
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "%s: credentials not available (Code %.40s)", source,
                        code);
    else if (id == NULL || secret == NULL || token == NULL || exp == NULL)
        rc = nf_err_set(err, NF_E_UNAVAILABLE,
                        "%s: the answer lacks AccessKeyId, SecretAccessKey, Token or Expiration",
                        source);
    const char *why;
    if (rc == NF_OK && nf_parse_time(exp, &cr->expiration, &why) != NF_OK)
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "%s: Expiration: %s", source, why);
    if (rc == NF_OK)
        rc = put(cr->access_key_id, sizeof cr->access_key_id, id, "AccessKeyId", err);
    if (rc == NF_OK)
        rc = put(cr->secret_access_key, sizeof cr->secret_access_key, secret, "SecretAccessKey",
                 err);
    if (rc == NF_OK)
        rc = put(cr->session_token, sizeof cr->session_token, token, "Token", err);
    if (rc == NF_OK)
        snprintf(cr->source, sizeof cr->source, "%s", source);
    json_decref(j);
    return rc;
}

static int metadata_call(struct nf_aws_creds_chain *c, const char *method, const char *url,
                         const char *const *headers, const char *what,
                         struct nf_http_response *resp, struct nf_err *err)
{
    struct nf_http_opts o = {.what = what,
                             .connect_timeout_s = c->metadata_timeout_s,
                             .timeout_s = c->metadata_timeout_s,
                             .max_body = NF_METADATA_BODY_MAX,
                             .attempts = 1,
                             .headers = headers};
    return nf_http_request(c->http, method, url, method[0] == 'P' ? "" : NULL, 0, &o, resp, err);
}

static int from_container(struct nf_aws_creds_chain *c, struct nf_aws_credentials *cr,
                          struct nf_err *err)
{
    const char *full = nf_env(c->envp, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    const char *rel = nf_env(c->envp, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    char url[2048];
    if (full && full[0])
        snprintf(url, sizeof url, "%s", full);
    else if (rel && rel[0])
        snprintf(url, sizeof url, "http://169.254.170.2%s", rel);
    else
        return NF_E_NOT_FOUND;
    if (c->http == NULL)
        return nf_err_set(err, NF_E_INTERNAL, "no HTTP client for the container endpoint");
    const char *tok = nf_env(c->envp, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    char auth[4096];
    const char *headers[2] = {NULL, NULL};
    if (tok && tok[0]) {
        snprintf(auth, sizeof auth, "Authorization: %s", tok);
        headers[0] = auth;
    }
    struct nf_http_response r;
    int rc = metadata_call(c, "GET", url, headers, "container credentials", &r, err);
    memset(auth, 0, sizeof auth);
    if (rc == NF_OK && r.status != 200)
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "container credentials: HTTP %ld", r.status);
    if (rc == NF_OK)
        rc = nf_aws_creds_parse(r.body.data, r.body.len, "container", cr, err);
    nf_http_response_free(&r);
    return rc;
}

static void imds_base(struct nf_aws_creds_chain *c, char *out, size_t n)
{
    const char *ep = nf_env(c->envp, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    snprintf(out, n, "%s", ep && ep[0] ? ep : "http://169.254.169.254");
    size_t l = strlen(out);
    while (l > 0 && out[l - 1] == '/')
        out[--l] = '\0';
}

enum { NF_IMDS_TOKEN_TTL_S = 21600 };

/* Fetch (or reuse) the IMDSv2 session token. An empty token with NF_OK means the service
 * refused the PUT with 403/404/405: an IMDSv1-only service, used without a token as the SDKs
 * do. */
static int imds_token(struct nf_aws_creds_chain *c, const char *base, bool fresh,
                      struct nf_err *err)
{
    if (!fresh && (c->imds_token[0] || c->imds_v1) && c->now > 0 && c->now < c->imds_token_until)
        return NF_OK;
    memset(c->imds_token, 0, sizeof c->imds_token);
    c->imds_v1 = false;
    char url[1024];
    snprintf(url, sizeof url, "%s/latest/api/token", base);
    static const char *const ttl[] = {"X-aws-ec2-metadata-token-ttl-seconds: 21600", NULL};
    struct nf_http_response t;
    int rc = metadata_call(c, "PUT", url, ttl, "IMDS token", &t, err);
    if (rc != NF_OK)
        return rc;
    if (t.status == 200 && t.body.len > 0 && t.body.len < sizeof c->imds_token &&
        strcspn(t.body.data, "\r\n") == t.body.len) {
        memcpy(c->imds_token, t.body.data, t.body.len);
        c->imds_token_until = c->now + NF_IMDS_TOKEN_TTL_S - 300;
    } else if (t.status == 403 || t.status == 404 || t.status == 405) {
        c->imds_v1 = true;
        c->imds_token_until = c->now + NF_IMDS_TOKEN_TTL_S - 300;
    } else {
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "IMDS token: HTTP %ld", t.status);
    }
    nf_http_response_free(&t);
    return rc;
}

/* GET an IMDS path with a session token (IMDSv2), falling back to no token (IMDSv1) when
 * the token PUT is refused; a token the service no longer accepts (401) is replaced once. */
static int imds_get(struct nf_aws_creds_chain *c, const char *path, struct nf_http_response *r,
                    struct nf_err *err)
{
    const char *off = nf_env(c->envp, "AWS_EC2_METADATA_DISABLED");
    if (off && strcmp(off, "true") == 0)
        return NF_E_NOT_FOUND;
    if (c->http == NULL)
        return nf_err_set(err, NF_E_INTERNAL, "no HTTP client for IMDS");
    char base[512], url[1024];
    imds_base(c, base, sizeof base);
    snprintf(url, sizeof url, "%s%s", base, path);
    for (int attempt = 0;; attempt++) {
        int rc = imds_token(c, base, attempt > 0, err);
        if (rc != NF_OK)
            return rc;
        char hdr[1100];
        const char *headers[2] = {NULL, NULL};
        if (c->imds_token[0]) {
            snprintf(hdr, sizeof hdr, "X-aws-ec2-metadata-token: %s", c->imds_token);
            headers[0] = hdr;
        }
        rc = metadata_call(c, "GET", url, headers, "IMDS", r, err);
        memset(hdr, 0, sizeof hdr);
        if (rc != NF_OK)
            return rc;
        if (r->status == 200)
            return NF_OK;
        long status = r->status;
        nf_http_response_free(r);
        if (status == 401 && attempt == 0 && c->imds_token[0])
            continue;
        return nf_err_set(err, status == 404 ? NF_E_NOT_FOUND : NF_E_UNAVAILABLE,
                          "IMDS %s: HTTP %ld", path, status);
    }
}

static int from_imds(struct nf_aws_creds_chain *c, struct nf_aws_credentials *cr,
                     struct nf_err *err)
{
    struct nf_http_response r;
    int rc = imds_get(c, "/latest/meta-data/iam/security-credentials/", &r, err);
    if (rc != NF_OK)
        return rc;
    char role[256];
    size_t n = r.body.data ? strcspn(r.body.data, "\r\n") : 0;
    snprintf(role, sizeof role, "%.*s", (int)(n < 255 ? n : 255), r.body.data ? r.body.data : "");
    nf_http_response_free(&r);
    if (role[0] == '\0')
        return nf_err_set(err, NF_E_UNAVAILABLE, "IMDS: the instance has no IAM role");
    char path[512];
    snprintf(path, sizeof path, "/latest/meta-data/iam/security-credentials/%s", role);
    rc = imds_get(c, path, &r, err);
    if (rc != NF_OK)
        return rc;
    rc = nf_aws_creds_parse(r.body.data, r.body.len, "instance profile", cr, err);
    memset(r.body.data, 0, r.body.len);
    nf_http_response_free(&r);
    return rc;
}

int nf_aws_creds_get(struct nf_aws_creds_chain *c, double now, struct nf_aws_credentials *out,
                     struct nf_err *err)
{
    if (c->have &&
        (c->cached.expiration == 0 || c->cached.expiration - now > NF_AWS_REFRESH_BEFORE_S)) {
        *out = c->cached;
        return NF_OK;
    }
    c->now = now;
    struct nf_aws_credentials cr;
    char tried[512] = "";
    int (*const sources[])(struct nf_aws_creds_chain *, struct nf_aws_credentials *,
                           struct nf_err *) = {from_env, from_files, from_container, from_imds};
    static const char *const names[] = {"environment", "shared files", "container", "IMDS"};
    for (size_t i = 0; i < 4; i++) {
        memset(&cr, 0, sizeof cr);
        struct nf_err e = {0};
        int rc = sources[i](c, &cr, &e);
        if (rc == NF_OK) {
            c->cached = cr;
            c->have = true;
            *out = cr;
            memset(&cr, 0, sizeof cr);
            return NF_OK;
        }
        if (rc == NF_E_CONFIG) /* a source that is there but broken: say so, do not skip it */
            return nf_err_set(err, rc, "%s", e.msg);
        if (rc != NF_E_NOT_FOUND) {
            size_t l = strlen(tried);
            /* what each source said, cut to fit the one message */
            snprintf(tried + l, sizeof tried - l, "%s%s: %.80s", l ? "; " : "", names[i], e.msg);
        }
    }
    memset(&cr, 0, sizeof cr);
    /* nothing configured is a config problem; a source that failed is a runtime one */
    return nf_err_set(err, tried[0] ? NF_E_UNAVAILABLE : NF_E_CONFIG,
                      "no AWS credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a "
                      "profile in ~/.aws/credentials, or an instance profile)%s%s",
                      tried[0] ? ": " : "", tried);
}

int nf_aws_region(struct nf_aws_creds_chain *c, const char *configured, char *out, size_t outlen,
                  struct nf_err *err)
{
    const char *r = configured && configured[0] ? configured : nf_env(c->envp, "AWS_REGION");
    if (r == NULL || r[0] == '\0')
        r = nf_env(c->envp, "AWS_DEFAULT_REGION");
    const char *why = NULL;
    if (r && r[0]) {
        /* the region becomes part of a host name: nothing but a region name may pass */
        if (nf_check_region(r, &why) != NF_OK)
            return nf_err_set(err, NF_E_CONFIG, "AWS region: %s", why);
        snprintf(out, outlen, "%s", r);
        return NF_OK;
    }
    struct nf_err e;
    if (shared_get(c, true, "region", out, outlen, &e) == NF_OK) {
        if (nf_check_region(out, &why) != NF_OK)
            return nf_err_set(err, NF_E_CONFIG, "AWS region (from the shared config): %s", why);
        return NF_OK;
    }
    struct nf_http_response resp;
    if (imds_get(c, "/latest/meta-data/placement/region", &resp, &e) == NF_OK) {
        snprintf(out, outlen, "%.*s", (int)strcspn(resp.body.data ? resp.body.data : "", "\r\n"),
                 resp.body.data ? resp.body.data : "");
        nf_http_response_free(&resp);
        if (out[0] && nf_check_region(out, &why) != NF_OK)
            return nf_err_set(err, NF_E_UNAVAILABLE, "AWS region (from instance metadata): %s",
                              why);
        if (out[0])
            return NF_OK;
    }
    return nf_err_set(err, NF_E_CONFIG,
                      "no AWS region: set aws_region (AWS_REGION), AWS_DEFAULT_REGION or a "
                      "profile region");
}
