/* cloudwatch.c - the cycle's metrics for CloudWatch, as a publish port: PutMetricData, or
 * Embedded Metric Format lines on standard output in a Lambda (no API call there). */
#define _POSIX_C_SOURCE 200809L
#include "cloudwatch.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../aws/support.h"
#include "../util/log.h"

static void cw_publish(void *ctx, const struct nf_cycle_report *cy, double took_s)
{
    struct nf_cloudwatch *c = ctx;
    const struct nf_plan *plan = &cy->plan;
    const char *ns = c->ns;
    if (ns[0] == '\0' || (c->aws == NULL && !c->emf))
        return;
    const struct nf_workers *w = &cy->workers;
    double count = cy->count_known ? w->ready + w->joining : NAN;
    bool decided = !cy->failed && cy->lease_held && cy->count_known;
    struct {
        const char *name, *unit;
        double v;
    } m[] = {
        {"NodeCount", "Count", count},
        {"ReadyNodes", "Count", cy->count_known ? w->ready : NAN},
        {"JoiningNodes", "Count", cy->count_known ? w->joining : NAN},
        {"DrainingNodes", "Count", cy->count_known ? w->draining : NAN},
        {"PendingPods", "Count", cy->newest[NF_SIG_PENDING_PODS]},
        {"CPUUtilization", "Percent", cy->newest[NF_SIG_CPU]},
        {"MemoryUtilization", "Percent", cy->newest[NF_SIG_MEMORY]},
        {"ScaleUpEvents", "Count", plan->action == NF_ACTION_SCALE_UP ? cy->launched : 0},
        {"ScaleDownEvents", "Count", plan->action == NF_ACTION_SCALE_DOWN ? cy->drained : 0},
        {"CycleDuration", "Milliseconds", took_s * 1000},
        {"DeadlineCut", "Count", cy->deadline_cut ? 1 : 0}, /* ended early: out of time */
        {"CycleErrors", "Count", cy->failed || cy->incomplete_why[0] ? 1 : 0},
        {"Decisions", "Count", decided ? 1 : 0},
        {"JoinTimeouts", "Count", cy->join_timeouts},
        {"LaunchFailures", "Count", cy->launch_failures},
        {"LeaseLost", "Count", cy->lease_lost ? 1 : 0},
        {"AtMaximum", "Count", isfinite(count) && c->max_nodes > 0 ? count >= c->max_nodes : NAN},
    };
    size_t nm = sizeof m / sizeof m[0];
    if (c->emf) {
        struct nf_buf b;
        nf_buf_init(&b, 8192);
        nf_buf_printf(&b,
                      "{\"_aws\": {\"Timestamp\": %.0f, \"CloudWatchMetrics\": [{\"Namespace\": ",
                      floor(cy->t * 1000));
        nf_buf_json_str(&b, ns);
        nf_buf_puts(&b, ", \"Dimensions\": [[\"ClusterId\"]], \"Metrics\": [");
        bool first = true;
        for (size_t i = 0; i < nm; i++) {
            if (!isfinite(m[i].v))
                continue;
            nf_buf_printf(&b, "%s{\"Name\": \"%s\", \"Unit\": \"%s\"}", first ? "" : ", ",
                          m[i].name, m[i].unit);
            first = false;
        }
        nf_buf_puts(&b, "]}]}, \"ClusterId\": ");
        nf_buf_json_str(&b, c->cluster_id);
        nf_buf_puts(&b, ", \"Rule\": "); /* a property, not a metric: searchable in the logs */
        nf_buf_json_str(&b, nf_plan_code(plan));
        for (size_t i = 0; i < nm; i++)
            if (isfinite(m[i].v)) {
                nf_buf_printf(&b, ", \"%s\": ", m[i].name);
                nf_buf_json_num(&b, m[i].v);
            }
        nf_buf_puts(&b, "}\n");
        fputs(b.data, stdout);
        fflush(stdout);
        nf_buf_free(&b);
        return;
    }
    struct nf_metric_datum d[24];
    size_t n = 0;
    for (size_t i = 0; i < nm; i++)
        if (isfinite(m[i].v))
            d[n++] = (struct nf_metric_datum){.name = m[i].name,
                                              .value = m[i].v,
                                              .unit = m[i].unit,
                                              .dim_name = "ClusterId",
                                              .dim_value = c->cluster_id};
    struct nf_err e = {0};
    if (nf_cw_put_metrics(c->aws, ns, d, n, &e) != NF_OK) {
        c->errors++;
        nf_log(NF_LOG_WARN, "CloudWatch metrics not published", NF_LF_STR("error", e.msg),
               NF_LF_END);
    }
}

const struct nf_publish_port nf_cloudwatch_port = {.name = "cloudwatch", .publish = cw_publish};
