/* ec2.h - the cloud port over EC2: launch from a launch template, list, terminate.
 *
 * Contract
 *   Launch: RunInstances from the template (name or lt- id, version), MinCount = MaxCount,
 *   one call per (zone, market) group: the subnet of the zone from aws.subnets; tags
 *   nodefleet:cluster = cluster_id, Role = k3s-worker, nodefleet:intent = the intent id,
 *   nodefleet:market, Name; a ClientToken derived from the intent, zone and market, so a
 *   retried launch (after a crash or a timeout) cannot launch twice; spot through
 *   InstanceMarketOptions (one-time, terminate). A spot capacity error
 *   (InsufficientInstanceCapacity, SpotMaxPriceTooLow, MaxSpotInstanceCountExceeded,
 *   UnfulfillableCapacity, ...) backs that zone's spot off for aws.capacity_backoff and the
 *   same workers are launched on-demand in the same call; an on-demand capacity error backs
 *   the zone off and moves to the next zone. InstanceLimitExceeded / VcpuLimitExceeded are
 *   reported, not retried.
 *   Types and pools: aws.instance_types (or aws.instance_type; neither: the launch template's
 *   type) each launch slot names one (the cycle's choice, core/itypes.h; none: the first).
 *   A pool is (type, zone, market); capacity errors back off the pool, not the zone. An
 *   on-demand worker goes to its type's emptiest zone. A spot worker goes to the pool with
 *   the fewest of the pool's spot workers, among its own type's zones and those of any type
 *   at least as large (vCPU and memory) whose spot price there is within
 *   NF_EC2_SPOT_SPREAD_PCT of its own type's cheapest: price-capacity-optimized in spirit, so
 *   one reclaimed pool never takes the whole spot share. A capacity error moves the workers
 *   to the next pool by the same rule in the same call, then to on-demand.
 *   Catalog: each type's vCPU and memory from DescribeInstanceTypes (read once a day), its
 *   on-demand price from aws.prices or the built-in table (aws/prices.h), its spot price per
 *   zone from aws.spot_prices or DescribeSpotPriceHistory (read hourly; a failure keeps the
 *   last prices and is logged). A new worker's allocatable is estimated as all its vCPUs
 *   and 95 % of its memory less 100 MiB (the kernel's share and kubelet's eviction
 *   threshold; K3s reserves nothing else by default).
 *   List: DescribeInstances filtered on the pool's tags and live states, following
 *   NextToken pages. The K3s server is found by tag Role=k3s-master, never hard-coded.
 */
#ifndef NF_ADAPTERS_EC2_H
#define NF_ADAPTERS_EC2_H

#include "../aws/client.h"
#include "../config/config.h"
#include "../core/itypes.h"
#include "../core/placement.h"
#include "../ports/ports.h"

#define NF_EC2_ZONES_MAX     16
#define NF_EC2_INSTANCES_MAX 2048

#define NF_EC2_TAGS_MAX        8
#define NF_EC2_SPOT_SPREAD_PCT 20

struct nf_ec2 {
    struct nf_aws_client *aws;
    char cluster_id[NF_CONFIG_STR_MAX];
    char template_[NF_CONFIG_STR_MAX];
    char template_version[NF_CONFIG_STR_MAX];
    char instance_type[NF_CONFIG_STR_MAX];
    double backoff_s;
    int page_size;
    int pages_read; /* by the last nf_ec2_list (for tests and logs) */
    int ntags;      /* the pool's tags (aws.pool_tags, {cluster_id} replaced) */
    struct {
        char key[132];
        char value[NF_CONFIG_STR_MAX];
    } tags[NF_EC2_TAGS_MAX];
    int nzones;
    struct nf_ec2_zone {
        char az[32];
        char subnet[64];
    } zones[NF_EC2_ZONES_MAX];
    char region[64];
    bool typed; /* types named by the settings (else types[0] is the template's, unnamed) */
    int ntypes; /* >= 1 */
    struct nf_ec2_type {
        char name[NF_ITYPE_NAME_MAX];
        int vcpu;                           /* DescribeInstanceTypes'; 0 until read */
        long long mem_mib;                  /* ditto */
        double od_price;                    /* aws.prices or the table; NAN unknown */
        double spot_all;                    /* aws.spot_prices' TYPE=PRICE; NAN none */
        double spot[NF_EC2_ZONES_MAX];      /* per zone; NAN unknown */
        bool spot_pinned[NF_EC2_ZONES_MAX]; /* from aws.spot_prices' TYPE@ZONE */
        double until[NF_EC2_ZONES_MAX][2];  /* backed off until (Unix s): [zone][spot?] */
    } types[NF_ITYPES_MAX];
    double described_at, priced_at; /* when the catalog was last read (Unix s); 0 never */
};

/* Parse aws.pool_tags into e->tags, replacing {cluster_id}; NF_E_CONFIG on a bad list. */
int nf_ec2_parse_pool_tags(const char *text, const char *cluster_id, struct nf_ec2 *e,
                           struct nf_err *err);
int nf_ec2_init(struct nf_ec2 *e, struct nf_aws_client *aws, const struct nf_config *cfg,
                struct nf_err *err);

/* Launch `count` workers, markets[i] and types[i] (NULL or "": the first type) for each,
 * under `intent` (<= 40 characters). Workers already tagged with this intent count toward
 * `count` (a retried intent launches only the rest). `now` is for the back-off bookkeeping.
 * Partial success is reported in `out` with an error. */
int nf_ec2_launch(struct nf_ec2 *e, const char *intent, int count, const enum nf_market *markets,
                  const char *const *types, double now, struct nf_launch_outcome *out,
                  struct nf_err *err);
/* The types as the cycle chooses among them (see the contract): read or refreshed when due.
 * NF_E_UNAVAILABLE when the launch template's own type is used (nothing to choose). */
int nf_ec2_catalog(struct nf_ec2 *e, double now, struct nf_itype *out, size_t cap, size_t *n,
                   struct nf_err *err);
/* The index of type `name` ("" or NULL: 0), -1 when it is not one of the pool's. */
int nf_ec2_type_index(const struct nf_ec2 *e, const char *name);
/* Parse aws.instance_types / aws.instance_type and the price settings into e->types. */
int nf__ec2_types_init(struct nf_ec2 *e, const struct nf_config *cfg, struct nf_err *err);
/* The hourly price of a worker of type index t in zone z (-1: the cheapest) on market m;
 * NAN when unknown. */
double nf__ec2_price(const struct nf_ec2 *e, int t, int z, enum nf_market m);
int nf_ec2_list(struct nf_ec2 *e, struct nf_instance *out, size_t cap, size_t *n,
                struct nf_err *err);
int nf_ec2_terminate(struct nf_ec2 *e, const char *const *ids, size_t n, struct nf_err *err);
/* The cloud port over an nf_ec2 (ctx: struct nf_ec2 *). */
extern const struct nf_cloud_port nf_ec2_cloud_port;

/* The private IP of the running instance tagged Role=k3s-master. */
int nf_ec2_find_server(struct nf_ec2 *e, char *ip, size_t iplen, struct nf_err *err);

#endif
