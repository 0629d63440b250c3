/* report.c - the simulator's three outputs: a text table, JSON, and a self-contained HTML page
 * with inline SVG charts (no scripts, no external files). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../util/buf.h"
#include "sim.h"

/* ---- shared ----------------------------------------------------------------------------- */

/* Rows in order: the oracle, the cluster's actual schedule (replay only), the policies. */
static const struct nf_sim_run *run_at(const struct nf_sim_report *r, size_t i)
{
    if (i == 0)
        return &r->oracle;
    if (r->actual != NULL && i == 1)
        return r->actual;
    return &r->runs[i - 1 - (r->actual != NULL)];
}

static size_t nrows(const struct nf_sim_report *r)
{
    return r->nruns + 1 + (r->actual != NULL);
}

static const char *row_colour(const struct nf_sim_report *r, size_t i);

static void shapes_text(const struct nf_sim_params *p, struct nf_buf *out)
{
    for (int k = 0; k < p->nshapes; k++)
        nf_buf_printf(out, "%s%g vCPU/%g MiB x%g%%", k ? ", " : "", p->shapes[k].cpu,
                      p->shapes[k].memory_mib, p->shapes[k].share_pct);
}

static void model_line(const struct nf_sim_report *r, struct nf_buf *out)
{
    const struct nf_sim_params *p = &r->params;
    char scaling[160];
    if (p->fixed_scale > 0)
        snprintf(scaling, sizeof scaling, "demand as recorded, in vCPU (p%g = %g)",
                 p->peak_percentile, r->trace_percentile_value);
    else
        snprintf(scaling, sizeof scaling, "trace p%g = %g -> %d workers needed", p->peak_percentile,
                 r->trace_percentile_value, p->peak_nodes);
    nf_buf_printf(out, "workers %g vCPU / %g MiB / %d pods; pods ", p->node_vcpu,
                  p->node_memory_mib, p->max_pods_per_node);
    shapes_text(p, out);
    nf_buf_printf(out,
                  " of the demand, HPA target %g%%, %g%% may not be evicted; %s; boot %g+-%gs, "
                  "drain %gs, sample every %gs; min %d, max %d, spot %g%%; "
                  "$%g/h on-demand, $%g/h spot, %gs billing minimum; spot reclaimed %.3g%% a month "
                  "(%s on the warning); seed %llu",
                  p->hpa_target_pct, p->unevictable_pct, scaling, p->boot_s, p->boot_jitter_s,
                  p->drain_s, p->sample_s, p->min_nodes, p->max_nodes, p->spot_pct,
                  p->price_on_demand, p->price_spot, p->min_billed_s,
                  100 * -expm1(-p->spot_interruptions_per_hour * 720),
                  p->replace_on_warning ? "replaced" : "pods wait", (unsigned long long)p->seed);
}

/* "120s", or "-" for a schedule that does not decide */
static const char *every(const struct nf_sim_run *run, char buf[24])
{
    if (!(run->interval_s > 0))
        return "-";
    snprintf(buf, 24, "%gs", run->interval_s);
    return buf;
}

/* ---- text ------------------------------------------------------------------------------- */

void nf_sim_write_text(const struct nf_sim_report *r, struct nf_buf *out)
{
    nf_buf_printf(out, "trace  %s: %zu rows, %.1f days, %zu steps of %gs\n", r->trace->file,
                  r->trace->n, r->span_s / 86400.0, r->steps, r->params.sample_s);
    nf_buf_puts(out, "model  ");
    model_line(r, out);
    nf_buf_puts(out, "\n\n");
    nf_buf_printf(out,
                  "%-14s %6s %9s %9s %10s %8s %12s %10s %13s %5s %5s %6s %6s %9s %7s %7s %7s %7s\n",
                  "policy", "every", "cost_usd", "vs_oracle", "node_hours", "nh_vs_or",
                  "overload_min", "unserved%", "pending_pod_s", "ups", "downs", "acts/d", "unsafe",
                  "ttc_p95_s", "acc_U%", "acc_O%", "ts_U%", "ts_O%");
    for (size_t i = 0; i < nrows(r); i++) {
        const struct nf_sim_run *run = run_at(r, i);
        const struct nf_sim_metrics *m = &run->m;
        char ev[24];
        nf_buf_printf(out,
                      "%-14s %6s %9.2f %8.2fx %10.1f %7.2fx %12.1f %10.3f %13.0f %5ld %5ld %6.1f "
                      "%6ld %9.0f %7.1f %7.1f %7.1f %7.1f\n",
                      run->name, every(run, ev), m->cost_usd, m->cost_vs_oracle, m->node_hours,
                      m->node_hours_vs_oracle, m->overload_minutes, 100.0 * m->unserved_fraction,
                      m->pending_pod_seconds, m->scale_ups, m->scale_downs, m->actions_per_day,
                      m->unsafe_removals, m->time_to_capacity_p95_s, m->accuracy_u, m->accuracy_o,
                      m->timeshare_u, m->timeshare_o);
    }
    const struct nf_sim_sweep *sw = r->sweep;
    if (sw == NULL)
        return;
    nf_buf_printf(out, "\nsweep  %s, policy %s (* = on the cost/overload frontier)\n", sw->setting,
                  sw->policy);
    nf_buf_printf(out, "  %-16s %9s %9s %8s %12s %10s\n", "value", "cost_usd", "vs_oracle",
                  "nh_vs_or", "overload_min", "unserved%");
    for (size_t i = 0; i < sw->n; i++) {
        const struct nf_sim_metrics *m = &sw->points[i].m;
        nf_buf_printf(out, "%c %-16s %9.2f %8.2fx %7.2fx %12.1f %10.3f\n",
                      sw->points[i].frontier ? '*' : ' ', sw->points[i].value, m->cost_usd,
                      m->cost_vs_oracle, m->node_hours_vs_oracle, m->overload_minutes,
                      100.0 * m->unserved_fraction);
    }
}

void nf_sim_sweep_frontier(struct nf_sim_sweep *sw)
{
    for (size_t i = 0; i < sw->n; i++) {
        const struct nf_sim_metrics *a = &sw->points[i].m;
        bool beaten = false;
        for (size_t j = 0; j < sw->n && !beaten; j++) {
            const struct nf_sim_metrics *b = &sw->points[j].m;
            beaten = j != i && b->cost_usd <= a->cost_usd &&
                     b->overload_minutes <= a->overload_minutes &&
                     (b->cost_usd < a->cost_usd || b->overload_minutes < a->overload_minutes);
        }
        sw->points[i].frontier = !beaten;
    }
}

/* ---- JSON ------------------------------------------------------------------------------- */

static void jkey(struct nf_buf *out, bool *first, const char *k)
{
    nf_buf_puts(out, *first ? "" : ",");
    *first = false;
    nf_buf_json_str(out, k);
    nf_buf_putc(out, ':');
}

static void jnum(struct nf_buf *out, bool *first, const char *k, double v)
{
    jkey(out, first, k);
    nf_buf_json_num(out, v);
}

static void jstr(struct nf_buf *out, bool *first, const char *k, const char *v)
{
    jkey(out, first, k);
    nf_buf_json_str(out, v);
}

static void jint(struct nf_buf *out, bool *first, const char *k, long long v)
{
    jkey(out, first, k);
    nf_buf_printf(out, "%lld", v);
}

static void json_metrics(const struct nf_sim_run *run, struct nf_buf *out)
{
    const struct nf_sim_metrics *m = &run->m;
    bool f = true;
    nf_buf_putc(out, '{');
    jkey(out, &f, "name");
    nf_buf_json_str(out, run->name);
    jnum(out, &f, "interval_s", run->interval_s);
    jnum(out, &f, "cost_usd", m->cost_usd);
    jnum(out, &f, "cost_vs_oracle", m->cost_vs_oracle);
    jnum(out, &f, "node_hours", m->node_hours);
    jnum(out, &f, "node_hours_vs_oracle", m->node_hours_vs_oracle);
    jnum(out, &f, "spot_node_hours", m->spot_node_hours);
    jnum(out, &f, "overload_minutes", m->overload_minutes);
    jnum(out, &f, "unserved_fraction", m->unserved_fraction);
    jnum(out, &f, "pending_pod_seconds", m->pending_pod_seconds);
    jint(out, &f, "scale_ups", m->scale_ups);
    jint(out, &f, "scale_downs", m->scale_downs);
    jnum(out, &f, "actions_per_day", m->actions_per_day);
    jint(out, &f, "nodes_launched", m->nodes_launched);
    jint(out, &f, "nodes_removed", m->nodes_removed);
    jint(out, &f, "spot_interruptions", m->spot_interruptions);
    jint(out, &f, "interrupted_pods", m->interrupted_pods);
    jint(out, &f, "warnings_acted_on", m->warnings_acted_on);
    jint(out, &f, "unsafe_removals", m->unsafe_removals);
    jint(out, &f, "evictions", m->evictions);
    jnum(out, &f, "time_to_capacity_p95_s", m->time_to_capacity_p95_s);
    jint(out, &f, "shortfall_episodes", m->shortfall_episodes);
    jnum(out, &f, "accuracy_u", m->accuracy_u);
    jnum(out, &f, "accuracy_o", m->accuracy_o);
    jnum(out, &f, "timeshare_u", m->timeshare_u);
    jnum(out, &f, "timeshare_o", m->timeshare_o);
    nf_buf_putc(out, '}');
}

/* the model's numbers, every one the report was made with */
static void json_params(const struct nf_sim_report *r, struct nf_buf *out)
{
    const struct nf_sim_params *p = &r->params;
    bool f = true;
    jnum(out, &f, "node_vcpu", p->node_vcpu);
    jnum(out, &f, "node_memory_mib", p->node_memory_mib);
    jint(out, &f, "max_pods_per_node", p->max_pods_per_node);
    jkey(out, &f, "pod_shapes");
    nf_buf_putc(out, '[');
    for (int k = 0; k < p->nshapes; k++)
        nf_buf_printf(out, "%s{\"cpu\":%.17g,\"memory_mib\":%.17g,\"share_pct\":%.17g}",
                      k ? "," : "", p->shapes[k].cpu, p->shapes[k].memory_mib,
                      p->shapes[k].share_pct);
    nf_buf_putc(out, ']');
    jnum(out, &f, "unevictable_pct", p->unevictable_pct);
    jnum(out, &f, "hpa_target_pct", p->hpa_target_pct);
    jint(out, &f, "peak_nodes", p->peak_nodes);
    jnum(out, &f, "boot_s", p->boot_s);
    jnum(out, &f, "boot_jitter_s", p->boot_jitter_s);
    jnum(out, &f, "drain_s", p->drain_s);
    jnum(out, &f, "interval_s", p->interval_s);
    jnum(out, &f, "sample_s", p->sample_s);
    jnum(out, &f, "price_on_demand_per_hour", p->price_on_demand);
    jnum(out, &f, "price_spot_per_hour", p->price_spot);
    jnum(out, &f, "min_billed_s", p->min_billed_s);
    jnum(out, &f, "spot_interruptions_per_hour", p->spot_interruptions_per_hour);
    jnum(out, &f, "spot_warning_s", p->spot_warning_s);
    jstr(out, &f, "interruption_response", p->replace_on_warning ? "replace" : "wait");
    jint(out, &f, "min_nodes", p->min_nodes);
    jint(out, &f, "max_nodes", p->max_nodes);
    jnum(out, &f, "spot_percentage", p->spot_pct);
    jint(out, &f, "seed", (long long)p->seed);
    jint(out, &f, "steps", (long long)r->steps);
}

void nf_sim_write_json(const struct nf_sim_report *r, struct nf_buf *out)
{
    const struct nf_sim_params *p = &r->params;
    const struct nf_trace *tr = r->trace;
    bool f = true;
    nf_buf_puts(out, "{\"trace\":{");
    jkey(out, &f, "file");
    nf_buf_json_str(out, tr->file);
    jint(out, &f, "rows", (long long)tr->n);
    jnum(out, &f, "start_s", tr->t[0]);
    jnum(out, &f, "end_s", tr->end);
    jnum(out, &f, "span_s", r->span_s);
    jnum(out, &f, "first_interval_s", tr->t[1] - tr->t[0]);
    jnum(out, &f, "mean", r->trace_mean);
    jnum(out, &f, "max", r->trace_max);
    jnum(out, &f, "peak_percentile", p->peak_percentile);
    jnum(out, &f, "peak_percentile_value", r->trace_percentile_value);
    jnum(out, &f, "vcpu_per_unit", r->scale);
    jkey(out, &f, "scaled_to_peak_nodes");
    nf_buf_puts(out, p->fixed_scale > 0 ? "false" : "true");
    nf_buf_puts(out, "},\"params\":{");
    json_params(r, out);
    nf_buf_puts(out, "},\"oracle\":");
    json_metrics(&r->oracle, out);
    if (r->actual != NULL) {
        nf_buf_puts(out, ",\"actual\":");
        json_metrics(r->actual, out);
    }
    nf_buf_puts(out, ",\"policies\":[");
    for (size_t i = 0; i < r->nruns; i++) {
        if (i)
            nf_buf_putc(out, ',');
        json_metrics(&r->runs[i], out);
    }
    nf_buf_putc(out, ']');
    const struct nf_sim_sweep *sw = r->sweep;
    if (sw != NULL) {
        nf_buf_puts(out, ",\"sweep\":{\"setting\":");
        nf_buf_json_str(out, sw->setting);
        nf_buf_puts(out, ",\"policy\":");
        nf_buf_json_str(out, sw->policy);
        nf_buf_puts(out, ",\"points\":[");
        for (size_t i = 0; i < sw->n; i++) {
            const struct nf_sim_metrics *m = &sw->points[i].m;
            f = true;
            nf_buf_puts(out, i ? ",{" : "{");
            jkey(out, &f, "value");
            nf_buf_json_str(out, sw->points[i].value);
            jnum(out, &f, "cost_usd", m->cost_usd);
            jnum(out, &f, "cost_vs_oracle", m->cost_vs_oracle);
            jnum(out, &f, "node_hours_vs_oracle", m->node_hours_vs_oracle);
            jnum(out, &f, "overload_minutes", m->overload_minutes);
            jnum(out, &f, "unserved_fraction", m->unserved_fraction);
            jint(out, &f, "unsafe_removals", m->unsafe_removals);
            jkey(out, &f, "frontier");
            nf_buf_puts(out, sw->points[i].frontier ? "true}" : "false}");
        }
        nf_buf_puts(out, "],\"frontier\":[");
        bool first = true;
        for (size_t i = 0; i < sw->n; i++)
            if (sw->points[i].frontier) {
                nf_buf_puts(out, first ? "" : ",");
                nf_buf_json_str(out, sw->points[i].value);
                first = false;
            }
        nf_buf_puts(out, "]}");
    }
    nf_buf_puts(out, "}\n");
}

/* ---- HTML --------------------------------------------------------------------------------- */

#define CHART_W 960.0
#define CHART_H 240.0
#define PAD_L   44.0
#define PAD_B   26.0
#define PAD_T   10.0

static const char *const colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                      "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};

static const char *row_colour(const struct nf_sim_report *r, size_t i)
{
    if (i == 0)
        return "#999";
    if (r->actual != NULL && i == 1)
        return "#000";
    return colours[(i - 1 - (r->actual != NULL)) % 8];
}

static double plot_x(double i, double n)
{
    return PAD_L + (n > 1 ? i / (n - 1) : 0) * (CHART_W - PAD_L - 8);
}

static double plot_y(double v, double ymax)
{
    return PAD_T + (1.0 - v / ymax) * (CHART_H - PAD_T - PAD_B);
}

static void axes(struct nf_buf *out, double ymax, double span_s, double unit_s, const char *unit)
{
    int ystep = ymax > 20 ? 5 : ymax > 10 ? 2 : 1;
    for (int y = 0; y <= (int)ymax; y += ystep) {
        double py = plot_y(y, ymax);
        nf_buf_printf(out,
                      "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' class='grid'/>"
                      "<text x='%.1f' y='%.1f' class='yl'>%d</text>",
                      PAD_L, py, CHART_W - 8, py, PAD_L - 6, py + 4, y);
    }
    double units = span_s / unit_s;
    int xstep = units > 24 ? (int)ceil(units / 14) : units > 12 ? 2 : 1;
    for (int u = 0; u <= (int)units; u += xstep) {
        double px = PAD_L + (u / units) * (CHART_W - PAD_L - 8);
        nf_buf_printf(out, "<text x='%.1f' y='%.1f' class='xl'>%d%s</text>", px, CHART_H - 8, u,
                      unit);
    }
}

static void polyline_f(struct nf_buf *out, const float *v, size_t n, double ymax,
                       const char *colour, const char *cls)
{
    nf_buf_printf(out, "<polyline class='%s' stroke='%s' points='", cls, colour);
    for (size_t i = 0; i < n; i++)
        nf_buf_printf(out, "%.1f,%.1f ", plot_x((double)i, (double)n), plot_y(v[i], ymax));
    nf_buf_puts(out, "'/>");
}

/* a step line for integer series at full resolution, with only the corners emitted */
static void steps_u16(struct nf_buf *out, const uint16_t *v, size_t n, double ymax,
                      const char *colour, const char *cls)
{
    nf_buf_printf(out, "<polyline class='%s' stroke='%s' points='", cls, colour);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && v[i] != v[i - 1])
            nf_buf_printf(out, "%.1f,%.1f ", plot_x((double)i, (double)n), plot_y(v[i - 1], ymax));
        if (i == 0 || i + 1 == n || v[i] != v[i - 1])
            nf_buf_printf(out, "%.1f,%.1f ", plot_x((double)i, (double)n), plot_y(v[i], ymax));
    }
    nf_buf_puts(out, "'/>");
}

static double chart_ymax(const struct nf_sim_report *r)
{
    double m = r->params.max_nodes;
    for (size_t b = 0; b < r->nbuckets; b++)
        if (r->demand_max[b] > m)
            m = r->demand_max[b];
    for (size_t i = 0; i < r->nruns; i++)
        for (size_t b = 0; b < r->nbuckets; b++)
            if (r->runs[i].supply_mean[b] > m)
                m = r->runs[i].supply_mean[b];
    return ceil(m) + 1;
}

static void overview_chart(const struct nf_sim_report *r, const struct nf_sim_run *run,
                           const char *colour, struct nf_buf *out)
{
    double ymax = chart_ymax(r);
    nf_buf_printf(out,
                  "<figure><figcaption>%s: Ready workers (line) against workers needed "
                  "(grey: bucket mean; light: bucket peak), whole trace</figcaption>",
                  run->name);
    nf_buf_printf(out, "<svg viewBox='0 0 %.0f %.0f' role='img' aria-label='", CHART_W, CHART_H);
    nf_buf_html(out, run->name);
    nf_buf_puts(out, " capacity chart'>");
    axes(out, ymax, r->span_s, 86400, "d");
    polyline_f(out, r->demand_max, r->nbuckets, ymax, "#bbb", "peak");
    polyline_f(out, r->demand_mean, r->nbuckets, ymax, "#666", "need");
    polyline_f(out, run->supply_mean, r->nbuckets, ymax, colour, "supply");
    nf_buf_puts(out, "</svg></figure>\n");
}

static void zoom_chart(const struct nf_sim_report *r, struct nf_buf *out)
{
    if (r->zoom_n < 2)
        return;
    double ymax = r->params.max_nodes;
    for (size_t i = 0; i < r->zoom_n; i++)
        if (r->zoom_demand[i] > ymax)
            ymax = r->zoom_demand[i];
    ymax = ceil(ymax) + 1;
    nf_buf_printf(out,
                  "<figure><figcaption>The busiest day, step by step: workers needed (black) "
                  "and Ready workers per policy, from day %.2f</figcaption>",
                  r->zoom_start / 86400.0);
    nf_buf_printf(out, "<svg viewBox='0 0 %.0f %.0f' role='img' aria-label='zoom chart'>", CHART_W,
                  CHART_H);
    axes(out, ymax, (double)r->zoom_n * r->params.sample_s, 3600, "h");
    steps_u16(out, r->zoom_demand, r->zoom_n, ymax, "#000", "need");
    for (size_t i = 0; i < r->nruns; i++)
        steps_u16(out, r->runs[i].zoom_supply, r->zoom_n, ymax, colours[i % 8], "supply");
    if (r->actual != NULL)
        steps_u16(out, r->actual->zoom_supply, r->zoom_n, ymax, "#e6a000", "oracle");
    /* the oracle is "needed" clamped to min/max: drawing it again only adds noise */
    nf_buf_puts(out, "</svg><p class='legend'><span style='color:#000'>&#9632; needed "
                     "(the oracle follows it within min and max)</span> ");
    if (r->actual != NULL)
        nf_buf_puts(out, "<span style='color:#e6a000'>&#9632; actual (dashed)</span> ");
    for (size_t i = 0; i < r->nruns; i++) {
        nf_buf_printf(out, "<span style='color:%s'>&#9632; ", colours[i % 8]);
        nf_buf_html(out, r->runs[i].name);
        nf_buf_puts(out, "</span> ");
    }
    nf_buf_puts(out, "</p></figure>\n");
}

static void cost_bars(const struct nf_sim_report *r, struct nf_buf *out)
{
    double mx = 0;
    for (size_t i = 0; i < nrows(r); i++)
        if (run_at(r, i)->m.cost_usd > mx)
            mx = run_at(r, i)->m.cost_usd;
    if (mx <= 0)
        mx = 1;
    double bar_h = 26, h = bar_h * (double)nrows(r) + 10;
    nf_buf_printf(out,
                  "<figure><figcaption>Cost over the trace (USD)</figcaption>"
                  "<svg viewBox='0 0 %.0f %.0f' role='img' aria-label='cost bars'>",
                  CHART_W, h);
    for (size_t i = 0; i < nrows(r); i++) {
        const struct nf_sim_run *run = run_at(r, i);
        double w = run->m.cost_usd / mx * (CHART_W - 320);
        double y = 5 + (double)i * bar_h;
        const char *col = row_colour(r, i);
        nf_buf_printf(out, "<text x='150' y='%.1f' class='bl'>", y + 17);
        nf_buf_html(out, run->name);
        nf_buf_printf(out,
                      "</text><rect x='160' y='%.1f' width='%.1f' height='%.1f' fill='%s'/>"
                      "<text x='%.1f' y='%.1f' class='bv'>$%.2f (%.2fx oracle)</text>",
                      y + 3, w, bar_h - 8, col, 166 + w, y + 17, run->m.cost_usd,
                      run->m.cost_vs_oracle);
    }
    nf_buf_puts(out, "</svg></figure>\n");
}

static void html_table(const struct nf_sim_report *r, struct nf_buf *out)
{
    nf_buf_puts(out, "<table><thead><tr><th>policy</th><th>every</th><th>cost USD</th>"
                     "<th>vs oracle</th><th>node-hours</th><th>vs oracle</th>"
                     "<th>overload min</th><th>unserved %</th>"
                     "<th>pending pod-s</th><th>scale-ups</th><th>scale-downs</th>"
                     "<th>unsafe removals</th>"
                     "<th>time to capacity p95 s</th><th>accuracy U %</th>"
                     "<th>accuracy O %</th><th>timeshare U %</th><th>timeshare O %</th>"
                     "</tr></thead><tbody>");
    for (size_t i = 0; i < nrows(r); i++) {
        const struct nf_sim_run *run = run_at(r, i);
        const struct nf_sim_metrics *m = &run->m;
        char ev[24];
        nf_buf_puts(out, "<tr><td>");
        nf_buf_html(out, run->name);
        nf_buf_printf(out,
                      "</td><td>%s</td><td>%.2f</td><td>%.2fx</td><td>%.1f</td><td>%.2fx</td>"
                      "<td>%.1f</td><td>%.3f</td><td>%.0f</td><td>%ld</td><td>%ld</td>"
                      "<td>%ld</td><td>%.0f</td><td>%.1f</td><td>%.1f</td><td>%.1f</td>"
                      "<td>%.1f</td></tr>",
                      every(run, ev), m->cost_usd, m->cost_vs_oracle, m->node_hours,
                      m->node_hours_vs_oracle, m->overload_minutes, 100.0 * m->unserved_fraction,
                      m->pending_pod_seconds, m->scale_ups, m->scale_downs, m->unsafe_removals,
                      m->time_to_capacity_p95_s, m->accuracy_u, m->accuracy_o, m->timeshare_u,
                      m->timeshare_o);
    }
    nf_buf_puts(out, "</tbody></table>\n");
}

/* cost (y) against overload minutes (x), one dot per value, the frontier joined */
static void sweep_chart(const struct nf_sim_sweep *sw, struct nf_buf *out)
{
    double xmax = 1, ymax = 0.01;
    for (size_t i = 0; i < sw->n; i++) {
        if (sw->points[i].m.overload_minutes > xmax)
            xmax = sw->points[i].m.overload_minutes;
        if (sw->points[i].m.cost_usd > ymax)
            ymax = sw->points[i].m.cost_usd;
    }
    xmax *= 1.1;
    ymax *= 1.1;
    nf_buf_puts(out, "<h2>What headroom costs: ");
    nf_buf_html(out, sw->setting);
    nf_buf_puts(out, " for ");
    nf_buf_html(out, sw->policy);
    nf_buf_printf(out,
                  "</h2>\n<figure><figcaption>Cost (USD, up) against overload (minutes, right), "
                  "one dot per value; the line joins those no other beats on both"
                  "</figcaption><svg viewBox='0 0 %.0f %.0f' role='img' aria-label='sweep'>",
                  CHART_W, CHART_H);
    double x0 = PAD_L, w = CHART_W - PAD_L - 20, h = CHART_H - PAD_B - PAD_T;
    nf_buf_printf(out,
                  "<line class='grid' x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f'/>"
                  "<line class='grid' x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f'/>"
                  "<text class='yl' x='%.1f' y='%.1f'>$%.2f</text>"
                  "<text class='xl' x='%.1f' y='%.1f'>%.0f min</text>",
                  x0, PAD_T + h, x0 + w, PAD_T + h, x0, PAD_T, x0, PAD_T + h, x0 - 4, PAD_T + 10,
                  ymax, x0 + w - 30, CHART_H - 6, xmax);
    nf_buf_puts(out, "<polyline class='frontier' stroke='#d62728' points='");
    /* the frontier in order of overload */
    bool done[NF_SIM_SWEEP_MAX] = {false};
    for (;;) {
        long best = -1;
        for (size_t i = 0; i < sw->n; i++)
            if (sw->points[i].frontier && !done[i] &&
                (best < 0 ||
                 sw->points[i].m.overload_minutes < sw->points[best].m.overload_minutes))
                best = (long)i;
        if (best < 0)
            break;
        done[best] = true;
        nf_buf_printf(out, "%.1f,%.1f ", x0 + w * sw->points[best].m.overload_minutes / xmax,
                      PAD_T + h - h * sw->points[best].m.cost_usd / ymax);
    }
    nf_buf_puts(out, "'/>");
    for (size_t i = 0; i < sw->n; i++) {
        double x = x0 + w * sw->points[i].m.overload_minutes / xmax;
        double y = PAD_T + h - h * sw->points[i].m.cost_usd / ymax;
        nf_buf_printf(out,
                      "<circle cx='%.1f' cy='%.1f' r='4' fill='%s'/><text class='bv' "
                      "x='%.1f' y='%.1f'>",
                      x, y, sw->points[i].frontier ? "#d62728" : "#999", x + 6, y - 6);
        nf_buf_html(out, sw->points[i].value);
        nf_buf_puts(out, "</text>");
    }
    nf_buf_puts(out, "</svg></figure>\n");
}

void nf_sim_write_html(const struct nf_sim_report *r, struct nf_buf *out)
{
    nf_buf_puts(out,
                "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
                "<meta name='viewport' content='width=device-width, initial-scale=1'>"
                "<title>nodefleet simulation report</title><style>"
                "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1000px;"
                "padding:0 1em;color:#222}"
                "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}"
                "table{border-collapse:collapse;font-size:13px;width:100%}"
                "th,td{border:1px solid #ddd;padding:4px 6px;text-align:right}"
                "th:first-child,td:first-child{text-align:left}thead{background:#f4f4f4}"
                "figure{margin:1.2em 0}figcaption{font-weight:600;margin-bottom:.3em}"
                "svg{width:100%;height:auto;background:#fcfcfc;border:1px solid #eee}"
                "polyline{fill:none;stroke-width:1.4}polyline.peak{stroke-width:1}"
                "polyline.oracle{stroke-dasharray:4 3}polyline.frontier{stroke-width:1.6}"
                ".grid{stroke:#eee}.yl{font-size:11px;text-anchor:end;fill:#666}"
                ".xl{font-size:11px;text-anchor:middle;fill:#666}"
                ".bl{font-size:13px;text-anchor:end}.bv{font-size:12px;fill:#333}"
                ".legend span{margin-right:1em}code{background:#f4f4f4;padding:0 .2em}"
                "</style></head><body>\n<h1>nodefleet simulation report</h1>\n<p>Trace <code>");
    nf_buf_html(out, r->trace->file);
    nf_buf_printf(out, "</code>: %zu rows over %.1f days, replayed in %zu steps of %gs.</p>\n",
                  r->trace->n, r->span_s / 86400.0, r->steps, r->params.sample_s);
    nf_buf_puts(out, "<p>Model: ");
    struct nf_buf tmp;
    nf_buf_init(&tmp, 4096);
    model_line(r, &tmp);
    nf_buf_html(out, tmp.data ? tmp.data : "");
    nf_buf_free(&tmp);
    nf_buf_puts(out, ".</p>\n<h2>Scores</h2>\n");
    html_table(r, out);
    nf_buf_puts(out,
                "<p>The oracle knows the future and boots instantly: exactly the workers "
                "the HPAs' pods need, within min and max, floor(spot% x n) of them spot. "
                "Every policy starts from the same pool and mix. Overload: pods that "
                "want to run do not fit on Ready workers. Accuracy and timeshare are the SPEC "
                "Research Group elasticity metrics: U for under-provisioning, O for over; lower "
                "is better.</p>\n<h2>Cost</h2>\n");
    cost_bars(r, out);
    if (r->sweep != NULL)
        sweep_chart(r->sweep, out);
    nf_buf_puts(out, "<h2>The busiest day</h2>\n");
    zoom_chart(r, out);
    nf_buf_puts(out, "<h2>The whole trace, per policy</h2>\n");
    overview_chart(r, &r->oracle, "#999", out);
    if (r->actual != NULL)
        overview_chart(r, r->actual, "#e6a000", out);
    for (size_t i = 0; i < r->nruns; i++)
        overview_chart(r, &r->runs[i], colours[i % 8], out);
    nf_buf_puts(out, "</body></html>\n");
}
