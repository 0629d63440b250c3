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

#include "../core/fleet.h"
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

void nf__config_problem(struct loader *L, const char *where, const char *name, const char *fmt, ...)
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
bool nf__config_is_section(const char *name, size_t len)
{
    for (int i = 0; i < NF_CFG__COUNT; i++) {
        const char *s = nf_settings[i].name;
        if (strlen(s) > len && memcmp(s, name, len) == 0 && s[len] == '.')
            return true;
    }
    return false;
}

size_t nf__config_edit_distance(const char *a, size_t la, const char *b, size_t lb)
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

void nf__config_unknown_setting(struct loader *L, const char *where, const char *name, size_t len)
{
    int best = -1;
    size_t best_d = 4;
    for (int i = 0; i < NF_CFG__COUNT; i++) {
        size_t d =
            nf__config_edit_distance(name, len, nf_settings[i].name, strlen(nf_settings[i].name));
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    char shown[128];
    snprintf(shown, sizeof shown, "%.*s", (int)(len < 100 ? len : 100), name);
    if (best >= 0)
        nf__config_problem(L, where, shown, "unknown setting (did you mean '%s'?)",
                           nf_settings[best].name);
    else
        nf__config_problem(L, where, shown, "unknown setting");
}

/* Quote a user value for an error message, bounded, never for secrets. */
void nf__config_shown_value(const struct nf_setting *st, const char *s, size_t n, char *out,
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
/* A Kubernetes label key ([prefix/]name) or value: letters, digits, '-', '_', '.', '/' in
 * the key only; at most 253. */
static bool label_text(const char *s, size_t n, bool key)
{
    if (n == 0 || n > 253)
        return !key && n == 0; /* an empty value is allowed */
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || (key && c == '/')))
            return false;
    }
    return true;
}

/* kube.node_labels ("k=v,...") or kube.node_taints ("k=v:Effect,k:Effect,...") into the
 * template, its strings copied into t->text after what is there. */
static int template_part(struct nf_pool_template *t, const char *v, bool taints, const char **why)
{
    static const char bad_l[] = "expected key=value labels separated by commas";
    static const char bad_t[] = "expected key=value:Effect taints separated by commas (Effect: "
                                "NoSchedule, PreferNoSchedule or NoExecute)";
    size_t used = 0;
    for (int i = 0; i < t->node.nlabels; i++)
        used += strlen(t->labels[i].key) + strlen(t->labels[i].value) + 2;
    if (taints)
        t->node.ntaints = 0;
    else
        t->node.nlabels = 0, used = 0;
    for (const char *p = v; *p;) {
        size_t l = strcspn(p, ",");
        const char *colon = taints ? memchr(p, ':', l) : NULL;
        size_t kl = taints ? (colon ? (size_t)(colon - p) : l) : l;
        const char *eq = memchr(p, '=', kl);
        size_t keylen = eq ? (size_t)(eq - p) : kl, vl = eq ? kl - keylen - 1 : 0;
        int effect = -1;
        if (taints && colon) {
            size_t el = l - kl - 1;
            effect = el == 10 && memcmp(colon + 1, "NoSchedule", 10) == 0 ? NF_TAINT_NO_SCHEDULE
                     : el == 16 && memcmp(colon + 1, "PreferNoSchedule", 16) == 0
                         ? NF_TAINT_PREFER_NO_SCHEDULE
                     : el == 9 && memcmp(colon + 1, "NoExecute", 9) == 0 ? NF_TAINT_NO_EXECUTE
                                                                         : -1;
        }
        if ((!taints && eq == NULL) || (taints && effect < 0) || !label_text(p, keylen, true) ||
            !label_text(eq ? eq + 1 : "", vl, false))
            return *why = taints ? bad_t : bad_l, NF_E_INPUT;
        if ((taints ? t->node.ntaints : t->node.nlabels) == NF_TEMPLATE_LABELS_MAX ||
            used + keylen + vl + 2 > sizeof t->text)
            return *why = "too many (at most 16)", NF_E_INPUT;
        char *k = t->text + used;
        memcpy(k, p, keylen);
        k[keylen] = '\0';
        char *val = k + keylen + 1;
        memcpy(val, eq ? eq + 1 : "", vl);
        val[vl] = '\0';
        used += keylen + vl + 2;
        if (taints)
            t->taints[t->node.ntaints++] =
                (struct nf_taint){.key = k, .value = val, .effect = (enum nf_taint_effect)effect};
        else
            t->labels[t->node.nlabels++] = (struct nf_label){.key = k, .value = val};
        p += l + (p[l] == ',');
        if (p[-1] == ',' && *p == '\0')
            return *why = taints ? bad_t : bad_l, NF_E_INPUT;
    }
    t->node.labels = t->labels;
    t->node.taints = t->taints;
    return NF_OK;
}

void nf_config_template(const struct nf_config *c, struct nf_pool_template *t)
{
    memset(t, 0, sizeof *t);
    const char *why;
    t->node.name = "(a new worker)";
    /* both were checked when the configuration loaded */
    if (template_part(t, c->kube_node_labels, false, &why) != NF_OK)
        t->node.nlabels = 0;
    if (template_part(t, c->kube_node_taints, true, &why) != NF_OK)
        t->node.ntaints = 0;
    t->node.labels = t->labels;
    t->node.taints = t->taints;
}

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
        if (strcmp(v, "dynamodb") == 0 || strcmp(v, "mem") == 0)
            return NF_OK;
        if (strncmp(v, "dynamodb:", 9) == 0)
            return nf_check_dynamodb_table(v + 9, why);
        *why = "must be sqlite:PATH, dynamodb, dynamodb:TABLE or mem";
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
    case NF_CFG_aws_instance_type:
    case NF_CFG_aws_instance_types:
        return nf_check_instance_types(v, why);
    case NF_CFG_aws_prices:
        return nf_check_prices(v, false, why);
    case NF_CFG_aws_spot_prices:
        return nf_check_prices(v, true, why);
    case NF_CFG_aws_sns_topic_arn:
        return nf_check_sns_arn(v, why);
    case NF_CFG_aws_interruption_queue_url:
        return nf_check_url(v, why);
    case NF_CFG_sim_pod_shapes:
        return nf_pod_shapes_parse(v, NULL, NULL, why);
    case NF_CFG_sim_node_types:
        return nf_node_types_parse(v, NULL, NULL, why);
    case NF_CFG_kube_node_labels:
    case NF_CFG_kube_node_taints: {
        static struct nf_pool_template t; /* a check only */
        return template_part(&t, v, id == NF_CFG_kube_node_taints, why);
    }
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
/* is s (n bytes) one of the '|'-separated choices? */
static bool one_of(const char *choices, const char *s, size_t n)
{
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && memcmp(p, s, n) == 0)
            return true;
        p += len + (bar ? 1 : 0);
    }
    return false;
}

/* a text setting: bounded, no NUL, one of its choices, and whatever its own check asks;
 * val is the value as messages show it (a secret's is never shown) */
static int apply_string(int id, const char *s, size_t n, const char *val, void *field, char *why,
                        size_t whylen)
{
    const struct nf_setting *st = &nf_settings[id];
    const char *reason = NULL;
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
    if (st->choices != NULL && !one_of(st->choices, s, n)) {
        snprintf(why, whylen, "must be one of %s, not %s", st->choices, val);
        return NF_E_CONFIG;
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
    if (id == NF_CFG_policy && strchr(tmp, '@') != NULL) {
        snprintf(why, whylen,
                 "NAME@INTERVAL is for simulate and replay; nodefleet run decides every "
                 "`interval`: %s",
                 val);
        return NF_E_CONFIG;
    }
    memcpy(field, tmp, n + 1);
    return NF_OK;
}

static int apply_text(struct nf_config *c, int id, const char *s, size_t n, char *why,
                      size_t whylen)
{
    const struct nf_setting *st = &nf_settings[id];
    void *field = (char *)c + st->offset;
    const char *reason = NULL;
    char val[96];
    nf__config_shown_value(st, s, n, val, sizeof val);
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
    case NF_CT_STR:
        return apply_string(id, s, n, val, field, why, whylen);
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

void nf__config_set_from(struct loader *L, int id, const char *where, const char *s, size_t n,
                         enum nf_config_source source, int line)
{
    char why[512];
    if (apply_text(L->c, id, s, n, why, sizeof why) != NF_OK) {
        nf__config_problem(L, where, nf_settings[id].name, "%s", why);
        return;
    }
    L->c->origin[id].source = source;
    L->c->origin[id].line = line;
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
                nf__config_set_from(L, id, where, v, strlen(v), NF_SRC_ENV, 0);
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
            nf__config_problem(L, "--set", NULL, "expected name=value, got \"%.100s\"", s);
            continue;
        }
        int id = nf_setting_find(s, (size_t)(eq - s));
        if (id < 0) {
            nf__config_unknown_setting(L, "--set", s, (size_t)(eq - s));
            continue;
        }
        nf__config_set_from(L, id, "--set", eq + 1, strlen(eq + 1), NF_SRC_FLAG, 0);
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
    nf__config_problem(L, where, nf_settings[who].name, "%s", what);
}

static void check_cross(struct loader *L)
{
    const struct nf_config *c = L->c;
    if (c->min_nodes > c->max_nodes)
        conflict(L, NF_CFG_min_nodes, NF_CFG_max_nodes,
                 "min_nodes (%lld) is greater than max_nodes (%lld)", c->min_nodes, c->max_nodes);
    if (c->aws_instance_type[0] && c->aws_instance_types[0])
        conflict(L, NF_CFG_aws_instance_type, NF_CFG_aws_instance_types,
                 "aws.instance_type and aws.instance_types are both set: keep one (one type is "
                 "aws.instance_types with one name)");
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
    struct nf_pod_shape shapes[NF_POD_SHAPES_MAX];
    int nshapes = 0;
    if (nf_pod_shapes_parse(c->sim_pod_shapes, shapes, &nshapes, NULL) == NF_OK)
        for (int k = 0; k < nshapes; k++)
            if (shapes[k].cpu > c->sim_node_vcpu || shapes[k].memory_mib > c->sim_node_memory_mib)
                conflict(L, NF_CFG_sim_pod_shapes, NF_CFG_sim_node_vcpu,
                         "a pod of %g vCPU and %g MiB does not fit on a worker of %g vCPU and "
                         "%g MiB (sim.node_memory_mib)",
                         shapes[k].cpu, shapes[k].memory_mib, c->sim_node_vcpu,
                         c->sim_node_memory_mib);
    if (c->sim_boot_jitter_s > c->sim_boot_s)
        conflict(L, NF_CFG_sim_boot_jitter_s, NF_CFG_sim_boot_s,
                 "boot jitter (%gs) is larger than the boot time (%gs)", c->sim_boot_jitter_s,
                 c->sim_boot_s);
    if (c->sim_interval_s > 0 && c->sim_sample_s > c->sim_interval_s)
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
        int rc = nf__config_load_file(&L, src->file, src->file_text, src->file_len, err);
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
    sp->predictive = cfg->enable_predictive_scaling;
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
    struct nf_policy_params pp;
    memset(&pp, 0, sizeof pp);
    nf_config_seed_params(&pp.seed, cfg);
    pp.dflt = (struct nf_default_params){.headroom_pct = cfg->headroom_pct,
                                         .unneeded_s = cfg->scale_down_unneeded_time,
                                         .peak_window_s = cfg->peak_window,
                                         .max_removals = (int)cfg->scale_down_max_nodes,
                                         .spot_pct = cfg->spot_percentage,
                                         .forecast_ahead_s = cfg->forecast_ahead};
    return nf_policy_init(p, spec, &pp, err);
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
