/* cmd_run.c - `nodefleet run`: the cycle on a timer, with /metrics, /healthz and /readyz.
 *
 * Until the Kubernetes and EC2 adapters land, the cycle runs against Prometheus only:
 * workers are counted from query_node_count and actions are logged, not taken (dry run).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../adapters/dryrun.h"
#include "../cycle/cycle.h"
#include "../http/http.h"
#include "../metrics/registry.h"
#include "../prom/prom_source.h"
#include "../server/server.h"
#include "../util/log.h"
#include "../util/parse.h"
#include "cli.h"

#ifndef NF_VERSION
#define NF_VERSION "dev"
#endif

/* Samples held per cycle: the longest window at the finest step, with room to spare. */
#define NF_RUN_HISTORY_MAX 8192

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Sleep until monotonic time `until`, waking early on a stop request. */
static void sleep_until(double until)
{
    while (!stop_requested) {
        double left = until - nf_mono_now();
        if (left <= 0)
            return;
        if (left > 0.25)
            left = 0.25;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(left * 1e9)};
        nanosleep(&ts, NULL);
    }
}

int nf_cmd_run(int argc, char **argv)
{
    struct nf_cli cli = {.cmd = "run"};
    long long max_cycles = -1;
    for (int i = 1; i < argc; i++) {
        int c = nf_cli_common_opt(&cli, argc, argv, &i);
        if (c < 0)
            return 2;
        if (c > 0)
            continue;
        if (strcmp(argv[i], "--dry-run") == 0) {
            /* the only mode until the cluster and cloud adapters land */
        } else if (strcmp(argv[i], "--cycles") == 0) {
            const char *v = nf_cli_value(&cli, argc, argv, &i);
            if (v == NULL)
                return 2;
            if (nf_parse_ll(v, strlen(v), &max_cycles, NULL) != NF_OK || max_cycles < 1)
                return nf_cli_usage_error(&cli, "--cycles needs a whole number above 0");
        } else {
            return nf_cli_usage_error(&cli, "unknown option %s", argv[i]);
        }
    }
    struct nf_config cfg;
    int st = nf_cli_load_config(&cli, &cfg);
    if (st != 0)
        return st;
    struct nf_err err = {0};
    struct nf_policy pol;
    if (nf_policy_init(&pol, cfg.policy, &cfg, &err) != NF_OK)
        return nf_cli_usage_error(&cli, "%s", err.msg);
    struct nf_prom_source *prom = NULL;
    int rc = nf_prom_source_new(&cfg, &prom, &err);
    if (rc != NF_OK) {
        fprintf(stderr, "nodefleet run: %s\n", err.msg);
        return nf_err_exit_status(rc);
    }
    const char *names[NF_SAMPLE_VALUES];
    int nsig = nf_prom_signal_count(prom);
    for (int i = 0; i < nsig; i++)
        names[i] = nf_prom_signal_name(prom, i);
    struct nf_registry *reg = nf_registry_new(NF_VERSION, names, nsig);
    struct nf_server *srv = NULL;
    int status = 0;
    static struct nf_sample history[NF_RUN_HISTORY_MAX];
    if (reg == NULL) {
        fprintf(stderr, "nodefleet run: out of memory\n");
        status = 1;
        goto out;
    }
    if (cfg.server_listen[0] != '\0') {
        struct nf_addr addr;
        const char *why;
        nf_addr_parse(cfg.server_listen, &addr, &why); /* checked when the config loaded */
        srv = nf_server_start(&addr, reg, cfg.interval, &err);
        if (srv == NULL) {
            fprintf(stderr, "nodefleet run: %s: %s\n", cfg.server_listen, err.msg);
            status = 1;
            goto out;
        }
    }
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    struct nf_dryrun_cloud cloud = {0};
    struct nf_ports ports = {.clock = &nf_real_clock_port,
                             .metrics = &nf_prom_metrics_port,
                             .metrics_ctx = prom,
                             .cluster = &nf_prom_view_cluster_port,
                             .cluster_ctx = prom,
                             .cloud = &nf_dryrun_cloud_port,
                             .cloud_ctx = &cloud};
    struct nf_cycle cyc;
    nf_cycle_init(&cyc, &ports, &pol, cfg.spot_percentage, history, NF_RUN_HISTORY_MAX);
    cyc.history_margin_s = 2 * cfg.prometheus_step;
    cyc.log_steps = true;
    char prom_shown[NF_CONFIG_STR_MAX];
    nf_http_redact_url(cfg.prometheus_url, prom_shown, sizeof prom_shown);
    nf_log(NF_LOG_INFO, "nodefleet started", NF_LF_STR("version", NF_VERSION),
           NF_LF_STR("policy", pol.name), NF_LF_NUM("interval_s", cfg.interval),
           NF_LF_STR("prometheus", prom_shown), NF_LF_STR("listen", cfg.server_listen),
           NF_LF_INT("port", srv ? nf_server_port(srv) : 0),
           NF_LF_STR("mode", "dry run: workers counted by Prometheus, actions logged only"),
           NF_LF_END);

    unsigned long prom_errors_seen = 0;
    for (long long n = 0; !stop_requested && (max_cycles < 0 || n < max_cycles); n++) {
        double t0 = nf_mono_now();
        struct nf_plan plan;
        struct nf_err cerr = {0};
        int crc = nf_cycle_run(&cyc, &plan, &cerr);
        double t1 = nf_mono_now();
        unsigned long pe = nf_prom_errors(prom);
        if (pe > prom_errors_seen)
            nf_registry_errors(reg, "prometheus", pe - prom_errors_seen);
        prom_errors_seen = pe;
        if (crc != NF_OK) {
            nf_log(NF_LOG_ERROR, "cycle failed", NF_LF_STR("error", cerr.msg), NF_LF_END);
            nf_registry_errors(reg, "cycle", 1);
            nf_registry_cycle(reg, t1 - t0, NULL, NULL, NULL, NULL, ports.clock->now(NULL), t1);
        } else {
            nf_registry_cycle(reg, t1 - t0, nf_action_name(plan.action), nf_plan_code(&plan),
                              &cyc.last_workers, cyc.last_newest, ports.clock->now(NULL), t1);
        }
        if (max_cycles < 0 || n + 1 < max_cycles)
            sleep_until(t0 + cfg.interval);
    }
    nf_log(NF_LOG_INFO, "nodefleet stopping", NF_LF_END);
out:
    nf_server_stop(srv);
    nf_registry_free(reg);
    nf_prom_source_free(prom);
    return status;
}
