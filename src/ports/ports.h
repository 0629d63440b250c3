/* ports.h - the boundaries between the cycle and the world: const vtables + opaque context.
 *
 * Contract
 *   A port is a `const struct` of function pointers; an adapter supplies one together with
 *   its context pointer. Every call returns NF_OK or an error code with detail in the
 *   caller's `struct nf_err`. The cycle talks to the world only through these, so the same
 *   cycle runs against real services (Prometheus, EC2, the API server) or the simulator's
 *   models. This cut: the calls the simulator needs; later adapters extend them.
 */
#ifndef NF_PORTS_H
#define NF_PORTS_H

#include <stddef.h>

#include "../core/placement.h"
#include "../core/types.h"
#include "../util/err.h"
#include "state.h"

struct nf_clock_port {
    const char *name;
    double (*now)(void *ctx);
};

struct nf_metrics_port {
    const char *name;
    /* Samples with start <= t <= end, oldest first, at most `cap`; `*n` gets the count.
     * A signal the source could not read is NAN in every sample, never 0. */
    int (*history)(void *ctx, double start, double end, struct nf_sample *out, size_t cap,
                   size_t *n, struct nf_err *err);
};

struct nf_cluster_port {
    const char *name;
    int (*workers)(void *ctx, struct nf_workers *out, struct nf_err *err);
    /* Start draining `count` workers; the cluster picks which (this cut). */
    int (*drain)(void *ctx, int count, struct nf_err *err);
};

struct nf_cloud_port {
    const char *name;
    /* Spot and total counts of the pool's live instances (for placement). */
    int (*markets)(void *ctx, int *spot, int *total, struct nf_err *err);
    int (*launch)(void *ctx, int count, const enum nf_market *markets, struct nf_err *err);
};

/* Pool state and the lease (DynamoDB in production, SQLite embedded, memory in tests).
 * acquire: take the lease if it is free or expired; NF_E_CONFLICT when a live owner holds
 *   it (`out` then names the holder). renew/release/save: conditional on owner and token;
 *   NF_E_CONFLICT when the lease was lost. unlock: clear whatever lease there is, raising the
 *   token so its old holder can write no more; `was` gets the previous holder. */
struct nf_store_port {
    const char *name;
    int (*acquire)(void *ctx, const char *owner, double now, double ttl, struct nf_lease *out,
                   struct nf_err *err);
    int (*renew)(void *ctx, struct nf_lease *lease, double now, double ttl, struct nf_err *err);
    int (*release)(void *ctx, const struct nf_lease *lease, struct nf_err *err);
    int (*load)(void *ctx, struct nf_state *out, struct nf_err *err);
    int (*save)(void *ctx, const struct nf_lease *lease, double now, const struct nf_state *st,
                struct nf_err *err);
    int (*unlock)(void *ctx, double now, struct nf_lease *was, struct nf_err *err);
};

struct nf_ports {
    const struct nf_clock_port *clock;
    void *clock_ctx;
    const struct nf_metrics_port *metrics;
    void *metrics_ctx;
    const struct nf_cluster_port *cluster;
    void *cluster_ctx;
    const struct nf_cloud_port *cloud;
    void *cloud_ctx;
    const struct nf_store_port *store; /* may be NULL (the simulator keeps state itself) */
    void *store_ctx;
};

#endif
