/* common.c - options every subcommand shares, and config loading for the CLI. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kube/kclient.h"
#include "../prom/prom_source.h"
#include "../util/files.h"
#include "../util/log.h"
#include "cli.h"

extern char **environ;

/* The one way a command speaks to a person on stderr: "nodefleet CMD: message", one line of
 * valid UTF-8 whatever the message holds. */
static void say(const char *cmd, const char *msg, const char *hint)
{
    char line[2048], safe[2048];
    snprintf(line, sizeof line, "nodefleet%s%s: %s%s", cmd[0] ? " " : "", cmd, msg, hint);
    nf_text_escape(line, safe, sizeof safe);
    fprintf(stderr, "%s\n", safe);
}

void nf_cli_say(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    say(cmd, msg, "");
}

int nf_cli_usage_error(const struct nf_cli *cli, const char *fmt, ...)
{
    char msg[512], hint[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(hint, sizeof hint, " (see 'nodefleet help %s')", cli->cmd);
    say(cli->cmd, msg, hint);
    return 2;
}

const char *nf_cli_value(const struct nf_cli *cli, int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        nf_cli_usage_error(cli, "%s needs a value", argv[*i]);
        return NULL;
    }
    if (argv[*i + 1][0] == '\0') {
        nf_cli_usage_error(cli, "%s needs a value, got an empty one", argv[*i]);
        return NULL;
    }
    (*i)++;
    return argv[*i];
}

int nf_cli_value_once(const struct nf_cli *cli, int argc, char **argv, int *i, const char **slot)
{
    const char *opt = argv[*i];
    if (*slot != NULL) {
        nf_cli_usage_error(cli, "%s given twice", opt);
        return -1;
    }
    const char *v = nf_cli_value(cli, argc, argv, i);
    if (v == NULL)
        return -1;
    *slot = v;
    return 0;
}

int nf_cli_list_value(const struct nf_cli *cli, int argc, char **argv, int *i, const char **list,
                      size_t *n, size_t max)
{
    const char *opt = argv[*i];
    const char *v = nf_cli_value(cli, argc, argv, i);
    if (v == NULL)
        return -1;
    if (*n == max) {
        nf_cli_usage_error(cli, "%s: at most %zu", opt, max);
        return -1;
    }
    list[(*n)++] = v;
    return 0;
}

/* The value of --opt=VALUE or --opt VALUE; NULL after printing an error. */
static const char *inline_or_next(const struct nf_cli *cli, int argc, char **argv, int *i,
                                  size_t optlen)
{
    const char *a = argv[*i];
    if (a[optlen] != '=')
        return nf_cli_value(cli, argc, argv, i);
    if (a[optlen + 1] == '\0') {
        nf_cli_usage_error(cli, "%.*s needs a value, got an empty one", (int)optlen, a);
        return NULL;
    }
    return a + optlen + 1;
}

static int common_opt(struct nf_cli *cli, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0) {
        if (cli->config_file != NULL) {
            nf_cli_usage_error(cli, "--config given twice");
            return -1;
        }
        const char *v = inline_or_next(cli, argc, argv, i, 8);
        if (v == NULL)
            return -1;
        cli->config_file = v;
        return 1;
    }
    if (strcmp(a, "--set") == 0 || strncmp(a, "--set=", 6) == 0) {
        const char *v = inline_or_next(cli, argc, argv, i, 5);
        if (v == NULL)
            return -1;
        if (cli->nsets == NF_CLI_SETS_MAX) {
            nf_cli_usage_error(cli, "more than %d --set options", NF_CLI_SETS_MAX);
            return -1;
        }
        cli->sets[cli->nsets++] = v;
        return 1;
    }
    /* --store S is --set store=S: where the state and the lease live */
    if (strcmp(a, "--store") == 0 || strncmp(a, "--store=", 8) == 0) {
        if (cli->store_set[0] != '\0') {
            nf_cli_usage_error(cli, "--store given twice");
            return -1;
        }
        const char *v = inline_or_next(cli, argc, argv, i, 7);
        if (v == NULL)
            return -1;
        if (nf_cli_add_set(cli, "store", v, cli->store_set, sizeof cli->store_set) != 0)
            return -1;
        return 1;
    }
    return 0;
}

bool nf_cli_common_opt(struct nf_cli *cli, int argc, char **argv, int *i)
{
    int c = common_opt(cli, argc, argv, i);
    if (c < 0)
        exit(2); /* bad usage, found while reading the arguments: nothing is open yet */
    return c > 0;
}

int nf_cli_add_set(struct nf_cli *cli, const char *name, const char *value, char *storage,
                   size_t cap)
{
    if (cli->nsets == NF_CLI_SETS_MAX) {
        nf_cli_usage_error(cli, "more than %d settings on the command line", NF_CLI_SETS_MAX);
        return -1;
    }
    int n = snprintf(storage, cap, "%s=%s", name, value);
    if (n < 0 || (size_t)n >= cap) {
        nf_cli_usage_error(cli, "the value for %s is too long", name);
        return -1;
    }
    cli->sets[cli->nsets++] = storage;
    return 0;
}

int nf_cli_load_config(const struct nf_cli *cli, struct nf_config *cfg)
{
    return nf_cli_load_config_to(cli, cfg, NULL, 0);
}

int nf_cli_load_config_to(const struct nf_cli *cli, struct nf_config *cfg, char *problems_out,
                          size_t cap)
{
    const char *file = cli->config_file;
    if (file == NULL) {
        const char *envf = getenv("NODEFLEET_CONFIG");
        if (envf != NULL && envf[0] != '\0')
            file = envf;
    }
    struct nf_config_sources src = {
        .file = file, .envp = environ, .sets = cli->sets, .nsets = cli->nsets};
    struct nf_buf problems;
    nf_buf_init(&problems, 64 * 1024);
    struct nf_err err = {0};
    int rc = nf_config_load(cfg, &src, &problems, &err);
    if (rc != NF_OK) {
        if (problems_out != NULL) {
            /* one line: the problems joined by "; " */
            const char *text = problems.len > 0 ? problems.data : err.msg;
            size_t o = 0;
            for (const char *p = text; *p && o + 3 < cap; p++) {
                if (*p == '\n') {
                    if (p[1] != '\0') {
                        problems_out[o++] = ';';
                        problems_out[o++] = ' ';
                    }
                } else {
                    problems_out[o++] = *p;
                }
            }
            if (cap > 0)
                problems_out[o < cap ? o : cap - 1] = '\0';
        } else if (problems.len > 0) {
            fputs(problems.data, stderr);
        } else {
            nf_cli_say(cli->cmd, "%s", err.msg);
        }
        nf_buf_free(&problems);
        return nf_err_exit_status(rc);
    }
    nf_buf_free(&problems);
    int lvl = nf_log_level_parse(cfg->log_level);
    if (lvl >= 0)
        nf_log_set_level((enum nf_log_level)lvl);
    /* nothing that does nothing silently: a setting without effect yet says so */
    int inert[NF_CFG__COUNT];
    size_t ninert = nf_config_inert_set(cfg, inert, NF_CFG__COUNT);
    for (size_t i = 0; i < ninert && strcmp(cli->cmd, "check-config") != 0; i++)
        nf_log(NF_LOG_WARN, "this setting has no effect yet; it is accepted for compatibility",
               NF_LF_STR("setting", nf_settings[inert[i]].name), NF_LF_END);
    return 0;
}

int nf_cli_common_only(struct nf_cli *cli, int argc, char **argv, struct nf_config *cfg)
{
    for (int i = 1; i < argc; i++)
        if (!nf_cli_common_opt(cli, argc, argv, &i))
            return nf_cli_usage_error(cli, "unknown option %s", argv[i]);
    return nf_cli_load_config(cli, cfg);
}

int nf_cli_kube_exit(int rc)
{
    return rc == NF_E_CONFIG || rc == NF_E_USAGE ? 2 : 1;
}

int nf_cli_kube_open(const struct nf_cli *cli, struct nf_config *cfg, struct nf_kube *k)
{
    extern char **environ;
    int st = nf_cli_load_config(cli, cfg);
    if (st != 0)
        return st;
    struct nf_err err = {0};
    struct nf_kube_opts o;
    nf_cli_kube_opts(cfg, &o);
    int rc = nf_kube_open(k, &o, environ, &err);
    if (rc != NF_OK) {
        nf_cli_say(cli->cmd, "%s", err.msg);
        return nf_cli_kube_exit(rc);
    }
    return 0;
}

void nf_cli_kube_opts(const struct nf_config *cfg, struct nf_kube_opts *o)
{
    *o = (struct nf_kube_opts){.kubeconfig = cfg->kube_kubeconfig,
                               .context = cfg->kube_context,
                               .serviceaccount_dir = cfg->kube_serviceaccount_dir,
                               .timeout_s = cfg->kube_timeout,
                               .page_size = (int)cfg->kube_page_size};
}

void nf_cli_prom_opts(const struct nf_config *cfg, struct nf_prom_opts *o)
{
    *o = (struct nf_prom_opts){
        .url = cfg->prometheus_url,
        .ca_file = cfg->prometheus_ca_file,
        .bearer_token_file = cfg->prometheus_bearer_token_file,
        .user = cfg->prometheus_basic_auth_user,
        .password = cfg->prometheus_basic_auth_password,
        .password_file = cfg->prometheus_basic_auth_password_file,
        .connect_timeout_s = cfg->prometheus_connect_timeout,
        .timeout_s = cfg->prometheus_timeout,
        .max_response_bytes = (size_t)cfg->prometheus_max_response_bytes,
        .attempts = (int)cfg->prometheus_attempts,
        .step = cfg->prometheus_step,
        .server_nodes = (int)cfg->prometheus_server_nodes,
        .queries = {[NF_SIG_CPU] = cfg->prometheus_query_cpu,
                    [NF_SIG_MEMORY] = cfg->prometheus_query_memory,
                    [NF_SIG_PENDING_PODS] = cfg->prometheus_query_pending_pods,
                    [NF_SIG_QUEUE_DEPTH] = cfg->prometheus_query_queue_depth,
                    [NF_SIG_LATENCY_P95_MS] = cfg->prometheus_query_latency_p95_ms,
                    [NF_SIG_ERROR_RATE_PCT] = cfg->prometheus_query_error_rate_pct},
        .node_count_query = cfg->prometheus_query_node_count,
        .ntriggers = cfg->ntriggers};
    for (int k = 0; k < cfg->ntriggers && k < NF_TRIGGERS_MAX; k++) {
        o->trigger_names[k] = cfg->triggers[k].name;
        o->trigger_queries[k] = cfg->triggers[k].query;
    }
}

int nf_cli_prom_open(const struct nf_cli *cli, const struct nf_config *cfg,
                     struct nf_prom_source **out)
{
    struct nf_prom_opts po;
    nf_cli_prom_opts(cfg, &po);
    struct nf_err err = {0};
    int rc = nf_prom_source_new(&po, out, &err);
    if (rc != NF_OK) {
        nf_cli_say(cli->cmd, "%s", err.msg);
        return nf_err_exit_status(rc);
    }
    return 0;
}

int nf_cli_html_target(const struct nf_cli *cli, const char *html, bool json, struct nf_outfile *o)
{
    if (json && strcmp(html, "-") == 0)
        return nf_cli_usage_error(cli, "--json and --html - both write to standard output");
    struct nf_err err = {0};
    if (nf_outfile_check(o, html, "--html", &err) != NF_OK) {
        nf_cli_say(cli->cmd, "%s", err.msg);
        return nf_err_exit_status(err.code);
    }
    return 0;
}
