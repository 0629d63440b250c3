/* nfkube.c - nodefleet's Kubernetes code, one command per operation, for the tests.
 *
 *   nfkube step NODE STARTED_AT    one drain step at the current time; prints its report
 *   nfkube choose N [MARKET]       the nodes nf_drain_choose picks (MARKET: spot|on-demand)
 *
 * Configuration as nodefleet reads it (KUBECONFIG, NODEFLEET_* variables). Exit 0 ok,
 * 1 error (message on stderr), 2 usage. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "config/config.h"
#include "util/parse.h"
#include "kube/drain.h"
#include "kube/drainable.h"
#include "kube/kcluster.h"
#include "util/clock.h"

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: nfkube step NODE STARTED_AT | choose N [MARKET]\n");
        return 2;
    }
    struct nf_config cfg;
    struct nf_err err = {0};
    if (nf_config_load_env(&cfg, environ) != NF_OK)
        return 2;
    struct nf_kube k;
    struct nf_cli cli = {.cmd = "nfkube"};
    int open_status = nf_cli_kube_open(&cli, &cfg, &k);
    if (open_status != 0)
        return open_status;
    int status = 0;
    if (strcmp(argv[1], "step") == 0 && argc == 4) {
        struct nf_drain_opts o = {.timeout_s = cfg.kube_drain_timeout,
                                  .eviction_retry_s = cfg.kube_eviction_retry,
                                  .market_label = cfg.kube_market_label,
                                  .market_spot_value = cfg.kube_market_spot_value};
        struct nf_drain_report rep;
        if (nf_kube_drain_step(&k, argv[2], atof(argv[3]), nf_wall_now(), &o, &rep, &err) !=
            NF_OK) {
            fprintf(stderr, "nfkube: %s\n", err.msg);
            status = 1;
        } else {
            static const char *const states[] = {"in_progress", "done", "aborted"};
            struct nf_buf b;
            nf_buf_init(&b, 8192);
            nf_buf_printf(&b,
                          "{\"state\": \"%s\", \"remaining\": %d, \"evicted\": %d, "
                          "\"refused\": %d, \"retry_in_s\": %.1f, \"why\": ",
                          states[rep.state], rep.remaining, rep.evicted, rep.refused,
                          rep.retry_in_s);
            nf_buf_json_str(&b, rep.why);
            nf_buf_puts(&b, "}\n");
            fputs(b.data, stdout);
            nf_buf_free(&b);
        }
    } else if (strcmp(argv[1], "choose") == 0 && argc >= 3) {
        struct nf_kcluster c;
        nf_kcluster_init(&c, cfg.kube_market_label, cfg.kube_market_spot_value);
        struct nf_kindex *ix = NULL;
        int rc = nf_kube_snapshot(&k, &c, &err);
        if (rc == NF_OK)
            rc = nf_kindex_build(&c, &ix, &err);
        if (rc != NF_OK) {
            fprintf(stderr, "nfkube: %s\n", err.msg);
            status = 1;
        } else {
            int prefer = argc > 3
                             ? (strcmp(argv[3], "spot") == 0 ? NF_MARKET_SPOT : NF_MARKET_ON_DEMAND)
                             : -1;
            long long want = 0;
            const char *why = NULL;
            if (nf_parse_ll(argv[2], strlen(argv[2]), &want, &why) != NF_OK || want < 0) {
                fprintf(stderr, "nfkube: choose %s: not a whole number of nodes\n", argv[2]);
                nf_kindex_free(ix);
                nf_kcluster_free(&c);
                return 2;
            }
            size_t *out = calloc(c.nnodes + 1, sizeof *out);
            size_t n = nf_drain_choose(&c, ix, (size_t)want, prefer, out, NULL);
            for (size_t i = 0; i < n; i++)
                printf("%s\n", c.nodes[out[i]].name);
            free(out);
        }
        nf_kindex_free(ix);
        nf_kcluster_free(&c);
    } else {
        fprintf(stderr, "nfkube: unknown command or wrong arguments: %s\n", argv[1]);
        status = 2;
    }
    nf_kube_close(&k);
    return status;
}
