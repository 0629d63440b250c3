/* kcache.h - the cluster's objects kept between cycles (the watched cache's store).
 *
 * Contract
 *   One table per kind (nodes, pods, ReplicaSets, Deployments, PodDisruptionBudgets), each
 *   object read once by objects.h's readers and copied into a small arena of its own, the
 *   table kept in (namespace, name) order - the order a list answers in - so that a view of
 *   the cache is the snapshot a fresh list would have given, object for object.
 *   nf_kobj_read reads one API object into a new standalone object (`scratch` is the
 *   caller's, reused between calls; no lock needed). nf_kcache_put stores it (replacing the
 *   object of the same namespace and name), nf_kcache_del removes the one with that namespace
 *   and name, nf_kcache_replace swaps a kind's whole table for a fresh list's.
 *   nf_kcache_view fills a nf_kcluster (initialised by the caller, freed with
 *   nf_kcluster_free) whose arrays are its own and whose strings are the cache's: valid until
 *   the next nf_kcache_view, nf_kcache_unview or nf_kcache_free, which is when the objects
 *   replaced or removed since the view was taken are freed (with no view out, at once). Not
 * thread-safe: kwatch.h locks around every call.
 */
#ifndef NF_KUBE_KCACHE_H
#define NF_KUBE_KCACHE_H

#include "objects.h"

enum nf_kkind { NF_KK_NODES, NF_KK_PODS, NF_KK_RS, NF_KK_DEPLOYS, NF_KK_PDBS, NF_KK_COUNT };

/* The kind's list path ("/api/v1/pods") and name ("pods"). */
const char *nf_kkind_path(enum nf_kkind k);
const char *nf_kkind_name(enum nf_kkind k);

/* One object, standalone: the struct (nf_knode, nf_kpod, ...) and everything it points to. */
struct nf_kobj {
    const char *ns, *name; /* ns "" for nodes */
    void *rec;             /* the struct of its kind */
    struct nf_arena mem;
};

struct nf_ktable {
    struct nf_kobj **v;
    size_t n, cap;
};

struct nf_kcache {
    struct nf_ktable t[NF_KK_COUNT];
    bool viewing;             /* a view is out: replaced objects wait in `retired` */
    struct nf_kobj **retired; /* freed at the next view, or when the view is given back */
    size_t nretired, cap_retired;
    size_t bytes; /* the objects' arenas, for memory accounting */
};

void nf_kcache_init(struct nf_kcache *c);
void nf_kcache_free(struct nf_kcache *c);

int nf_kobj_read(enum nf_kkind kind, const json_t *item, struct nf_kcluster *scratch,
                 struct nf_kobj **out, struct nf_err *err);
void nf_kobj_free(struct nf_kobj *o);

int nf_kcache_put(struct nf_kcache *c, enum nf_kkind kind, struct nf_kobj *o, struct nf_err *err);
int nf_kcache_del(struct nf_kcache *c, enum nf_kkind kind, const char *ns, const char *name,
                  struct nf_err *err);
/* A watch event's object: put (ADDED, MODIFIED) or, `del`, the one of its name removed;
 * `o` is the cache's (or freed) whatever the outcome. */
int nf_kcache_apply(struct nf_kcache *c, enum nf_kkind kind, bool del, struct nf_kobj *o,
                    struct nf_err *err);
/* Take `fresh` (its objects in any order; the table is sorted here) as the kind's table. */
int nf_kcache_replace(struct nf_kcache *c, enum nf_kkind kind, struct nf_ktable *fresh,
                      struct nf_err *err);
void nf_ktable_free(struct nf_ktable *t);
/* Append to a table being built (a list's items, in the order they come). */
int nf_ktable_push(struct nf_ktable *t, struct nf_kobj *o, struct nf_err *err);

int nf_kcache_view(struct nf_kcache *c, struct nf_kcluster *out, struct nf_err *err);
/* The last view is gone (its owner freed it): replaced objects are freed at once until the
 * next view. */
void nf_kcache_unview(struct nf_kcache *c);

#endif
