/* cloudwatch.h - the seed's custom metrics (NodeCount, ReadyNodes, JoiningNodes,
 * DrainingNodes, PendingPods, CPUUtilization, MemoryUtilization, ScaleUpEvents,
 * ScaleDownEvents, CycleDuration) with a ClusterId dimension, published after each cycle,
 * and what the stack's alarms read (deploy/aws/nodefleet.yaml): CycleErrors (1 for a cycle
 * that failed or could not observe everything), Decisions (1 for a cycle that held the lease
 * and decided), JoinTimeouts, LaunchFailures, LeaseLost (1: the lease was taken over while
 * this cycle still held it - it outlived lease_ttl), AtMaximum, DeadlineCut.
 *
 * Contract
 *   ctx: struct nf_cloudwatch. With `emf`, one Embedded Metric Format line on stdout (a Lambda's
 *   logs become the metrics); else PutMetricData through `aws` (NULL: nothing is published).
 *   An empty namespace publishes nothing. Unknown values are left out, never sent as 0. A
 *   failed call is counted in `errors` and logged; it never fails the cycle.
 */
#ifndef NF_ADAPTERS_CLOUDWATCH_H
#define NF_ADAPTERS_CLOUDWATCH_H

#include <stdbool.h>

#include "../aws/client.h"
#include "../config/config.h"
#include "../ports/ports.h"

struct nf_cloudwatch {
    struct nf_aws_client *aws; /* NULL: no AWS client */
    char ns[NF_CONFIG_STR_MAX];
    char cluster_id[NF_CONFIG_STR_MAX];
    int max_nodes; /* AtMaximum: 1 when the pool's workers reach it */
    bool emf;
    unsigned long errors;
};

extern const struct nf_publish_port nf_cloudwatch_port;

#endif
