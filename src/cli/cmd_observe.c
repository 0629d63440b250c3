/* cmd_observe.c - `nodefleet observe`: what nodefleet sees right now, printed as the input
 * `nodefleet decide` takes - so `nodefleet observe | nodefleet decide` shows what it would do. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../adapters/clock.h"
#include "../adapters/prometheus.h"
#include "../core/policy.h"
#include "../prom/prom_source.h"
#include "cli.h"

#define NF_OBSERVE_HISTORY_MAX 8192

int nf_cmd_observe(int argc, char **argv)
{
    struct nf_cli cli = {.cmd = "observe"};
    struct nf_config cfg;
    int st = nf_cli_common_only(&cli, argc, argv, &cfg);
    if (st != 0)
        return st;
    struct nf_err err = {0};
    struct nf_policy pol;
    if (nf_config_policy(&pol, cfg.policy, &cfg, &err) != NF_OK)
        return nf_cli_usage_error(&cli, "%s", err.msg);
    struct nf_prom_source *prom = NULL;
    int rc;
    if ((st = nf_cli_prom_open(&cli, &cfg, &prom)) != 0)
        return st;
    static struct nf_sample hist[NF_OBSERVE_HISTORY_MAX];
    static struct nf_prom_status status[NF_SAMPLE_VALUES];
    double now = floor(nf_real_clock_port.now(NULL));
    size_t n = 0;
    int workers = 0;
    int exit_status = 0;
    struct nf_buf out;
    nf_buf_init(&out, 64 * 1024 * 1024);
    rc = nf_prom_history(prom, now, nf_policy_lookback(&pol) + 2 * cfg.prometheus_step, hist,
                         NF_OBSERVE_HISTORY_MAX, &n, status, &err);
    if (rc != NF_OK) {
        nf_cli_say("observe", "%s", err.msg);
        exit_status = 1;
        goto done;
    }
    struct nf_err werr = {0};
    bool have_workers = nf_prom_workers(prom, now, &workers, &werr) == NF_OK;
    if (!have_workers) {
        nf_cli_say("observe", "workers: %s", werr.msg);
        exit_status = 1;
        goto done;
    }
    for (int s = 0; s < nf_prom_signal_count(prom); s++)
        if (!status[s].known)
            nf_cli_say("observe", "%s unknown: %s", nf_prom_signal_name(prom, s), status[s].error);
    nf_buf_printf(&out,
                  "{\"now\":%.0f,\"workers\":{\"ready\":%d,\"joining\":0,\"draining\":0},"
                  "\"samples\":[",
                  now, workers);
    for (size_t i = 0; i < n; i++) {
        nf_buf_puts(&out, i ? ",\n{\"t\":" : "\n{\"t\":");
        nf_buf_json_num(&out, hist[i].t);
        for (int s = 0; s < NF_SIG__COUNT; s++) {
            nf_buf_printf(&out, ",\"%s\":", nf_signal_names[s]);
            nf_buf_json_num(&out, hist[i].v[s]);
        }
        if (cfg.ntriggers > 0) {
            nf_buf_puts(&out, ",\"custom\":{");
            for (int k = 0; k < cfg.ntriggers; k++) {
                nf_buf_printf(&out, "%s\"%s\":", k ? "," : "", cfg.triggers[k].name);
                nf_buf_json_num(&out, hist[i].v[NF_SIG_CUSTOM(k)]);
            }
            nf_buf_putc(&out, '}');
        }
        nf_buf_putc(&out, '}');
    }
    nf_buf_puts(&out, "],\n\"last_scale_up\":null,\"last_scale_down\":null}\n");
    if (out.status != NF_OK || fwrite(out.data, 1, out.len, stdout) != out.len ||
        fflush(stdout) != 0) {
        nf_cli_say("observe", "cannot write the observation");
        exit_status = 1;
    }
done:
    nf_buf_free(&out);
    nf_prom_source_free(prom);
    return exit_status;
}
