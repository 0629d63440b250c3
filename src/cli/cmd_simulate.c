/* cmd_simulate.c - `nodefleet simulate`: replay a trace under policies, report. */
#include <stdio.h>
#include <string.h>

#include "../sim/sim.h"
#include "../util/files.h"
#include "../util/log.h"
#include "../util/parse.h"
#include "cli.h"

/* The NASA July 1995 trace, built into the binary (embedded_trace.S) so that `simulate`
 * works from anywhere with no files around. */
extern const char nf_embedded_trace[];
extern const char nf_embedded_trace_end[];
#define NF_EMBEDDED_TRACE_NAME "nasa_jul95_1min.csv (embedded)"

#define NF_SIM_POLICIES_MAX 16

/* --sweep NAME=V1,V2,...: the first policy once per value (each with its own configuration,
 * so a policy setting and a sim.* setting alike), its scores kept in `sw`. Returns the exit
 * status. */
static int sweep(const struct nf_cli *cli, const char *spec, const char *policy,
                 const struct nf_trace *tr, struct nf_sim_sweep *sw)
{
    const char *eq = strchr(spec, '=');
    size_t nl = eq ? (size_t)(eq - spec) : 0;
    if (eq == NULL || nl == 0 || nl >= sizeof sw->setting || eq[1] == '\0')
        return nf_cli_usage_error(cli, "--sweep needs NAME=V1,V2,... (got \"%.60s\")", spec);
    memset(sw, 0, sizeof *sw);
    snprintf(sw->setting, sizeof sw->setting, "%.*s", (int)nl, spec);
    snprintf(sw->policy, sizeof sw->policy, "%s", policy);
    for (const char *v = eq + 1;;) {
        size_t vl = strcspn(v, ",");
        if (vl == 0 || vl >= sizeof sw->points[0].value)
            return nf_cli_usage_error(cli, "--sweep %s: an empty or over-long value", sw->setting);
        if (sw->n == NF_SIM_SWEEP_MAX)
            return nf_cli_usage_error(cli, "--sweep: at most %d values", NF_SIM_SWEEP_MAX);
        snprintf(sw->points[sw->n++].value, sizeof sw->points[0].value, "%.*s", (int)vl, v);
        if (v[vl] == '\0')
            break;
        v += vl + 1;
    }
    for (size_t i = 0; i < sw->n; i++) {
        struct nf_cli one = *cli;
        char set[200];
        if (nf_cli_add_set(&one, sw->setting, sw->points[i].value, set, sizeof set) != 0)
            return 2;
        struct nf_config cfg;
        int st = nf_cli_load_config(&one, &cfg);
        if (st != 0)
            return st;
        if (cfg.origin[NF_CFG_log_level].source == NF_SRC_DEFAULT)
            nf_log_set_level(NF_LOG_WARN); /* as for the main run */
        struct nf_policy pol;
        struct nf_err err = {0};
        if (nf_config_policy(&pol, policy, &cfg, &err) != NF_OK)
            return nf_cli_usage_error(cli, "%s", err.msg);
        struct nf_sim_params sp;
        nf_sim_params_from_config(&sp, &cfg);
        struct nf_sim_report rep;
        int rc = nf_sim_run_all(tr, NULL, &sp, &pol, 1, &rep, &err);
        if (rc != NF_OK) {
            nf_cli_say(cli->cmd, "--sweep %s=%s: %s", sw->setting, sw->points[i].value, err.msg);
            return nf_err_exit_status(rc);
        }
        sw->points[i].m = rep.runs[0].m;
        nf_sim_report_free(&rep);
    }
    nf_sim_sweep_frontier(sw);
    return 0;
}

/* what the command line asked for */
struct args {
    const char *trace_path, *html, *sweep_spec;
    const char *specs[NF_SIM_POLICIES_MAX];
    size_t nspecs;
    bool json;
};

/* The options into `a` (the common ones into `cli`): 0, or the exit status (message said). */
static int parse_args(struct nf_cli *cli, int argc, char **argv, struct args *a)
{
    const char *seed = NULL;
    for (int i = 1; i < argc; i++) {
        if (nf_cli_common_opt(cli, argc, argv, &i))
            continue;
        const char *o = argv[i];
        if (strcmp(o, "--trace") == 0) {
            if (nf_cli_value_once(cli, argc, argv, &i, &a->trace_path) != 0)
                return 2;
        } else if (strcmp(o, "--policy") == 0) {
            if (nf_cli_list_value(cli, argc, argv, &i, a->specs, &a->nspecs, NF_SIM_POLICIES_MAX) !=
                0)
                return 2;
        } else if (strcmp(o, "--sweep") == 0) {
            if (nf_cli_value_once(cli, argc, argv, &i, &a->sweep_spec) != 0)
                return 2;
        } else if (strcmp(o, "--json") == 0) {
            a->json = true;
        } else if (strcmp(o, "--html") == 0) {
            if (nf_cli_value_once(cli, argc, argv, &i, &a->html) != 0)
                return 2;
        } else if (strcmp(o, "--seed") == 0) {
            if (nf_cli_value_once(cli, argc, argv, &i, &seed) != 0)
                return 2;
            long long v;
            if (nf_parse_ll(seed, strlen(seed), &v, NULL) != NF_OK || v < 0 || v > 4294967295LL)
                return nf_cli_usage_error(cli,
                                          "--seed needs a whole number from 0 to 4294967295, "
                                          "got \"%.40s\"",
                                          seed);
            static char seedset[96];
            if (nf_cli_add_set(cli, "sim.seed", seed, seedset, sizeof seedset) != 0)
                return 2;
        } else {
            return nf_cli_usage_error(cli, "unknown option %s", o);
        }
    }
    return 0;
}

int nf_cmd_simulate(int argc, char **argv)
{
    struct nf_cli cli = {.cmd = "simulate"};
    static struct args a;
    memset(&a, 0, sizeof a);
    int st = parse_args(&cli, argc, argv, &a);
    if (st != 0)
        return st;
    const char *trace_path = a.trace_path, *html = a.html, *sweep_spec = a.sweep_spec;
    const char **specs = a.specs;
    size_t nspecs = a.nspecs;
    bool json = a.json;
    struct nf_err err = {0};
    struct nf_outfile html_out;
    if (html != NULL && (st = nf_cli_html_target(&cli, html, json, &html_out)) != 0)
        return st;
    struct nf_config cfg;
    st = nf_cli_load_config(&cli, &cfg);
    if (st != 0)
        return st;
    /* the cycle's records of a simulated month are noise above the report: only warnings,
     * unless a log level was asked for */
    if (cfg.origin[NF_CFG_log_level].source == NF_SRC_DEFAULT)
        nf_log_set_level(NF_LOG_WARN);
    struct nf_policy pols[NF_SIM_POLICIES_MAX];
    if (nspecs == 0)
        specs[nspecs++] = cfg.policy;
    for (size_t i = 0; i < nspecs; i++)
        if (nf_config_policy(&pols[i], specs[i], &cfg, &err) != NF_OK)
            return nf_cli_usage_error(&cli, "%s", err.msg);

    struct nf_trace tr;
    int rc = trace_path ? nf_trace_load(trace_path, &tr, &err)
                        : nf_trace_parse(nf_embedded_trace,
                                         (size_t)(nf_embedded_trace_end - nf_embedded_trace),
                                         NF_EMBEDDED_TRACE_NAME, &tr, &err);
    if (rc != NF_OK) {
        nf_cli_say("simulate", "%s", err.msg);
        return nf_err_exit_status(rc);
    }
    static struct nf_sim_sweep sw;
    if (sweep_spec != NULL && (st = sweep(&cli, sweep_spec, specs[0], &tr, &sw)) != 0) {
        nf_trace_free(&tr);
        return st;
    }
    struct nf_sim_params sp;
    nf_sim_params_from_config(&sp, &cfg);
    struct nf_sim_report rep;
    rc = nf_sim_run_all(&tr, NULL, &sp, pols, nspecs, &rep, &err);
    if (rc == NF_OK && sweep_spec != NULL)
        rep.sweep = &sw;
    if (rc != NF_OK) {
        nf_cli_say("simulate", "%s", err.msg);
        nf_trace_free(&tr);
        return nf_err_exit_status(rc);
    }
    int status = nf_cli_emit_report(&cli, &rep, json, html ? &html_out : NULL);
    nf_sim_report_free(&rep);
    nf_trace_free(&tr);
    return status;
}
