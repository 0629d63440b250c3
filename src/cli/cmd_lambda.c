/* cmd_lambda.c - `nodefleet lambda`: an AWS Lambda custom runtime (the `bootstrap`), one
 * cycle per invocation (an EventBridge schedule, the seed's shape).
 *
 * The Runtime API (docs: lambda/latest/dg/runtimes-api.html): GET /runtime/invocation/next
 * blocks until an event (no client timeout); the answer is POSTed to
 * /runtime/invocation/{id}/response, a failed cycle to /runtime/invocation/{id}/error, a
 * failed start-up to /runtime/init/error. A 500 from the API means the container is
 * broken: the runtime exits. CloudWatch metrics go out as Embedded Metric Format lines on
 * stdout (the log stream), with no extra API call. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../http/http.h"
#include "../util/budget.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/parse.h"
#include "cli.h"
#include "controller.h"

extern char **environ;

#define NF_LAMBDA_EVENT_MAX (6u << 20) /* Lambda's own payload limit */

struct rt {
    struct nf_http *http;
    char base[300];
};

static int post(struct rt *rt, const char *path, const char *body, const char *error_type,
                long *status, struct nf_err *err)
{
    char url[600], hdr[160];
    snprintf(url, sizeof url, "%s%s", rt->base, path);
    const char *headers[2] = {NULL, NULL};
    if (error_type) {
        snprintf(hdr, sizeof hdr, "Lambda-Runtime-Function-Error-Type: %s", error_type);
        headers[0] = hdr;
    }
    struct nf_http_opts o = {.what = "Lambda Runtime API",
                             .connect_timeout_s = 5,
                             .timeout_s = 30,
                             .max_body = 1 << 20,
                             .attempts = 1,
                             .headers = headers,
                             .content_type = "application/json"};
    struct nf_http_response r;
    int rc = nf_http_request(rt->http, "POST", url, body, strlen(body), &o, &r, err);
    if (rc == NF_OK) {
        *status = r.status;
        nf_http_response_free(&r);
    }
    return rc;
}

static void error_body(struct nf_buf *b, const char *type, const char *msg)
{
    nf_buf_puts(b, "{\"errorMessage\": ");
    nf_buf_json_str(b, msg);
    nf_buf_puts(b, ", \"errorType\": ");
    nf_buf_json_str(b, type);
    nf_buf_puts(b, ", \"stackTrace\": []}");
}

/* tell Lambda the function cannot start */
static void init_error(struct rt *rt, const char *msg)
{
    struct nf_buf b;
    long code = 0;
    nf_buf_init(&b, 8192);
    error_body(&b, "Runtime.InitError", msg);
    struct nf_err e2 = {0};
    post(rt, "/runtime/init/error", b.data, "Runtime.InitError", &code, &e2);
    nf_buf_free(&b);
    nf_log(NF_LOG_ERROR, "lambda: start-up failed", NF_LF_STR("error", msg), NF_LF_END);
}

/* wait for the next invocation; false (logged) when the Runtime API gives none. `deadline`
 * gets its Lambda-Runtime-Deadline-Ms as Unix seconds (0 when absent or not a number). */
static bool next_event(struct rt *rt, char *id, size_t idsz, double *deadline)
{
    char url[400];
    snprintf(url, sizeof url, "%s/runtime/invocation/next", rt->base);
    struct nf_http_opts o = {.what = "Lambda Runtime API",
                             .connect_timeout_s = 5,
                             .timeout_s = 0, /* the next event may be hours away */
                             .max_body = NF_LAMBDA_EVENT_MAX,
                             .attempts = 1,
                             .unbudgeted = true};
    struct nf_http_response r;
    struct nf_err err = {0};
    if (nf_http_request(rt->http, "GET", url, NULL, 0, &o, &r, &err) != NF_OK) {
        nf_log(NF_LOG_ERROR, "lambda: cannot get the next event", NF_LF_STR("error", err.msg),
               NF_LF_END);
        return false;
    }
    char trace[512] = "", ms[32] = "";
    long long dl = 0;
    *deadline = 0;
    if (nf_http_header(&r, "Lambda-Runtime-Deadline-Ms", ms, sizeof ms) &&
        nf_parse_ll(ms, strlen(ms), &dl, NULL) == NF_OK && dl > 0)
        *deadline = (double)dl / 1000.0;
    id[0] = '\0';
    bool have_id = nf_http_header(&r, "Lambda-Runtime-Aws-Request-Id", id, idsz);
    if (nf_http_header(&r, "Lambda-Runtime-Trace-Id", trace, sizeof trace))
        setenv("_X_AMZN_TRACE_ID", trace, 1);
    long status = r.status;
    nf_http_response_free(&r);
    if (status != 200 || !have_id || strchr(id, '/') != NULL || id[0] == '\0') {
        nf_log(NF_LOG_ERROR, "lambda: the Runtime API gave no event", NF_LF_INT("status", status),
               NF_LF_END);
        return false;
    }
    return true;
}

/* one invocation: one cycle, its summary (or its failure) posted back. False (logged) when the
 * Runtime API refused the answer, which means the container is broken. */
static bool answer_event(struct rt *rt, struct nf_controller *ctl, const char *id, double deadline)
{
    struct nf_plan plan;
    struct nf_err cerr = {0};
    /* the invocation's time is the cycle's budget (util/budget.h), the reserve kept for the
     * state and the lease; the answer itself goes after it */
    if (deadline > 0) {
        double has = deadline - nf_wall_now(),
               needs = ctl->cfg.deadline_reserve + nf_cycle_step_time(ctl->cycle);
        nf_budget_start(nf_mono_now() + has, ctl->cfg.deadline_reserve);
        static bool told; /* once a process: the function's timeout is the operator's */
        if (has < needs && !told) {
            told = true;
            nf_log(NF_LOG_WARN,
                   "the invocation's time is less than a cycle needs at its timeouts: raise the "
                   "function's timeout or lower aws.timeout/kube.timeout",
                   NF_LF_NUM("has_s", has), NF_LF_NUM("needs_s", needs), NF_LF_END);
        }
    }
    int crc = nf_controller_cycle(ctl, &plan, &cerr);
    nf_budget_clear();
    struct nf_buf b;
    nf_buf_init(&b, 65536);
    char path[300];
    const char *etype = NULL;
    if (crc == NF_OK) {
        const struct nf_cycle_report *cy = nf_cycle_last(ctl->cycle);
        nf_buf_printf(&b,
                      "{\"action\": \"%s\", \"nodes\": %d, \"rule\": ", nf_action_name(plan.action),
                      plan.nodes);
        nf_buf_json_str(&b, nf_plan_code(&plan));
        nf_buf_puts(&b, ", \"reason\": ");
        nf_buf_json_str(&b, plan.reason);
        nf_buf_printf(&b,
                      ", \"workers\": {\"ready\": %d, \"joining\": %d, \"draining\": %d}, "
                      "\"launched\": %d, \"drains_started\": %d, \"dry_run\": %s}",
                      cy->workers.ready, cy->workers.joining, cy->workers.draining, cy->launched,
                      cy->drained, ctl->cfg.dry_run ? "true" : "false");
        snprintf(path, sizeof path, "/runtime/invocation/%s/response", id);
    } else {
        etype = "Nodefleet.CycleFailed";
        error_body(&b, etype, cerr.msg);
        snprintf(path, sizeof path, "/runtime/invocation/%s/error", id);
    }
    struct nf_err perr = {0};
    long code = 0;
    int prc = post(rt, path, b.data, etype, &code, &perr);
    nf_buf_free(&b);
    if (prc != NF_OK || code == 500) {
        nf_log(NF_LOG_ERROR, "lambda: the Runtime API refused the answer; exiting",
               NF_LF_STR("error", prc != NF_OK ? perr.msg : "HTTP 500"), NF_LF_END);
        return false;
    }
    if (code != 202)
        nf_log(NF_LOG_WARN, "lambda: unexpected answer from the Runtime API",
               NF_LF_INT("status", code), NF_LF_END);
    return true;
}

int nf_cmd_lambda(int argc, char **argv)
{
    struct nf_cli cli = {.cmd = "lambda"};
    bool dry = false;
    long long max_events = -1;
    for (int i = 1; i < argc; i++) {
        if (nf_cli_common_opt(&cli, argc, argv, &i))
            continue;
        if (strcmp(argv[i], "--dry-run") == 0) {
            dry = true;
        } else if (strcmp(argv[i], "--events") == 0) { /* for tests: stop after N */
            const char *v = NULL;
            if (nf_cli_value_once(&cli, argc, argv, &i, &v) != 0)
                return 2;
            if (nf_parse_ll(v, strlen(v), &max_events, NULL) != NF_OK || max_events < 1)
                return nf_cli_usage_error(&cli, "--events needs a whole number above 0");
        } else {
            return nf_cli_usage_error(&cli, "unknown option %s", argv[i]);
        }
    }
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (api == NULL || api[0] == '\0' || strlen(api) > 200)
        return nf_cli_usage_error(&cli, "AWS_LAMBDA_RUNTIME_API is not set: this command is the "
                                        "Lambda runtime (run it as the function's bootstrap)");
    struct rt rt;
    snprintf(rt.base, sizeof rt.base, "http://%s/2018-06-01", api);
    struct nf_err err = {0};
    rt.http = nf_http_new(&err);
    if (rt.http == NULL) {
        nf_cli_say("lambda", "%s", err.msg);
        return 1;
    }
    struct nf_config cfg;
    int st = nf_cli_load_config(&cli, &cfg);
    static struct nf_controller ctl;
    int rc;
    if (st == 0) {
        if (dry)
            cfg.dry_run = true;
        cfg.kube_watch = false; /* a frozen sandbox between invocations: list each time */
        rc = nf_controller_open(&ctl, &cfg, environ, &err);
    } else {
        rc = NF_E_CONFIG;
        snprintf(err.msg, sizeof err.msg, "the configuration has problems (see the log)");
    }
    if (rc != NF_OK) { /* tell Lambda the function cannot start, then stop */
        init_error(&rt, err.msg);
        nf_http_free(rt.http);
        nf_aws_models_free();
        return st != 0 ? st : 1;
    }
    ctl.cw.emf = true;
    nf_log(NF_LOG_INFO, "nodefleet started", NF_LF_STR("mode", "lambda"),
           NF_LF_STR("cluster_id", cfg.cluster_id), NF_LF_STR("store", ctl.store.desc),
           NF_LF_BOOL("dry_run", cfg.dry_run), NF_LF_END);
    int status = 0;
    char id[200];
    double deadline = 0;
    for (long long n = 0; status == 0 && (max_events < 0 || n < max_events); n++)
        if (!next_event(&rt, id, sizeof id, &deadline) || !answer_event(&rt, &ctl, id, deadline))
            status = 1;
    nf_controller_close(&ctl);
    nf_http_free(rt.http);
    nf_aws_models_free();
    return status;
}
