/* status_page.c - the status page: HTML and inline SVG, rendered after each cycle. */
#define _POSIX_C_SOURCE 200809L
#include "status_page.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/timefmt.h"
#include "controller.h"

#define RING     8640 /* a day at 10-second cycles */
#define DAY_S    86400.0
#define PAGE_MAX (8u << 20)

struct nf_status_page {
    pthread_mutex_t mu;
    struct nf_buf page; /* the newest, under mu */
    double t[RING];
    float nodes[RING], cpu[RING], pending[RING];
    size_t head, n; /* oldest at head */
};

struct nf_status_page *nf_status_page_new(void)
{
    struct nf_status_page *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    nf_buf_init(&p->page, PAGE_MAX);
    nf_buf_puts(&p->page, "<!doctype html><title>nodefleet</title><p>starting: no cycle yet");
    return p;
}

void nf_status_page_free(struct nf_status_page *p)
{
    if (p == NULL)
        return;
    nf_buf_free(&p->page);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

void nf_status_page_render(void *ctx, struct nf_buf *out)
{
    struct nf_status_page *p = ctx;
    pthread_mutex_lock(&p->mu);
    nf_buf_append(out, p->page.data ? p->page.data : "", p->page.len);
    pthread_mutex_unlock(&p->mu);
}

/* ---- pieces ----------------------------------------------------------------------------- */

static void esc(struct nf_buf *b, const char *s)
{
    nf_buf_html(b, s ? s : "");
}

static void when(struct nf_buf *b, double t)
{
    char s[32];
    if (t <= 0 || !isfinite(t)) {
        nf_buf_puts(b, "never");
        return;
    }
    nf_format_time(t, s);
    nf_buf_puts(b, s);
}

static void age(struct nf_buf *b, double now, double t)
{
    if (t <= 0 || !isfinite(t)) {
        nf_buf_puts(b, "-");
        return;
    }
    double a = now - t;
    if (a < 120)
        nf_buf_printf(b, "%.0fs", a);
    else if (a < 7200)
        nf_buf_printf(b, "%.0fm", a / 60);
    else if (a < 172800)
        nf_buf_printf(b, "%.1fh", a / 3600);
    else
        nf_buf_printf(b, "%.1fd", a / 86400);
}

/* One chart: a line over the last 24 h, with its range. */
static void chart(struct nf_buf *b, const char *id, const char *title, double now, const double *t,
                  const float *v, size_t n, bool step)
{
    const double W = 720, H = 110, L = 44, B = 18;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]) && t[i] >= now - DAY_S) {
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
    if (!isfinite(lo)) {
        lo = 0;
        hi = 1;
    }
    if (lo > 0)
        lo = 0;
    if (hi <= lo)
        hi = lo + 1;
    nf_buf_printf(b,
                  "<figure><figcaption>%s</figcaption><svg id=\"%s\" viewBox=\"0 0 %.0f %.0f\" "
                  "width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"%s, last 24 "
                  "hours\">",
                  title, id, W + L, H + B, W + L, H + B, title);
    nf_buf_printf(b, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" class=\"axis\"/>", L, H,
                  W + L, H);
    nf_buf_printf(b, "<text x=\"2\" y=\"12\">%.4g</text><text x=\"2\" y=\"%.0f\">%.4g</text>", hi,
                  H, lo);
    nf_buf_printf(b,
                  "<text x=\"%.0f\" y=\"%.0f\">-24h</text><text x=\"%.0f\" y=\"%.0f\">-12h"
                  "</text><text x=\"%.0f\" y=\"%.0f\">now</text>",
                  L, H + B - 3, L + W / 2 - 12, H + B - 3, L + W - 24, H + B - 3);
    nf_buf_puts(b, "<polyline class=\"line\" points=\"");
    double prev_y = NAN;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]) || t[i] < now - DAY_S)
            continue;
        double x = L + W * (t[i] - (now - DAY_S)) / DAY_S;
        double y = H - (H - 4) * (v[i] - lo) / (hi - lo);
        if (step && isfinite(prev_y))
            nf_buf_printf(b, "%.1f,%.1f ", x, prev_y);
        nf_buf_printf(b, "%.1f,%.1f ", x, y);
        prev_y = y;
    }
    nf_buf_puts(b, "\"/></svg></figure>");
}

static const char style[] =
    "<style>body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d232a}"
    "h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.4em 0 .4em}"
    "table{border-collapse:collapse}td,th{padding:.2em .7em;border-bottom:1px solid #dde2e8;"
    "text-align:left;vertical-align:top}th{background:#f2f4f7}"
    ".ok{color:#17753a}.bad{color:#b42318}.muted{color:#667085}"
    "figure{margin:.4em 0}figcaption{font-weight:600}svg text{font-size:11px;fill:#667085}"
    ".axis{stroke:#c6ccd4}.line{fill:none;stroke:#2e64c6;stroke-width:1.6}"
    ".summary span{display:inline-block;margin-right:1.4em}</style>";

/* the page head: pool, last cycle, warnings, summary counts and the last decision */
static void page_head(const struct nf_controller *c, int rc, struct nf_buf *b)
{
    const struct nf_cycle_report *cy = nf_cycle_last(c->cycle);
    double now = cy->t;
    nf_buf_puts(b, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta http-equiv=\"refresh\" content=\"30\"><title>nodefleet: ");
    esc(b, c->cfg.cluster_id);
    nf_buf_puts(b, "</title>");
    nf_buf_puts(b, style);
    nf_buf_puts(b, "</head><body><h1 id=\"pool\">nodefleet &middot; pool ");
    esc(b, c->cfg.cluster_id);
    nf_buf_puts(b, "</h1><p class=\"muted\">last cycle ");
    when(b, now);
    nf_buf_puts(b, rc == NF_OK ? " &middot; <span class=\"ok\">ok</span>"
                               : " &middot; <span class=\"bad\">failed</span>");
    if (c->cfg.dry_run)
        nf_buf_puts(b, " &middot; <b>dry run</b>: nothing is done, only said");
    nf_buf_puts(b, " &middot; policy ");
    esc(b, c->pol.name);
    nf_buf_puts(b, " &middot; store ");
    esc(b, c->store.desc);
    nf_buf_puts(b, "</p>");
    if (cy->lease_note[0]) {
        nf_buf_puts(b, "<p class=\"bad\">Another nodefleet holds the lease: ");
        esc(b, cy->lease_note);
        nf_buf_puts(b, "</p>");
    }
    if (cy->unhostable_pods > 0) {
        nf_buf_printf(b,
                      "<p class=\"bad\" id=\"unhostable\">%d pending pod(s) no new worker "
                      "could host (not bought for): ",
                      cy->unhostable_pods);
        esc(b, cy->unhostable_why);
        nf_buf_puts(b, "</p>");
    }
    if (cy->incomplete_why[0]) {
        nf_buf_puts(b, "<p class=\"bad\" id=\"incomplete\">Observation incomplete (no "
                       "scale-down): ");
        esc(b, cy->incomplete_why);
        nf_buf_puts(b, "</p>");
    }
    const struct nf_workers *w = &cy->workers;
    nf_buf_printf(b,
                  "<p class=\"summary\" id=\"summary\"><span><b>%d</b> ready</span><span><b>%d"
                  "</b> joining</span><span><b>%d</b> draining</span><span><b>%d</b> pending "
                  "pods</span>",
                  w->ready, w->joining, w->draining, cy->view.pending_pods);
    if (isfinite(cy->newest[NF_SIG_CPU]))
        nf_buf_printf(b, "<span>CPU <b>%.1f%%</b></span>", cy->newest[NF_SIG_CPU]);
    if (isfinite(cy->newest[NF_SIG_MEMORY]))
        nf_buf_printf(b, "<span>memory <b>%.1f%%</b></span>", cy->newest[NF_SIG_MEMORY]);
    double now_h = cy->cost_per_hour[0] + cy->cost_per_hour[1];
    if (cy->have_cloud && isfinite(now_h) && cy->cost_if_on_demand > 0)
        nf_buf_printf(b,
                      "<span id=\"cost\">cost <b>$%.4f/h</b> (spot $%.4f; all on-demand $%.4f: "
                      "<b>%.0f%%</b> saved)</span>",
                      now_h, cy->cost_per_hour[1], cy->cost_if_on_demand,
                      100 * (1 - now_h / cy->cost_if_on_demand));
    nf_buf_puts(b, "</p>");

    nf_buf_puts(b, "<h2>Last decision</h2><p id=\"decision\"><b>");
    esc(b, nf_action_name(cy->plan.action));
    nf_buf_puts(b, "</b> ");
    esc(b, cy->plan.reason);
    nf_buf_puts(b, "</p>");
    /* every rule's verdict: for the default policy the packing (pending, headroom), the
     * forecast and the consolidation */
    nf_buf_puts(b, "<table id=\"trail\"><tr><th>rule</th><th>verdict</th><th>detail</th></tr>");
    for (size_t i = 0; i < cy->plan.ntrail; i++) {
        const struct nf_trail_entry *e = &cy->plan.trail[i];
        nf_buf_puts(b, "<tr><td>");
        esc(b, e->rule);
        nf_buf_puts(b, "</td><td>");
        esc(b, nf_trail_status_name(e->status));
        nf_buf_puts(b, "</td><td>");
        esc(b, e->detail);
        nf_buf_puts(b, "</td></tr>");
    }
    nf_buf_puts(b, "</table>");
}

/* the default policy's demand forecast for the next hour, in 5-minute steps, when known */
static void page_forecast(const struct nf_cycle_report *cy, struct nf_buf *b)
{
    const struct nf_demand_history *h = &cy->state->demand;
    if (h->n == 0)
        return;
    nf_buf_puts(b, "<h2>Demand</h2><p id=\"forecast\">cores the pods request: now ");
    double now_v = nf_demand_at(h, cy->t);
    if (isfinite(now_v))
        nf_buf_printf(b, "<b>%.2f</b>", now_v);
    else
        nf_buf_puts(b, "-");
    nf_buf_puts(b, "; the next hour, every 5 minutes:");
    bool known = false;
    for (int m = 5; m <= 60; m += 5) {
        double f = nf_demand_forecast(h, cy->t, cy->t + 60.0 * m);
        known |= isfinite(f);
        if (isfinite(f))
            nf_buf_printf(b, " %.2f", f);
        else
            nf_buf_puts(b, " -");
    }
    if (!known)
        nf_buf_puts(b, " <span class=\"muted\">(unknown: less than a day of history)</span>");
    nf_buf_puts(b, "</p>");
}

/* since when the default policy has judged the node unneeded, or NAN */
static double unneeded_since(const struct nf_state *st, const char *node)
{
    for (int k = 0; k < st->nunneeded; k++)
        if (strcmp(st->unneeded[k].node, node) == 0)
            return st->unneeded[k].since;
    return NAN;
}

/* every node the cluster showed, with whether it may go and why not, and (the default
 * policy's) how long it has been unneeded */
static void page_workers(const struct nf_cycle_report *cy, double unneeded_s, struct nf_buf *b)
{
    const struct nf_state *st = cy->state;
    double now = cy->t;
    nf_buf_puts(b, "<h2>Workers</h2><table id=\"nodes\"><tr><th>node</th><th>state</th><th>zone"
                   "</th><th>market</th><th>instance</th><th>age</th><th>may it go?</th>"
                   "<th>unneeded</th></tr>");
    for (size_t i = 0; i < cy->view.nnodes; i++) {
        const struct nf_node_info *nd = &cy->view.nodes[i];
        bool draining = false;
        for (int k = 0; k < st->ndrains; k++)
            draining |= strcmp(st->drains[k].node, nd->name) == 0;
        const char *state = nd->control_plane ? "server"
                            : draining        ? "draining"
                            : nd->cordoned    ? "cordoned"
                            : nd->ready       ? "Ready"
                                              : "NotReady";
        nf_buf_puts(b, "<tr><td>");
        esc(b, nd->name);
        nf_buf_printf(b, "</td><td>%s</td><td>", state);
        esc(b, nd->zone[0] ? nd->zone : "-");
        nf_buf_printf(b, "</td><td>%s</td><td>", nf_market_name(nd->market));
        esc(b, nd->instance[0] ? nd->instance : "-");
        nf_buf_puts(b, "</td><td>");
        age(b, now, nd->created);
        nf_buf_puts(b, "</td><td>");
        if (nd->why_not[0]) {
            nf_buf_puts(b, "<span class=\"bad\">no</span> ");
            esc(b, nd->why_not);
        } else {
            nf_buf_puts(b, "<span class=\"ok\">yes</span>");
        }
        double since = unneeded_since(st, nd->name);
        if (isfinite(since))
            nf_buf_printf(b, "</td><td>for %.0fs of %.0fs", now - since, unneeded_s);
        else
            nf_buf_puts(b, "</td><td class=\"muted\">-");
        nf_buf_puts(b, "</td></tr>");
    }
    nf_buf_puts(b, "</table>");
}

/* one row of "In flight": WHAT NAME | since | LABEL DETAIL */
static void inflight_row(struct nf_buf *b, double now, const char *what, const char *name,
                         double since, const char *label, const char *detail)
{
    nf_buf_puts(b, "<tr><td>");
    esc(b, what);
    nf_buf_puts(b, " ");
    esc(b, name);
    nf_buf_puts(b, "</td><td>");
    age(b, now, since);
    nf_buf_puts(b, "</td><td>");
    esc(b, label);
    esc(b, detail);
    nf_buf_puts(b, "</td></tr>");
}

/* launches, drains and interruption events the state has on record */
static void page_inflight(const struct nf_cycle_report *cy, struct nf_buf *b)
{
    const struct nf_state *st = cy->state;
    double now = cy->t;
    nf_buf_puts(b, "<h2>In flight</h2><table id=\"inflight\"><tr><th>what</th><th>since</th>"
                   "<th>detail</th></tr>");
    for (int i = 0; i < st->nlaunches; i++) {
        const struct nf_launch_rec *l = &st->launches[i];
        nf_buf_puts(b, "<tr><td>launch ");
        esc(b, l->intent);
        nf_buf_puts(b, "</td><td>");
        age(b, now, l->launched_at);
        nf_buf_printf(b, "</td><td>%d worker(s), %d spot; joining:", l->count, l->spot);
        for (int k = 0; k < l->ninstances; k++) {
            nf_buf_puts(b, " ");
            esc(b, l->instances[k]);
        }
        nf_buf_puts(b, "</td></tr>");
    }
    for (int i = 0; i < st->ndrains; i++)
        inflight_row(b, now, "drain", st->drains[i].node, st->drains[i].started_at, "instance ",
                     st->drains[i].instance);
    for (int i = 0; i < st->ninterrupts; i++) /* the events acted on, the last hour's */
        inflight_row(b, now, st->interrupts[i].kind, st->interrupts[i].instance,
                     st->interrupts[i].seen_at, "event ", st->interrupts[i].event_id);
    if (st->nlaunches + st->ndrains + st->ninterrupts == 0)
        nf_buf_puts(b, "<tr><td colspan=\"3\" class=\"muted\">nothing</td></tr>");
    nf_buf_puts(b, "</table>");
}

/* the recorded decisions, newest first, and the lifetime counters */
static void page_decisions(const struct nf_state *st, struct nf_buf *b)
{
    nf_buf_puts(b, "<h2>Decisions</h2><table id=\"decisions\"><tr><th>when</th><th>action</th>"
                   "<th>nodes</th><th>workers before</th><th>rule</th><th>reason</th></tr>");
    for (int i = st->ndecisions - 1; i >= 0; i--) {
        const struct nf_decision_rec *d = &st->decisions[i];
        nf_buf_puts(b, "<tr><td>");
        when(b, d->t);
        nf_buf_puts(b, "</td><td>");
        esc(b, d->action);
        nf_buf_printf(b, "</td><td>%d</td><td>%d</td><td>", d->nodes, d->size_before);
        esc(b, d->code);
        nf_buf_puts(b, "</td><td>");
        esc(b, d->reason);
        nf_buf_puts(b, "</td></tr>");
    }
    nf_buf_printf(b,
                  "</table><p class=\"muted\">since the state began: %lld drain(s) done, %lld "
                  "aborted, %lld launch failure(s)</p></body></html>\n",
                  st->drains_done, st->drains_aborted, st->launch_failures);
}

static void nf_status_page_build(const struct nf_controller *c, int rc, const double *t,
                                 const float *nodes, const float *cpu, const float *pending,
                                 size_t n, struct nf_buf *b)
{
    const struct nf_cycle_report *cy = nf_cycle_last(c->cycle);
    double now = cy->t;
    page_head(c, rc, b);
    page_workers(cy, c->cfg.scale_down_unneeded_time, b);
    page_forecast(cy, b);
    page_inflight(cy, b);
    nf_buf_puts(b, "<h2>Last 24 hours</h2><div id=\"charts\">");
    chart(b, "chart-workers", "Workers", now, t, nodes, n, true);
    chart(b, "chart-cpu", "CPU %", now, t, cpu, n, false);
    chart(b, "chart-pending", "Pending pods", now, t, pending, n, true);
    nf_buf_puts(b, "</div>");
    page_decisions(cy->state, b);
}

void nf_status_page_update(struct nf_status_page *p, const struct nf_controller *c, int rc)
{
    const struct nf_cycle_report *cy = nf_cycle_last(c->cycle);
    size_t at = (p->head + p->n) % RING;
    if (p->n == RING)
        p->head = (p->head + 1) % RING;
    else
        p->n++;
    p->t[at] = cy->t;
    p->nodes[at] = (float)(cy->workers.ready + cy->workers.joining);
    p->cpu[at] = (float)cy->newest[NF_SIG_CPU];
    p->pending[at] = (float)cy->newest[NF_SIG_PENDING_PODS];
    /* the ring in order, for the charts */
    static double t[RING];
    static float nodes[RING], cpu[RING], pending[RING];
    for (size_t i = 0; i < p->n; i++) {
        size_t k = (p->head + i) % RING;
        t[i] = p->t[k];
        nodes[i] = p->nodes[k];
        cpu[i] = p->cpu[k];
        pending[i] = p->pending[k];
    }
    struct nf_buf b;
    nf_buf_init(&b, PAGE_MAX);
    nf_status_page_build(c, rc, t, nodes, cpu, pending, p->n, &b);
    pthread_mutex_lock(&p->mu);
    struct nf_buf old = p->page;
    p->page = b;
    pthread_mutex_unlock(&p->mu);
    nf_buf_free(&old);
}
