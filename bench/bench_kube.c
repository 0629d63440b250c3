/* bench_kube.c - against an API server holding a large cluster (bench_kube.py builds one):
 * the time to list and read every pod, the whole snapshot, and the drain verdicts of every
 * node. Configuration as nodefleet reads it (KUBECONFIG). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "config/config.h"
#include "kube/drainable.h"
#include "kube/kcluster.h"
#include "util/clock.h"

extern char **environ;

static int on_pod(void *c, const json_t *item, struct nf_err *err)
{
    return nf_kread_pod(c, item, err);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "all";
    struct nf_config cfg;
    struct nf_err err = {0};
    if (nf_config_load_env(&cfg, environ) != NF_OK)
        return 2;
    struct nf_kube k;
    struct nf_cli cli = {.cmd = "bench_kube"};
    int open_status = nf_cli_kube_open(&cli, &cfg, &k);
    if (open_status != 0)
        return open_status;
    struct nf_kcluster c;
    nf_kcluster_init(&c, cfg.kube_market_label, cfg.kube_market_spot_value);
    int status = 0;
    double t0 = nf_mono_now();
    if (strcmp(what, "pods") == 0) { /* the pods alone, for the peak-memory figure */
        if (nf_kube_list(&k, "/api/v1/pods", NULL, on_pod, &c, &err) != NF_OK) {
            fprintf(stderr, "bench_kube: %s\n", err.msg);
            status = 1;
        } else {
            printf("{\"pods\": %zu, \"seconds\": %.3f, \"requests\": %ld, \"arena_mb\": %.1f}\n",
                   c.npods, nf_mono_now() - t0, k.requests, c.arena.bytes / 1048576.0);
        }
    } else {
        if (nf_kube_snapshot(&k, &c, &err) != NF_OK) {
            fprintf(stderr, "bench_kube: %s\n", err.msg);
            status = 1;
        } else {
            double snap = nf_mono_now() - t0;
            const int rounds = 20;
            double best = 1e9, sum = 0;
            size_t drainable = 0;
            struct nf_drain_verdict *v = calloc(c.nnodes + 1, sizeof *v);
            size_t *out = calloc(c.nnodes + 1, sizeof *out);
            for (int r = 0; r < rounds && v && out; r++) {
                double a = nf_mono_now();
                struct nf_kindex *ix = NULL;
                if (nf_kindex_build(&c, &ix, &err) != NF_OK) {
                    status = 1;
                    break;
                }
                nf_drain_choose(&c, ix, 0, -1, out, v);
                nf_kindex_free(ix);
                double d = nf_mono_now() - a;
                sum += d;
                best = d < best ? d : best;
            }
            for (size_t i = 0; i < c.nnodes; i++)
                drainable += v && v[i].block == NF_BLOCK_NONE;
            printf("{\"nodes\": %zu, \"pods\": %zu, \"snapshot_s\": %.3f, \"verdicts_ms_mean\": "
                   "%.2f, \"verdicts_ms_best\": %.2f, \"drainable\": %zu}\n",
                   c.nnodes, c.npods, snap, sum / rounds * 1e3, best * 1e3, drainable);
            free(v);
            free(out);
        }
    }
    nf_kcluster_free(&c);
    nf_kube_close(&k);
    return status;
}
