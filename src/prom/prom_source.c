/* prom_source.c - signal queries against Prometheus, with unknown-not-zero failure handling. */
#define _POSIX_C_SOURCE 200809L
#include "prom_source.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../http/http.h"
#include "../util/log.h"
#include "../util/clock.h"

/* A credentials file larger than this is refused. */
#define NF_PROM_SECRET_FILE_MAX 16384

struct nf_prom_source {
    struct nf_http *http;
    struct nf_http *more[NF_SAMPLE_VALUES]; /* one per signal queried at once, made on need */
    char base[NF_PROM_TEXT_MAX];
    struct nf_http_opts opts;
    char user[NF_PROM_TEXT_MAX];
    char secret[NF_PROM_SECRET_FILE_MAX]; /* password or bearer token */
    char ca_file[NF_PROM_TEXT_MAX];
    double step;
    int server_nodes;
    int nsignals;
    const char *names[NF_SAMPLE_VALUES];
    char trigger_names[NF_TRIGGERS_MAX][NF_TRIGGER_NAME_MAX]; /* copies: names[] points here */
    char queries[NF_SAMPLE_VALUES][NF_PROM_TEXT_MAX];
    char node_count_query[NF_PROM_TEXT_MAX];
    unsigned long errors;
    char last_error[NF_SAMPLE_VALUES][NF_ERR_MSG_MAX]; /* "" = was known last time */
};

static int read_secret_file(const char *path, char *out, size_t outlen, const char *setting,
                            struct nf_err *err)
{
    struct nf_buf b;
    nf_buf_init(&b, outlen - 1);
    struct nf_err e;
    int rc = nf_buf_read_file(&b, path, setting, &e);
    if (rc != NF_OK) {
        nf_buf_free(&b);
        return nf_err_set(err, NF_E_CONFIG, "%s", e.msg);
    }
    size_t n = strcspn(b.data, "\r\n"); /* the first line */
    memcpy(out, b.data, n);
    out[n] = '\0';
    memset(b.data, 0, b.len);
    nf_buf_free(&b);
    if (n == 0)
        return nf_err_set(err, NF_E_CONFIG, "%s: %s is empty", setting, path);
    return NF_OK;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

int nf_prom_source_new(const struct nf_prom_opts *o, struct nf_prom_source **out,
                       struct nf_err *err)
{
    struct nf_prom_source *s = calloc(1, sizeof *s);
    if (s == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    snprintf(s->base, sizeof s->base, "%s", or_empty(o->url));
    size_t bl = strlen(s->base);
    while (bl > 0 && s->base[bl - 1] == '/')
        s->base[--bl] = '\0';
    snprintf(s->ca_file, sizeof s->ca_file, "%s", or_empty(o->ca_file));
    s->opts = (struct nf_http_opts){
        .what = "prometheus",
        .connect_timeout_s = o->connect_timeout_s,
        .timeout_s = o->timeout_s,
        .total_timeout_s = o->timeout_s, /* all in, as documented */
        .ca_file = s->ca_file[0] ? s->ca_file : NULL,
        .max_body = o->max_response_bytes,
        .attempts = o->attempts,
        .retry_base_s = 0.1,
    };
    int rc = NF_OK;
    if (or_empty(o->bearer_token_file)[0]) {
        rc = read_secret_file(o->bearer_token_file, s->secret, sizeof s->secret,
                              "prometheus.bearer_token_file", err);
        s->opts.auth = (struct nf_http_auth){.kind = NF_HTTP_AUTH_BEARER, .token = s->secret};
    } else if (or_empty(o->user)[0]) {
        snprintf(s->user, sizeof s->user, "%s", o->user);
        if (or_empty(o->password_file)[0])
            rc = read_secret_file(o->password_file, s->secret, sizeof s->secret,
                                  "prometheus.basic_auth_password_file", err);
        else
            snprintf(s->secret, sizeof s->secret, "%s", or_empty(o->password));
        s->opts.auth = (struct nf_http_auth){
            .kind = NF_HTTP_AUTH_BASIC, .user = s->user, .password = s->secret};
    }
    if (rc != NF_OK) {
        nf_prom_source_free(s);
        return rc;
    }
    s->step = o->step;
    s->server_nodes = o->server_nodes;
    for (int i = 0; i < NF_SIG__COUNT; i++) {
        s->names[i] = nf_signal_names[i];
        snprintf(s->queries[i], sizeof s->queries[i], "%s", or_empty(o->queries[i]));
    }
    int nt = o->ntriggers < NF_TRIGGERS_MAX ? o->ntriggers : NF_TRIGGERS_MAX;
    for (int k = 0; k < nt; k++) {
        snprintf(s->trigger_names[k], sizeof s->trigger_names[k], "%s",
                 or_empty(o->trigger_names[k]));
        s->names[NF_SIG_CUSTOM(k)] = s->trigger_names[k];
        snprintf(s->queries[NF_SIG_CUSTOM(k)], sizeof s->queries[0], "%s",
                 or_empty(o->trigger_queries[k]));
    }
    s->nsignals = NF_SIG__COUNT + nt;
    snprintf(s->node_count_query, sizeof s->node_count_query, "%s", or_empty(o->node_count_query));
    s->http = nf_http_new(err);
    if (s->http == NULL) {
        nf_prom_source_free(s);
        return err ? err->code : NF_E_INTERNAL;
    }
    *out = s;
    return NF_OK;
}

void nf_prom_source_free(struct nf_prom_source *s)
{
    if (s == NULL)
        return;
    nf_http_free(s->http);
    for (int i = 0; i < NF_SAMPLE_VALUES; i++)
        nf_http_free(s->more[i]);
    memset(s->secret, 0, sizeof s->secret);
    free(s);
}

unsigned long nf_prom_errors(const struct nf_prom_source *s)
{
    return s->errors;
}

const char *nf_prom_signal_name(const struct nf_prom_source *s, int sig)
{
    return sig < s->nsignals ? s->names[sig] : "?";
}

int nf_prom_signal_count(const struct nf_prom_source *s)
{
    return s->nsignals;
}

/* GET an API path with form parameters; parse the envelope; turn a Prometheus error into
 * an error. `res` is filled on NF_OK. */
static int api_get_on(struct nf_prom_source *s, struct nf_http *h, const char *path,
                      const char *query, const char *params, struct nf_prom_result *res,
                      struct nf_err *err)
{
    struct nf_buf url;
    nf_buf_init(&url, 64 * 1024);
    nf_buf_printf(&url, "%s%s?query=", s->base, path);
    nf_http_urlencode(&url, query);
    nf_buf_puts(&url, params);
    if (url.status != NF_OK) {
        nf_buf_free(&url);
        return nf_err_set(err, NF_E_CONFIG, "prometheus: query too long");
    }
    struct nf_http_response resp;
    int rc = nf_http_request(h, "GET", url.data, NULL, 0, &s->opts, &resp, err);
    nf_buf_free(&url);
    if (rc != NF_OK)
        return rc;
    bool json = strncmp(resp.content_type, "application/json", 16) == 0;
    /* Prometheus answers errors as JSON with 400, 422 or 503; anything else that is not a
     * 200 is named by its status, never by what its body fails to be */
    if (resp.status != 200 && (!json || resp.status < 400)) {
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "prometheus: HTTP %ld (%.60s)%s", resp.status,
                        resp.content_type[0] ? resp.content_type : "no content type",
                        resp.status >= 300 && resp.status < 400
                            ? ": a redirect; nodefleet does not follow them, point "
                              "prometheus_url at the final address"
                            : "");
        nf_http_response_free(&resp);
        return rc;
    }
    rc = nf_prom_parse(resp.body.data, resp.body.len, res, err);
    long status = resp.status;
    nf_http_response_free(&resp);
    if (rc != NF_OK) {
        if (status != 200)
            nf_err_prefix(err, "prometheus: HTTP %ld", status);
        return rc;
    }
    for (size_t i = 0; i < res->nwarnings; i++)
        nf_log(NF_LOG_WARN, "prometheus warning", NF_LF_STR("warning", res->warnings[i]),
               NF_LF_END);
    if (!res->ok) {
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "prometheus error %s (HTTP %ld): %s",
                        res->error_type, resp.status, res->error);
        nf_prom_result_free(res);
        return rc;
    }
    return NF_OK;
}

static int api_get(struct nf_prom_source *s, const char *path, const char *query,
                   const char *params, struct nf_prom_result *res, struct nf_err *err)
{
    return api_get_on(s, s->http, path, query, params, res, err);
}

static int nf_prom_instant(struct nf_prom_source *s, const char *query, double at, double *value,
                           struct nf_err *err)
{
    char params[64];
    snprintf(params, sizeof params, "&time=%.3f", isfinite(at) ? at : nf_wall_now());
    struct nf_prom_result res;
    int rc = api_get(s, "/api/v1/query", query, params, &res, err);
    if (rc != NF_OK)
        return rc;
    if (res.type != NF_PROM_VECTOR && res.type != NF_PROM_SCALAR)
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "prometheus: %s result; expected a vector",
                        nf_prom_type_name(res.type));
    else if (res.nseries == 0)
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "prometheus: empty result");
    else if (res.nseries > 1)
        rc = nf_err_set(err, NF_E_UNAVAILABLE,
                        "prometheus: %zu series; the query must give one (aggregate with "
                        "sum() or avg())",
                        res.nseries);
    else if (res.series[0].n == 0 || !isfinite(res.series[0].pts[0].v))
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "prometheus: value is not a finite number");
    else
        *value = res.series[0].pts[0].v;
    nf_prom_result_free(&res);
    return rc;
}

static int range_on(struct nf_prom_source *s, struct nf_http *h, const char *query, double start,
                    double end, double step, struct nf_prom_result *res, struct nf_err *err)
{
    char params[128];
    snprintf(params, sizeof params, "&start=%.3f&end=%.3f&step=%.3f", start, end, step);
    int rc = api_get_on(s, h, "/api/v1/query_range", query, params, res, err);
    if (rc == NF_OK && res->type != NF_PROM_MATRIX) {
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "prometheus: %s result; expected a matrix",
                        nf_prom_type_name(res->type));
        nf_prom_result_free(res);
    }
    return rc;
}

static int nf_prom_range(struct nf_prom_source *s, const char *query, double start, double end,
                         double step, struct nf_prom_result *res, struct nf_err *err)
{
    return range_on(s, s->http, query, start, end, step, res, err);
}

/* Prometheus refuses a range query of more than 11,000 points. */
#define NF_PROM_POINTS_PER_QUERY 10000

int nf_prom_range_grid(struct nf_prom_source *s, const char *query, double start, double step,
                       size_t npoints, double *out, struct nf_err *err)
{
    for (size_t i = 0; i < npoints; i++)
        out[i] = NAN;
    for (size_t first = 0; first < npoints; first += NF_PROM_POINTS_PER_QUERY) {
        size_t n =
            npoints - first < NF_PROM_POINTS_PER_QUERY ? npoints - first : NF_PROM_POINTS_PER_QUERY;
        double a = start + (double)first * step, b = a + (double)(n - 1) * step;
        struct nf_prom_result res;
        int rc = nf_prom_range(s, query, a, b, step, &res, err);
        if (rc != NF_OK)
            return rc;
        if (res.nseries > 1) {
            size_t k = res.nseries;
            nf_prom_result_free(&res);
            return nf_err_set(err, NF_E_UNAVAILABLE,
                              "prometheus: %zu series; the query must give one (aggregate with "
                              "sum() or avg())",
                              k);
        }
        for (size_t p = 0; res.nseries == 1 && p < res.series[0].n; p++) {
            double idx = (res.series[0].pts[p].t - start) / step;
            long i = lround(idx);
            if (i >= 0 && (size_t)i < npoints && fabs(idx - (double)i) < 0.01 &&
                isfinite(res.series[0].pts[p].v))
                out[i] = res.series[0].pts[p].v;
        }
        nf_prom_result_free(&res);
    }
    return NF_OK;
}

static void mark_unknown(struct nf_prom_source *s, int sig, struct nf_prom_status *status,
                         const struct nf_err *e)
{
    s->errors++;
    /* say it when it starts or changes, not every cycle it persists */
    bool news = strcmp(s->last_error[sig], e->msg) != 0;
    nf_log(news ? NF_LOG_WARN : NF_LOG_DEBUG, "signal unknown", NF_LF_STR("signal", s->names[sig]),
           NF_LF_STR("error", e->msg), NF_LF_END);
    snprintf(s->last_error[sig], sizeof s->last_error[sig], "%s", e->msg);
    if (status) {
        status[sig].known = false;
        snprintf(status[sig].error, sizeof status[sig].error, "%s", e->msg);
    }
}

/* A signal's series onto the grid; false when it gave no finite value at all. */
static bool fill_signal(struct nf_prom_source *s, int sig, struct nf_prom_result *res, double start,
                        size_t k, struct nf_sample *out, struct nf_prom_status *status)
{
    const struct nf_prom_series *se = &res->series[0];
    size_t filled = 0;
    for (size_t p = 0; p < se->n; p++) {
        double idx = (se->pts[p].t - start) / s->step;
        long i = lround(idx);
        if (i < 0 || (size_t)i > k || fabs(idx - (double)i) > 0.01)
            continue; /* not on our grid */
        if (isfinite(se->pts[p].v)) {
            out[i].v[sig] = se->pts[p].v;
            filled++;
        }
    }
    nf_prom_result_free(res);
    if (filled == 0 || !isfinite(out[k].v[sig])) {
        struct nf_err e = {0};
        nf_err_set(&e, NF_E_UNAVAILABLE, "prometheus: %s",
                   filled ? "no finite value at the newest step" : "no finite values");
        mark_unknown(s, sig, status, &e);
        if (filled == 0)
            return false;
    }
    if (s->last_error[sig][0] != '\0' && isfinite(out[k].v[sig])) {
        nf_log(NF_LOG_INFO, "signal known again", NF_LF_STR("signal", s->names[sig]), NF_LF_END);
        s->last_error[sig][0] = '\0';
    }
    return true;
}

/* One signal's range query, on a handle of its own: the signals are fetched at once. */
struct fetch {
    struct nf_prom_source *s;
    struct nf_http *h;
    const char *query;
    double start, end, step;
    struct nf_prom_result res;
    struct nf_err e;
    int rc;
    bool thread;
    pthread_t t;
};

static void *fetch_one(void *arg)
{
    struct fetch *f = arg;
    f->rc = range_on(f->s, f->h, f->query, f->start, f->end, f->step, &f->res, &f->e);
    return NULL;
}

static void fetch_all(struct nf_prom_source *s, double start, double end, struct fetch *f)
{
    bool first = true; /* the first configured signal is queried here, on the main handle */
    for (int sig = 0; sig < s->nsignals; sig++) {
        f[sig] = (struct fetch){.s = s,
                                .query = s->queries[sig],
                                .start = start,
                                .end = end,
                                .step = s->step,
                                .rc = -1};
        if (s->queries[sig][0] == '\0')
            continue;
        if (first) {
            f[sig].h = s->http;
            first = false;
            continue;
        }
        if (s->more[sig] == NULL)
            s->more[sig] = nf_http_new(NULL);
        f[sig].h = s->more[sig];
        f[sig].thread =
            f[sig].h != NULL && pthread_create(&f[sig].t, NULL, fetch_one, &f[sig]) == 0;
        if (f[sig].h == NULL)
            f[sig].h = s->http; /* no handle to spare: in turn, after the others */
    }
    for (int sig = 0; sig < s->nsignals; sig++)
        if (s->queries[sig][0] != '\0' && !f[sig].thread)
            fetch_one(&f[sig]);
    for (int sig = 0; sig < s->nsignals; sig++)
        if (f[sig].thread)
            pthread_join(f[sig].t, NULL);
}

int nf_prom_history(struct nf_prom_source *s, double end, double span, struct nf_sample *out,
                    size_t cap, size_t *n, struct nf_prom_status *status, struct nf_err *err)
{
    double step = s->step;
    size_t k = (size_t)floor(span / step);
    if (k + 1 > cap)
        return nf_err_set(err, NF_E_INTERNAL, "history of %zu samples does not fit in %zu", k + 1,
                          cap);
    double start = end - (double)k * step;
    for (size_t i = 0; i <= k; i++) {
        out[i].t = start + (double)i * step;
        for (int v = 0; v < NF_SAMPLE_VALUES; v++)
            out[i].v[v] = NAN;
    }
    *n = k + 1;
    struct fetch f[NF_SAMPLE_VALUES];
    fetch_all(s, start, end, f);
    int known = 0;
    for (int sig = 0; sig < s->nsignals; sig++) {
        if (status) {
            status[sig].known = true;
            status[sig].error[0] = '\0';
        }
        if (s->queries[sig][0] == '\0') { /* switched off by an empty query */
            if (status) {
                status[sig].known = false;
                snprintf(status[sig].error, sizeof status[sig].error, "not configured");
            }
            continue;
        }
        struct nf_prom_result res = f[sig].res;
        struct nf_err e = f[sig].e;
        int rc = f[sig].rc;
        if (rc == NF_OK && res.nseries != 1) {
            if (res.nseries == 0)
                nf_err_set(&e, NF_E_UNAVAILABLE, "prometheus: empty result");
            else
                nf_err_set(&e, NF_E_UNAVAILABLE,
                           "prometheus: %zu series; the query must give one (aggregate with "
                           "sum() or avg())",
                           res.nseries);
            nf_prom_result_free(&res);
            rc = NF_E_UNAVAILABLE;
        }
        if (rc != NF_OK) {
            mark_unknown(s, sig, status, &e);
            continue;
        }
        if (fill_signal(s, sig, &res, start, k, out, status))
            known++;
    }
    if (known == 0 && s->nsignals > 0)
        return nf_err_set(err, NF_E_UNAVAILABLE, "prometheus: no signal could be read");
    return NF_OK;
}

int nf_prom_workers(struct nf_prom_source *s, double at, int *workers, struct nf_err *err)
{
    double v;
    int rc = nf_prom_instant(s, s->node_count_query, at, &v, err);
    if (rc != NF_OK) {
        s->errors++;
        return rc;
    }
    if (v < 0 || v > 1e6)
        return nf_err_set(err, NF_E_UNAVAILABLE, "prometheus: node count %g is not plausible", v);
    int w = (int)llround(v) - s->server_nodes;
    *workers = w < 0 ? 0 : w;
    return NF_OK;
}
