/* cmd_decide.c - `nodefleet decide`: one observation on stdin, one decision on stdout. */
#include <stdio.h>
#include <string.h>

#include "../core/policy.h"
#include "cli.h"
#include "decide_input.h"

int nf_cmd_decide(int argc, char **argv)
{
    struct nf_cli cli = {.cmd = "decide"};
    const char *policy = NULL, *input = NULL;
    for (int i = 1; i < argc; i++) {
        if (nf_cli_common_opt(&cli, argc, argv, &i))
            continue;
        if (strcmp(argv[i], "--policy") == 0) {
            if (nf_cli_value_once(&cli, argc, argv, &i, &policy) != 0)
                return 2;
        } else if (strcmp(argv[i], "--input") == 0) {
            if (nf_cli_value_once(&cli, argc, argv, &i, &input) != 0)
                return 2;
        } else {
            return nf_cli_usage_error(&cli, "unknown option %s", argv[i]);
        }
    }
    if (input == NULL)
        input = "-";
    struct nf_config cfg;
    int st = nf_cli_load_config(&cli, &cfg);
    if (st != 0)
        return st;
    struct nf_policy pol;
    struct nf_err err = {0};
    if (nf_config_policy(&pol, policy ? policy : cfg.policy, &cfg, &err) != NF_OK)
        return nf_cli_usage_error(&cli, "%s", err.msg);

    struct nf_buf in;
    nf_buf_init(&in, NF_DECIDE_INPUT_MAX);
    int rc = nf_buf_read_file(&in, input, "input", &err);
    struct nf_decide_input di;
    if (rc == NF_OK)
        rc = nf_decide_parse(in.data, in.len, &cfg, &di, &err);
    nf_buf_free(&in);
    if (rc != NF_OK) {
        nf_cli_say("decide", "%s", err.msg);
        return nf_err_exit_status(rc);
    }
    static struct nf_pool_template tmpl;
    nf_config_template(&cfg, &tmpl);
    di.obs.tmpl = &tmpl.node;
    struct nf_plan plan;
    nf_policy_decide(&pol, &di.obs, &plan);
    struct nf_buf out;
    nf_buf_init(&out, 64u << 20);
    nf_decide_write_plan(&plan, &out);
    if (di.obs.fleet != NULL)
        nf_decide_write_pool(di.obs.fleet, &tmpl.node, &out);
    nf_decide_input_free(&di);
    int status = 0;
    if (out.status != NF_OK || fwrite(out.data, 1, out.len, stdout) != out.len ||
        fflush(stdout) != 0) {
        nf_cli_say("decide", "cannot write the decision");
        status = 1;
    }
    nf_buf_free(&out);
    return status;
}
