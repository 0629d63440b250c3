/* stores.c - the configured store. */
#define _POSIX_C_SOURCE 200809L
#include "stores.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int nf_store_check_exists(const struct nf_config *cfg, struct nf_err *err)
{
    if (strncmp(cfg->store, "sqlite:", 7) == 0 && access(cfg->store + 7, F_OK) != 0)
        return nf_err_set(err, NF_E_IO,
                          "%s: no such file - no nodefleet has kept its state there (check "
                          "`store`, or the directory it is relative to)",
                          cfg->store + 7);
    return NF_OK;
}

int nf_store_open(struct nf_store_handle *h, const struct nf_config *cfg, enum nf_store_mode mode,
                  char *const *envp, struct nf_err *err)
{
    memset(h, 0, sizeof *h);
    const char *s = cfg->store;
    if (strncmp(s, "sqlite:", 7) == 0 && s[7] != '\0') {
        int rc = nf_sqlite_store_open(&h->sqlite, s + 7, cfg->cluster_id, mode, err);
        if (rc != NF_OK)
            return rc;
        h->port = &nf_sqlite_store_port;
        h->ctx = &h->sqlite;
        snprintf(h->desc, sizeof h->desc, "%s", s);
        return NF_OK;
    }
    if (strcmp(s, "dynamodb") == 0 || (strncmp(s, "dynamodb:", 9) == 0 && s[9] != '\0')) {
        int rc = nf_aws_client_init(&h->aws, cfg->aws_region, envp, err);
        if (rc != NF_OK)
            return rc;
        h->have_aws = true;
        h->dynamo.aws = &h->aws;
        snprintf(h->dynamo.table, sizeof h->dynamo.table, "%s",
                 s[8] == ':' ? s + 9 : cfg->dynamodb_table);
        snprintf(h->dynamo.cluster_id, sizeof h->dynamo.cluster_id, "%s", cfg->cluster_id);
        h->port = &nf_dynamodb_store_port;
        h->ctx = &h->dynamo;
        snprintf(h->desc, sizeof h->desc, "dynamodb:%s", h->dynamo.table);
        return NF_OK;
    }
    return nf_err_set(err, NF_E_CONFIG, "store: \"%s\" is neither sqlite:PATH nor dynamodb[:TABLE]",
                      s);
}

void nf_store_close(struct nf_store_handle *h)
{
    if (h->port == &nf_sqlite_store_port)
        nf_sqlite_store_close(&h->sqlite);
    if (h->port == &nf_dynamodb_store_port)
        nf_dynamodb_store_close(&h->dynamo);
    if (h->have_aws)
        nf_aws_client_free(&h->aws);
    h->port = NULL;
}
