/* kube_cluster.c - the cluster port over the API server. */
#define _POSIX_C_SOURCE 200809L
#include "kube_cluster.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/budget.h"

void nf_kube_cluster_init(struct nf_kube_cluster *c, struct nf_kube *k, const struct nf_config *cfg)
{
    memset(c, 0, sizeof *c);
    c->k = k;
    nf_strjoin(c->market_label, sizeof c->market_label, cfg->kube_market_label, (const char *)NULL);
    nf_strjoin(c->spot_value, sizeof c->spot_value, cfg->kube_market_spot_value,
               (const char *)NULL);
    c->drain = (struct nf_drain_opts){.timeout_s = cfg->kube_drain_timeout,
                                      .eviction_retry_s = cfg->kube_eviction_retry,
                                      .market_label = c->market_label,
                                      .market_spot_value = c->spot_value};
}

static void drop_snapshot(struct nf_kube_cluster *c)
{
    nf_kindex_free(c->ix);
    c->ix = NULL;
    if (c->have_snap)
        nf_kcluster_free(&c->snap);
    c->have_snap = false;
    free(c->verdicts);
    c->verdicts = NULL;
}

int nf_kube_cluster_watch(struct nf_kube_cluster *c, struct nf_err *err)
{
    struct nf_kwatch_opts o = {.market_label = c->market_label, .spot_value = c->spot_value};
    c->first_wait_s = c->k->timeout_s;
    return nf_kwatch_start(c->k, &o, &c->watch, err);
}

void nf_kube_cluster_free(struct nf_kube_cluster *c)
{
    drop_snapshot(c); /* before the cache its strings live in */
    nf_kwatch_stop(c->watch);
    c->watch = NULL;
    free(c->nodes);
    c->nodes = NULL;
}

static int kc_observe(void *ctx, struct nf_cluster_view *out, struct nf_err *err)
{
    struct nf_kube_cluster *c = ctx;
    drop_snapshot(c);
    nf_kcluster_init(&c->snap, c->market_label, c->spot_value);
    c->have_snap = true;
    int rc = c->watch
                 ? nf_kwatch_view(c->watch, fmin(c->first_wait_s, nf_budget_left()), &c->snap, err)
                 : nf_kube_snapshot(c->k, &c->snap, err);
    if (rc == NF_OK)
        rc = nf_kindex_build(&c->snap, &c->ix, err);
    if (rc != NF_OK) {
        drop_snapshot(c);
        return rc;
    }
    if (c->snap.nnodes > c->cap_nodes) {
        struct nf_node_info *n = realloc(c->nodes, c->snap.nnodes * sizeof *n);
        if (n == NULL) {
            drop_snapshot(c);
            return nf_err_set(err, NF_E_NOMEM, "out of memory");
        }
        c->nodes = n;
        c->cap_nodes = c->snap.nnodes;
    }
    /* every node's verdict now, for the status page and explain */
    c->verdicts = calloc(c->snap.nnodes ? c->snap.nnodes : 1, sizeof *c->verdicts);
    size_t *none = calloc(c->snap.nnodes ? c->snap.nnodes : 1, sizeof *none);
    if (c->verdicts == NULL || none == NULL) {
        free(none);
        drop_snapshot(c);
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    }
    nf_drain_choose(&c->snap, c->ix, 0, -1, none, c->verdicts);
    free(none);
    for (size_t i = 0; i < c->snap.nnodes; i++) {
        const struct nf_knode *k = &c->snap.nodes[i];
        struct nf_node_info *v = &c->nodes[i];
        memset(v, 0, sizeof *v);
        snprintf(v->name, sizeof v->name, "%s", k->name);
        snprintf(v->instance, sizeof v->instance, "%s", k->instance_id);
        snprintf(v->internal_ip, sizeof v->internal_ip, "%s", k->internal_ip);
        snprintf(v->zone, sizeof v->zone, "%s", k->zone ? k->zone : "");
        v->market = k->market;
        v->ready = k->ready;
        v->cordoned = k->unschedulable;
        v->control_plane = k->control_plane;
        v->created = k->created;
        if (c->verdicts[i].block != NF_BLOCK_NONE)
            nf_strjoin(v->why_not, sizeof v->why_not, nf_block_id(c->verdicts[i].block), ": ",
                       c->verdicts[i].detail, (const char *)NULL);
    }
    struct nf_pending pd;
    nf_kube_pending(&c->snap, &pd);
    out->nodes = c->nodes;
    out->nnodes = c->snap.nnodes;
    out->pending_pods = pd.pods;
    out->pending_cpu_m = pd.cpu_m;
    out->pending_mem = pd.mem;
    out->fleet = nf_kindex_fleet(c->ix);
    return NF_OK;
}

static int kc_choose(void *ctx, const char *const *names, size_t nnames, int count, int prefer,
                     size_t *chosen, size_t *nchosen, char *why, size_t whylen, struct nf_err *err)
{
    struct nf_kube_cluster *c = ctx;
    *nchosen = 0;
    if (!c->have_snap || c->ix == NULL)
        return nf_err_set(err, NF_E_INTERNAL, "choose before observe");
    size_t nn = c->snap.nnodes;
    bool *allowed = calloc(nn ? nn : 1, sizeof *allowed);
    size_t *out = calloc(nn ? nn : 1, sizeof *out);
    size_t *name_of = calloc(nn ? nn : 1, sizeof *name_of);
    if (!allowed || !out || !name_of || !c->verdicts) {
        free(allowed);
        free(out);
        free(name_of);
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < nnames; k++)
        for (size_t i = 0; i < nn; i++)
            if (strcmp(c->snap.nodes[i].name, names[k]) == 0) {
                allowed[i] = true;
                name_of[i] = k;
                break;
            }
    size_t got =
        nf_drain_choose_among(&c->snap, c->ix, allowed, (size_t)count, prefer, out, c->verdicts);
    for (size_t i = 0; i < got; i++)
        chosen[(*nchosen)++] = name_of[out[i]];
    if ((int)got < count) {
        /* say why the next one could not go: the first allowed node that is blocked */
        why[0] = '\0';
        for (size_t i = 0; i < nn && !why[0]; i++)
            if (allowed[i] && c->verdicts[i].block != NF_BLOCK_NONE)
                nf_strjoin(why, whylen, nf_block_id(c->verdicts[i].block), ": ",
                           c->verdicts[i].detail, (const char *)NULL);
        if (!why[0])
            snprintf(why, whylen,
                     "no other worker may be removed without leaving pods "
                     "nowhere to go");
    }
    free(allowed);
    free(out);
    free(name_of);
    return NF_OK;
}

static int kc_drain_step(void *ctx, const char *node, double started_at, double now,
                         double force_at, struct nf_drain_report *rep, struct nf_err *err)
{
    struct nf_kube_cluster *c = ctx;
    struct nf_drain_opts o = c->drain;
    o.force_at = force_at;
    return nf_kube_drain_step(c->k, node, started_at, now, &o, rep, err);
}

static int kc_remove(void *ctx, const char *node, struct nf_err *err)
{
    struct nf_kube_cluster *c = ctx;
    return nf_kube_delete_node(c->k, node, err);
}

static void kc_settle(void *ctx)
{
    struct nf_kube_cluster *c = ctx;
    drop_snapshot(c);
    if (c->watch)
        nf_kwatch_unview(c->watch);
}

const struct nf_cluster_port nf_kube_cluster_port = {.name = "kube",
                                                     .settle = kc_settle,
                                                     .observe = kc_observe,
                                                     .choose = kc_choose,
                                                     .drain_step = kc_drain_step,
                                                     .remove_node = kc_remove};
