/* cmd_check_config.c - `nodefleet check-config`: print the effective config, or each problem. */
#include <stdio.h>
#include <string.h>

#include "../aws/client.h"
#include "cli.h"
#include "iam_policy.h"

extern char **environ;

static int emit(struct nf_buf *b)
{
    int bad =
        b->status != NF_OK || fwrite(b->data, 1, b->len, stdout) != b->len || fflush(stdout) != 0;
    nf_buf_free(b);
    if (bad) {
        nf_cli_say("check-config", "cannot write the output");
        return 1;
    }
    return 0;
}

int nf_cmd_check_config(int argc, char **argv)
{
    struct nf_cli cli = {.cmd = "check-config"};
    bool example = false, docs = false, iam = false;
    for (int i = 1; i < argc; i++) {
        if (nf_cli_common_opt(&cli, argc, argv, &i))
            continue;
        if (strcmp(argv[i], "--example") == 0)
            example = true;
        else if (strcmp(argv[i], "--docs") == 0)
            docs = true;
        else if (strcmp(argv[i], "--iam-policy") == 0)
            iam = true;
        else
            return nf_cli_usage_error(&cli, "unknown option %s", argv[i]);
    }
    struct nf_buf out;
    nf_buf_init(&out, 1024 * 1024);
    if (example + docs + iam > 1)
        return nf_cli_usage_error(&cli, "--example, --docs and --iam-policy exclude each other");
    if (example || docs) {
        if (example)
            nf_config_write_example(&out);
        else
            nf_config_write_docs(&out);
        return emit(&out);
    }
    struct nf_config cfg;
    int st = nf_cli_load_config(&cli, &cfg);
    if (st != 0) {
        nf_buf_free(&out);
        return st;
    }
    /* the AWS variables nodefleet reads that are not settings are checked here too */
    struct nf_err err = {0};
    if (nf_aws_env_check(environ, &err) != NF_OK) {
        nf_buf_free(&out);
        nf_cli_say("check-config", "%s", err.msg);
        return 2;
    }
    if (iam) {
        if (nf_iam_policy(&cfg, &out, &err) != NF_OK) {
            nf_buf_free(&out);
            nf_cli_say("check-config", "%s", err.msg);
            return nf_err_exit_status(err.code);
        }
        return emit(&out);
    }
    nf_config_write_effective(&cfg, &out);
    /* what only the commands can check: they need a network, a file or a credential */
    bool aws = strcmp(cfg.cloud, "ec2") == 0 || strncmp(cfg.store, "dynamodb", 8) == 0 ||
               cfg.aws_sns_topic_arn[0] || cfg.aws_prometheus_secret[0] ||
               cfg.aws_slack_webhook_secret[0];
    nf_buf_puts(&out, "# checked by the commands that use them, not here:\n");
    if (strncmp(cfg.store, "sqlite:", 7) == 0)
        nf_buf_puts(&out, "#   the state file: created by run/once/lambda, must exist for "
                          "status/explain/unlock\n");
    else
        nf_buf_puts(&out, "#   the DynamoDB table: must exist and be reachable (run, once, "
                          "lambda, status, explain, unlock)\n");
    if (aws)
        nf_buf_printf(&out, "#   AWS credentials%s (run, once, lambda)\n",
                      cfg.aws_region[0] ? ""
                                        : " and the region (AWS_DEFAULT_REGION, the profile "
                                          "or instance metadata)");
    if (strcmp(cfg.cluster, "kube") == 0)
        nf_buf_puts(&out, "#   the kubeconfig and the API server (run, once, lambda, nodes, "
                          "drain, explain)\n");
    nf_buf_puts(&out, "#   Prometheus answering (run, once, lambda, observe, replay)\n");
    int inert[NF_CFG__COUNT];
    size_t ninert = nf_config_inert_set(&cfg, inert, NF_CFG__COUNT);
    for (size_t i = 0; i < ninert; i++)
        nf_buf_printf(&out, "# no effect yet (accepted for compatibility): %s\n",
                      nf_settings[inert[i]].name);
    nf_buf_puts(&out, "configuration OK\n");
    return emit(&out);
}
