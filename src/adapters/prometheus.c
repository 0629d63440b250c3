/* prometheus.c - Prometheus as ports: the metrics port (every signal's history), and a
 * cluster that is only Prometheus' count of workers (cluster = prometheus): observe-only, for
 * trying nodefleet on a cluster it may not touch. */
#define _POSIX_C_SOURCE 200809L
#include "prometheus.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int port_history(void *ctx, double start, double end, struct nf_sample *out, size_t cap,
                        size_t *n, struct nf_err *err)
{
    return nf_prom_history(ctx, end, end - start, out, cap, n, NULL, err);
}

const struct nf_metrics_port nf_prom_metrics_port = {.name = "prometheus", .history = port_history};

/* the workers, counted by Prometheus: anonymous Ready nodes, nothing to drain with */
static int view_observe(void *ctx, struct nf_cluster_view *out, struct nf_err *err)
{
    struct nf_prom_view *v = ctx;
    int w = 0;
    int rc = nf_prom_workers(v->prom, NAN, &w, err);
    if (rc != NF_OK)
        return rc;
    if (w < 0)
        w = 0;
    if (w > (int)(sizeof v->nodes / sizeof v->nodes[0]))
        w = (int)(sizeof v->nodes / sizeof v->nodes[0]);
    for (int i = 0; i < w; i++) {
        memset(&v->nodes[i], 0, sizeof v->nodes[i]);
        snprintf(v->nodes[i].name, sizeof v->nodes[i].name, "worker-%d", i + 1);
        v->nodes[i].ready = true;
    }
    out->nodes = v->nodes;
    out->nnodes = (size_t)w;
    return NF_OK;
}

static int view_choose(void *ctx, const char *const *names, size_t nnames, int count, int prefer,
                       size_t *chosen, size_t *nchosen, char *why, size_t whylen,
                       struct nf_err *err)
{
    (void)ctx;
    (void)names;
    (void)nnames;
    (void)count;
    (void)prefer;
    (void)chosen;
    (void)err;
    *nchosen = 0;
    snprintf(why, whylen,
             "workers counted through Prometheus cannot be drained (cluster = "
             "prometheus)");
    return NF_OK;
}

static int view_drain_step(void *ctx, const char *node, double started_at, double now,
                           double force_at, struct nf_drain_report *rep, struct nf_err *err)
{
    (void)ctx;
    (void)started_at;
    (void)now;
    (void)force_at;
    memset(rep, 0, sizeof *rep);
    return nf_err_set(err, NF_E_UNAVAILABLE, "cannot drain %s: cluster = prometheus", node);
}

static int view_remove(void *ctx, const char *node, struct nf_err *err)
{
    (void)ctx;
    return nf_err_set(err, NF_E_UNAVAILABLE, "cannot delete %s: cluster = prometheus", node);
}

const struct nf_cluster_port nf_prom_view_cluster_port = {.name = "prometheus",
                                                          .observe = view_observe,
                                                          .choose = view_choose,
                                                          .drain_step = view_drain_step,
                                                          .remove_node = view_remove};
