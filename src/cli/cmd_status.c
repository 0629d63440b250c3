/* cmd_status.c - `nodefleet status` (what the store holds: the lease, in-flight work, the
 * last decisions) and `nodefleet explain` (why the last cycle did or did not scale, and for
 * each node why it may or may not be removed, from a fresh look at the world). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../util/log.h"
#include "../util/timefmt.h"
#include "cli.h"
#include "controller.h"
#include "../util/clock.h"

extern char **environ;

static void when(double t, char out[32])
{
    if (t <= 0 || !isfinite(t))
        snprintf(out, 32, "never");
    else
        nf_format_time(t, out);
}

/* The options, the configuration, and a store that exists: 0, or the exit status. */
/* Text for the terminal goes through here: the state and the API server are not ours to
 * trust, so a control character or a byte that is not UTF-8 is written escaped (\x1b), never
 * raw; each line keeps its newline. */
static void outf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void outf(const char *fmt, ...)
{
    char line[4096], safe[4096 * 4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t n = strlen(line);
    bool nl = n > 0 && line[n - 1] == '\n';
    if (nl)
        line[n - 1] = '\0';
    nf_text_escape(line, safe, sizeof safe);
    fputs(safe, stdout);
    if (nl)
        fputc('\n', stdout);
}

/* "LEAD: $X/h (on-demand $A, spot $B); all on-demand $C/h: N % saved", when it is known */
static void cost_line(const char *lead, double on_demand, double spot, double if_on_demand)
{
    double now_h = on_demand + spot;
    if (isfinite(now_h) && isfinite(if_on_demand) && if_on_demand > 0)
        outf("%s: $%.4f/h (on-demand $%.4f, spot $%.4f); all on-demand $%.4f/h: %.0f %% saved\n",
             lead, now_h, on_demand, spot, if_on_demand, 100 * (1 - now_h / if_on_demand));
}

static int start(struct nf_cli *cli, int argc, char **argv, bool *json, struct nf_config *cfg)
{
    for (int i = 1; i < argc; i++) {
        if (nf_cli_common_opt(cli, argc, argv, &i))
            continue;
        if (strcmp(argv[i], "--json") == 0)
            *json = true;
        else
            return nf_cli_usage_error(cli, "unknown option %s", argv[i]);
    }
    int st = nf_cli_load_config(cli, cfg);
    if (st != 0)
        return st;
    struct nf_err err = {0};
    if (nf_store_check_exists(cfg, &err) != NF_OK) {
        nf_cli_say(cli->cmd, "%s", err.msg);
        return 1;
    }
    /* an SQLite file that is not nodefleet's is refused before anything else is opened */
    if (strncmp(cfg->store, "sqlite:", 7) == 0) {
        struct nf_store_handle h;
        if (nf_store_open(&h, cfg, NF_STORE_READ_ONLY, environ, &err) != NF_OK) {
            nf_cli_say(cli->cmd, "%s", err.msg);
            return nf_err_exit_status(err.code);
        }
        nf_store_close(&h);
    }
    return 0;
}

static void state_json(struct nf_buf *b, const struct nf_store_handle *h, const struct nf_lease *l,
                       const struct nf_state *st, double now)
{
    nf_buf_puts(b, "{\"store\": ");
    nf_buf_json_str(b, h->desc);
    nf_buf_puts(b, ", \"lease\": {\"owner\": ");
    nf_buf_json_str(b, l->owner);
    nf_buf_printf(b, ", \"token\": %lld, \"expiry\": ", l->token);
    nf_buf_json_num(b, l->expiry);
    nf_buf_printf(
        b, ", \"held\": %s}, \"state\": ", l->owner[0] && l->expiry >= now ? "true" : "false");
    nf_state_to_json(st, b);
    nf_buf_puts(b, "}\n");
}

int nf_cmd_status(int argc, char **argv)
{
    struct nf_cli cli = {.cmd = "status"};
    bool json = false;
    struct nf_config cfg;
    int st = start(&cli, argc, argv, &json, &cfg);
    if (st != 0)
        return st;
    struct nf_err err = {0};
    struct nf_store_handle h;
    int rc = nf_store_open(&h, &cfg, NF_STORE_READ_ONLY, environ, &err);
    static struct nf_state s;
    struct nf_lease l = {0};
    if (rc == NF_OK)
        rc = h.port->peek(h.ctx, &l, &err);
    if (rc == NF_OK)
        rc = h.port->load(h.ctx, &s, &err);
    if (rc != NF_OK) {
        nf_cli_say("status", "%s", err.msg);
        if (h.port)
            nf_store_close(&h);
        nf_aws_models_free();
        return nf_err_exit_status(rc);
    }
    double now = floor(nf_wall_now());
    if (json) {
        struct nf_buf b;
        nf_buf_init(&b, 8u << 20);
        state_json(&b, &h, &l, &s, now);
        fputs(b.data, stdout);
        nf_buf_free(&b);
    } else {
        char t1[32], t2[32];
        outf("pool %s (store %s)\n", cfg.cluster_id, h.desc);
        if (l.owner[0] && l.expiry >= now) {
            when(l.expiry, t1);
            outf("lease: held by %s until %s (token %lld)\n", l.owner, t1, l.token);
        } else if (l.owner[0]) {
            when(l.expiry, t1);
            outf("lease: free (last held by %s, expired %s; token %lld)\n", l.owner, t1, l.token);
        } else {
            outf("lease: free (token %lld)\n", l.token);
        }
        when(s.last_scale_up, t1);
        when(s.last_scale_down, t2);
        outf("workers: %d; last scale-up %s, last scale-down %s\n", s.node_count, t1, t2);
        outf("in flight: %d launch(es), %d drain(s)\n", s.nlaunches, s.ndrains);
        for (int i = 0; i < s.nlaunches; i++) {
            when(s.launches[i].launched_at, t1);
            outf("  launch %s since %s: %d worker(s), %d spot; joining:", s.launches[i].intent, t1,
                 s.launches[i].count, s.launches[i].spot);
            for (int k = 0; k < s.launches[i].ninstances; k++)
                outf(" %s", s.launches[i].instances[k]);
            outf("%s\n", s.launches[i].ninstances ? "" : " (not launched yet)");
        }
        for (int i = 0; i < s.ndrains; i++) {
            when(s.drains[i].started_at, t1);
            outf("  drain %s (%s) since %s\n", s.drains[i].node,
                 s.drains[i].instance[0] ? s.drains[i].instance : "no instance", t1);
        }
        outf("since the state began: %lld drain(s) done, %lld aborted, %lld launch failure(s)\n",
             s.drains_done, s.drains_aborted, s.launch_failures);
        for (int i = 0; i < s.nbackoffs; i++) {
            when(s.backoffs[i].until, t1);
            outf("resting (no launches): %s %s%s%s until %s\n", s.backoffs[i].az,
                 s.backoffs[i].market, s.backoffs[i].type[0] ? " " : "", s.backoffs[i].type, t1);
        }
        cost_line("cost at the last cycle", s.cost_on_demand, s.cost_spot, s.cost_if_on_demand);
        for (int i = 0; i < s.ninterrupts; i++) {
            when(s.interrupts[i].seen_at, t1);
            outf("interruption acted on: %s %s at %s (event %s)\n", s.interrupts[i].kind,
                 s.interrupts[i].instance, t1, s.interrupts[i].event_id);
        }
        int from = s.ndecisions > 10 ? s.ndecisions - 10 : 0;
        outf("last decisions (newest last):\n");
        for (int i = from; i < s.ndecisions; i++) {
            when(s.decisions[i].t, t1);
            outf("  %s  %-10s %d  %-20s %s\n", t1, s.decisions[i].action, s.decisions[i].nodes,
                 s.decisions[i].code, s.decisions[i].reason);
        }
        if (s.ndecisions == 0)
            outf("  none yet\n");
    }
    nf_store_close(&h);
    nf_aws_models_free();
    return 0;
}

/* explain --json: the decision now, its trail, the workers and instances counted, the last
 * recorded decision, and every node's verdict. */
static void explain_json(const struct nf_controller *ctl, const struct nf_plan *plan)
{
    const struct nf_cycle_report *cy = nf_cycle_last(ctl->cycle);
    const struct nf_state *s = cy->state;
    struct nf_buf b;
    nf_buf_init(&b, 8u << 20);
    nf_buf_printf(&b, "{\"now\": {\"action\": \"%s\", \"nodes\": %d, \"rule\": ",
                  nf_action_name(plan->action), plan->nodes);
    nf_buf_json_str(&b, nf_plan_code(plan));
    nf_buf_puts(&b, ", \"reason\": ");
    nf_buf_json_str(&b, plan->reason);
    nf_buf_puts(&b, ", \"trail\": [");
    for (size_t i = 0; i < plan->ntrail; i++) {
        nf_buf_printf(&b, "%s{\"rule\": ", i ? ", " : "");
        nf_buf_json_str(&b, plan->trail[i].rule);
        nf_buf_printf(
            &b, ", \"status\": \"%s\", \"detail\": ", nf_trail_status_name(plan->trail[i].status));
        nf_buf_json_str(&b, plan->trail[i].detail);
        nf_buf_puts(&b, "}");
    }
    nf_buf_printf(&b,
                  "], \"workers\": {\"ready\": %d, \"joining\": %d, \"draining\": %d}, "
                  "\"incomplete\": ",
                  cy->workers.ready, cy->workers.joining, cy->workers.draining);
    nf_buf_json_str(&b, cy->incomplete_why);
    nf_buf_printf(&b, ", \"unhostable_pods\": %d, \"unhostable_why\": ", cy->unhostable_pods);
    nf_buf_json_str(&b, cy->unhostable_why);
    nf_buf_puts(&b, "}, \"last\": ");
    if (s->ndecisions > 0) {
        const struct nf_decision_rec *d = &s->decisions[s->ndecisions - 1];
        nf_buf_printf(&b, "{\"t\": %.3f, \"action\": ", d->t);
        nf_buf_json_str(&b, d->action);
        nf_buf_printf(&b, ", \"nodes\": %d, \"rule\": ", d->nodes);
        nf_buf_json_str(&b, d->code);
        nf_buf_puts(&b, ", \"reason\": ");
        nf_buf_json_str(&b, d->reason);
        nf_buf_puts(&b, "}");
    } else {
        nf_buf_puts(&b, "null");
    }
    nf_buf_puts(&b, ", \"instances\": [");
    for (size_t i = 0; i < cy->ninstances; i++) {
        const struct nf_instance *in = &cy->instances[i];
        nf_buf_puts(&b, i ? ", {\"id\": " : "{\"id\": ");
        nf_buf_json_str(&b, in->id);
        nf_buf_puts(&b, ", \"zone\": ");
        nf_buf_json_str(&b, in->az);
        nf_buf_printf(&b, ", \"market\": \"%s\", \"type\": ", nf_market_name(in->market));
        nf_buf_json_str(&b, in->type);
        nf_buf_puts(&b, ", \"state\": ");
        nf_buf_json_str(&b, in->state);
        nf_buf_puts(&b, "}");
    }
    nf_buf_puts(&b, "], \"cost_per_hour\": {\"on_demand\": ");
    nf_buf_json_num(&b, cy->cost_per_hour[0]);
    nf_buf_puts(&b, ", \"spot\": ");
    nf_buf_json_num(&b, cy->cost_per_hour[1]);
    nf_buf_puts(&b, ", \"if_all_on_demand\": ");
    nf_buf_json_num(&b, cy->cost_if_on_demand);
    nf_buf_puts(&b, "}, \"interrupts\": [");
    for (int i = 0; i < s->ninterrupts; i++) {
        nf_buf_puts(&b, i ? ", {\"instance\": " : "{\"instance\": ");
        nf_buf_json_str(&b, s->interrupts[i].instance);
        nf_buf_puts(&b, ", \"kind\": ");
        nf_buf_json_str(&b, s->interrupts[i].kind);
        nf_buf_puts(&b, ", \"event\": ");
        nf_buf_json_str(&b, s->interrupts[i].event_id);
        nf_buf_printf(&b, ", \"seen_at\": %.3f}", s->interrupts[i].seen_at);
    }
    nf_buf_puts(&b, "]");
    nf_buf_puts(&b, ", \"nodes\": [");
    for (size_t i = 0; i < cy->view.nnodes; i++) {
        const struct nf_node_info *n = &cy->view.nodes[i];
        nf_buf_puts(&b, i ? ", {\"name\": " : "{\"name\": ");
        nf_buf_json_str(&b, n->name);
        nf_buf_printf(&b, ", \"may_go\": %s, \"why_not\": ", n->why_not[0] ? "false" : "true");
        nf_buf_json_str(&b, n->why_not);
        nf_buf_puts(&b, "}");
    }
    nf_buf_puts(&b, "]}\n");
    fputs(b.data, stdout);
    nf_buf_free(&b);
}

/* explain: the same as text, rule by rule and node by node. */
static void explain_text(const struct nf_controller *ctl, const struct nf_config *cfg,
                         const struct nf_plan *plan)
{
    const struct nf_cycle_report *cy = nf_cycle_last(ctl->cycle);
    const struct nf_state *s = cy->state;
    char t1[32];
    if (s->ndecisions > 0) {
        const struct nf_decision_rec *d = &s->decisions[s->ndecisions - 1];
        when(d->t, t1);
        outf("last cycle (%s): %s %d - %s\n", t1, d->action, d->nodes, d->reason);
    } else {
        outf("last cycle: none recorded in %s\n", ctl->store.desc);
    }
    outf("now it would: %s %d - %s\n", nf_action_name(plan->action), plan->nodes, plan->reason);
    if (cy->incomplete_why[0])
        outf("the observation is incomplete (so no scale-down): %s\n", cy->incomplete_why);
    outf("workers: %d ready, %d joining, %d draining; pending pods (scheduler): %d\n",
         cy->workers.ready, cy->workers.joining, cy->workers.draining, cy->view.pending_pods);
    if (cy->unhostable_pods > 0)
        outf("pending pods no new worker could host (not bought for): %d - %s\n",
             cy->unhostable_pods, cy->unhostable_why);
    outf("\nwhy, rule by rule:\n");
    for (size_t i = 0; i < plan->ntrail; i++)
        outf("  %-20s %-9s %s\n", plan->trail[i].rule, nf_trail_status_name(plan->trail[i].status),
             plan->trail[i].detail);
    if (cy->have_cloud) {
        outf("\ninstances counted (carrying every tag of aws.pool_tags = %s):\n",
             cfg->aws_pool_tags);
        for (size_t i = 0; i < cy->ninstances; i++)
            outf("  %-20s %-12s %-9s %-12s %s\n", cy->instances[i].id, cy->instances[i].az,
                 nf_market_name(cy->instances[i].market),
                 cy->instances[i].type[0] ? cy->instances[i].type : "-", cy->instances[i].state);
        if (cy->ninstances == 0)
            outf("  none\n");
        cost_line("cost", cy->cost_per_hour[NF_MARKET_ON_DEMAND], cy->cost_per_hour[NF_MARKET_SPOT],
                  cy->cost_if_on_demand);
    }
    if (s->ninterrupts > 0) {
        outf("\ninterruption events acted on (the last hour's):\n");
        for (int i = 0; i < s->ninterrupts; i++) {
            when(s->interrupts[i].seen_at, t1);
            outf("  %s  %-18s %-20s %s\n", t1, s->interrupts[i].kind, s->interrupts[i].instance,
                 s->interrupts[i].event_id);
        }
    }
    outf("\nnodes:\n");
    for (size_t i = 0; i < cy->view.nnodes; i++) {
        const struct nf_node_info *n = &cy->view.nodes[i];
        double since = NAN; /* the default policy's timer, when it runs one for the node */
        for (int k = 0; k < s->nunneeded; k++)
            if (strcmp(s->unneeded[k].node, n->name) == 0)
                since = s->unneeded[k].since;
        char timer[96] = "";
        if (isfinite(since))
            snprintf(timer, sizeof timer, " (unneeded for %.0fs of %.0fs)", cy->t - since,
                     cfg->scale_down_unneeded_time);
        outf("  %-30s %s%s\n", n->name,
             n->control_plane ? "server: never removed"
             : n->why_not[0]  ? n->why_not
                              : "may be removed",
             timer);
    }
    /* the demand forecast for the next hour, when the history has a day of it */
    if (s->demand.n > 0) {
        outf("\ndemand (cores the pods request): now %.2f; forecast",
             nf_demand_at(&s->demand, cy->t));
        for (int m = 15; m <= 60; m += 15) {
            double f = nf_demand_forecast(&s->demand, cy->t, cy->t + 60.0 * m);
            if (isnan(f))
                outf(" +%dm unknown", m);
            else
                outf(" +%dm %.2f", m, f);
        }
        outf("\n");
    }
}

int nf_cmd_explain(int argc, char **argv)
{
    struct nf_cli cli = {.cmd = "explain"};
    bool json = false;
    struct nf_config cfg;
    int st = start(&cli, argc, argv, &json, &cfg);
    if (st != 0)
        return st;
    cfg.dry_run = true;     /* look, never touch */
    cfg.kube_watch = false; /* one look: a list */
    nf_log_set_level(NF_LOG_ERROR);
    struct nf_err err = {0};
    static struct nf_controller ctl;
    int rc = nf_controller_open_cli(&cli, &ctl, &cfg);
    if (rc != 0)
        return rc;
    ctl.cycle->log_steps = false;
    ctl.notifier.slack_url[0] = ctl.notifier.sns_topic[0] = '\0'; /* nothing to tell anyone */
    struct nf_plan plan;
    rc = nf_controller_cycle(&ctl, &plan, &err);
    if (rc != NF_OK) {
        nf_cli_say("explain", "%s", err.msg);
        nf_controller_close(&ctl);
        nf_aws_models_free();
        return 1;
    }
    if (json)
        explain_json(&ctl, &plan);
    else
        explain_text(&ctl, &cfg, &plan);
    nf_controller_close(&ctl);
    nf_aws_models_free();
    return 0;
}
