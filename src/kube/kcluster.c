/* kcluster.c - reading the cluster. */
#include "kcluster.h"

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

int nf_kube_snapshot(struct nf_kube *k, struct nf_kcluster *c, struct nf_err *err)
{
    int rc = nf_kube_list(k, "/api/v1/nodes", NULL, on_node, c, err);
    if (rc == NF_OK)
        rc = nf_kube_list(k, "/api/v1/pods", NULL, on_pod, c, err);
    if (rc == NF_OK)
        rc = nf_kube_list(k, "/apis/apps/v1/replicasets", NULL, on_rs, c, err);
    if (rc == NF_OK)
        rc = nf_kube_list(k, "/apis/apps/v1/deployments", NULL, on_deploy, c, err);
    if (rc == NF_OK)
        rc = nf_kube_list(k, "/apis/policy/v1/poddisruptionbudgets", NULL, on_pdb, c, err);
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
