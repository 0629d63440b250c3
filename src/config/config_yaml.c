/* config_yaml.c - the configuration file: YAML read all or nothing, every problem with its
 * FILE:LINE, nesting bounded before libyaml builds a document, triggers as a list of records. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "../core/policy.h"
#include "../util/files.h"
#include "../util/parse.h"
#include "../util/yaml_depth.h"
#include "config_internal.h"

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

/* which of a trigger's fields were given */
struct seen {
    bool name, query, above, below;
};

static void unknown_trigger_field(struct loader *L, const char *where, const char *field,
                                  const char *key)
{
    int best = -1;
    size_t best_d = 3;
    for (int f = 0; trigger_fields[f]; f++) {
        size_t d = nf__config_edit_distance(key, strlen(key), trigger_fields[f],
                                            strlen(trigger_fields[f]));
        if (d < best_d) {
            best_d = d;
            best = f;
        }
    }
    if (best >= 0)
        nf__config_problem(L, where, field, "unknown field (did you mean '%s'?)",
                           trigger_fields[best]);
    else
        nf__config_problem(L, where, field,
                           "unknown field (known: name, query, above, below, for, scale_by)");
}

/* one field of a trigger, its scalar value v checked and stored in t */
static void trigger_field(struct loader *L, const char *where, const char *field, const char *key,
                          const yaml_node_t *v, struct nf_trigger *t, struct seen *seen)
{
    const char *s = (const char *)v->data.scalar.value;
    size_t n = v->data.scalar.length;
    const char *why = NULL;
    bool toolong;
    char val[96];
    nf__config_shown_value(&nf_settings[NF_CFG_policy], s, n, val, sizeof val);
    if (strcmp(key, "name") == 0) {
        scalar_text(v, t->name, sizeof t->name, &toolong);
        if (toolong || !valid_trigger_name(t->name))
            nf__config_problem(L, where, field,
                               "must be lower-case letters, digits and _ (starting with a letter), "
                               "at most %d characters: %s",
                               NF_TRIGGER_NAME_MAX - 1, val);
        seen->name = true;
    } else if (strcmp(key, "query") == 0) {
        scalar_text(v, t->query, sizeof t->query, &toolong);
        if (toolong)
            nf__config_problem(L, where, field, "longer than %d bytes", NF_CONFIG_STR_MAX - 1);
        else if (t->query[0] == '\0' || memchr(s, '\0', n) != NULL)
            nf__config_problem(L, where, field, "must be a PromQL expression");
        seen->query = true;
    } else if (strcmp(key, "above") == 0 || strcmp(key, "below") == 0) {
        if (nf_parse_double(s, n, &t->threshold, &why) != NF_OK)
            nf__config_problem(L, where, field, "expected a number, got %s", val);
        t->below = key[0] == 'b';
        *(t->below ? &seen->below : &seen->above) = true;
    } else if (strcmp(key, "for") == 0) {
        if (nf_parse_duration(s, n, &t->for_s, &why) != NF_OK)
            nf__config_problem(L, where, field, "%s: %s", why, val);
        else if (t->for_s > 86400)
            nf__config_problem(L, where, field, "at most 86400s");
    } else if (strcmp(key, "scale_by") == 0) {
        if (nf_parse_ll(s, n, &t->scale_by, &why) != NF_OK || t->scale_by < 1 || t->scale_by > 100)
            nf__config_problem(L, where, field, "expected a whole number from 1 to 100, got %s",
                               val);
    } else {
        unknown_trigger_field(L, where, field, key);
    }
}

/* a trigger needs a name (not a built-in signal's, not used twice), a query and exactly one
 * of above or below */
static void check_trigger(struct loader *L, const char *where, const char *label,
                          const struct nf_trigger *t, const struct seen *seen)
{
    if (!seen->name)
        nf__config_problem(L, where, label, "needs a name");
    if (!seen->query)
        nf__config_problem(L, where, label, "needs a query");
    if (seen->above == seen->below)
        nf__config_problem(L, where, label, "needs exactly one of above or below");
    if (!seen->name)
        return;
    for (int s = 0; s < NF_SIG__COUNT; s++)
        if (strcmp(t->name, nf_signal_names[s]) == 0)
            nf__config_problem(L, where, label, "name '%s' is a built-in signal", t->name);
    for (int j = 0; j < L->c->ntriggers; j++)
        if (strcmp(L->c->triggers[j].name, t->name) == 0)
            nf__config_problem(L, where, label, "name '%s' already used at line %d", t->name,
                               L->c->triggers[j].line);
}

static void parse_trigger(struct loader *L, yaml_document_t *doc, yaml_node_t *item, int idx)
{
    char where[NF_CONFIG_STR_MAX + 32];
    snprintf(where, sizeof where, "%s:%lu", L->file, (unsigned long)item->start_mark.line + 1);
    char label[64];
    snprintf(label, sizeof label, "triggers[%d]", idx);
    if (item->type != YAML_MAPPING_NODE) {
        nf__config_problem(L, where, label,
                           "expected a mapping with name, query, above or below, for, "
                           "scale_by");
        return;
    }
    struct nf_trigger t = {.for_s = 120, .scale_by = 1, .line = (int)item->start_mark.line + 1};
    struct seen seen = {0};
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
            nf__config_problem(L, where, label, "field names must be plain words");
            continue;
        }
        scalar_text(k, key, sizeof key, &toolong);
        char field[160];
        snprintf(field, sizeof field, "%s.%s", label, key);
        if (v->type != YAML_SCALAR_NODE || is_null_scalar(v)) {
            nf__config_problem(L, where, field,
                               v->type == YAML_SCALAR_NODE ? "missing value"
                                                           : "expected a single value");
            continue;
        }
        trigger_field(L, where, field, key, v, &t, &seen);
    }
    snprintf(where, sizeof where, "%s:%d", L->file, t.line);
    check_trigger(L, where, label, &t, &seen);
    if (L->nproblems == before && L->c->ntriggers < NF_TRIGGERS_MAX)
        L->c->triggers[L->c->ntriggers++] = t;
}

static void parse_triggers(struct loader *L, yaml_document_t *doc, yaml_node_t *k, yaml_node_t *v)
{
    char where[NF_CONFIG_STR_MAX + 32];
    snprintf(where, sizeof where, "%s:%lu", L->file, (unsigned long)k->start_mark.line + 1);
    if (L->triggers_line != 0) {
        nf__config_problem(L, where, "triggers", "set twice (first at line %d)", L->triggers_line);
        return;
    }
    L->triggers_line = (int)k->start_mark.line + 1;
    if (v->type == YAML_SCALAR_NODE && is_null_scalar(v))
        return; /* "triggers:" with nothing: none */
    if (v->type != YAML_SEQUENCE_NODE) {
        nf__config_problem(L, where, "triggers", "expected a list of triggers (- name: ...)");
        return;
    }
    int n = (int)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (n > NF_TRIGGERS_MAX) {
        nf__config_problem(L, where, "triggers", "at most %d triggers, got %d", NF_TRIGGERS_MAX, n);
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
            nf__config_problem(L, where, NULL, "a setting name must be a plain word");
            continue;
        }
        char name[256];
        int nl = snprintf(name, sizeof name, "%s%s%.*s", prefix, prefix[0] ? "." : "",
                          (int)(k->data.scalar.length < 200 ? k->data.scalar.length : 200),
                          (const char *)k->data.scalar.value);
        if (nl < 0 || (size_t)nl >= sizeof name || k->data.scalar.length >= 200) {
            nf__config_problem(L, where, NULL, "setting name too long");
            continue;
        }
        if (memchr(k->data.scalar.value, '\0', k->data.scalar.length) != NULL) {
            nf__config_problem(L, where, NULL, "setting name contains a NUL byte");
            continue;
        }
        size_t len = (size_t)nl;
        if (prefix[0] == '\0' && strcmp(name, "triggers") == 0) {
            parse_triggers(L, doc, k, v);
            continue;
        }
        int id = nf_setting_find(name, len);
        if (id < 0 && prefix[0] == '\0' && nf__config_is_section(name, len)) {
            if (v->type != YAML_MAPPING_NODE) {
                nf__config_problem(L, where, name,
                                   "is a section: expected its settings, indented below");
                continue;
            }
            walk_mapping(L, doc, v, name);
            continue;
        }
        if (id < 0) {
            nf__config_unknown_setting(L, where, name, len);
            continue;
        }
        if (L->file_line[id] != 0) {
            nf__config_problem(L, where, name, "set twice (first at line %d)", L->file_line[id]);
            continue;
        }
        L->file_line[id] = (int)k->start_mark.line + 1;
        if (v->type == YAML_SEQUENCE_NODE) {
            nf__config_problem(L, where, name, "expected a single value, not a list");
            continue;
        }
        if (v->type == YAML_MAPPING_NODE) {
            nf__config_problem(L, where, name, "expected a single value, not a mapping");
            continue;
        }
        if (v->type != YAML_SCALAR_NODE || is_null_scalar(v)) {
            nf__config_problem(L, where, name, "missing value");
            continue;
        }
        nf__config_set_from(L, id, where, (const char *)v->data.scalar.value, v->data.scalar.length,
                            NF_SRC_FILE, L->file_line[id]);
    }
}

/* the file's bytes (or text, when given) into data. NF_OK with data filled; NF_E_NOMEM (err
 * set); or 1 when the file could not be read, recorded as a problem naming it */
static int read_text(struct loader *L, const char *path, const char *text, size_t len,
                     struct nf_buf *data, struct nf_err *err)
{
    struct nf_err rerr = {0};
    static const char what[] = "config file";
    int rc;
    if (text != NULL) {
        rc = nf_buf_append(data, text, len);
        if (rc == NF_E_TOO_BIG)
            nf_err_set(&rerr, rc, "%s: larger than the %d-byte limit", what, NF_CONFIG_FILE_MAX);
        else if (rc != NF_OK)
            nf_err_set(&rerr, rc, "%s: out of memory", what);
    } else {
        rc = nf_buf_read_file(data, path, path, &rerr);
    }
    if (rc == NF_OK)
        return NF_OK;
    if (rc == NF_E_NOMEM)
        return nf_err_set(err, rc, "%s", rerr.msg);
    /* the message names the file already: "FILE: cannot open: ..." */
    char shown[NF_PATH_SHOWN_MAX + 1];
    size_t sl = strlen(nf_path_shown(path, shown));
    bool named = strncmp(rerr.msg, shown, sl) == 0 && rerr.msg[sl] == ':';
    nf__config_problem(L, shown, NULL, "%s", named ? rerr.msg + sl + 2 : rerr.msg);
    return 1;
}

/* the one document: a mapping of settings, and nothing after it */
static void walk_document(struct loader *L, yaml_parser_t *parser, yaml_document_t *doc,
                          const char *path)
{
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (root != NULL) {
        if (root->type != YAML_MAPPING_NODE) {
            char where[NF_CONFIG_STR_MAX + 32];
            snprintf(where, sizeof where, "%s:%lu", path, (unsigned long)root->start_mark.line + 1);
            nf__config_problem(L, where, NULL, "expected a mapping of settings (name: value)");
        } else {
            walk_mapping(L, doc, root, "");
        }
        /* a second document would be silently ignored by a simple reader: refuse it */
        yaml_document_t extra;
        if (yaml_parser_load(parser, &extra)) {
            if (yaml_document_get_root_node(&extra) != NULL) {
                char where[NF_CONFIG_STR_MAX + 32];
                snprintf(where, sizeof where, "%s:%lu", path,
                         (unsigned long)yaml_document_get_root_node(&extra)->start_mark.line + 1);
                nf__config_problem(L, where, NULL, "only one YAML document is allowed");
            }
            yaml_document_delete(&extra);
        } else {
            char where[NF_CONFIG_STR_MAX + 32];
            snprintf(where, sizeof where, "%s:%lu", path,
                     (unsigned long)parser->problem_mark.line + 1);
            nf__config_problem(L, where, NULL, "YAML syntax error: %s",
                               parser->problem ? parser->problem : "unknown problem");
        }
    }
}

int nf__config_load_file(struct loader *L, const char *path, const char *text, size_t len,
                         struct nf_err *err)
{
    struct nf_buf data;
    nf_buf_init(&data, NF_CONFIG_FILE_MAX);
    int rc = read_text(L, path, text, len, &data, err);
    if (rc != NF_OK) {
        nf_buf_free(&data);
        return rc == NF_E_NOMEM ? rc : NF_OK;
    }
    unsigned long deep_line = 0;
    char deep_why[128];
    if (nf_yaml_check_depth(data.data, data.len, NF_YAML_DEPTH_MAX, &deep_line, deep_why,
                            sizeof deep_why) != NF_OK) {
        char where[NF_CONFIG_STR_MAX + 32];
        snprintf(where, sizeof where, "%s:%lu", path, deep_line);
        nf__config_problem(L, where, NULL, "%s", deep_why);
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
        nf__config_problem(L, where, NULL, "YAML syntax error: %s%s%s",
                           parser.problem ? parser.problem : "unknown problem",
                           parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        nf_buf_free(&data);
        return NF_OK;
    }
    walk_document(L, &parser, &doc, path);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    nf_buf_free(&data);
    return NF_OK;
}
