/* config.h - loading, checking and printing nodefleet's configuration.
 *
 * Contract
 *   One table (config_table.h) declares every setting. A `struct nf_config` is plain data:
 *   copyable, no pointers, nothing to free. Loading layers defaults < file < environment <
 *   `--set name=value`, and is all-or-nothing: nf_config_load() writes `*out` only when every
 *   layer and every cross-setting check passed. Otherwise it appends one line per problem to
 *   `problems`, as "WHERE: name: what is wrong", where WHERE is "FILE:LINE", "env NAME" or
 *   "--set", and returns NF_E_CONFIG. Numbers are never clamped: out of bounds is an error.
 *   The environment is passed in (an envp array), never read behind the caller's back.
 */
#ifndef NF_CONFIG_H
#define NF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/policy.h"
#include "../core/types.h"
#include "../util/buf.h"
#include "../util/err.h"
#include "config_table.h"

#define NF_CONFIG_STR_MAX 1024
/* A config file larger than this is refused rather than parsed. */
#define NF_CONFIG_FILE_MAX (1024 * 1024)

enum nf_ctype { NF_CT_INT, NF_CT_NUM, NF_CT_PCT, NF_CT_DUR, NF_CT_BOOL, NF_CT_STR };
#define NF_CF_SECRET 1u
#define NF_CF_URL    2u /* a URL: must be http(s); printed without userinfo when masked */
#define NF_CF_INERT  4u /* accepted, no effect yet: setting it is warned about */

enum nf_setting_id {
#define NF__CFG_ID(ident, ...) NF_CFG_##ident,
    NF_CONFIG_TABLE(NF__CFG_ID)
#undef NF__CFG_ID
        NF_CFG__COUNT
};

enum nf_config_source { NF_SRC_DEFAULT, NF_SRC_FILE, NF_SRC_ENV, NF_SRC_FLAG };

struct nf_config_origin {
    enum nf_config_source source;
    int line; /* file line, 1-based, for NF_SRC_FILE */
};

#define NF__CT_FIELD_NF_CT_INT(id)  long long id;
#define NF__CT_FIELD_NF_CT_NUM(id)  double id;
#define NF__CT_FIELD_NF_CT_PCT(id)  double id;
#define NF__CT_FIELD_NF_CT_DUR(id)  double id;
#define NF__CT_FIELD_NF_CT_BOOL(id) bool id;
#define NF__CT_FIELD_NF_CT_STR(id)  char id[NF_CONFIG_STR_MAX];

/* A custom trigger (KEDA's Prometheus trigger is the model): scale up by `scale_by` when
 * `query` stays above (or below) `threshold` for `for_s` seconds. Set in the file only. */
struct nf_trigger {
    char name[NF_TRIGGER_NAME_MAX];
    char query[NF_CONFIG_STR_MAX];
    bool below;
    double threshold;
    double for_s;
    long long scale_by;
    int line; /* where the file defined it */
};

struct nf_config {
#define NF__CFG_FIELD(ident, name, type, ...) NF__CT_FIELD_##type(ident)
    NF_CONFIG_TABLE(NF__CFG_FIELD)
#undef NF__CFG_FIELD
    struct nf_config_origin origin[NF_CFG__COUNT];
    char file[NF_CONFIG_STR_MAX]; /* the config file loaded, or "" */
    struct nf_trigger triggers[NF_TRIGGERS_MAX];
    int ntriggers;
};

struct nf_setting {
    const char *name;
    enum nf_ctype type;
    double min, max;
    const char *def;
    const char *env;
    unsigned flags;
    const char *choices;
    const char *help;
    size_t offset;
};

extern const struct nf_setting nf_settings[NF_CFG__COUNT];

/* Where a configuration comes from. Any member may be NULL / 0. */
struct nf_config_sources {
    const char *file;      /* YAML config file */
    const char *file_text; /* if not NULL: the file's contents, already read (`file` names it) */
    size_t file_len;
    char *const *envp;       /* environment, NULL-terminated "NAME=value" */
    const char *const *sets; /* "name=value" from --set, in order */
    size_t nsets;
};

/* Fill `c` with every default. Cannot fail: the defaults are checked by tests. */
void nf_config_defaults(struct nf_config *c);

/* The settings this configuration sets to other than their default that have no effect yet
 * (NF_CF_INERT): their ids into `ids` (at most `cap`); returns how many. Commands warn of
 * them at start-up; check-config lists them. */
size_t nf_config_inert_set(const struct nf_config *c, int *ids, size_t cap);

int nf_config_policy(struct nf_policy *p, const char *spec, const struct nf_config *cfg,
                     struct nf_err *err);

int nf_config_load(struct nf_config *out, const struct nf_config_sources *src,
                   struct nf_buf *problems, struct nf_err *err);

/* Defaults < environment only (no file, no flags), for tools and test drivers: NF_OK, or
 * NF_E_CONFIG with every problem, one per line, printed to stderr. */
int nf_config_load_env(struct nf_config *out, char *const *envp);

/* Look up a setting by its name ("min_nodes", "sim.boot_s"); -1 if unknown. */
int nf_setting_find(const char *name, size_t len);

/* Append the value of setting `id` as YAML scalar text (strings quoted, durations as "Ns",
 * secrets as "********" when set and `mask` is true). */
void nf_config_format_value(const struct nf_config *c, int id, bool mask, struct nf_buf *out);

/* Write the effective configuration as YAML, each value followed by "# <source>". */
void nf_config_write_effective(const struct nf_config *c, struct nf_buf *out);
/* Write a complete example config file: every setting with its default and help. */
void nf_config_write_example(struct nf_buf *out);
/* Write the settings reference as a Markdown table (docs/configuration.md). */
void nf_config_write_docs(struct nf_buf *out);
/* For other renderings of the reference (the man page): setting id's type ("duration"), what
 * it allows ("1s to 600s", "kube, prometheus", "text"), and the triggers' help. */
const char *nf_config_type_name(int id);
void nf_config_write_range(int id, struct nf_buf *out);
const char *nf_config_triggers_help(void);

/* The worker the pool would add, from kube.node_labels and kube.node_taints (fleet.h). */
struct nf_pool_template;
void nf_config_template(const struct nf_config *c, struct nf_pool_template *t);

#endif
