/* decide_input.h - the `nodefleet decide` input contract: one JSON observation.
 *
 * Contract
 *   {"now": T, "workers": {"ready": R, "joining": J, "draining": D},
 *    "samples": [{"t": T, "cpu": ..., "memory": ..., "pending_pods": ..., "queue_depth": ...,
 *                 "latency_p95_ms": ..., "error_rate_pct": ...,
 *                 "custom": {"TRIGGER": ...}}, ...],
 *    "last_scale_up": T|null, "last_scale_down": T|null,
 *    "nodes": [...], "pending_pods": [...],
 *    "metrics_history": [{"t": T, "cpu": ..., "memory": ..., "pending_pods": ...,
 *                         "nodes": N (default 0)}, ...]}
 *   `nodes` and `pending_pods` are optional: the pool as the core models it (core/fleet.h),
 *   for the policies that pack pods and for the removal verdicts. A node:
 *     {"name": N, "ready": true, "schedulable": true, "control_plane": false,
 *      "market": "spot"|"on-demand", "zone": Z, "instance": I, "instance_type": T,
 *      "cpu_m": allocatable millicores, "memory_mib": allocatable MiB, "max_pods": P,
 *      "labels": {"k": "v"}, "taints": [{"key": K, "value": V, "effect": "NoSchedule"}],
 *      "pods": [POD, ...]}
 *   a pod (on a node, or pending; a pending one may stand for "count" alike):
 *     {"name": N, "namespace": NS, "cpu_m": requested millicores, "memory_mib": MiB,
 *      "owner": "Deployment"|"ReplicaSet"|"StatefulSet"|"DaemonSet"|"Job"|"none"|"other",
 *      "owner_name": O (default: the pod's name),
 *      "replicas": R (default 2), "safe_to_evict": true|false|null,
 *      "node_selector": {"k": "v"}, "tolerations": [{"key", "operator", "value", "effect"}],
 *      "count": C (pending_pods only)}
 *   `metrics_history` is optional: the readings node-fleet's predictive layer reads (the
 *   seed with enable_predictive_scaling; core/predictive.h), at most NF_DECIDE_MHISTORY_MAX,
 *   none later than now, in any order.
 *   `now` and `workers.ready` are required; joining/draining default to 0; samples oldest
 *   first, strictly increasing in t, none later than now; a metric absent or null is unknown.
 *   Anything else - invalid JSON, unknown fields, wrong types, negative counts or values,
 *   times out of order, more than NF_DECIDE_SAMPLES_MAX samples, input over
 *   NF_DECIDE_INPUT_MAX bytes - fails with NF_E_INPUT and "field: problem" in the error.
 *   On success the caller owns out->samples (nf_decide_input_free).
 */
#ifndef NF_CLI_DECIDE_INPUT_H
#define NF_CLI_DECIDE_INPUT_H

#include <stddef.h>

#include "../config/config.h"
#include "../core/fleet.h"
#include "../core/predictive.h"
#include "../core/types.h"
#include "../util/buf.h"
#include "../util/err.h"

#define NF_DECIDE_INPUT_MAX   ((size_t)16 * 1024 * 1024)
#define NF_DECIDE_SAMPLES_MAX ((size_t)100000)
#define NF_DECIDE_COUNT_MAX   1000000
#define NF_DECIDE_PODS_MAX    ((size_t)1000000)

#define NF_DECIDE_MHISTORY_MAX 20160 /* metrics_history readings: 7 days at one every 30 s */

struct nf_decide_input {
    struct nf_observation obs;
    struct nf_sample *samples;        /* owned; obs.samples points here */
    struct nf_history_item *mhistory; /* owned; obs.mhistory points here (metrics_history) */
    struct nf_fleet fleet;            /* with nodes or pending_pods: obs.fleet points here */
    void *root;                       /* the parsed JSON the fleet's strings point into */
    void *allocs[16];                 /* the fleet's arrays */
    size_t nallocs;
};

/* `cfg` (may be NULL) supplies the configured custom triggers, whose values a sample may
 * carry as "custom": {"NAME": number|null}. */
int nf_decide_parse(const char *data, size_t len, const struct nf_config *cfg,
                    struct nf_decide_input *out, struct nf_err *err);
void nf_decide_input_free(struct nf_decide_input *in);
/* With a pool in the input: replace the plan's closing brace (nf_decide_write_plan wrote it
 * last) by "pool": each node's removal verdict, and the pending pods no new worker could
 * host (the template's allocatable is the largest node's). */
void nf_decide_write_pool(struct nf_fleet *f, struct nf_fnode *tmpl, struct nf_buf *out);
/* NF_OK when every key of the JSON object `obj` is in `known` (NULL-terminated); otherwise
 * NF_E_INPUT naming "where.key: unknown field". */
int nf__decide_check_keys(const void *obj, const char *where, const char *const *known,
                          struct nf_err *err);
/* The pool part (decide_fleet.c); `root` is the parsed input (a json_t). */
int nf__decide_parse_fleet(const void *root, struct nf_decide_input *in, struct nf_err *err);

/* The decision as one JSON object line: {"action","nodes","reason","trail"}. */
void nf_decide_write_plan(const struct nf_plan *plan, struct nf_buf *out);

#endif
