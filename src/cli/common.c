/* common.c - options every subcommand shares, and config loading for the CLI. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kube/kclient.h"
#include "../util/log.h"
#include "cli.h"

extern char **environ;

int nf_cli_usage_error(const struct nf_cli *cli, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "nodefleet %s: %s (see 'nodefleet help %s')\n", cli->cmd, msg, cli->cmd);
    return 2;
}

const char *nf_cli_value(const struct nf_cli *cli, int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        nf_cli_usage_error(cli, "%s needs a value", argv[*i]);
        return NULL;
    }
    (*i)++;
    return argv[*i];
}

int nf_cli_common_opt(struct nf_cli *cli, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0) {
        const char *v = a[8] == '=' ? a + 9 : nf_cli_value(cli, argc, argv, i);
        if (v == NULL)
            return -1;
        cli->config_file = v;
        return 1;
    }
    if (strcmp(a, "--set") == 0 || strncmp(a, "--set=", 6) == 0) {
        const char *v = a[5] == '=' ? a + 6 : nf_cli_value(cli, argc, argv, i);
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
        const char *v = a[7] == '=' ? a + 8 : nf_cli_value(cli, argc, argv, i);
        if (v == NULL)
            return -1;
        if (cli->nsets == NF_CLI_SETS_MAX || strlen(v) + 7 > sizeof cli->store_set) {
            nf_cli_usage_error(cli, "--store: too long, or too many --set options");
            return -1;
        }
        snprintf(cli->store_set, sizeof cli->store_set, "store=%s", v);
        cli->sets[cli->nsets++] = cli->store_set;
        return 1;
    }
    return 0;
}

int nf_cli_load_config(const struct nf_cli *cli, struct nf_config *cfg)
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
        if (problems.len > 0)
            fputs(problems.data, stderr);
        else
            fprintf(stderr, "nodefleet %s: %s\n", cli->cmd, err.msg);
        nf_buf_free(&problems);
        return nf_err_exit_status(rc);
    }
    nf_buf_free(&problems);
    int lvl = nf_log_level_parse(cfg->log_level);
    if (lvl >= 0)
        nf_log_set_level((enum nf_log_level)lvl);
    return 0;
}

int nf_cli_common_only(struct nf_cli *cli, int argc, char **argv, struct nf_config *cfg)
{
    for (int i = 1; i < argc; i++) {
        int c = nf_cli_common_opt(cli, argc, argv, &i);
        if (c < 0)
            return 2;
        if (c == 0)
            return nf_cli_usage_error(cli, "unknown option %s", argv[i]);
    }
    return nf_cli_load_config(cli, cfg);
}

int nf_cli_kube_exit(int rc)
{
    return rc == NF_E_CONFIG || rc == NF_E_USAGE ? 2 : 1;
}

int nf_cli_kube_open(const struct nf_cli *cli, const struct nf_config *cfg, struct nf_kube *k)
{
    extern char **environ;
    struct nf_err err = {0};
    int rc = nf_kube_open(k, cfg, environ, &err);
    if (rc != NF_OK) {
        fprintf(stderr, "nodefleet %s: %s\n", cli->cmd, err.msg);
        return nf_cli_kube_exit(rc);
    }
    return 0;
}
