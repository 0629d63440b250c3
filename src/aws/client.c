/* client.c - one AWS call: build, sign, send, retry, parse. */
#define _POSIX_C_SOURCE 200809L
#include "client.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/budget.h"
#include "../util/check.h"
#include "../util/log.h"
#include "../util/parse.h"
#include "../util/timefmt.h"
#include "crypto.h"
#include "../util/clock.h"

#define NF_AWS_QUOTA_MAX    500
#define NF_AWS_RETRY_COST   5
#define NF_AWS_TIMEOUT_COST 10

int nf_aws_env_check(char *const *envp, struct nf_err *err)
{
    const char *why = NULL;
    const char *ma = nf_env(envp, "AWS_MAX_ATTEMPTS");
    long long v;
    if (ma != NULL && (nf_parse_ll(ma, strlen(ma), &v, NULL) != NF_OK || v < 1 || v > 10))
        return nf_err_set(err, NF_E_CONFIG,
                          "env AWS_MAX_ATTEMPTS: expected a whole number from 1 to 10");
    for (char *const *e = envp; e && *e; e++) {
        if (strncmp(*e, "AWS_ENDPOINT_URL", 16) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        if (eq == NULL || eq[1] == '\0')
            continue; /* empty: not set */
        if (nf_check_url(eq + 1, &why) != NF_OK)
            return nf_err_set(err, NF_E_CONFIG, "env %.*s: %s", (int)(eq - *e), *e, why);
    }
    static const char *const regions[] = {"AWS_REGION", "AWS_DEFAULT_REGION"};
    for (size_t i = 0; i < 2; i++) {
        const char *r = nf_env(envp, regions[i]);
        if (r != NULL && r[0] != '\0' && nf_check_region(r, &why) != NF_OK)
            return nf_err_set(err, NF_E_CONFIG, "env %s: %s", regions[i], why);
    }
    return NF_OK;
}

int nf_aws_client_init(struct nf_aws_client *c, const char *region, char *const *envp,
                       struct nf_err *err)
{
    memset(c, 0, sizeof *c);
    int rc = nf_aws_env_check(envp, err);
    if (rc != NF_OK)
        return rc;
    rc = nf_crypto_load(err);
    if (rc != NF_OK)
        return rc;
    c->http = nf_http_new(err);
    if (c->http == NULL)
        return err ? err->code : NF_E_INTERNAL;
    c->envp = envp;
    nf_aws_creds_init(&c->creds, envp, c->http);
    c->max_attempts = 3;
    const char *ma = nf_env(envp, "AWS_MAX_ATTEMPTS");
    long long v;
    if (ma && nf_parse_ll(ma, strlen(ma), &v, NULL) == NF_OK && v >= 1 && v <= 10)
        c->max_attempts = (int)v; /* checked above */
    c->retry_base_s = 0.1;
    c->retry_cap_s = 20;
    c->connect_timeout_s = 3;
    c->timeout_s = 10;
    c->quota = NF_AWS_QUOTA_MAX;
    c->now = nf_wall_now;
    c->sleep = nf_sleep_s;
    double m = nf_mono_now();
    c->rng = (uint64_t)((m - floor(m)) * 1e9) * 2654435761u + (uint64_t)m;
    rc = nf_aws_region(&c->creds, region, c->region, sizeof c->region, err);
    if (rc != NF_OK) {
        nf_aws_client_free(c);
        return rc;
    }
    return NF_OK;
}

void nf_aws_client_free(struct nf_aws_client *c)
{
    nf_http_free(c->http);
    c->http = NULL;
    nf_aws_creds_forget(&c->creds);
    nf_sigv4_keys_clear(&c->keys);
}

void nf_aws_endpoint(const struct nf_aws_client *c, const struct nf_aws_service *svc, char *out,
                     size_t outlen)
{
    const char *ignore = nf_env(c->envp, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    const char *ep = NULL;
    if (ignore == NULL || strcmp(ignore, "true") != 0) {
        char var[96];
        snprintf(var, sizeof var, "AWS_ENDPOINT_URL_%s", svc->env_id);
        ep = nf_env(c->envp, var);
        if (ep == NULL || ep[0] == '\0')
            ep = nf_env(c->envp, "AWS_ENDPOINT_URL");
    }
    if (ep && ep[0])
        snprintf(out, outlen, "%s", ep);
    else
        snprintf(out, outlen, "https://%s.%s.amazonaws.com", svc->endpoint_prefix, c->region);
    size_t l = strlen(out);
    while (l > 0 && out[l - 1] == '/')
        out[--l] = '\0';
}

void nf_aws_request_free(struct nf_aws_request *r)
{
    nf_buf_free(&r->body);
    nf_sigv4_result_free(&r->sig);
    for (size_t i = 0; i < sizeof r->lines / sizeof r->lines[0]; i++) /* Authorization, token */
        memset(r->lines[i], 0, strnlen(r->lines[i], sizeof r->lines[i]));
}

/* the request's header lines, in the order they were signed, then the signature and the
 * SDKs' unsigned amz-sdk-request line */
static void header_lines(struct nf_aws_request *out, const char *ctype, int attempt,
                         int max_attempts)
{
    size_t n = 0;
    const char *pairs[5][2] = {{"Host", out->host}, {"Content-Type", ctype}};
    size_t np = 2;
    if (out->target[0]) {
        pairs[np][0] = "X-Amz-Target";
        pairs[np++][1] = out->target;
    }
    for (size_t i = 0; i < out->sig.nadd && np < 5; i++) {
        pairs[np][0] = out->sig.add[i].name;
        pairs[np++][1] = out->sig.add[i].value;
    }
    for (size_t i = 0; i < np; i++) {
        nf_strjoin(out->lines[n], sizeof out->lines[0], pairs[i][0], ": ", pairs[i][1],
                   (const char *)NULL);
        out->headers[n] = out->lines[n];
        n++;
    }
    nf_strjoin(out->lines[n], sizeof out->lines[0], "Authorization: ", out->sig.authorization,
               (const char *)NULL);
    out->headers[n] = out->lines[n];
    n++;
    /* amz-sdk-request is informational and not signed, as the SDKs send it */
    static _Thread_local char sdk[64];
    snprintf(sdk, sizeof sdk, "amz-sdk-request: attempt=%d; max=%d", attempt, max_attempts);
    out->headers[n++] = sdk;
    out->headers[n] = NULL;
}

int nf_aws_build(struct nf_aws_client *c, const struct nf_aws_service *svc,
                 const struct nf_aws_op *op, const json_t *params,
                 const struct nf_aws_credentials *cr, time_t when, int attempt,
                 struct nf_aws_request *out, struct nf_err *err)
{
    /* not a memset of the whole: the header lines are large and written before use */
    out->url[0] = out->host[0] = out->target[0] = '\0';
    memset(&out->headers, 0, sizeof out->headers);
    for (size_t i = 0; i < sizeof out->lines / sizeof out->lines[0]; i++)
        out->lines[i][0] = '\0';
    nf_buf_init(&out->sig.canonical, 0);
    nf_buf_init(&out->sig.string_to_sign, 0);
    out->sig.token_storage[0] = '\0';
    nf_buf_init(&out->body, NF_AWS_RESPONSE_MAX);
    char base[900];
    nf_aws_endpoint(c, svc, base, sizeof base);
    nf_strjoin(out->url, sizeof out->url, base, "/", (const char *)NULL);
    const char *hp = strstr(base, "://");
    hp = hp ? hp + 3 : base;
    snprintf(out->host, sizeof out->host, "%.*s", (int)strcspn(hp, "/"), hp);
    const char *path = hp + strcspn(hp, "/");
    char sign_path[900];
    nf_strjoin(sign_path, sizeof sign_path, path, "/", (const char *)NULL);

    const json_t *model = nf_aws_model(svc);
    int rc;
    const char *ctype;
    if (svc->protocol == NF_AWS_JSON) {
        rc = nf_awsjson_serialize(model, model ? op->input : NULL, params, &out->body, err);
        ctype = svc->content_type;
        nf_strjoin(out->target, sizeof out->target, svc->target_prefix, ".", op->name,
                   (const char *)NULL);
    } else {
        rc = nf_awsq_serialize(svc->protocol, model, op->input, params, op->name, svc->api_version,
                               &out->body, err);
        ctype = "application/x-www-form-urlencoded; charset=utf-8";
    }
    if (rc != NF_OK) {
        nf_aws_request_free(out);
        return rc;
    }
    struct nf_header h[3] = {
        {"Host", out->host}, {"Content-Type", ctype}, {"X-Amz-Target", out->target}};
    struct nf_sigv4_request sr = {.method = "POST",
                                  .path = sign_path,
                                  .headers = h,
                                  .nheaders = out->target[0] ? 3 : 2,
                                  .body = out->body.data,
                                  .body_len = out->body.len,
                                  .region = c->region,
                                  .service = svc->signing_name,
                                  .when = when,
                                  .normalize = true,
                                  .keys = &c->keys};
    rc = nf_sigv4_sign(&sr, cr, &out->sig, err);
    if (rc != NF_OK) {
        nf_aws_request_free(out);
        return rc;
    }
    header_lines(out, ctype, attempt, c->max_attempts);
    return NF_OK;
}

static const char *const throttling[] = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    "LimitExceededException", "RequestThrottled", "SlowDown", "EC2ThrottledException",
    /* transient */
    "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", NULL};

bool nf_aws_retryable_code(const char *code)
{
    for (const char *const *t = throttling; *t; t++)
        if (strcmp(code, *t) == 0)
            return true;
    return false;
}

/* Errors that answer "no" for a while, whatever their HTTP status (InsufficientInstanceCapacity
 * comes as a 500): retrying at once would only delay the caller's fallback. */
static bool final_code(const char *code)
{
    static const char *const codes[] = {"InsufficientInstanceCapacity",
                                        "InstanceLimitExceeded",
                                        "VcpuLimitExceeded",
                                        "MaxSpotInstanceCountExceeded",
                                        "SpotMaxPriceTooLow",
                                        "UnfulfillableCapacity",
                                        NULL};
    for (const char *const *c = codes; *c; c++)
        if (strcmp(code, *c) == 0)
            return true;
    return false;
}

static bool skew_code(const struct nf_aws_error *ae)
{
    return strcmp(ae->code, "RequestTimeTooSkewed") == 0 ||
           strcmp(ae->code, "RequestExpired") == 0 || strcmp(ae->code, "RequestInTheFuture") == 0 ||
           (strcmp(ae->code, "InvalidSignatureException") == 0 && strstr(ae->message, "expired")) ||
           (strcmp(ae->code, "InvalidSignatureException") == 0 && strstr(ae->message, "time"));
}

int nf_aws_parse(const struct nf_aws_service *svc, const struct nf_aws_op *op, long status,
                 const char *errortype_header, const char *body, size_t len, json_t **result,
                 struct nf_aws_error *ae, struct nf_err *err)
{
    const json_t *model = nf_aws_model(svc);
    *result = NULL;
    ae->http_status = status;
    bool ok = status >= 200 && status < 300;
    if (svc->protocol == NF_AWS_JSON) {
        json_t *j = NULL;
        if (len > 0) {
            json_error_t je;
            j = json_loadb(body, len, 0, &je);
            if (j == NULL && ok)
                return nf_err_set(err, NF_E_INPUT, "%s %s: response is not JSON: %s",
                                  svc->endpoint_prefix, op->name, je.text);
        }
        int rc = NF_OK;
        if (ok) {
            rc = nf_awsjson_parse(model, model ? op->output : "*", j, result, err);
        } else {
            nf_awsjson_error(errortype_header, j, ae->code, sizeof ae->code, ae->message,
                             sizeof ae->message);
            if (strcmp(ae->code, "Unknown") == 0)
                snprintf(ae->code, sizeof ae->code, "HTTP%ld", status);
            rc = NF_E_AWS;
        }
        json_decref(j);
        return rc;
    }
    if (len == 0) {
        if (ok) {
            *result = json_object();
            return NF_OK;
        }
        snprintf(ae->code, sizeof ae->code, "HTTP%ld", status);
        ae->message[0] = '\0';
        return NF_E_AWS;
    }
    struct nf_xml_doc doc;
    int rc = nf_xml_parse(body, len, &doc, err);
    if (rc != NF_OK) {
        if (!ok) { /* an error page that is not XML (a proxy's, say) */
            snprintf(ae->code, sizeof ae->code, "HTTP%ld", status);
            snprintf(ae->message, sizeof ae->message, "the error body is not XML");
            return NF_E_AWS;
        }
        return nf_err_prefix(err, "%s %s", svc->endpoint_prefix, op->name);
    }
    if (ok) {
        rc = nf_awsxml_parse(svc->protocol, model, op->output, NULL, doc.root, result, err);
    } else {
        if (nf_awsxml_error(svc->protocol, model, doc.root, ae->code, sizeof ae->code, ae->message,
                            sizeof ae->message, NULL) != NF_OK)
            snprintf(ae->code, sizeof ae->code, "HTTP%ld", status);
        const char *rid = nf_xml_path_text(doc.root, "RequestID");
        if (rid == NULL)
            rid = nf_xml_path_text(doc.root, "RequestId");
        if (rid && ae->request_id[0] == '\0')
            snprintf(ae->request_id, sizeof ae->request_id, "%s", rid);
        rc = NF_E_AWS;
    }
    nf_xml_free(&doc);
    return rc;
}

static double jitter01(struct nf_aws_client *c)
{
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    return (double)(c->rng >> 11) / 9007199254740992.0;
}

/* what one attempt left to decide */
struct try_out {
    bool again;   /* the clock skew was corrected: try again at once, uncharged */
    bool retry;   /* a throttle, a server error or a transport failure: may be retried */
    bool timeout; /* the transport timed out (costs more of the retry budget) */
};

/* one signed request and its answer, parsed */
static int try_once(struct nf_aws_client *c, const struct nf_aws_service *svc,
                    const struct nf_aws_op *op, const json_t *params, int attempt, const char *what,
                    bool skew_retried, struct try_out *t, json_t **result, struct nf_aws_error *ae,
                    struct nf_err *err)
{
    memset(t, 0, sizeof *t);
    struct nf_aws_credentials cr;
    int rc = nf_aws_creds_get(&c->creds, c->now(), &cr, err);
    if (rc != NF_OK)
        return rc;
    struct nf_aws_request req;
    rc = nf_aws_build(c, svc, op, params, &cr, (time_t)(c->now() + c->skew_s), attempt, &req, err);
    memset(&cr, 0, sizeof cr);
    if (rc != NF_OK)
        return rc;
    struct nf_http_opts o = {.what = what,
                             .connect_timeout_s = c->connect_timeout_s,
                             .timeout_s = c->timeout_s,
                             .max_body = NF_AWS_RESPONSE_MAX,
                             .attempts = 1,
                             .headers = req.headers};
    struct nf_http_response resp;
    struct nf_err herr = {0};
    int hrc =
        nf_http_request(c->http, "POST", req.url, req.body.data, req.body.len, &o, &resp, &herr);
    nf_aws_request_free(&req);
    if (hrc != NF_OK) {
        rc = hrc == NF_E_TOO_BIG || hrc == NF_E_NOMEM ? hrc : NF_E_UNAVAILABLE;
        t->retry = rc == NF_E_UNAVAILABLE;
        t->timeout = strstr(herr.msg, "timed out") != NULL;
        return nf_err_set(err, rc, "%s", herr.msg);
    }
    char etype[160] = "", date[64];
    nf_http_header(&resp, "X-Amzn-Errortype", etype, sizeof etype);
    if (!nf_http_header(&resp, "x-amzn-RequestId", ae->request_id, sizeof ae->request_id))
        nf_http_header(&resp, "x-amz-request-id", ae->request_id, sizeof ae->request_id);
    rc = nf_aws_parse(svc, op, resp.status, etype, resp.body.data, resp.body.len, result, ae, err);
    double server;
    if (rc == NF_E_AWS && skew_code(ae) && !skew_retried &&
        nf_http_header(&resp, "Date", date, sizeof date) &&
        nf_parse_http_date(date, &server) == NF_OK) {
        c->skew_s = server - c->now();
        t->again = true;
        nf_log(NF_LOG_WARN, "clock skew corrected", NF_LF_STR("service", svc->endpoint_prefix),
               NF_LF_NUM("skew_s", c->skew_s), NF_LF_END);
    } else if (rc == NF_E_AWS) {
        t->retry = !final_code(ae->code) &&
                   (resp.status == 500 || resp.status == 502 || resp.status == 503 ||
                    resp.status == 504 || nf_aws_retryable_code(ae->code));
        if (!t->retry)
            nf_err_set(err, NF_E_AWS, "%s: %s (HTTP %ld): %.200s", what, ae->code, resp.status,
                       ae->message);
    }
    nf_http_response_free(&resp);
    return rc;
}

int nf_aws_call(struct nf_aws_client *c, const struct nf_aws_service *svc,
                const struct nf_aws_op *op, const json_t *params, json_t **result,
                struct nf_aws_error *ae, struct nf_err *err)
{
    memset(ae, 0, sizeof *ae);
    *result = NULL;
    bool skew_retried = false;
    char what[128];
    snprintf(what, sizeof what, "%s %s", svc->endpoint_prefix, op->name);
    for (int attempt = 1;; attempt++) {
        ae->attempts = attempt;
        struct try_out t;
        int rc = try_once(c, svc, op, params, attempt, what, skew_retried, &t, result, ae, err);
        if (t.again) {
            skew_retried = true;
            continue; /* at once, and not charged to the retry budget */
        }
        if (rc == NF_OK) {
            if (c->quota < NF_AWS_QUOTA_MAX)
                c->quota++;
            return NF_OK;
        }
        int cost = t.timeout ? NF_AWS_TIMEOUT_COST : NF_AWS_RETRY_COST;
        bool last = !t.retry || attempt >= c->max_attempts || c->quota < cost;
        double wait = 0;
        if (!last) {
            double ceiling = c->retry_base_s * pow(2, attempt - 1);
            wait = jitter01(c) * (ceiling > c->retry_cap_s ? c->retry_cap_s : ceiling);
            last = wait + 0.05 >= nf_budget_left(); /* the run's deadline: no time for another */
        }
        if (last) {
            if (t.retry && rc == NF_E_AWS)
                nf_err_set(err, NF_E_UNAVAILABLE, "%s: %s (HTTP %ld) after %d attempts: %.200s",
                           what, ae->code, ae->http_status, attempt, ae->message);
            else if (t.retry)
                nf_err_prefix(err, "after %d attempts", attempt);
            return t.retry && rc == NF_E_AWS ? NF_E_UNAVAILABLE : rc;
        }
        c->quota -= cost;
        c->sleep(wait);
    }
}
