/* cmd_nodes.c - `nodefleet nodes`: the workers as nodefleet sees them, and for each whether
 * it may be drained now, or why not. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kube/drainable.h"
#include "../kube/kcluster.h"
#include "../util/buf.h"
#include "cli.h"

static double share(int64_t used, int64_t of)
{
    return of > 0 ? 100.0 * (double)used / (double)of : 0;
}

/* what the listing shows: the cluster, its worker counts and pending demand, each node's drain
 * verdict and requested CPU */
struct listing {
    const struct nf_kcluster *c;
    struct nf_workers w;
    struct nf_pending pend;
    const struct nf_drain_verdict *v;
    const int *npods;
    const int64_t *used_cpu;
};

static void print_json(const struct listing *l)
{
    const struct nf_kcluster *c = l->c;
    struct nf_buf b;
    nf_buf_init(&b, 64u << 20);
    nf_buf_printf(&b,
                  "{\"workers\": {\"ready\": %d, \"joining\": %d, \"draining\": %d}, "
                  "\"pending\": {\"pods\": %d, \"cpu_m\": %lld, \"memory_bytes\": %lld}, "
                  "\"nodes\": [",
                  l->w.ready, l->w.joining, l->w.draining, l->pend.pods, (long long)l->pend.cpu_m,
                  (long long)l->pend.mem);
    for (size_t n = 0; n < c->nnodes; n++) {
        const struct nf_knode *x = &c->nodes[n];
        nf_buf_puts(&b, n ? ", {\"name\": " : "{\"name\": ");
        nf_buf_json_str(&b, x->name);
        nf_buf_printf(&b,
                      ", \"ready\": %s, \"schedulable\": %s, \"control_plane\": %s, "
                      "\"zone\": ",
                      x->ready ? "true" : "false", x->unschedulable ? "false" : "true",
                      x->control_plane ? "true" : "false");
        nf_buf_json_str(&b, x->zone ? x->zone : "");
        nf_buf_puts(&b, ", \"instance\": ");
        nf_buf_json_str(&b, x->instance_id);
        nf_buf_printf(&b,
                      ", \"market\": \"%s\", \"pods\": %d, \"cpu_requested_pct\": %.1f, "
                      "\"drainable\": %s, \"rule\": \"%s\", \"why\": ",
                      nf_market_name(x->market), l->npods ? l->npods[n] : 0,
                      share(l->used_cpu ? l->used_cpu[n] : 0, x->alloc_cpu_m),
                      l->v[n].block == NF_BLOCK_NONE ? "true" : "false",
                      nf_block_id(l->v[n].block));
        nf_buf_json_str(&b, l->v[n].detail);
        nf_buf_puts(&b, "}");
    }
    nf_buf_puts(&b, "]}\n");
    fwrite(b.data, 1, b.len, stdout);
    nf_buf_free(&b);
}

static void print_table(const struct listing *l)
{
    const struct nf_kcluster *c = l->c;
    printf("workers: %d ready, %d joining, %d draining; pending: %d pods (%lldm CPU)\n\n",
           l->w.ready, l->w.joining, l->w.draining, l->pend.pods, (long long)l->pend.cpu_m);
    printf("%-28s %-9s %-11s %-10s %-20s %5s %5s  %s\n", "NODE", "STATUS", "ZONE", "MARKET",
           "INSTANCE", "PODS", "CPU%", "DRAIN");
    for (size_t n = 0; n < c->nnodes; n++) {
        const struct nf_knode *x = &c->nodes[n];
        const struct nf_drain_verdict *v = &l->v[n];
        const char *status = x->control_plane   ? "server"
                             : x->unschedulable ? "cordoned"
                             : x->ready         ? "Ready"
                                                : "NotReady";
        printf("%-28s %-9s %-11s %-10s %-20s %5d %5.1f  %s%s%s\n", x->name, status,
               x->zone ? x->zone : "-", nf_market_name(x->market),
               x->instance_id[0] ? x->instance_id : "-", l->npods ? l->npods[n] : 0,
               share(l->used_cpu ? l->used_cpu[n] : 0, x->alloc_cpu_m),
               v->block == NF_BLOCK_NONE ? "yes" : nf_block_id(v->block),
               v->block == NF_BLOCK_NONE ? "" : ": ", v->detail);
    }
}

int nf_cmd_nodes(int argc, char **argv)
{
    struct nf_cli cli = {.cmd = "nodes"};
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (nf_cli_common_opt(&cli, argc, argv, &i))
            continue;
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            return nf_cli_usage_error(&cli, "unknown option %s", argv[i]);
    }
    struct nf_config cfg;
    struct nf_kube k;
    int st = nf_cli_kube_open(&cli, &cfg, &k);
    if (st != 0)
        return st;
    struct nf_err err = {0};
    struct nf_kcluster c;
    nf_kcluster_init(&c, cfg.kube_market_label, cfg.kube_market_spot_value);
    struct nf_kindex *ix = NULL;
    struct nf_drain_verdict *v = NULL;
    size_t *chosen = NULL;
    int64_t *used_cpu = NULL;
    int *npods = NULL;
    int rc = nf_kube_snapshot(&k, &c, &err);
    if (rc == NF_OK)
        rc = nf_kindex_build(&c, &ix, &err);
    if (rc == NF_OK) {
        size_t nn = c.nnodes ? c.nnodes : 1;
        v = calloc(nn, sizeof *v);
        chosen = calloc(nn, sizeof *chosen);
        used_cpu = calloc(nn, sizeof *used_cpu);
        npods = calloc(nn, sizeof *npods);
        if (v == NULL || chosen == NULL || used_cpu == NULL || npods == NULL)
            rc = nf_err_set(&err, NF_E_NOMEM, "out of memory");
    }
    if (rc != NF_OK) {
        nf_cli_say("nodes", "%s", err.msg);
        st = nf_cli_kube_exit(rc);
        goto done;
    }
    nf_drain_choose(&c, ix, 0, -1, chosen, v);
    struct listing l = {.c = &c, .v = v, .npods = npods, .used_cpu = used_cpu};
    nf_kube_workers(&c, &l.w);
    nf_kube_pending(&c, &l.pend);
    for (size_t n = 0; n < c.nnodes; n++) { /* requested share per node */
        int64_t mem;
        nf_kindex_node_use(ix, n, &npods[n], &used_cpu[n], &mem);
    }
    if (json)
        print_json(&l);
    else
        print_table(&l);
done:
    free(used_cpu);
    free(npods);
    free(v);
    free(chosen);
    nf_kindex_free(ix);
    nf_kcluster_free(&c);
    nf_kube_close(&k);
    return st;
}
