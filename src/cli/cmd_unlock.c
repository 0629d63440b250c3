/* cmd_unlock.c - `nodefleet unlock`: clear a stuck lease (the seed's troubleshooting step),
 * saying who held it. The fencing token goes up, so the old holder, should it still be
 * alive, can write nothing more. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../adapters/stores.h"
#include "../util/timefmt.h"
#include "cli.h"
#include "../util/clock.h"

extern char **environ;

int nf_cmd_unlock(int argc, char **argv)
{
    struct nf_cli cli = {.cmd = "unlock"};
    struct nf_config cfg;
    int st = nf_cli_common_only(&cli, argc, argv, &cfg);
    if (st != 0)
        return st;
    struct nf_err err = {0};
    struct nf_store_handle h;
    int rc = nf_store_check_exists(&cfg, &err);
    if (rc == NF_OK)
        rc = nf_store_open(&h, &cfg, NF_STORE_LEASE_ONLY, environ, &err);
    if (rc != NF_OK) {
        nf_cli_say("unlock", "%s", err.msg);
        return nf_err_exit_status(rc);
    }
    double now = floor(nf_wall_now());
    struct nf_lease was;
    rc = h.port->unlock(h.ctx, now, &was, &err);
    int status = 0;
    if (rc != NF_OK) {
        nf_cli_say("unlock", "%s", err.msg);
        status = nf_err_exit_status(rc);
    } else if (was.owner[0] == '\0') {
        printf("no lease was held on %s in %s; fencing token is now %lld\n", cfg.cluster_id, h.desc,
               was.token + 1);
    } else {
        char acquired[32], expiry[32];
        nf_format_time(was.acquired_at, acquired);
        nf_format_time(was.expiry, expiry);
        printf("cleared the lease on %s held by %s since %s (token %lld, %s %s); fencing token "
               "is now %lld\n",
               cfg.cluster_id, was.owner, acquired, was.token,
               was.expiry < now ? "expired" : "would have expired", expiry, was.token + 1);
    }
    nf_store_close(&h);
    nf_aws_models_free();
    return status;
}
