/* dynamodb.h - the store port over DynamoDB: the seed's table layout and a fenced lease.
 *
 * Contract
 *   One item per pool, keyed by cluster_id, in the seed's layout (node_count,
 *   last_scale_time, last_scale_action, last_scale_reason, scaling_in_progress,
 *   lock_acquired_at, lock_expiry, draining_instances, metrics_history, ttl) plus
 *   lease_owner, fencing_token, last_scale_up, last_scale_down and in_flight_launches.
 *   - acquire: UpdateItem conditional on "attribute_not_exists(scaling_in_progress) OR
 *     lock_expiry < :now" exactly as the seed, adding the owner and ADDing 1 to the fencing
 *     token (returned). A lost condition is NF_E_CONFLICT with the holder read back; if a
 *     retried attempt finds the lease already ours, it is ours.
 *   - renew, release and save are conditional on lease_owner, fencing_token and an unexpired
 *     lease: a writer that was paused past its expiry cannot write, whoever holds the lease
 *     now. release keeps the token (it only ever grows).
 *   - unlock removes the lease and ADDs 1 to the token, returning the previous holder.
 *   `ttl` is set to a week after each write: an abandoned pool's item goes away, a live one
 *   never does.
 *   The seed's metrics history lives in a table of its own (`history_table`, the setting
 *   metrics_history_table), keyed HASH cluster_id (S), RANGE timestamp (S, RFC 3339 UTC to
 *   the second), so several clusters share one: one PutItem per reading with hour,
 *   day_of_week, cpu_utilization, memory_utilization, pending_pods (each left out when
 *   unknown), node_count and ttl (its time + 30 days: enable TTL on `ttl`); history_load is
 *   a Query on timestamp > the newest already read, page by page, bounded by `cap`.
 */
#ifndef NF_ADAPTERS_DYNAMODB_H
#define NF_ADAPTERS_DYNAMODB_H

#include "../aws/client.h"
#include "../config/config.h"
#include "../ports/ports.h"

struct nf_dynamodb_store {
    struct nf_aws_client *aws;
    char table[NF_CONFIG_STR_MAX];
    char cluster_id[NF_CONFIG_STR_MAX];
    char history_table[NF_CONFIG_STR_MAX];
    /* the item as a successful acquire returned it (UpdateItem ALL_NEW: the newest, after
     * our own write), so the load that follows needs no GetItem; owned, used once */
    struct json_t *acquired;
};

extern const struct nf_store_port nf_dynamodb_store_port;

/* Frees what the store holds between calls (not the AWS client). */
void nf_dynamodb_store_close(struct nf_dynamodb_store *s);

/* The pool state from a DynamoDB item (the attribute-value JSON GetItem returns). A field
 * of the wrong type or form is NF_E_INPUT naming it ("state item: draining_instances[2]:
 * ..."); nothing is guessed. */
int nf_dynamodb_state_decode(const json_t *item, struct nf_state *st, struct nf_err *err);

/* For tests and first-time setup: create the table (PAY_PER_REQUEST, key cluster_id). An
 * existing table is not an error. */
int nf_dynamodb_create_table(struct nf_dynamodb_store *s, struct nf_err *err);
/* The same for the metrics history table (HASH cluster_id, RANGE timestamp). */
int nf_dynamodb_create_history_table(struct nf_dynamodb_store *s, struct nf_err *err);

/* A metrics history item as Query returns it, decoded; NF_E_INPUT names what is wrong. */
int nf_dynamodb_history_decode(const json_t *item, struct nf_history_item *it, struct nf_err *err);

#endif
