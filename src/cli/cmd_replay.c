/* cmd_replay.c - `nodefleet replay`: what each policy would have done over a stretch of the
 * cluster's own Prometheus history, scored by the simulator against the oracle and against
 * what the cluster actually ran. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../http/http.h"
#include "../prom/prom_source.h"
#include "../sim/sim.h"
#include "../util/check.h"
#include "../util/files.h"
#include "../util/log.h"
#include "../util/parse.h"
#include "../util/timefmt.h"
#include "cli.h"

#define NF_REPLAY_POLICIES_MAX 16
/* A replay longer than this many steps is refused (about 2 years at one minute). */
#define NF_REPLAY_POINTS_MAX ((size_t)1100000)

/* Fill gaps by carrying the last known value forward (and the first one back). Returns how
 * many points were known. */
static size_t fill_gaps(double *v, size_t n)
{
    size_t known = 0;
    double last = NAN;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(v[i])) {
            last = v[i];
            known++;
        } else {
            v[i] = last;
        }
    }
    size_t first = 0;
    while (first < n && !isfinite(v[first]))
        first++;
    for (size_t i = 0; i < first && first < n; i++)
        v[i] = v[first];
    return known;
}

static int make_trace(struct nf_trace *tr, const char *name, const double *v, size_t n, double step)
{
    memset(tr, 0, sizeof *tr);
    snprintf(tr->file, sizeof tr->file, "%s", name);
    tr->t = malloc(n * sizeof *tr->t);
    tr->v = malloc(n * sizeof *tr->v);
    if (tr->t == NULL || tr->v == NULL) {
        nf_trace_free(tr);
        return NF_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        tr->t[i] = (double)i * step;
        tr->v[i] = v[i] < 0 ? 0 : v[i];
    }
    tr->n = n;
    tr->end = (double)n * step;
    return NF_OK;
}

/* What the command line asks for. */
struct replay_args {
    const char *url, *html;
    const char *specs[NF_REPLAY_POLICIES_MAX];
    size_t nspecs;
    bool json;
    double start, end, step;
    size_t npoints;
};

/* The options and the range they name: 0, or the exit status (message printed). */
static int parse_args(struct nf_cli *cli, int argc, char **argv, struct replay_args *A)
{
    memset(A, 0, sizeof *A);
    const char *start_s = NULL, *end_s = NULL, *step_s = "60s";
    bool step_given = false;
    for (int i = 1; i < argc; i++) {
        if (nf_cli_common_opt(cli, argc, argv, &i))
            continue;
        const char *a = argv[i];
        const char **slot = NULL;
        if (strcmp(a, "--prometheus") == 0)
            slot = &A->url;
        else if (strcmp(a, "--start") == 0)
            slot = &start_s;
        else if (strcmp(a, "--end") == 0)
            slot = &end_s;
        else if (strcmp(a, "--step") == 0)
            slot = &step_s;
        else if (strcmp(a, "--html") == 0)
            slot = &A->html;
        if (slot != NULL) {
            if (slot == &step_s && step_given)
                return nf_cli_usage_error(cli, "--step given twice");
            if (slot == &step_s) {
                step_given = true;
                step_s = NULL;
            }
            if (nf_cli_value_once(cli, argc, argv, &i, slot) != 0)
                return 2;
        } else if (strcmp(a, "--policy") == 0) {
            if (nf_cli_list_value(cli, argc, argv, &i, A->specs, &A->nspecs,
                                  NF_REPLAY_POLICIES_MAX) != 0)
                return 2;
        } else if (strcmp(a, "--json") == 0) {
            A->json = true;
        } else {
            return nf_cli_usage_error(cli, "unknown option %s", a);
        }
    }
    if (start_s == NULL || end_s == NULL)
        return nf_cli_usage_error(cli, "--start and --end are required");
    const char *why = NULL;
    if (nf_parse_time(start_s, &A->start, &why) != NF_OK)
        return nf_cli_usage_error(cli, "--start %s: %s", start_s, why);
    if (nf_parse_time(end_s, &A->end, &why) != NF_OK)
        return nf_cli_usage_error(cli, "--end %s: %s", end_s, why);
    if (nf_parse_duration(step_s, strlen(step_s), &A->step, &why) != NF_OK || A->step < 1)
        return nf_cli_usage_error(cli, "--step %s: %s", step_s, why ? why : "at least 1s");
    if (!(A->end > A->start))
        return nf_cli_usage_error(cli, "--end must be after --start");
    A->npoints = (size_t)floor((A->end - A->start) / A->step) + 1;
    if (A->npoints < 2)
        return nf_cli_usage_error(cli, "the range holds fewer than two steps");
    if (A->npoints > NF_REPLAY_POINTS_MAX)
        return nf_cli_usage_error(cli, "%zu steps is too many (at most %zu): use a longer --step",
                                  A->npoints, NF_REPLAY_POINTS_MAX);
    return 0;
}

/* The history on the grid: demand (busy cores plus what pending pods asked for) and, when
 * Prometheus has them, the workers the cluster actually ran. 0, or the exit status. */
static int fetch_history(struct nf_prom_source *prom, const struct nf_config *cfg,
                         const struct replay_args *A, double *demand, double *pending,
                         double *workers, bool *have_actual)
{
    struct nf_err err = {0};
    double start = A->start, step = A->step;
    size_t npoints = A->npoints;
    /* demand = busy cores + what the pending pods asked for */
    int rc = nf_prom_range_grid(prom, cfg->prometheus_query_demand_cores, start, step, npoints,
                                demand, &err);
    if (rc != NF_OK) {
        nf_cli_say("replay", "demand (prometheus.query_demand_cores): %s", err.msg);
        return 1;
    }
    if (fill_gaps(demand, npoints) == 0) {
        nf_cli_say("replay", "demand (prometheus.query_demand_cores): no values "
                             "between --start and --end");
        return 1;
    }
    struct nf_err perr = {0};
    if (nf_prom_range_grid(prom, cfg->prometheus_query_pending_pods, start, step, npoints, pending,
                           &perr) != NF_OK ||
        fill_gaps(pending, npoints) == 0) {
        nf_cli_say("replay", "pending pods not added to the demand: %s",
                   perr.msg[0] ? perr.msg : "no values");
        for (size_t i = 0; i < npoints; i++)
            pending[i] = 0;
    }
    /* a pending pod stands for the mean request of the pods the demand makes: shares of the
     * demand over pods per vCPU */
    struct nf_pod_shape sh[NF_POD_SHAPES_MAX];
    int nsh = 0;
    double per_cpu = 0;
    if (nf_pod_shapes_parse(cfg->sim_pod_shapes, sh, &nsh, NULL) == NF_OK)
        for (int k = 0; k < nsh; k++)
            per_cpu += sh[k].share_pct / 100.0 / sh[k].cpu;
    double mean_request = per_cpu > 0 ? 1.0 / per_cpu : 0;
    for (size_t i = 0; i < npoints; i++)
        demand[i] += pending[i] * mean_request;
    struct nf_err werr = {0};
    if (nf_prom_range_grid(prom, cfg->prometheus_query_node_count, start, step, npoints, workers,
                           &werr) == NF_OK &&
        fill_gaps(workers, npoints) > 0) {
        for (size_t i = 0; i < npoints; i++)
            workers[i] = workers[i] - (double)cfg->prometheus_server_nodes;
        *have_actual = true;
    } else {
        nf_cli_say("replay",
                   "the cluster's own worker counts are not in the report: "
                   "%s",
                   werr.msg[0] ? werr.msg : "no values");
    }
    return 0;
}

int nf_cmd_replay(int argc, char **argv)
{
    struct nf_cli cli = {.cmd = "replay"};
    struct replay_args A;
    int st = parse_args(&cli, argc, argv, &A);
    if (st != 0)
        return st;
    static char urlset[NF_CONFIG_STR_MAX + 32];
    if (A.url != NULL && nf_cli_add_set(&cli, "prometheus_url", A.url, urlset, sizeof urlset) != 0)
        return 2;
    struct nf_outfile html_out;
    if (A.html != NULL && (st = nf_cli_html_target(&cli, A.html, A.json, &html_out)) != 0)
        return st;
    struct nf_config cfg;
    st = nf_cli_load_config(&cli, &cfg);
    if (st != 0)
        return st;
    struct nf_err err = {0};
    struct nf_policy pols[NF_REPLAY_POLICIES_MAX];
    if (A.nspecs == 0)
        A.specs[A.nspecs++] = cfg.policy;
    for (size_t i = 0; i < A.nspecs; i++)
        if (nf_config_policy(&pols[i], A.specs[i], &cfg, &err) != NF_OK)
            return nf_cli_usage_error(&cli, "%s", err.msg);

    struct nf_prom_source *prom = NULL;
    int rc;
    if ((st = nf_cli_prom_open(&cli, &cfg, &prom)) != 0)
        return st;
    int status = 0;
    double *demand = calloc(A.npoints, sizeof *demand);
    double *pending = calloc(A.npoints, sizeof *pending);
    double *workers = calloc(A.npoints, sizeof *workers);
    struct nf_trace tr = {0}, actual = {0};
    bool have_actual = false;
    struct nf_sim_report rep = {0};
    if (!demand || !pending || !workers) {
        nf_cli_say("replay", "out of memory");
        status = 1;
        goto done;
    }
    status = fetch_history(prom, &cfg, &A, demand, pending, workers, &have_actual);
    if (status != 0)
        goto done;
    char from[32], to[32], shown[NF_CONFIG_STR_MAX], name[256];
    nf_format_time(A.start, from);
    nf_format_time(A.end, to);
    nf_http_redact_url(cfg.prometheus_url, shown, sizeof shown);
    snprintf(name, sizeof name, "%.150s %s..%s", shown, from, to);
    if (make_trace(&tr, name, demand, A.npoints, A.step) != NF_OK ||
        (have_actual && make_trace(&actual, "actual", workers, A.npoints, A.step) != NF_OK)) {
        nf_cli_say("replay", "out of memory");
        status = 1;
        goto done;
    }
    struct nf_sim_params sp;
    nf_sim_params_from_config(&sp, &cfg);
    sp.fixed_scale = 1; /* the history is demand in vCPU already */
    if (A.step < sp.sample_s)
        sp.sample_s = A.step; /* no coarser than the history itself */
    nf_log_set_level(NF_LOG_WARN);
    rc = nf_sim_run_all(&tr, have_actual ? &actual : NULL, &sp, pols, A.nspecs, &rep, &err);
    if (rc != NF_OK) {
        nf_cli_say("replay", "%s", err.msg);
        status = nf_err_exit_status(rc);
        goto done;
    }
    status = nf_cli_emit_report(&cli, &rep, A.json, A.html ? &html_out : NULL);
done:
    nf_sim_report_free(&rep);
    nf_trace_free(&tr);
    nf_trace_free(&actual);
    free(demand);
    free(pending);
    free(workers);
    nf_prom_source_free(prom);
    return status;
}
