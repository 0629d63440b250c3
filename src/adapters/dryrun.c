/* dryrun.c - real clock, Prometheus-counted workers, log-only actions. */
#define _POSIX_C_SOURCE 200809L
#include "dryrun.h"

#include <math.h>
#include <time.h>

#include "../prom/prom_source.h"
#include "../util/log.h"

static double real_now(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double nf_mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

const struct nf_clock_port nf_real_clock_port = {.name = "real", .now = real_now};

static int view_workers(void *ctx, struct nf_workers *out, struct nf_err *err)
{
    int w = 0;
    int rc = nf_prom_workers(ctx, NAN, &w, err);
    if (rc != NF_OK)
        return rc;
    *out = (struct nf_workers){.ready = w};
    return NF_OK;
}

static int view_drain(void *ctx, int count, struct nf_err *err)
{
    (void)ctx;
    (void)err;
    nf_log(NF_LOG_INFO, "dry run: would drain workers", NF_LF_INT("count", count), NF_LF_END);
    return NF_OK;
}

const struct nf_cluster_port nf_prom_view_cluster_port = {
    .name = "prometheus-view", .workers = view_workers, .drain = view_drain};

static int dry_markets(void *ctx, int *spot, int *total, struct nf_err *err)
{
    (void)ctx;
    (void)err;
    *spot = 0; /* unknown without the cloud: place as if the pool were all on-demand */
    *total = 0;
    return NF_OK;
}

static int dry_launch(void *ctx, int count, const enum nf_market *markets, struct nf_err *err)
{
    (void)err;
    struct nf_dryrun_cloud *c = ctx;
    int spot = 0;
    for (int i = 0; i < count; i++)
        spot += markets[i] == NF_MARKET_SPOT;
    c->launched += count;
    nf_log(NF_LOG_INFO, "dry run: would launch workers", NF_LF_INT("count", count),
           NF_LF_INT("spot", spot), NF_LF_INT("on_demand", count - spot), NF_LF_END);
    return NF_OK;
}

const struct nf_cloud_port nf_dryrun_cloud_port = {
    .name = "dry-run", .markets = dry_markets, .launch = dry_launch};
