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

/* ---- the stores, by name ------------------------------------------------------------------ */

static int open_sqlite(struct nf_store_handle *h, const struct nf_config *cfg, const char *arg,
                       enum nf_store_mode mode, char *const *envp, struct nf_err *err)
{
    (void)envp;
    int rc = nf_sqlite_store_open(&h->sqlite, arg, cfg->cluster_id, mode, err);
    if (rc != NF_OK)
        return rc;
    h->port = &nf_sqlite_store_port;
    h->ctx = &h->sqlite;
    snprintf(h->desc, sizeof h->desc, "sqlite:%s", arg);
    return NF_OK;
}

static void close_sqlite(struct nf_store_handle *h)
{
    nf_sqlite_store_close(&h->sqlite);
}

static int open_dynamodb(struct nf_store_handle *h, const struct nf_config *cfg, const char *arg,
                         enum nf_store_mode mode, char *const *envp, struct nf_err *err)
{
    (void)mode; /* DynamoDB's writes are all conditional; the read-only commands do none */
    int rc = nf_aws_client_init(&h->aws, cfg->aws_region, envp, err);
    if (rc != NF_OK)
        return rc;
    h->have_aws = true;
    h->aws.timeout_s = cfg->aws_timeout;
    h->dynamo.aws = &h->aws;
    snprintf(h->dynamo.table, sizeof h->dynamo.table, "%s", arg ? arg : cfg->dynamodb_table);
    snprintf(h->dynamo.cluster_id, sizeof h->dynamo.cluster_id, "%s", cfg->cluster_id);
    snprintf(h->dynamo.history_table, sizeof h->dynamo.history_table, "%s",
             cfg->metrics_history_table);
    h->port = &nf_dynamodb_store_port;
    h->ctx = &h->dynamo;
    snprintf(h->desc, sizeof h->desc, "dynamodb:%s", h->dynamo.table);
    return NF_OK;
}

static void close_dynamodb(struct nf_store_handle *h)
{
    nf_dynamodb_store_close(&h->dynamo);
}

static int open_mem(struct nf_store_handle *h, const struct nf_config *cfg, const char *arg,
                    enum nf_store_mode mode, char *const *envp, struct nf_err *err)
{
    (void)cfg, (void)arg, (void)mode, (void)envp, (void)err;
    nf_mem_store_init(&h->mem);
    h->port = &nf_mem_store_port;
    h->ctx = &h->mem;
    snprintf(h->desc, sizeof h->desc, "mem");
    return NF_OK;
}

/* `store` is NAME or NAME:ARG; `arg` says whether NAME takes one (required, optional, none) */
enum arg { ARG_NONE, ARG_OPTIONAL, ARG_REQUIRED };

static const struct store_kind {
    const char *name;
    enum arg arg;
    int (*open)(struct nf_store_handle *h, const struct nf_config *cfg, const char *arg,
                enum nf_store_mode mode, char *const *envp, struct nf_err *err);
    void (*close)(struct nf_store_handle *h);
} kinds[] = {
    {"sqlite", ARG_REQUIRED, open_sqlite, close_sqlite},
    {"dynamodb", ARG_OPTIONAL, open_dynamodb, close_dynamodb},
    {"mem", ARG_NONE, open_mem, NULL},
    {NULL, ARG_NONE, NULL, NULL},
};

/* The kind `spec` names and its argument (NULL when none), or NULL. */
static const struct store_kind *lookup(const char *spec, const char **arg)
{
    const char *colon = strchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    *arg = colon && colon[1] ? colon + 1 : NULL;
    for (const struct store_kind *k = kinds; k->name; k++) {
        if (strlen(k->name) != n || memcmp(k->name, spec, n) != 0)
            continue;
        if ((k->arg == ARG_REQUIRED && *arg == NULL) || (k->arg == ARG_NONE && colon != NULL) ||
            (colon != NULL && *arg == NULL))
            return NULL;
        return k;
    }
    return NULL;
}

int nf_store_spec_check(const char *spec)
{
    const char *arg;
    return lookup(spec, &arg) ? NF_OK : NF_E_INPUT;
}

int nf_store_open(struct nf_store_handle *h, const struct nf_config *cfg, enum nf_store_mode mode,
                  char *const *envp, struct nf_err *err)
{
    memset(h, 0, sizeof *h);
    const char *arg;
    const struct store_kind *k = lookup(cfg->store, &arg);
    if (k == NULL)
        return nf_err_set(err, NF_E_CONFIG,
                          "store: \"%s\" is neither sqlite:PATH, dynamodb[:TABLE] nor mem",
                          cfg->store);
    int rc = k->open(h, cfg, arg, mode, envp, err);
    if (rc == NF_OK)
        h->kind = k;
    return rc;
}

void nf_store_close(struct nf_store_handle *h)
{
    const struct store_kind *k = h->kind;
    if (k != NULL && k->close != NULL && h->port != NULL)
        k->close(h);
    if (h->have_aws)
        nf_aws_client_free(&h->aws);
    h->port = NULL;
    h->kind = NULL;
}
