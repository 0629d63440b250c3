/* sqlite_store.h - the store port over one SQLite file: the embedded default.
 *
 * Contract
 *   The same semantics as the DynamoDB store (dynamodb.h): one row per pool, keyed by
 *   cluster_id, holding the state as JSON (state.h) and the lease - owner, fencing token
 *   raised on every acquisition, expiry. Acquire takes a free or expired lease in one
 *   IMMEDIATE transaction; renew, release and save are single UPDATEs conditional on owner,
 *   token and (save, renew) an unexpired lease, so two nodefleet processes on one host - or a
 *   paused one - behave as two Lambda invocations against DynamoDB. WAL journal, 5 s busy
 *   timeout. libsqlite3 is opened on first use (dynlib.h), like the network libraries.
 */
#ifndef NF_ADAPTERS_SQLITE_STORE_H
#define NF_ADAPTERS_SQLITE_STORE_H

#include "../config/config.h"
#include "../ports/ports.h"

struct nf_sqlite_store {
    void *db;
    enum nf_store_mode mode;
    char path[NF_CONFIG_STR_MAX];
    char cluster_id[NF_CONFIG_STR_MAX];
};

/* mode: NF_STORE_READ_WRITE creates the file and schema as needed (WAL); the other two open
 * an existing nodefleet state database as it is, and refuse (NF_E_CONFIG: `store` names the wrong
 * file) any other file. */
int nf_sqlite_store_open(struct nf_sqlite_store *s, const char *path, const char *cluster_id,
                         enum nf_store_mode mode, struct nf_err *err);
void nf_sqlite_store_close(struct nf_sqlite_store *s);

extern const struct nf_store_port nf_sqlite_store_port;

#endif
