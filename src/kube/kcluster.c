/* kcluster.c - reading the cluster. */
#include "kcluster.h"

#include <pthread.h>
#include <string.h>

static int on_node(void *c, const json_t *item, struct nf_err *err)
{
    return nf_kread_node(c, item, err);
}

static int on_pod(void *c, const json_t *item, struct nf_err *err)
{
    return nf_kread_pod(c, item, err);
}

static int on_rs(void *c, const json_t *item, struct nf_err *err)
{
    return nf_kread_replicaset(c, item, err);
}

static int on_deploy(void *c, const json_t *item, struct nf_err *err)
{
    return nf_kread_deployment(c, item, err);
}

static int on_pdb(void *c, const json_t *item, struct nf_err *err)
{
    return nf_kread_pdb(c, item, err);
}

/* One list of the snapshot, on a connection of its own, into a cluster of its own. */
struct lister {
    struct nf_kube k;
    const char *path;
    nf_kube_item_fn fn;
    struct nf_kcluster c;
    int rc;
    struct nf_err err;
    bool thread;
    pthread_t t;
};

static void *list_one(void *arg)
{
    struct lister *l = arg;
    l->rc = nf_kube_list(&l->k, l->path, NULL, l->fn, &l->c, &l->err);
    return NULL;
}

/* The five lists' records into `c`, their strings' blocks with them. */
static void merge(struct nf_kcluster *c, struct lister *l)
{
    c->nodes = l[0].c.nodes, c->nnodes = l[0].c.nnodes, c->cap_nodes = l[0].c.cap_nodes;
    c->pods = l[1].c.pods, c->npods = l[1].c.npods, c->cap_pods = l[1].c.cap_pods;
    c->rs = l[2].c.rs, c->nrs = l[2].c.nrs, c->cap_rs = l[2].c.cap_rs;
    c->deploys = l[3].c.deploys, c->ndeploys = l[3].c.ndeploys;
    c->cap_deploys = l[3].c.cap_deploys;
    c->pdbs = l[4].c.pdbs, c->npdbs = l[4].c.npdbs, c->cap_pdbs = l[4].c.cap_pdbs;
    l[0].c.nodes = NULL, l[1].c.pods = NULL, l[2].c.rs = NULL, l[3].c.deploys = NULL;
    l[4].c.pdbs = NULL;
    for (int i = 0; i < NF_KUBE_LISTS; i++)
        nf_arena_adopt(&c->arena, &l[i].c.arena);
}

int nf_kube_snapshot(struct nf_kube *k, struct nf_kcluster *c, struct nf_err *err)
{
    static const char *const paths[NF_KUBE_LISTS] = {
        "/api/v1/nodes", "/api/v1/pods", "/apis/apps/v1/replicasets", "/apis/apps/v1/deployments",
        "/apis/policy/v1/poddisruptionbudgets"};
    static const nf_kube_item_fn fns[NF_KUBE_LISTS] = {on_node, on_pod, on_rs, on_deploy, on_pdb};
    struct lister l[NF_KUBE_LISTS];
    long before = k->requests;
    /* the pods, the largest, on the first connection here; the others at once on theirs */
    for (int i = 0, extra = 0; i < NF_KUBE_LISTS; i++) {
        l[i] = (struct lister){.k = *k, .path = paths[i], .fn = fns[i]};
        nf_kcluster_init(&l[i].c, c->market_label, c->market_spot_value);
        if (i == 1)
            continue;
        if (k->more[extra] == NULL)
            k->more[extra] = nf_http_new(NULL);
        l[i].k.http = k->more[extra++];
        l[i].thread = l[i].k.http != NULL && pthread_create(&l[i].t, NULL, list_one, &l[i]) == 0;
    }
    list_one(&l[1]);
    for (int i = 0; i < NF_KUBE_LISTS; i++) {
        if (l[i].thread) {
            pthread_join(l[i].t, NULL);
        } else if (i != 1) { /* no connection or thread to spare: in turn */
            l[i].k.http = k->http;
            list_one(&l[i]);
        }
        k->requests += l[i].k.requests - before;
    }
    int rc = NF_OK;
    for (int i = 0; i < NF_KUBE_LISTS && rc == NF_OK; i++)
        if (l[i].rc != NF_OK) {
            rc = l[i].rc;
            if (err)
                *err = l[i].err;
        }
    if (rc == NF_OK)
        merge(c, l);
    for (int i = 0; i < NF_KUBE_LISTS; i++)
        nf_kcluster_free(&l[i].c);
    return rc;
}

void nf_kube_workers(const struct nf_kcluster *c, struct nf_workers *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < c->nnodes; i++) {
        const struct nf_knode *n = &c->nodes[i];
        if (n->control_plane)
            continue;
        if (n->unschedulable)
            out->draining++;
        else if (n->ready)
            out->ready++;
        else
            out->joining++;
    }
}

void nf_kube_pending(const struct nf_kcluster *c, struct nf_pending *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < c->npods; i++) {
        const struct nf_kpod *p = &c->pods[i];
        if (!p->unschedulable || p->node[0] || p->deleting)
            continue;
        out->pods++;
        out->cpu_m += p->req_cpu_m;
        out->mem += p->req_mem;
    }
}
