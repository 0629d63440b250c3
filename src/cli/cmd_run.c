/* cmd_run.c - `nodefleet run` (the cycle on a timer, with /metrics, /healthz, /readyz and the
 * status page) and `nodefleet once` (one cycle). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../metrics/registry.h"
#include "../server/server.h"
#include "../util/budget.h"
#include "../util/log.h"
#include "../util/parse.h"
#include "cli.h"
#include "controller.h"
#include "status_page.h"
#include "../util/clock.h"

#ifndef NF_VERSION
#define NF_VERSION "dev"
#endif

extern char **environ;

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    reload_requested = 1;
}

/* Sleep until monotonic time `until`, waking early on a stop or reload request. */
static void sleep_until(double until)
{
    while (!stop_requested && !reload_requested) {
        double left = until - nf_mono_now();
        if (left <= 0)
            return;
        if (left > 0.25)
            left = 0.25;
        nf_nap_s(left);
    }
}

/* Between cycles, with an interruption queue and the lease last held: long polls (5 s at a
 * time, so a stop is never kept waiting longer) until `until`; a message ends the wait, so an
 * interruption is handled within seconds rather than at the next interval. A dry run, or a
 * standby (another holds the lease), leaves the queue alone. */
static void wait_for_next(const struct nf_controller *ctl, double until)
{
    const struct nf_cycle_report *cy = nf_cycle_last(ctl->cycle);
    const struct nf_events_port *ev = ctl->cycle->ports.events;
    if (ev == NULL || ev->poll == NULL || ctl->cfg.dry_run || cy->lease_note[0]) {
        sleep_until(until);
        return;
    }
    while (!stop_requested && !reload_requested) {
        double left = until - nf_mono_now();
        if (left < 1) {
            sleep_until(until);
            return;
        }
        if (ev->poll(ctl->cycle->ports.events_ctx, left < 5 ? left : 5)) {
            nf_log(NF_LOG_INFO, "interruption queue: a message, the next cycle now", NF_LF_END);
            return;
        }
    }
}

/* --dry-run, then the common options; `cycles` (may be NULL) takes --cycles N, `deadline`
 * (may be NULL) --deadline DURATION (0 when not given). */
static int parse(struct nf_cli *cli, int argc, char **argv, bool *dry, long long *cycles,
                 double *deadline)
{
    bool cycles_given = false;
    for (int i = 1; i < argc; i++) {
        if (nf_cli_common_opt(cli, argc, argv, &i))
            continue;
        if (strcmp(argv[i], "--dry-run") == 0) {
            *dry = true;
        } else if (deadline && strcmp(argv[i], "--deadline") == 0) {
            const char *v = NULL;
            if (nf_cli_value_once(cli, argc, argv, &i, &v) != 0)
                return 2;
            if (nf_parse_duration(v, strlen(v), deadline, NULL) != NF_OK || !(*deadline > 0) ||
                *deadline > 86400)
                return nf_cli_usage_error(cli, "--deadline needs a duration from 1s to 24h "
                                               "(30s, 2m)");
        } else if (cycles && strcmp(argv[i], "--cycles") == 0) {
            if (cycles_given)
                return nf_cli_usage_error(cli, "--cycles given twice");
            cycles_given = true;
            const char *v = nf_cli_value(cli, argc, argv, &i);
            if (v == NULL)
                return 2;
            if (nf_parse_ll(v, strlen(v), cycles, NULL) != NF_OK || *cycles < 1)
                return nf_cli_usage_error(cli, "--cycles needs a whole number above 0");
        } else {
            return nf_cli_usage_error(cli, "unknown option %s", argv[i]);
        }
    }
    return 0;
}

static int load(const struct nf_cli *cli, bool dry, struct nf_config *cfg, char *problems,
                size_t cap)
{
    int st =
        problems ? nf_cli_load_config_to(cli, cfg, problems, cap) : nf_cli_load_config(cli, cfg);
    if (st == 0 && dry)
        cfg->dry_run = true;
    return st;
}

static void started(const struct nf_controller *c, const char *mode, int port)
{
    char prom[NF_CONFIG_STR_MAX];
    nf_http_redact_url(c->cfg.prometheus_url, prom, sizeof prom);
    nf_log(NF_LOG_INFO, "nodefleet started", NF_LF_STR("version", NF_VERSION),
           NF_LF_STR("mode", mode), NF_LF_STR("policy", c->pol.name),
           NF_LF_STR("cluster_id", c->cfg.cluster_id), NF_LF_NUM("interval_s", c->cfg.interval),
           NF_LF_STR("prometheus", prom), NF_LF_STR("cluster", c->cfg.cluster),
           NF_LF_STR("cloud", c->cfg.cloud), NF_LF_STR("store", c->store.desc),
           NF_LF_BOOL("dry_run", c->cfg.dry_run), NF_LF_STR("listen", c->cfg.server_listen),
           NF_LF_INT("port", port), NF_LF_END);
}

/* After a cycle: the metrics endpoint and the status page. */
/* what the dashboards and alert rules read beside the decision (registry.h) */
static void publish_facts(struct nf_registry *reg, const struct nf_controller *c,
                          const struct nf_cycle_report *cy, int rc)
{
    const struct nf_config *cfg = &c->cfg;
    struct nf_registry_settings rs = {.interval_s = cfg->interval,
                                      .drain_timeout_s = cfg->kube_drain_timeout,
                                      .provision_timeout_s = cfg->provision_timeout,
                                      .min_nodes = (int)cfg->min_nodes,
                                      .max_nodes = (int)cfg->max_nodes};
    nf_registry_settings(reg, &rs);
    struct nf_registry_facts f = {.decided = rc == NF_OK && cy->lease_held && cy->count_known,
                                  .lease_held = cy->lease_held,
                                  .lease_lost = cy->lease_lost,
                                  .deadline_cut = cy->deadline_cut,
                                  .launch_failures = cy->launch_failures,
                                  .join_timeouts = cy->join_timeouts,
                                  .drains_done = cy->drains_done,
                                  .drains_aborted = cy->drains_aborted,
                                  .njoined = cy->njoined,
                                  .joined_s = cy->joined_s,
                                  .pool_known =
                                      cy->lease_held && cy->count_known && cy->state != NULL,
                                  .cost_if_on_demand = cy->cost_if_on_demand};
    if (f.pool_known) {
        f.drains_in_flight = cy->state->ndrains;
        for (int i = 0; i < cy->state->ndrains; i++)
            if (cy->t - cy->state->drains[i].started_at > f.drain_oldest_age_s)
                f.drain_oldest_age_s = cy->t - cy->state->drains[i].started_at;
        for (size_t i = 0; i < cy->ninstances; i++)
            f.instances[cy->instances[i].market == NF_MARKET_SPOT]++;
    }
    nf_registry_facts(reg, &f, cy->t);
}

static void publish(struct nf_registry *reg, struct nf_status_page *page,
                    const struct nf_controller *c, int rc, const struct nf_plan *plan, double t0,
                    double t1, unsigned long *prom_seen, unsigned long *notify_seen)
{
    const struct nf_cycle_report *cy = nf_cycle_last(c->cycle);
    unsigned long pe = nf_prom_errors(c->prom);
    if (pe > *prom_seen)
        nf_registry_errors(reg, "prometheus", pe - *prom_seen);
    *prom_seen = pe;
    if (c->notifier.failed > *notify_seen)
        nf_registry_errors(reg, "notify", c->notifier.failed - *notify_seen);
    *notify_seen = c->notifier.failed;
    for (int k = NF_CEV_SPOT_INTERRUPTION; k <= NF_CEV_SCHEDULED; k++)
        if (cy->events[k] > 0)
            nf_registry_interruptions(reg, nf_cloud_event_kind_name(k),
                                      (unsigned long)cy->events[k]);
    if (cy->have_cloud && cy->cloud_ok)
        nf_registry_cost(reg, cy->cost_per_hour[NF_MARKET_ON_DEMAND],
                         cy->cost_per_hour[NF_MARKET_SPOT]);
    if (!cy->cluster_ok)
        nf_registry_errors(reg, "cluster", 1);
    if (!cy->cloud_ok && cy->have_cloud)
        nf_registry_errors(reg, "cloud", 1);
    double wall = cy->t;
    nf_log(NF_LOG_DEBUG, "cycle finished", NF_LF_NUM("took_ms", (t1 - t0) * 1000),
           NF_LF_STR("action", rc == NF_OK ? nf_action_name(plan->action) : "failed"), NF_LF_END);
    if (rc != NF_OK) {
        nf_registry_errors(reg, rc == NF_E_CONFLICT ? "store" : "cycle", 1);
        nf_registry_cycle(reg, t1 - t0, NULL, NULL, NULL, NULL, wall, t1);
    } else {
        nf_registry_cycle(reg, t1 - t0, nf_action_name(plan->action), nf_plan_code(plan),
                          &cy->workers, cy->newest, wall, t1);
    }
    publish_facts(reg, c, cy, rc);
    if (page)
        nf_status_page_update(page, c, rc);
}

static void catch_signals(void)
{
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    struct sigaction sh = {.sa_handler = on_hup};
    sigemptyset(&sh.sa_mask);
    sigaction(SIGHUP, &sh, NULL);
}

/* SIGHUP, all or nothing: the new configuration is opened beside the running controller and
 * switched to only when it opened; otherwise it is logged and the running one kept. True when
 * *cur now names the new slot (the old one is closed). */
static bool reload(const struct nf_cli *cli, bool dry, struct nf_controller slots[2], int *cur,
                   const char *const *names, int nsig)
{
    struct nf_controller *ctl = &slots[*cur], *next = &slots[1 - *cur];
    struct nf_config fresh;
    static char problems[4096];
    if (load(cli, dry, &fresh, problems, sizeof problems) != 0) {
        /* a JSON line like every other: stderr is the daemon's log */
        nf_log(NF_LOG_ERROR, "SIGHUP: the new configuration has problems; keeping the running one",
               NF_LF_STR("problems", problems), NF_LF_END);
        return false;
    }
    struct nf_err e = {0};
    if (nf_controller_open(next, &fresh, environ, &e) != NF_OK) {
        nf_log(NF_LOG_ERROR, "SIGHUP: cannot apply the new configuration; keeping the running one",
               NF_LF_STR("error", e.msg), NF_LF_END);
        return false;
    }
    /* the endpoint and the /metrics signal series are set up once */
    bool same = strcmp(fresh.server_listen, ctl->cfg.server_listen) == 0 &&
                nf_prom_signal_count(next->prom) == nsig;
    for (int i = 0; same && i < nsig; i++)
        same = strcmp(nf_prom_signal_name(next->prom, i), names[i]) == 0;
    if (!same)
        nf_log(NF_LOG_WARN,
               "SIGHUP: server.listen and the signal list (triggers) take effect at the next "
               "start; the rest now",
               NF_LF_END);
    nf_controller_close(ctl);
    *cur = 1 - *cur;
    nf_log(NF_LOG_INFO, "SIGHUP: configuration reloaded", NF_LF_END);
    return true;
}

int nf_cmd_run(int argc, char **argv)
{
    struct nf_cli cli = {.cmd = "run"};
    long long max_cycles = -1;
    bool dry = false;
    int st = parse(&cli, argc, argv, &dry, &max_cycles, NULL);
    if (st != 0)
        return st;
    struct nf_config cfg;
    if ((st = load(&cli, dry, &cfg, NULL, 0)) != 0)
        return st;
    struct nf_err err = {0};
    /* two slots: a reload opens the new controller beside the running one, then switches */
    static struct nf_controller slots[2];
    int cur = 0;
    struct nf_controller *ctl = &slots[cur];
    int rc = nf_controller_open_cli(&cli, ctl, &cfg);
    if (rc != 0)
        return rc;
    /* copies: the controller (whose configuration holds trigger names) changes on reload */
    static char name_buf[NF_SAMPLE_VALUES][64];
    const char *names[NF_SAMPLE_VALUES];
    int nsig = nf_prom_signal_count(ctl->prom);
    for (int i = 0; i < nsig; i++) {
        snprintf(name_buf[i], sizeof name_buf[i], "%s", nf_prom_signal_name(ctl->prom, i));
        names[i] = name_buf[i];
    }
    struct nf_registry *reg = nf_registry_new(NF_VERSION, names, nsig);
    struct nf_status_page *page = nf_status_page_new();
    struct nf_server *srv = NULL;
    int status = 0;
    if (reg == NULL || page == NULL) {
        nf_cli_say("run", "out of memory");
        status = 1;
        goto out;
    }
    if (cfg.server_listen[0] != '\0') {
        struct nf_addr addr;
        const char *why;
        nf_addr_parse(cfg.server_listen, &addr, &why); /* checked when the config loaded */
        srv = nf_server_start(&addr, reg, cfg.interval, &err);
        if (srv == NULL) {
            nf_cli_say("run", "%s: %s", cfg.server_listen, err.msg);
            status = 1;
            goto out;
        }
        nf_server_set_page(srv, nf_status_page_render, page);
    }
    catch_signals();
    started(ctl, "run", srv ? nf_server_port(srv) : 0);

    unsigned long prom_seen = 0, notify_seen = 0;
    /* the tests' thousand cycles: a pause shorter than any `interval` may be */
    const char *ti = getenv("NODEFLEET_TEST_INTERVAL_S");
    double test_interval = -1;
    const char *twhy = NULL;
    if (ti && nf_parse_duration(ti, strlen(ti), &test_interval, &twhy) != NF_OK)
        test_interval = -1; /* not a duration: the configured interval */
    for (long long n = 0; !stop_requested && (max_cycles < 0 || n < max_cycles); n++) {
        if (reload_requested) {
            reload_requested = 0;
            if (reload(&cli, dry, slots, &cur, names, nsig)) {
                ctl = &slots[cur];
                prom_seen = notify_seen = 0;
            }
        }
        double t0 = nf_mono_now();
        struct nf_plan plan;
        struct nf_err cerr = {0};
        /* each cycle within its interval, or the least one needs to act (issue 16) */
        nf_budget_start(t0 + fmax(ctl->cfg.interval,
                                  ctl->cfg.deadline_reserve + nf_cycle_step_time(ctl->cycle)),
                        ctl->cfg.deadline_reserve);
        int crc = nf_controller_cycle(ctl, &plan, &cerr);
        nf_budget_clear();
        double t1 = nf_mono_now();
        if (crc != NF_OK)
            nf_log(NF_LOG_ERROR, "cycle failed", NF_LF_STR("error", cerr.msg), NF_LF_END);
        publish(reg, page, ctl, crc, &plan, t0, t1, &prom_seen, &notify_seen);
        if (max_cycles < 0 || n + 1 < max_cycles)
            wait_for_next(ctl, t0 + (test_interval >= 0 ? test_interval : ctl->cfg.interval));
    }
    nf_log(NF_LOG_INFO, "nodefleet stopping", NF_LF_END);
out:
    nf_server_stop(srv);
    nf_registry_free(reg);
    nf_status_page_free(page);
    nf_controller_close(ctl);
    nf_aws_models_free();
    return status;
}

int nf_cmd_once(int argc, char **argv)
{
    struct nf_cli cli = {.cmd = "once"};
    bool dry = false;
    double t0 = nf_mono_now(), deadline = 0;
    int st = parse(&cli, argc, argv, &dry, NULL, &deadline);
    if (st != 0)
        return st;
    struct nf_config cfg;
    if ((st = load(&cli, dry, &cfg, NULL, 0)) != 0)
        return st;
    struct nf_err err = {0};
    cfg.kube_watch = false; /* one cycle: a list costs less than a cache */
    static struct nf_controller ctl;
    int rc = nf_controller_open_cli(&cli, &ctl, &cfg);
    if (rc != 0)
        return rc;
    started(&ctl, "once", 0);
    struct nf_plan plan;
    if (deadline > 0) /* counted from the start, as a timer that kills us would count */
        nf_budget_start(t0 + deadline, cfg.deadline_reserve);
    rc = nf_controller_cycle(&ctl, &plan, &err);
    nf_budget_clear();
    if (rc != NF_OK) {
        nf_cli_say("once", "%s", err.msg);
        st = 1;
    }
    nf_controller_close(&ctl);
    nf_aws_models_free();
    return st;
}
