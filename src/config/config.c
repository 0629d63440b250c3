/* config.c - the settings table at run time: defaults, YAML file, environment, --set,
 * cross-setting checks, and the printed forms (effective, example, docs). */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "../core/policy.h"
#include "config_internal.h"
#include "../util/addr.h"
#include "../util/check.h"
#include "../util/files.h"
#include "../util/yaml_depth.h"
#include "../util/parse.h"

const struct nf_setting nf_settings[NF_CFG__COUNT] = {
#define NF__CFG_ROW(ident, name_, type_, min_, max_, def_, env_, flags_, choices_, help_)          \
    [NF_CFG_##ident] = {.name = name_,                                                             \
                        .type = type_,                                                             \
                        .min = min_,                                                               \
                        .max = max_,                                                               \
                        .def = def_,                                                               \
                        .env = env_,                                                               \
                        .flags = flags_,                                                           \
                        .choices = choices_,                                                       \
                        .help = help_,                                                             \
                        .offset = offsetof(struct nf_config, ident)},
    NF_CONFIG_TABLE(NF__CFG_ROW)
#undef NF__CFG_ROW
};

/* At most this many problems are listed; the rest are counted. */
#define NF_CONFIG_PROBLEMS_MAX 50

struct loader {
    struct nf_config *c;
    struct nf_buf *problems;
    int nproblems;
    const char *file;
    int file_line[NF_CFG__COUNT]; /* line where the file set each setting, 0 = not set */
    int triggers_line;
};

static void problem(struct loader *L, const char *where, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void problem(struct loader *L, const char *where, const char *name, const char *fmt, ...)
{
    L->nproblems++;
    if (L->nproblems > NF_CONFIG_PROBLEMS_MAX)
        return;
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (L->problems == NULL)
        return;
    char line[2048], safe[2048];
    if (name != NULL && name[0] != '\0')
        snprintf(line, sizeof line, "%s: %s: %s", where, name, what);
    else
        snprintf(line, sizeof line, "%s: %s", where, what);
    /* one line of valid UTF-8, whatever the file's name or content held */
    nf_text_escape(line, safe, sizeof safe);
    nf_buf_printf(L->problems, "%s\n", safe);
}

int nf_setting_find(const char *name, size_t len)
{
    for (int i = 0; i < NF_CFG__COUNT; i++)
        if (strlen(nf_settings[i].name) == len && memcmp(nf_settings[i].name, name, len) == 0)
            return i;
    return -1;
}

/* Is `name` (len bytes) a section, i.e. a prefix "name." of some setting? */
static bool is_section(const char *name, size_t len)
{
    for (int i = 0; i < NF_CFG__COUNT; i++) {
        const char *s = nf_settings[i].name;
        if (strlen(s) > len && memcmp(s, name, len) == 0 && s[len] == '.')
            return true;
    }
    return false;
}

static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    if (la > 63 || lb > 63)
        return 99;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

static void unknown_setting(struct loader *L, const char *where, const char *name, size_t len)
{
    int best = -1;
    size_t best_d = 4;
    for (int i = 0; i < NF_CFG__COUNT; i++) {
        size_t d = edit_distance(name, len, nf_settings[i].name, strlen(nf_settings[i].name));
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    char shown[128];
    snprintf(shown, sizeof shown, "%.*s", (int)(len < 100 ? len : 100), name);
    if (best >= 0)
        problem(L, where, shown, "unknown setting (did you mean '%s'?)", nf_settings[best].name);
    else
        problem(L, where, shown, "unknown setting");
}

/* Quote a user value for an error message, bounded, never for secrets. */
static void shown_value(const struct nf_setting *st, const char *s, size_t n, char *out,
                        size_t outlen)
{
    if (st->flags & NF_CF_SECRET) {
        snprintf(out, outlen, "(secret not shown)");
        return;
    }
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < n && o + 6 < outlen; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[o++] = (ch >= 0x20 && ch < 0x7f && ch != '"') ? (char)ch : '?';
    }
    if (n > 0 && o + 6 >= outlen) {
        out[o++] = '.';
        out[o++] = '.';
        out[o++] = '.';
    }
    out[o++] = '"';
    out[o] = '\0';
}

void nf__config_fmt_bound(double v, enum nf_ctype type, char *out, size_t outlen)
{
    if (type == NF_CT_DUR)
        snprintf(out, outlen, "%gs", v);
    else
        snprintf(out, outlen, "%.15g", v);
}

/* The one check of each string setting's value, wherever the value comes from (defaults,
 * file, environment, --set, a SIGHUP reload): NF_OK, or a phrase in *why. */
static int check_string(int id, const char *v, const char **why)
{
    const struct nf_setting *st = &nf_settings[id];
    bool query = strncmp(st->name, "prometheus.query_", 17) == 0;
    if (nf_check_text(v, query, why) != NF_OK)
        return NF_E_INPUT;
    if (v[0] == '\0') {
        switch (id) {
        case NF_CFG_cluster_id:
        case NF_CFG_store:
        case NF_CFG_dynamodb_table:
        case NF_CFG_metrics_history_table:
        case NF_CFG_aws_pool_tags:
        case NF_CFG_aws_launch_template_version:
            *why = "must not be empty";
            return NF_E_INPUT;
        default:
            return NF_OK; /* empty: not used */
        }
    }
    if (st->flags & NF_CF_URL)
        return nf_check_url(v, why);
    switch (id) {
    case NF_CFG_cluster_id:
        return nf_check_cluster_id(v, why);
    case NF_CFG_store:
        if (strncmp(v, "sqlite:", 7) == 0) {
            if (v[7] == '\0') {
                *why = "sqlite: needs a file (sqlite:PATH)";
                return NF_E_INPUT;
            }
            return NF_OK;
        }
        if (strcmp(v, "dynamodb") == 0)
            return NF_OK;
        if (strncmp(v, "dynamodb:", 9) == 0)
            return nf_check_dynamodb_table(v + 9, why);
        *why = "must be sqlite:PATH, dynamodb or dynamodb:TABLE";
        return NF_E_INPUT;
    case NF_CFG_dynamodb_table:
    case NF_CFG_metrics_history_table:
        return nf_check_dynamodb_table(v, why);
    case NF_CFG_aws_region:
        return nf_check_region(v, why);
    case NF_CFG_aws_launch_template_version:
        return nf_check_template_version(v, why);
    case NF_CFG_aws_subnets:
        return nf_check_subnets(v, why);
    case NF_CFG_aws_pool_tags:
        return nf_check_tag_filter(v, why);
    case NF_CFG_aws_sns_topic_arn:
        return nf_check_sns_arn(v, why);
    case NF_CFG_aws_interruption_queue_url:
        return nf_check_url(v, why);
    case NF_CFG_prometheus_ca_file:
    case NF_CFG_prometheus_bearer_token_file:
    case NF_CFG_prometheus_basic_auth_password_file: {
        /* a file named now must be there now: a missing CA file would otherwise make every
         * signal silently unknown at run time */
        int fd;
        struct nf_err e = {0};
        if (nf_file_open_read(v, NULL, 1u << 20, &fd, &e) != NF_OK) {
            *why = e.code == NF_E_NOT_FOUND ? "no such file"
                   : e.code == NF_E_TOO_BIG ? "larger than 1 MiB"
                   : e.code == NF_E_INPUT   ? "not a regular file (or not readable)"
                                            : "cannot be read";
            return NF_E_INPUT;
        }
        close(fd);
        return NF_OK;
    }
    default:
        return NF_OK;
    }
}

/* Parse `s` (n bytes) into setting `id` of `c`. On failure writes a phrase to `why`. */
static int apply_text(struct nf_config *c, int id, const char *s, size_t n, char *why,
                      size_t whylen)
{
    const struct nf_setting *st = &nf_settings[id];
    void *field = (char *)c + st->offset;
    const char *reason = NULL;
    char val[96];
    shown_value(st, s, n, val, sizeof val);
    double num = 0;
    switch (st->type) {
    case NF_CT_INT: {
        long long v;
        if (nf_parse_ll(s, n, &v, &reason) != NF_OK) {
            if (strcmp(reason, "not an integer") == 0)
                snprintf(why, whylen, "expected an integer, got %s", val);
            else
                snprintf(why, whylen, "%s: %s", reason, val);
            return NF_E_CONFIG;
        }
        num = (double)v;
        if (num < st->min || num > st->max)
            break;
        *(long long *)field = v;
        return NF_OK;
    }
    case NF_CT_NUM:
    case NF_CT_PCT:
        if (nf_parse_double(s, n, &num, &reason) != NF_OK) {
            if (strcmp(reason, "not a number") == 0)
                snprintf(why, whylen, "expected a number, got %s", val);
            else
                snprintf(why, whylen, "%s: %s", reason, val);
            return NF_E_CONFIG;
        }
        if (num < st->min || num > st->max)
            break;
        *(double *)field = num;
        return NF_OK;
    case NF_CT_DUR:
        if (nf_parse_duration(s, n, &num, &reason) != NF_OK) {
            snprintf(why, whylen, "%s: %s", reason, val);
            return NF_E_CONFIG;
        }
        if (num < st->min || num > st->max)
            break;
        *(double *)field = num;
        return NF_OK;
    case NF_CT_BOOL:
        if (nf_parse_bool(s, n, (bool *)field, &reason) != NF_OK) {
            snprintf(why, whylen, "%s: %s", reason, val);
            return NF_E_CONFIG;
        }
        return NF_OK;
    case NF_CT_STR: {
        if (n >= NF_CONFIG_STR_MAX) {
            snprintf(why, whylen, "longer than %d bytes", NF_CONFIG_STR_MAX - 1);
            return NF_E_CONFIG;
        }
        if (memchr(s, '\0', n) != NULL) {
            snprintf(why, whylen, "contains a NUL byte");
            return NF_E_CONFIG;
        }
        char tmp[NF_CONFIG_STR_MAX];
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        if (st->choices != NULL) {
            bool ok = false;
            const char *p = st->choices;
            while (*p) {
                const char *bar = strchr(p, '|');
                size_t len = bar ? (size_t)(bar - p) : strlen(p);
                if (len == n && memcmp(p, s, n) == 0)
                    ok = true;
                p += len + (bar ? 1 : 0);
            }
            if (!ok) {
                snprintf(why, whylen, "must be one of %s, not %s", st->choices, val);
                return NF_E_CONFIG;
            }
        }
        if (check_string(id, tmp, &reason) != NF_OK) {
            if (st->flags & NF_CF_SECRET)
                snprintf(why, whylen, "%s", reason);
            else
                snprintf(why, whylen, "%s: %s", reason, val);
            return NF_E_CONFIG;
        }
        struct nf_addr addr;
        if (id == NF_CFG_server_listen && tmp[0] != '\0' &&
            nf_addr_parse(tmp, &addr, &reason) != NF_OK) {
            snprintf(why, whylen, "%s: %s", reason, val);
            return NF_E_CONFIG;
        }
        if (id == NF_CFG_policy && nf_policy_spec_check(tmp, &reason) != NF_OK) {
            snprintf(why, whylen, "%s: %s", reason, val);
            return NF_E_CONFIG;
        }
        memcpy(field, tmp, n + 1);
        return NF_OK;
    }
    }
    char lo[32], hi[32];
    nf__config_fmt_bound(st->min, st->type, lo, sizeof lo);
    nf__config_fmt_bound(st->max, st->type, hi, sizeof hi);
    snprintf(why, whylen, "%s is out of range (must be between %s and %s)", val, lo, hi);
    return NF_E_CONFIG;
}

void nf_config_defaults(struct nf_config *c)
{
    memset(c, 0, sizeof *c);
    char why[256];
    for (int i = 0; i < NF_CFG__COUNT; i++) {
        /* a bad default is a programming error caught by the config tests */
        apply_text(c, i, nf_settings[i].def, strlen(nf_settings[i].def), why, sizeof why);
        c->origin[i].source = NF_SRC_DEFAULT;
        c->origin[i].line = 0;
    }
}

static void set_from(struct loader *L, int id, const char *where, const char *s, size_t n,
                     enum nf_config_source source, int line)
{
    char why[512];
    if (apply_text(L->c, id, s, n, why, sizeof why) != NF_OK) {
        problem(L, where, nf_settings[id].name, "%s", why);
        return;
    }
    L->c->origin[id].source = source;
    L->c->origin[id].line = line;
}

/* ---- YAML file ---------------------------------------------------------------------- */

static bool is_null_scalar(const yaml_node_t *v)
{
    if (v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = (const char *)v->data.scalar.value;
    return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
           strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* ---- triggers: a list of records, with its own small table of fields ------------------ */

static const char *const trigger_fields[] = {"name", "query",    "above", "below",
                                             "for",  "scale_by", NULL};

static bool valid_trigger_name(const char *s)
{
    if (!(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

static void scalar_text(const yaml_node_t *v, char *out, size_t outlen, bool *toolong)
{
    size_t n = v->data.scalar.length;
    *toolong = n >= outlen;
    if (*toolong)
        n = outlen - 1;
    memcpy(out, v->data.scalar.value, n);
    out[n] = '\0';
}

static void parse_trigger(struct loader *L, yaml_document_t *doc, yaml_node_t *item, int idx)
{
    char where[NF_CONFIG_STR_MAX + 32];
    snprintf(where, sizeof where, "%s:%lu", L->file, (unsigned long)item->start_mark.line + 1);
    char label[64];
    snprintf(label, sizeof label, "triggers[%d]", idx);
    if (item->type != YAML_MAPPING_NODE) {
        problem(L, where, label,
                "expected a mapping with name, query, above or below, for, "
                "scale_by");
        return;
    }
    struct nf_trigger t = {.for_s = 120, .scale_by = 1, .line = (int)item->start_mark.line + 1};
    bool have_name = false, have_query = false, have_above = false, have_below = false;
    int before = L->nproblems;
    for (yaml_node_pair_t *pair = item->data.mapping.pairs.start;
         pair < item->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(doc, pair->value);
        if (k == NULL || v == NULL)
            continue;
        snprintf(where, sizeof where, "%s:%lu", L->file, (unsigned long)k->start_mark.line + 1);
        char key[64];
        bool toolong;
        if (k->type != YAML_SCALAR_NODE) {
            problem(L, where, label, "field names must be plain words");
            continue;
        }
        scalar_text(k, key, sizeof key, &toolong);
        char field[160];
        snprintf(field, sizeof field, "%s.%s", label, key);
        if (v->type != YAML_SCALAR_NODE || is_null_scalar(v)) {
            problem(L, where, field,
                    v->type == YAML_SCALAR_NODE ? "missing value" : "expected a single value");
            continue;
        }
        const char *s = (const char *)v->data.scalar.value;
        size_t n = v->data.scalar.length;
        const char *why = NULL;
        char val[96];
        shown_value(&nf_settings[NF_CFG_policy], s, n, val, sizeof val);
        if (strcmp(key, "name") == 0) {
            scalar_text(v, t.name, sizeof t.name, &toolong);
            if (toolong || !valid_trigger_name(t.name))
                problem(L, where, field,
                        "must be lower-case letters, digits and _ (starting with a letter), at "
                        "most %d characters: %s",
                        NF_TRIGGER_NAME_MAX - 1, val);
            have_name = true;
        } else if (strcmp(key, "query") == 0) {
            scalar_text(v, t.query, sizeof t.query, &toolong);
            if (toolong)
                problem(L, where, field, "longer than %d bytes", NF_CONFIG_STR_MAX - 1);
            else if (t.query[0] == '\0' || memchr(s, '\0', n) != NULL)
                problem(L, where, field, "must be a PromQL expression");
            have_query = true;
        } else if (strcmp(key, "above") == 0 || strcmp(key, "below") == 0) {
            if (nf_parse_double(s, n, &t.threshold, &why) != NF_OK)
                problem(L, where, field, "expected a number, got %s", val);
            t.below = key[0] == 'b';
            *(t.below ? &have_below : &have_above) = true;
        } else if (strcmp(key, "for") == 0) {
            if (nf_parse_duration(s, n, &t.for_s, &why) != NF_OK)
                problem(L, where, field, "%s: %s", why, val);
            else if (t.for_s > 86400)
                problem(L, where, field, "at most 86400s");
        } else if (strcmp(key, "scale_by") == 0) {
            if (nf_parse_ll(s, n, &t.scale_by, &why) != NF_OK || t.scale_by < 1 || t.scale_by > 100)
                problem(L, where, field, "expected a whole number from 1 to 100, got %s", val);
        } else {
            int best = -1;
            size_t best_d = 3;
            for (int f = 0; trigger_fields[f]; f++) {
                size_t d =
                    edit_distance(key, strlen(key), trigger_fields[f], strlen(trigger_fields[f]));
                if (d < best_d) {
                    best_d = d;
                    best = f;
                }
            }
            if (best >= 0)
                problem(L, where, field, "unknown field (did you mean '%s'?)",
                        trigger_fields[best]);
            else
                problem(L, where, field,
                        "unknown field (known: name, query, above, below, for, scale_by)");
        }
    }
    snprintf(where, sizeof where, "%s:%d", L->file, t.line);
    if (!have_name)
        problem(L, where, label, "needs a name");
    if (!have_query)
        problem(L, where, label, "needs a query");
    if (have_above == have_below)
        problem(L, where, label, "needs exactly one of above or below");
    if (have_name) {
        for (int s = 0; s < NF_SIG__COUNT; s++)
            if (strcmp(t.name, nf_signal_names[s]) == 0)
                problem(L, where, label, "name '%s' is a built-in signal", t.name);
        for (int j = 0; j < L->c->ntriggers; j++)
            if (strcmp(L->c->triggers[j].name, t.name) == 0)
                problem(L, where, label, "name '%s' already used at line %d", t.name,
                        L->c->triggers[j].line);
    }
    if (L->nproblems == before && L->c->ntriggers < NF_TRIGGERS_MAX)
        L->c->triggers[L->c->ntriggers++] = t;
}

static void parse_triggers(struct loader *L, yaml_document_t *doc, yaml_node_t *k, yaml_node_t *v)
{
    char where[NF_CONFIG_STR_MAX + 32];
    snprintf(where, sizeof where, "%s:%lu", L->file, (unsigned long)k->start_mark.line + 1);
    if (L->triggers_line != 0) {
        problem(L, where, "triggers", "set twice (first at line %d)", L->triggers_line);
        return;
    }
    L->triggers_line = (int)k->start_mark.line + 1;
    if (v->type == YAML_SCALAR_NODE && is_null_scalar(v))
        return; /* "triggers:" with nothing: none */
    if (v->type != YAML_SEQUENCE_NODE) {
        problem(L, where, "triggers", "expected a list of triggers (- name: ...)");
        return;
    }
    int n = (int)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (n > NF_TRIGGERS_MAX) {
        problem(L, where, "triggers", "at most %d triggers, got %d", NF_TRIGGERS_MAX, n);
        return;
    }
    for (int i = 0; i < n; i++) {
        yaml_node_t *item = yaml_document_get_node(doc, v->data.sequence.items.start[i]);
        if (item != NULL)
            parse_trigger(L, doc, item, i);
    }
}

static void walk_mapping(struct loader *L, yaml_document_t *doc, yaml_node_t *map,
                         const char *prefix)
{
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
         pair++) {
        yaml_node_t *k = yaml_document_get_node(doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(doc, pair->value);
        if (k == NULL || v == NULL)
            continue;
        char where[NF_CONFIG_STR_MAX + 32];
        snprintf(where, sizeof where, "%s:%lu", L->file, (unsigned long)k->start_mark.line + 1);
        if (k->type != YAML_SCALAR_NODE) {
            problem(L, where, NULL, "a setting name must be a plain word");
            continue;
        }
        char name[256];
        int nl = snprintf(name, sizeof name, "%s%s%.*s", prefix, prefix[0] ? "." : "",
                          (int)(k->data.scalar.length < 200 ? k->data.scalar.length : 200),
                          (const char *)k->data.scalar.value);
        if (nl < 0 || (size_t)nl >= sizeof name || k->data.scalar.length >= 200) {
            problem(L, where, NULL, "setting name too long");
            continue;
        }
        if (memchr(k->data.scalar.value, '\0', k->data.scalar.length) != NULL) {
            problem(L, where, NULL, "setting name contains a NUL byte");
            continue;
        }
        size_t len = (size_t)nl;
        if (prefix[0] == '\0' && strcmp(name, "triggers") == 0) {
            parse_triggers(L, doc, k, v);
            continue;
        }
        int id = nf_setting_find(name, len);
        if (id < 0 && prefix[0] == '\0' && is_section(name, len)) {
            if (v->type != YAML_MAPPING_NODE) {
                problem(L, where, name, "is a section: expected its settings, indented below");
                continue;
            }
            walk_mapping(L, doc, v, name);
            continue;
        }
        if (id < 0) {
            unknown_setting(L, where, name, len);
            continue;
        }
        if (L->file_line[id] != 0) {
            problem(L, where, name, "set twice (first at line %d)", L->file_line[id]);
            continue;
        }
        L->file_line[id] = (int)k->start_mark.line + 1;
        if (v->type == YAML_SEQUENCE_NODE) {
            problem(L, where, name, "expected a single value, not a list");
            continue;
        }
        if (v->type == YAML_MAPPING_NODE) {
            problem(L, where, name, "expected a single value, not a mapping");
            continue;
        }
        if (v->type != YAML_SCALAR_NODE || is_null_scalar(v)) {
            problem(L, where, name, "missing value");
            continue;
        }
        set_from(L, id, where, (const char *)v->data.scalar.value, v->data.scalar.length,
                 NF_SRC_FILE, L->file_line[id]);
    }
}

static int load_file(struct loader *L, const char *path, const char *text, size_t len,
                     struct nf_err *err)
{
    struct nf_buf data;
    nf_buf_init(&data, NF_CONFIG_FILE_MAX);
    struct nf_err rerr = {0};
    static const char what[] = "config file";
    int rc;
    if (text != NULL) {
        rc = nf_buf_append(&data, text, len);
        if (rc == NF_E_TOO_BIG)
            nf_err_set(&rerr, rc, "%s: larger than the %d-byte limit", what, NF_CONFIG_FILE_MAX);
        else if (rc != NF_OK)
            nf_err_set(&rerr, rc, "%s: out of memory", what);
    } else {
        rc = nf_buf_read_file(&data, path, path, &rerr);
    }
    if (rc != NF_OK) {
        nf_buf_free(&data);
        if (rc == NF_E_NOMEM)
            return nf_err_set(err, rc, "%s", rerr.msg);
        /* the message names the file already: "FILE: cannot open: ..." */
        char shown[NF_PATH_SHOWN_MAX + 1];
        size_t sl = strlen(nf_path_shown(path, shown));
        bool named = strncmp(rerr.msg, shown, sl) == 0 && rerr.msg[sl] == ':';
        problem(L, shown, NULL, "%s", named ? rerr.msg + sl + 2 : rerr.msg);
        return NF_OK;
    }
    unsigned long deep_line = 0;
    char deep_why[128];
    if (nf_yaml_check_depth(data.data, data.len, NF_YAML_DEPTH_MAX, &deep_line, deep_why,
                            sizeof deep_why) != NF_OK) {
        char where[NF_CONFIG_STR_MAX + 32];
        snprintf(where, sizeof where, "%s:%lu", path, deep_line);
        problem(L, where, NULL, "%s", deep_why);
        nf_buf_free(&data);
        return NF_OK;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        nf_buf_free(&data);
        return nf_err_set(err, NF_E_NOMEM, "cannot initialise the YAML parser");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data.data, data.len);
    if (!yaml_parser_load(&parser, &doc)) {
        char where[NF_CONFIG_STR_MAX + 32];
        snprintf(where, sizeof where, "%s:%lu", path, (unsigned long)parser.problem_mark.line + 1);
        problem(L, where, NULL, "YAML syntax error: %s%s%s",
                parser.problem ? parser.problem : "unknown problem", parser.context ? " " : "",
                parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        nf_buf_free(&data);
        return NF_OK;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root != NULL) {
        if (root->type != YAML_MAPPING_NODE) {
            char where[NF_CONFIG_STR_MAX + 32];
            snprintf(where, sizeof where, "%s:%lu", path, (unsigned long)root->start_mark.line + 1);
            problem(L, where, NULL, "expected a mapping of settings (name: value)");
        } else {
            walk_mapping(L, &doc, root, "");
        }
        /* a second document would be silently ignored by a simple reader: refuse it */
        yaml_document_t extra;
        if (yaml_parser_load(&parser, &extra)) {
            if (yaml_document_get_root_node(&extra) != NULL) {
                char where[NF_CONFIG_STR_MAX + 32];
                snprintf(where, sizeof where, "%s:%lu", path,
                         (unsigned long)yaml_document_get_root_node(&extra)->start_mark.line + 1);
                problem(L, where, NULL, "only one YAML document is allowed");
            }
            yaml_document_delete(&extra);
        } else {
            char where[NF_CONFIG_STR_MAX + 32];
            snprintf(where, sizeof where, "%s:%lu", path,
                     (unsigned long)parser.problem_mark.line + 1);
            problem(L, where, NULL, "YAML syntax error: %s",
                    parser.problem ? parser.problem : "unknown problem");
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    nf_buf_free(&data);
    return NF_OK;
}

/* ---- environment and --set ------------------------------------------------------------ */

static void load_env(struct loader *L, char *const *envp)
{
    for (int id = 0; id < NF_CFG__COUNT; id++) {
        const char *env = nf_settings[id].env;
        size_t el = strlen(env);
        for (char *const *e = envp; *e != NULL; e++) {
            if (strncmp(*e, env, el) == 0 && (*e)[el] == '=') {
                char where[128];
                snprintf(where, sizeof where, "env %s", env);
                const char *v = *e + el + 1;
                set_from(L, id, where, v, strlen(v), NF_SRC_ENV, 0);
                break;
            }
        }
    }
}

static void load_sets(struct loader *L, const char *const *sets, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *s = sets[i];
        const char *eq = strchr(s, '=');
        if (eq == NULL) {
            problem(L, "--set", NULL, "expected name=value, got \"%.100s\"", s);
            continue;
        }
        int id = nf_setting_find(s, (size_t)(eq - s));
        if (id < 0) {
            unknown_setting(L, "--set", s, (size_t)(eq - s));
            continue;
        }
        set_from(L, id, "--set", eq + 1, strlen(eq + 1), NF_SRC_FLAG, 0);
    }
}

/* ---- cross-setting checks --------------------------------------------------------------- */

void nf__config_origin_text(const struct nf_config *c, const char *file, int id, char *out,
                            size_t outlen)
{
    switch (c->origin[id].source) {
    case NF_SRC_DEFAULT:
        snprintf(out, outlen, "default");
        break;
    case NF_SRC_FILE:
        snprintf(out, outlen, "%s:%d", file, c->origin[id].line);
        break;
    case NF_SRC_ENV:
        snprintf(out, outlen, "env %s", nf_settings[id].env);
        break;
    case NF_SRC_FLAG:
        snprintf(out, outlen, "--set");
        break;
    }
}

/* Of two settings that conflict, blame the one the user set last. */
static int blame(const struct nf_config *c, int a, int b)
{
    const struct nf_config_origin *oa = &c->origin[a], *ob = &c->origin[b];
    if (oa->source != ob->source)
        return oa->source > ob->source ? a : b;
    return oa->line >= ob->line ? a : b;
}

static void conflict(struct loader *L, int a, int b, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void conflict(struct loader *L, int a, int b, const char *fmt, ...)
{
    int who = blame(L->c, a, b);
    char where[NF_CONFIG_STR_MAX + 32];
    nf__config_origin_text(L->c, L->file, who, where, sizeof where);
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    problem(L, where, nf_settings[who].name, "%s", what);
}

static void check_cross(struct loader *L)
{
    const struct nf_config *c = L->c;
    if (c->min_nodes > c->max_nodes)
        conflict(L, NF_CFG_min_nodes, NF_CFG_max_nodes,
                 "min_nodes (%lld) is greater than max_nodes (%lld)", c->min_nodes, c->max_nodes);
    if (c->scale_down_threshold_cpu >= c->scale_up_threshold_cpu)
        conflict(L, NF_CFG_scale_down_threshold_cpu, NF_CFG_scale_up_threshold_cpu,
                 "scale_down_threshold_cpu (%g) must be below scale_up_threshold_cpu (%g), or "
                 "the pool would flap",
                 c->scale_down_threshold_cpu, c->scale_up_threshold_cpu);
    if (c->scale_down_threshold_memory >= c->scale_up_threshold_memory)
        conflict(L, NF_CFG_scale_down_threshold_memory, NF_CFG_scale_up_threshold_memory,
                 "scale_down_threshold_memory (%g) must be below scale_up_threshold_memory "
                 "(%g), or the pool would flap",
                 c->scale_down_threshold_memory, c->scale_up_threshold_memory);
    if (c->lease_ttl <= c->interval)
        conflict(L, NF_CFG_lease_ttl, NF_CFG_interval,
                 "lease_ttl (%gs) must be longer than interval (%gs), or the lease can lapse "
                 "between the cycles of one nodefleet and another can take the pool over",
                 c->lease_ttl, c->interval);
    if (strcmp(c->cluster, "prometheus") == 0 && strcmp(c->cloud, "ec2") == 0)
        conflict(L, NF_CFG_cluster, NF_CFG_cloud,
                 "cluster: prometheus cannot see which instances joined, so every worker "
                 "launched with cloud: ec2 would look stuck and be terminated after "
                 "provision_timeout; use cluster: kube with cloud: ec2, or cloud: none to "
                 "observe only");
    if (c->sim_pod_cpu_request > c->sim_node_vcpu)
        conflict(L, NF_CFG_sim_pod_cpu_request, NF_CFG_sim_node_vcpu,
                 "a pod (%g vCPU) does not fit on a worker (%g vCPU)", c->sim_pod_cpu_request,
                 c->sim_node_vcpu);
    if (c->sim_boot_jitter_s > c->sim_boot_s)
        conflict(L, NF_CFG_sim_boot_jitter_s, NF_CFG_sim_boot_s,
                 "boot jitter (%gs) is larger than the boot time (%gs)", c->sim_boot_jitter_s,
                 c->sim_boot_s);
    if (c->sim_sample_s > c->sim_interval_s)
        conflict(L, NF_CFG_sim_sample_s, NF_CFG_sim_interval_s,
                 "samples (every %gs) must come at least as often as decisions (every %gs)",
                 c->sim_sample_s, c->sim_interval_s);
}

int nf_config_load(struct nf_config *out, const struct nf_config_sources *src,
                   struct nf_buf *problems, struct nf_err *err)
{
    static const struct nf_config_sources none = {0};
    if (src == NULL)
        src = &none;
    /* built on the heap-free stack copy; `out` is touched only on success */
    struct nf_config *c = &(struct nf_config){0};
    nf_config_defaults(c);
    struct loader L = {.c = c, .problems = problems, .file = src->file ? src->file : ""};
    if (src->file != NULL) {
        snprintf(c->file, sizeof c->file, "%s", src->file);
        int rc = load_file(&L, src->file, src->file_text, src->file_len, err);
        if (rc != NF_OK)
            return rc;
    }
    if (src->envp != NULL)
        load_env(&L, src->envp);
    if (src->sets != NULL)
        load_sets(&L, src->sets, src->nsets);
    if (L.nproblems == 0)
        check_cross(&L);
    if (L.nproblems > NF_CONFIG_PROBLEMS_MAX && problems != NULL)
        nf_buf_printf(problems, "(%d more problems not shown)\n",
                      L.nproblems - NF_CONFIG_PROBLEMS_MAX);
    if (L.nproblems > 0)
        return nf_err_set(err, NF_E_CONFIG, "%d configuration problem%s", L.nproblems,
                          L.nproblems == 1 ? "" : "s");
    *out = *c;
    return NF_OK;
}

int nf_config_load_env(struct nf_config *out, char *const *envp)
{
    struct nf_config_sources src = {.envp = envp};
    struct nf_buf probs;
    nf_buf_init(&probs, 65536);
    struct nf_err err = {0};
    int rc = nf_config_load(out, &src, &probs, &err);
    if (rc != NF_OK)
        fprintf(stderr, "%s", probs.data ? probs.data : err.msg);
    nf_buf_free(&probs);
    return rc;
}

/* ---- the policy's parameters, from the configuration (the core never sees the config) ---- */

static void nf_config_seed_params(struct nf_seed_params *sp, const struct nf_config *cfg)
{
    sp->min_nodes = (int)cfg->min_nodes;
    sp->max_nodes = (int)cfg->max_nodes;
    sp->up_cpu = cfg->scale_up_threshold_cpu;
    sp->up_memory = cfg->scale_up_threshold_memory;
    sp->up_pending = (double)cfg->scale_up_threshold_pending_pods;
    sp->up_for = cfg->scale_up_for;
    sp->up_queue = cfg->scale_up_threshold_queue_depth;
    sp->up_latency_ms = cfg->scale_up_threshold_latency_p95_ms;
    sp->up_error_pct = cfg->scale_up_threshold_error_rate_pct;
    sp->up_app_for = cfg->scale_up_app_for;
    sp->up_step = (int)cfg->scale_up_step;
    sp->up_urgent_step = (int)cfg->scale_up_urgent_step;
    sp->urgent_cpu = cfg->scale_up_urgent_cpu;
    sp->urgent_pending = (double)cfg->scale_up_urgent_pending_pods;
    sp->down_cpu = cfg->scale_down_threshold_cpu;
    sp->down_memory = cfg->scale_down_threshold_memory;
    sp->down_for = cfg->scale_down_for;
    sp->cooldown_up = cfg->cooldown_scale_up;
    sp->cooldown_down = cfg->cooldown_scale_down;
    sp->ntriggers = cfg->ntriggers;
    for (int k = 0; k < cfg->ntriggers; k++) {
        struct nf_trigger_rule *r = &sp->triggers[k];
        const struct nf_trigger *t = &cfg->triggers[k];
        snprintf(r->name, sizeof r->name, "%s", t->name);
        r->below = t->below;
        r->threshold = t->threshold;
        r->for_s = t->for_s;
        r->scale_by = (int)t->scale_by;
    }
}

int nf_config_policy(struct nf_policy *p, const char *spec, const struct nf_config *cfg,
                     struct nf_err *err)
{
    struct nf_seed_params sp;
    memset(&sp, 0, sizeof sp);
    nf_config_seed_params(&sp, cfg);
    return nf_policy_init(p, spec, &sp, err);
}

size_t nf_config_inert_set(const struct nf_config *c, int *ids, size_t cap)
{
    static struct nf_config defaults;
    static bool have_defaults;
    if (!have_defaults) {
        nf_config_defaults(&defaults);
        have_defaults = true;
    }
    size_t n = 0;
    for (int i = 0; i < NF_CFG__COUNT && n < cap; i++) {
        if (!(nf_settings[i].flags & NF_CF_INERT))
            continue;
        /* set to something other than its default: that value would be expected to act */
        struct nf_buf now, def;
        nf_buf_init(&now, 4096);
        nf_buf_init(&def, 4096);
        nf_config_format_value(c, i, false, &now);
        nf_config_format_value(&defaults, i, false, &def);
        if (now.data && def.data && strcmp(now.data, def.data) != 0)
            ids[n++] = i;
        nf_buf_free(&now);
        nf_buf_free(&def);
    }
    return n;
}
