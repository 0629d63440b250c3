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
 *   Zones: each new worker goes to the zone with the fewest pool workers (the seed's rule),
 *   skipping zones backed off for the market.
 *   List: DescribeInstances filtered on the pool's tags and live states, following
 *   NextToken pages. The K3s server is found by tag Role=k3s-master, never hard-coded.
 */
#ifndef NF_ADAPTERS_EC2_H
#define NF_ADAPTERS_EC2_H

#include "../aws/client.h"
#include "../config/config.h"
#include "../core/placement.h"
#include "../ports/ports.h"

#define NF_EC2_ZONES_MAX     16
#define NF_EC2_INSTANCES_MAX 2048

#define NF_EC2_TAGS_MAX 8

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
        double spot_until, od_until; /* backed off until (Unix s) */
    } zones[NF_EC2_ZONES_MAX];
};

/* Parse aws.pool_tags into e->tags, replacing {cluster_id}; NF_E_CONFIG on a bad list. */
int nf_ec2_parse_pool_tags(const char *text, const char *cluster_id, struct nf_ec2 *e,
                           struct nf_err *err);
int nf_ec2_init(struct nf_ec2 *e, struct nf_aws_client *aws, const struct nf_config *cfg,
                struct nf_err *err);

/* Launch `count` workers, markets[i] for each, under `intent` (<= 40 characters). Workers
 * already tagged with this intent count toward `count` (a retried intent launches only the
 * rest). `now` is for the back-off bookkeeping. Partial success is reported in `out` with an
 * error. */
int nf_ec2_launch(struct nf_ec2 *e, const char *intent, int count, const enum nf_market *markets,
                  double now, struct nf_launch_outcome *out, struct nf_err *err);
int nf_ec2_list(struct nf_ec2 *e, struct nf_instance *out, size_t cap, size_t *n,
                struct nf_err *err);
int nf_ec2_terminate(struct nf_ec2 *e, const char *const *ids, size_t n, struct nf_err *err);
/* The cloud port over an nf_ec2 (ctx: struct nf_ec2 *). */
extern const struct nf_cloud_port nf_ec2_cloud_port;

/* The private IP of the running instance tagged Role=k3s-master. */
int nf_ec2_find_server(struct nf_ec2 *e, char *ip, size_t iplen, struct nf_err *err);

#endif
