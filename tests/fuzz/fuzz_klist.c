/* fuzz_klist.c - libFuzzer target: API list pages through the object readers, then the
 * safety rules and the drain choice over whatever was read. The input is a JSON object of
 * lists {"nodes": [...], "pods": [...], "replicasets": [...], "deployments": [...],
 * "pdbs": [...]}. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kube/drainable.h"
#include "kube/kcluster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    if (j == NULL)
        return 0;
    struct nf_kcluster c;
    nf_kcluster_init(&c, "node.kubernetes.io/lifecycle", "spot");
    static const struct {
        const char *key;
        int (*rd)(struct nf_kcluster *, const json_t *, struct nf_err *);
    } lists[] = {{"nodes", nf_kread_node},
                 {"pods", nf_kread_pod},
                 {"replicasets", nf_kread_replicaset},
                 {"deployments", nf_kread_deployment},
                 {"pdbs", nf_kread_pdb}};
    struct nf_err err;
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        size_t i;
        const json_t *it;
        json_array_foreach(json_object_get(j, lists[l].key), i, it) lists[l].rd(&c, it, &err);
    }
    json_decref(j);
    struct nf_kindex *ix = NULL;
    if (nf_kindex_build(&c, &ix, &err) == NF_OK) {
        size_t *out = calloc(c.nnodes + 1, sizeof *out);
        struct nf_drain_verdict *v = calloc(c.nnodes + 1, sizeof *v);
        if (out && v)
            nf_drain_choose(&c, ix, c.nnodes, -1, out, v);
        free(out);
        free(v);
        struct nf_workers w;
        nf_kube_workers(&c, &w);
        struct nf_pending p;
        nf_kube_pending(&c, &p);
    }
    nf_kindex_free(ix);
    nf_kcluster_free(&c);
    return 0;
}
