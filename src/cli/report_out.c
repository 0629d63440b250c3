/* report_out.c - a simulator report to where `simulate` and `replay` were asked to put it. */
#include <stdio.h>

#include "../sim/sim.h"
#include "../util/files.h"
#include "cli.h"

/* Reports are built in memory; none comes near this. */
#define NF_REPORT_MAX ((size_t)64 * 1024 * 1024)

int nf_cli_emit_report(const struct nf_cli *cli, const struct nf_sim_report *rep, bool json,
                       const struct nf_outfile *html)
{
    int status = 0;
    struct nf_buf out;
    nf_buf_init(&out, NF_REPORT_MAX);
    if (json)
        nf_sim_write_json(rep, &out);
    else
        nf_sim_write_text(rep, &out);
    if (html != NULL && html->to_stdout) {
        /* the HTML is the output */
    } else if (out.status != NF_OK || fwrite(out.data, 1, out.len, stdout) != out.len ||
               fflush(stdout) != 0) {
        nf_cli_say(cli->cmd, "cannot write the report");
        status = 1;
    }
    if (html != NULL && status == 0) {
        nf_buf_reset(&out);
        nf_sim_write_html(rep, &out);
        struct nf_err err = {0};
        if (out.status != NF_OK) {
            nf_cli_say(cli->cmd, "HTML report: %s", nf_strerror(out.status));
            status = 1;
        } else if (nf_outfile_write(html, out.data, out.len, &err) != NF_OK) {
            nf_cli_say(cli->cmd, "%s", err.msg);
            status = nf_err_exit_status(err.code);
        } else if (!json && !html->to_stdout) {
            printf("\nHTML report written to %s\n", html->path);
        }
    }
    nf_buf_free(&out);
    return status;
}
