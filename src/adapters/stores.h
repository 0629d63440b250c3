/* stores.h - open the store the configuration names (`store`: sqlite:PATH, dynamodb[:TABLE] or
 * mem), found by name in a registry.
 *
 * Contract
 *   nf_store_open fills `h` with the port and its context (and, for DynamoDB, the AWS client
 *   it needs); nf_store_close releases them. A malformed `store` is NF_E_CONFIG.
 */
#ifndef NF_ADAPTERS_STORES_H
#define NF_ADAPTERS_STORES_H

#include "../aws/client.h"
#include "dynamodb.h"
#include "mem_store.h"
#include "sqlite_store.h"

struct nf_store_handle {
    const struct nf_store_port *port;
    void *ctx;
    char desc[NF_CONFIG_STR_MAX + 16]; /* "sqlite:/var/lib/nodefleet/state.db" */
    struct nf_sqlite_store sqlite;
    struct nf_dynamodb_store dynamo;
    struct nf_mem_store mem;
    const struct store_kind *kind; /* the registry's entry, once open */
    struct nf_aws_client aws;
    bool have_aws;
};

int nf_store_open(struct nf_store_handle *h, const struct nf_config *cfg, enum nf_store_mode mode,
                  char *const *envp, struct nf_err *err);
void nf_store_close(struct nf_store_handle *h);
/* Does `spec` name a store in the registry? NF_OK or NF_E_INPUT. */
int nf_store_spec_check(const char *spec);

/* For the commands that only read the state (status, explain, unlock): an SQLite store
 * whose file does not exist is an error naming it, not a new empty state. */
int nf_store_check_exists(const struct nf_config *cfg, struct nf_err *err);

#endif
