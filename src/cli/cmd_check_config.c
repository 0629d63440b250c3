/* cmd_check_config.c - `nodefleet check-config`: print the effective config, or each problem. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int emit(struct nf_buf *b)
{
    int bad =
        b->status != NF_OK || fwrite(b->data, 1, b->len, stdout) != b->len || fflush(stdout) != 0;
    nf_buf_free(b);
    if (bad) {
        fprintf(stderr, "nodefleet check-config: cannot write the output\n");
        return 1;
    }
    return 0;
}

int nf_cmd_check_config(int argc, char **argv)
{
    struct nf_cli cli = {.cmd = "check-config"};
    bool example = false, docs = false;
    for (int i = 1; i < argc; i++) {
        int c = nf_cli_common_opt(&cli, argc, argv, &i);
        if (c < 0)
            return 2;
        if (c > 0)
            continue;
        if (strcmp(argv[i], "--example") == 0)
            example = true;
        else if (strcmp(argv[i], "--docs") == 0)
            docs = true;
        else
            return nf_cli_usage_error(&cli, "unknown option %s", argv[i]);
    }
    struct nf_buf out;
    nf_buf_init(&out, 1024 * 1024);
    if (example || docs) {
        if (example && docs)
            return nf_cli_usage_error(&cli, "--example and --docs exclude each other");
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
    nf_config_write_effective(&cfg, &out);
    nf_buf_puts(&out, "configuration OK\n");
    return emit(&out);
}
