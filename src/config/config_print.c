/* config_print.c - the printed forms of the configuration: the effective config (with each
 * value's source), the example file, and the Markdown reference. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_internal.h"

/* ---- printing ------------------------------------------------------------------------------ */

void nf_config_format_value(const struct nf_config *c, int id, bool mask, struct nf_buf *out)
{
    const struct nf_setting *st = &nf_settings[id];
    const void *field = (const char *)c + st->offset;
    switch (st->type) {
    case NF_CT_INT:
        nf_buf_printf(out, "%lld", *(const long long *)field);
        break;
    case NF_CT_NUM:
    case NF_CT_PCT:
        nf_buf_json_num(out, *(const double *)field);
        break;
    case NF_CT_DUR:
        nf_buf_json_num(out, *(const double *)field);
        nf_buf_putc(out, 's');
        break;
    case NF_CT_BOOL:
        nf_buf_puts(out, *(const bool *)field ? "true" : "false");
        break;
    case NF_CT_STR:
        if (mask && (st->flags & NF_CF_SECRET) && ((const char *)field)[0] != '\0') {
            nf_buf_puts(out, "\"********\"");
        } else if (mask && (st->flags & NF_CF_URL)) {
            /* a password in the URL's userinfo is masked: "user:****@host" */
            const char *u = field;
            const char *auth = strstr(u, "://");
            auth = auth ? auth + 3 : u;
            size_t hostpart = strcspn(auth, "/?#");
            const char *at = memchr(auth, '@', hostpart);
            const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
            char shown[NF_CONFIG_STR_MAX + 8];
            if (colon != NULL)
                snprintf(shown, sizeof shown, "%.*s****%s", (int)(colon + 1 - u), u, at);
            else
                snprintf(shown, sizeof shown, "%s", u);
            nf_buf_json_str(out, shown);
        } else {
            nf_buf_json_str(out, (const char *)field);
        }
        break;
    }
}

/* Section of a setting name ("sim" for "sim.boot_s"; "" for top level) and its leaf. */
static void split_name(const char *name, char *section, size_t seclen, const char **leaf)
{
    const char *dot = strchr(name, '.');
    if (dot == NULL) {
        section[0] = '\0';
        *leaf = name;
        return;
    }
    snprintf(section, seclen, "%.*s", (int)(dot - name), name);
    *leaf = dot + 1;
}

void nf_config_write_effective(const struct nf_config *c, struct nf_buf *out)
{
    nf_buf_puts(out, "# nodefleet effective configuration; after each value, where it came "
                     "from\n");
    char cur[64] = "";
    for (int id = 0; id < NF_CFG__COUNT; id++) {
        char section[64];
        const char *leaf;
        split_name(nf_settings[id].name, section, sizeof section, &leaf);
        if (strcmp(section, cur) != 0) {
            nf_buf_printf(out, "%s:\n", section);
            snprintf(cur, sizeof cur, "%s", section);
        }
        nf_buf_printf(out, "%s%s: ", section[0] ? "  " : "", leaf);
        nf_config_format_value(c, id, true, out);
        char where[NF_CONFIG_STR_MAX + 32];
        nf__config_origin_text(c, c->file, id, where, sizeof where);
        nf_buf_printf(out, "  # %s\n", where);
    }
    if (c->ntriggers == 0) {
        nf_buf_puts(out, "triggers: []  # default\n");
        return;
    }
    nf_buf_puts(out, "triggers:\n");
    for (int i = 0; i < c->ntriggers; i++) {
        const struct nf_trigger *t = &c->triggers[i];
        nf_buf_puts(out, "  - name: ");
        nf_buf_json_str(out, t->name);
        nf_buf_printf(out, "  # %s:%d\n    query: ", c->file, t->line);
        nf_buf_json_str(out, t->query);
        nf_buf_printf(out, "\n    %s: ", t->below ? "below" : "above");
        nf_buf_json_num(out, t->threshold);
        nf_buf_puts(out, "\n    for: ");
        nf_buf_json_num(out, t->for_s);
        nf_buf_printf(out, "s\n    scale_by: %lld\n", t->scale_by);
    }
}

static const char triggers_help[] =
    "Custom triggers: scale up by scale_by workers when a PromQL query stays above (or "
    "below) a threshold for a duration - KEDA's Prometheus trigger, evaluated like the "
    "built-in conditions. Up to 8; set in the file only. Fields: name (lower-case letters, "
    "digits, _), query (PromQL returning one series), above or below (a number), for "
    "(duration, default 120s), scale_by (1 to 100, default 1).";

static const char *type_name(enum nf_ctype t)
{
    switch (t) {
    case NF_CT_INT:
        return "integer";
    case NF_CT_NUM:
        return "number";
    case NF_CT_PCT:
        return "percent";
    case NF_CT_DUR:
        return "duration";
    case NF_CT_BOOL:
        return "boolean";
    case NF_CT_STR:
        return "string";
    }
    return "?";
}

static void write_range(const struct nf_setting *st, struct nf_buf *out)
{
    char lo[32], hi[32];
    switch (st->type) {
    case NF_CT_INT:
    case NF_CT_NUM:
    case NF_CT_PCT:
    case NF_CT_DUR:
        nf__config_fmt_bound(st->min, st->type, lo, sizeof lo);
        nf__config_fmt_bound(st->max, st->type, hi, sizeof hi);
        nf_buf_printf(out, "%s to %s", lo, hi);
        break;
    case NF_CT_BOOL:
        nf_buf_puts(out, "true or false");
        break;
    case NF_CT_STR:
        if (st->choices) {
            /* "a|b|c" -> "a, b, c" (a bare | would break a Markdown table) */
            for (const char *p = st->choices; *p; p++) {
                if (*p == '|')
                    nf_buf_puts(out, ", ");
                else
                    nf_buf_putc(out, *p);
            }
        } else
            nf_buf_puts(out, "text");
        break;
    }
}

/* Write `text` as comment lines of at most ~90 columns, each prefixed by `indent# `. */
static void write_wrapped_comment(struct nf_buf *out, const char *indent, const char *text)
{
    const char *p = text;
    while (*p) {
        size_t len = strlen(p);
        size_t take = len;
        if (len > 86) {
            take = 86;
            while (take > 0 && p[take] != ' ')
                take--;
            if (take == 0)
                take = 86;
        }
        nf_buf_printf(out, "%s# %.*s\n", indent, (int)take, p);
        p += take;
        while (*p == ' ')
            p++;
    }
}

void nf_config_write_example(struct nf_buf *out)
{
    struct nf_config d;
    nf_config_defaults(&d);
    nf_buf_puts(out, "# nodefleet example configuration: every setting with its default.\n"
                     "# Precedence: defaults < this file < environment < --set name=value.\n"
                     "# Durations take seconds or units: 90s, 5m, 1h30m.\n");
    char cur[64] = "";
    for (int id = 0; id < NF_CFG__COUNT; id++) {
        const struct nf_setting *st = &nf_settings[id];
        char section[64];
        const char *leaf;
        split_name(st->name, section, sizeof section, &leaf);
        if (strcmp(section, cur) != 0) {
            nf_buf_printf(out, "\n%s:\n", section);
            snprintf(cur, sizeof cur, "%s", section);
        }
        const char *indent = section[0] ? "  " : "";
        nf_buf_putc(out, '\n');
        write_wrapped_comment(out, indent, st->help);
        nf_buf_printf(out, "%s# %s, ", indent, type_name(st->type));
        write_range(st, out);
        nf_buf_printf(out, "; environment: %s\n", st->env);
        nf_buf_printf(out, "%s%s: ", indent, leaf);
        nf_config_format_value(&d, id, false, out);
        nf_buf_putc(out, '\n');
    }
    nf_buf_putc(out, '\n');
    write_wrapped_comment(out, "", triggers_help);
    nf_buf_puts(out, "triggers: []\n"
                     "# triggers:\n"
                     "#   - name: orders_backlog\n"
                     "#     query: sum(app_orders_pending)\n"
                     "#     above: 500\n"
                     "#     for: 2m\n"
                     "#     scale_by: 2\n");
}

void nf_config_write_docs(struct nf_buf *out)
{
    nf_buf_puts(out, "# Configuration reference\n\n"
                     "Generated by `nodefleet check-config --docs` from the settings table "
                     "(`src/config/config_table.h`); a test keeps this file in step with it.\n\n"
                     "Every setting can be given in the YAML file (`--config FILE`), by its "
                     "environment variable, or as `--set name=value`; later sources win: "
                     "defaults < file < environment < `--set`. A name with a dot lives in a YAML "
                     "section (`sim.boot_s` is `boot_s:` under `sim:`). Durations take seconds "
                     "(`300`) or units (`90s`, `5m`, `1h30m`). Values out of range are errors, "
                     "never clamped. `nodefleet check-config --example` prints a complete file.\n\n"
                     "| Setting | Environment | Type | Default | Allowed | Meaning |\n"
                     "| --- | --- | --- | --- | --- | --- |\n");
    struct nf_config d;
    nf_config_defaults(&d);
    for (int id = 0; id < NF_CFG__COUNT; id++) {
        const struct nf_setting *st = &nf_settings[id];
        nf_buf_printf(out, "| `%s` | `%s` | %s%s | `", st->name, st->env, type_name(st->type),
                      (st->flags & NF_CF_SECRET) ? " (secret)" : "");
        nf_config_format_value(&d, id, false, out);
        nf_buf_puts(out, "` | ");
        write_range(st, out);
        nf_buf_printf(out, " | %s |\n", st->help);
    }
    nf_buf_printf(out,
                  "\n## `triggers`\n\n%s\n\n"
                  "```yaml\ntriggers:\n  - name: orders_backlog\n"
                  "    query: sum(app_orders_pending)\n    above: 500\n    for: 2m\n"
                  "    scale_by: 2\n```\n",
                  triggers_help);
}

const char *nf_config_type_name(int id)
{
    return id >= 0 && id < NF_CFG__COUNT ? type_name(nf_settings[id].type) : "?";
}

void nf_config_write_range(int id, struct nf_buf *out)
{
    if (id >= 0 && id < NF_CFG__COUNT)
        write_range(&nf_settings[id], out);
}

const char *nf_config_triggers_help(void)
{
    return triggers_help;
}
