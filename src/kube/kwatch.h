/* kwatch.h - the watched cluster cache of `run`: list once, then follow the changes.
 *
 * Contract
 *   nf_kwatch_start starts one thread per kind (nodes, pods, ReplicaSets, Deployments,
 *   PodDisruptionBudgets), each with its own connection (credentials as `k`'s): it lists its
 *   kind (pages, as nf_kube_list) into the cache (kcache.h), then watches from the list's
 *   resourceVersion with bookmarks, applying every ADDED, MODIFIED and DELETED as it comes
 *   and resuming from the last version it saw when a watch ends. A `410 Gone` (as an HTTP
 *   status or as an ERROR event) or an object that does not read throws the kind's table
 *   away and lists it again; other failures are retried with exponential back-off (0.2 s to
 *   30 s, full jitter), each logged.
 *   The cache is in sync when every kind has been listed, none is being listed again, and
 *   no watch has been down for more than NF_KWATCH_GRACE_S. nf_kwatch_view gives a snapshot
 *   of it (kcache.h's nf_kcache_view: the strings stay valid until the next view) - or, out
 *   of sync, NF_E_UNAVAILABLE naming the kind and why, so the cycle counts the cluster as not
 *   observed (no scale-down). The first view waits up to `first_wait_s` for the first lists.
 *   nf_kwatch_stop ends the threads (each within about a second) and frees everything.
 */
#ifndef NF_KUBE_KWATCH_H
#define NF_KUBE_KWATCH_H

#include "kcache.h"
#include "kclient.h"

#define NF_KWATCH_GRACE_S 5.0

struct nf_kwatch;

struct nf_kwatch_opts {
    const char *market_label, *spot_value; /* as nf_kcluster_init */
    int watch_timeout_s; /* the server ends each watch after this (0: 300 to 600, at random) */
};

struct nf_kwatch_stats {
    long lists;    /* completed, every kind */
    long watches;  /* opened */
    long events;   /* applied (bookmarks too) */
    long gone;     /* 410s that forced a list */
    long failures; /* lists and watches that failed */
    bool in_sync;
    size_t objects, bytes;
    size_t retired; /* replaced objects a view out still holds */
};

int nf_kwatch_start(const struct nf_kube *k, const struct nf_kwatch_opts *o, struct nf_kwatch **out,
                    struct nf_err *err);
int nf_kwatch_view(struct nf_kwatch *w, double first_wait_s, struct nf_kcluster *out,
                   struct nf_err *err);
/* The last view's owner has freed it (kcache.h's nf_kcache_unview). */
void nf_kwatch_unview(struct nf_kwatch *w);
void nf_kwatch_stats(struct nf_kwatch *w, struct nf_kwatch_stats *s);
void nf_kwatch_stop(struct nf_kwatch *w);

#endif
