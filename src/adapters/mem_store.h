/* mem_store.h - the store port in memory: the same lease and state semantics as the SQLite and
 * DynamoDB stores, for tests and for `store: mem` (one process, nothing kept on exit).
 *
 * Contract
 *   One pool's state and lease. acquire takes a free or expired lease and raises the fencing
 *   token; renew, release and save succeed only for the current owner and token (renew and
 *   save also only before the lease's expiry), else NF_E_CONFLICT; unlock clears the lease and
 *   raises the token; peek and load change nothing. Not shared between processes.
 *   The metrics history is a ring of the newest NF_MEM_HISTORY_MAX readings (7 days at a
 *   reading a minute; the seed decides every 2), kept in time order.
 */
#ifndef NF_ADAPTERS_MEM_STORE_H
#define NF_ADAPTERS_MEM_STORE_H

#include "../ports/ports.h"

#define NF_MEM_HISTORY_MAX 10080

struct nf_mem_store {
    struct nf_lease lease; /* owner "" = free */
    struct nf_state state;
    bool have_state;
    size_t nhist, hist_head; /* the ring: hist_head the oldest */
    struct nf_history_item hist[NF_MEM_HISTORY_MAX];
};

void nf_mem_store_init(struct nf_mem_store *m);

extern const struct nf_store_port nf_mem_store_port;

#endif
