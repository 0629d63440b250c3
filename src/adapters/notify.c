/* notify.c - log, Slack, SNS. */
#define _POSIX_C_SOURCE 200809L
#include "notify.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../aws/support.h"
#include "../util/log.h"

static const char *title(enum nf_event_kind k)
{
    static const char *const t[] = {"scale up",       "scale down",    "drain started",
                                    "drain finished", "drain aborted", "launch failed",
                                    "lease problem"};
    return t[k];
}

static void nf_event_text(const struct nf_event *ev, char *out, size_t outlen)
{
    char counts[64] = "", cost[48] = "", inst[600] = "";
    if (ev->nodes_before != ev->nodes_after)
        snprintf(counts, sizeof counts, " %d -> %d workers.", ev->nodes_before, ev->nodes_after);
    if (ev->cost_per_hour_change != 0 && isfinite(ev->cost_per_hour_change))
        snprintf(cost, sizeof cost, " %s$%.4f/h.", ev->cost_per_hour_change > 0 ? "+" : "-",
                 fabs(ev->cost_per_hour_change));
    if (ev->instances[0])
        snprintf(inst, sizeof inst, " (%s)", ev->instances);
    snprintf(out, outlen, "%s[nodefleet %s] %s:%s%s %s%s", ev->dry_run ? "[dry run] " : "",
             ev->cluster_id ? ev->cluster_id : "", title(ev->kind), counts, cost, ev->reason, inst);
}

static void nf_event_json(const struct nf_event *ev, struct nf_buf *out)
{
    nf_buf_printf(out, "{\"event\": \"%s\", \"t\": %.3f, \"cluster_id\": ", nf_event_name(ev->kind),
                  ev->t);
    nf_buf_json_str(out, ev->cluster_id ? ev->cluster_id : "");
    nf_buf_printf(out,
                  ", \"workers_before\": %d, \"workers_after\": %d, "
                  "\"cost_per_hour_change\": ",
                  ev->nodes_before, ev->nodes_after);
    nf_buf_json_num(out, ev->cost_per_hour_change);
    nf_buf_puts(out, ", \"reason\": ");
    nf_buf_json_str(out, ev->reason);
    nf_buf_puts(out, ", \"instances\": ");
    nf_buf_json_str(out, ev->instances);
    nf_buf_puts(out, ", \"node\": ");
    nf_buf_json_str(out, ev->node);
    nf_buf_printf(out, ", \"dry_run\": %s}", ev->dry_run ? "true" : "false");
}

void nf_notifier_free(struct nf_notifier *n)
{
    nf_http_free(n->http);
    n->http = NULL;
    memset(n->slack_url, 0, sizeof n->slack_url);
}

static void slack(struct nf_notifier *n, const char *text)
{
    struct nf_err err = {0};
    if (n->http == NULL && (n->http = nf_http_new(&err)) == NULL) {
        n->failed++;
        nf_log(NF_LOG_WARN, "Slack notification not sent", NF_LF_STR("error", err.msg), NF_LF_END);
        return;
    }
    struct nf_buf body;
    nf_buf_init(&body, 8192);
    nf_buf_puts(&body, "{\"text\": ");
    nf_buf_json_str(&body, text);
    nf_buf_puts(&body, "}");
    struct nf_http_opts o = {.what = "Slack webhook",
                             .connect_timeout_s = 5,
                             .timeout_s = 10,
                             .max_body = 65536,
                             .attempts = 1,
                             .content_type = "application/json"};
    struct nf_http_response r;
    int rc = nf_http_request(n->http, "POST", n->slack_url, body.data, body.len, &o, &r, &err);
    nf_buf_free(&body);
    if (rc == NF_OK && r.status >= 200 && r.status < 300) {
        n->sent++;
    } else {
        n->failed++;
        char why[160];
        if (rc == NF_OK)
            snprintf(why, sizeof why, "HTTP %ld", r.status);
        /* the message names the call, never the URL (it is the secret) */
        nf_log(NF_LOG_WARN, "Slack notification not sent",
               NF_LF_STR("error", rc == NF_OK ? why : "the webhook could not be reached"),
               NF_LF_END);
    }
    if (rc == NF_OK)
        nf_http_response_free(&r);
}

static void sns(struct nf_notifier *n, const struct nf_event *ev)
{
    struct nf_buf body;
    nf_buf_init(&body, 16384);
    nf_event_json(ev, &body);
    char subject[100];
    snprintf(subject, sizeof subject, "nodefleet %s %.60s", title(ev->kind),
             ev->cluster_id ? ev->cluster_id : "");
    char id[128];
    struct nf_err err = {0};
    if (nf_sns_publish(n->aws, n->sns_topic, subject, body.data, id, sizeof id, &err) == NF_OK) {
        n->sent++;
    } else {
        n->failed++;
        nf_log(NF_LOG_WARN, "SNS notification not sent", NF_LF_STR("error", err.msg), NF_LF_END);
    }
    nf_buf_free(&body);
}

static void notify(void *ctx, const struct nf_event *ev)
{
    struct nf_notifier *n = ctx;
    char text[1600];
    nf_event_text(ev, text, sizeof text);
    nf_log(ev->kind == NF_EV_LAUNCH_FAILED || ev->kind == NF_EV_LEASE_PROBLEM ||
                   ev->kind == NF_EV_DRAIN_ABORTED
               ? NF_LOG_WARN
               : NF_LOG_INFO,
           "event", NF_LF_STR("event", nf_event_name(ev->kind)), NF_LF_STR("text", text),
           NF_LF_END);
    if (n->slack_url[0])
        slack(n, text);
    if (n->sns_topic[0] && n->aws)
        sns(n, ev);
}

const struct nf_notify_port nf_notify_port = {.name = "notify", .notify = notify};
