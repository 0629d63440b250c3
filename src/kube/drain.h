/* drain.h - draining one node without hurting a workload, one resumable step at a time.
 *
 * Contract
 *   A drain is a node name and the time it started; nothing else is kept between steps
 *   (the caller stores those two, e.g. in the pool state), so a crashed or restarted
 *   nodefleet carries on where it was. Each step reads the node and its pods afresh:
 *     - node gone (404): done;
 *     - cordon it if it is not (PATCH spec.unschedulable=true, strategic merge, as kubectl);
 *     - check every pod on it against the safety rules again (drainable.h): a pod that
 *       blocks aborts the drain;
 *     - no pod left to move (DaemonSet, mirror and finished pods stay): done;
 *     - past the timeout: abort;
 *     - else evict each pod not already terminating through the policy/v1 Eviction
 *       subresource (never DELETE, which would bypass PodDisruptionBudgets): 2xx accepted,
 *       404 already gone, 429 refused for now (retried after the server's retryAfterSeconds
 *       or the configured wait), anything else aborts.
 *   Aborting uncordons the node (PATCH spec.unschedulable=null) and says why; an aborted
 *   drain's node must never be terminated. A step that cannot reach the API server returns
 *   the error and changes nothing: the drain stays in progress for the next step.
 */
#ifndef NF_KUBE_DRAIN_H
#define NF_KUBE_DRAIN_H

#include "../ports/ports.h"
#include "kclient.h"

struct nf_drain_opts {
    double timeout_s;
    double eviction_retry_s;
    const char *market_label, *market_spot_value;
    /* 0: a drain as above. Else the node's instance goes whatever happens (a spot
     * interruption): the safety rules and the scale-down-disabled annotation give way, no
     * refusal aborts and there is no timeout; pods are evicted through the Eviction API
     * (budgets honoured) until `force_at`, then DELETEd; DaemonSet and mirror pods stay. */
    double force_at;
};

int nf_kube_drain_step(struct nf_kube *k, const char *node, double started_at, double now,
                       const struct nf_drain_opts *o, struct nf_drain_report *rep,
                       struct nf_err *err);

/* DELETE the Node object; a node already gone is not an error. */
int nf_kube_delete_node(struct nf_kube *k, const char *node, struct nf_err *err);

#endif
