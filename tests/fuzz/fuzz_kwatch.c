/* fuzz_kwatch.c - libFuzzer target: a watch stream, cut into pieces, through the stream's
 * reader, the object readers and the cache (puts, deletes, list-order inserts), then a view of
 * the cache through the safety rules and the drain choice. The first byte picks the kind and
 * the size of the pieces; the rest is the stream (one JSON event a line). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/drainable.h"
#include "kube/kcache.h"
#include "kube/kclient.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
    struct nf_kcache cache;
    struct nf_kcluster scratch;
    enum nf_kkind kind;
};

static int on_event(void *ctx, const char *type, const json_t *obj, struct nf_err *err)
{
    struct fz *f = ctx;
    if (type == NULL || strcmp(type, "BOOKMARK") == 0 || strcmp(type, "ERROR") == 0)
        return NF_OK;
    bool del = strcmp(type, "DELETED") == 0;
    if (!del && strcmp(type, "ADDED") != 0 && strcmp(type, "MODIFIED") != 0)
        return NF_OK;
    struct nf_kobj *o;
    if (nf_kobj_read(f->kind, obj, &f->scratch, &o, err) != NF_OK)
        return NF_OK; /* the cache goes on with the next */
    return nf_kcache_apply(&f->cache, f->kind, del, o, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static struct fz f;
    nf_kcache_init(&f.cache);
    nf_kcluster_init(&f.scratch, "node.kubernetes.io/lifecycle", "spot");
    size_t piece = (size_t)(data[0] >> 3) + 1;
    struct nf_kube_wstream w;
    nf_kube_wstream_init(&w, "/fuzz", on_event, &f);
    nf_kube_wstream_feed(&w, NULL, 0);
    for (int pass = 0; pass < 2; pass++) { /* the same stream as two kinds, one after the other */
        f.kind = (enum nf_kkind)((data[0] + pass) % NF_KK_COUNT);
        w.rc = NF_OK;
        for (size_t at = 1; at < size && w.rc == NF_OK; at += piece)
            nf_kube_wstream_feed(&w, (const char *)data + at,
                                 at + piece <= size ? piece : size - at);
        nf_kube_wstream_feed(&w, "\n", 1);
    }
    nf_kube_wstream_free(&w);
    struct nf_kcluster c;
    nf_kcluster_init(&c, "node.kubernetes.io/lifecycle", "spot");
    struct nf_err err;
    struct nf_kindex *ix = NULL;
    if (nf_kcache_view(&f.cache, &c, &err) == NF_OK && nf_kindex_build(&c, &ix, &err) == NF_OK) {
        size_t *out = calloc(c.nnodes + 1, sizeof *out);
        struct nf_drain_verdict *v = calloc(c.nnodes + 1, sizeof *v);
        if (out && v)
            nf_drain_choose(&c, ix, c.nnodes, -1, out, v);
        free(out);
        free(v);
    }
    nf_kindex_free(ix);
    nf_kcluster_free(&c);
    nf_kcluster_free(&f.scratch);
    nf_kcache_free(&f.cache);
    return 0;
}
