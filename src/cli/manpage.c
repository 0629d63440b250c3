/* manpage.c - nodefleet(1), nodefleet.yaml(5) and the bash completion, written from the
 * command table (main.c) and the settings table (config_table.h): the documents a package
 * installs are generated from what the code does, so they cannot drift from it. */
#include "manpage.h"

#include <stdio.h>
#include <string.h>

#include "../config/config.h"
#include "../util/buf.h"

/* Text for roff: backslashes and minus signs escaped, a control character at the start of a
 * line made text, `code` in bold. `n` bytes of `s`. */
static void roff(struct nf_buf *b, const char *s, size_t n)
{
    bool bold = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool at_start = b->len == 0 || b->data[b->len - 1] == '\n';
        if (at_start && (c == '.' || c == '\''))
            nf_buf_puts(b, "\\&");
        if (c == '\\')
            nf_buf_puts(b, "\\e");
        else if (c == '-')
            nf_buf_puts(b, "\\-");
        else if (c == '`') {
            nf_buf_puts(b, bold ? "\\fR" : "\\fB");
            bold = !bold;
        } else
            nf_buf_putc(b, c);
    }
    if (bold)
        nf_buf_puts(b, "\\fR");
}

static void roff_line(struct nf_buf *b, const char *s, size_t n)
{
    while (n > 0 && s[0] == ' ') { /* a leading space would break the fill */
        s++;
        n--;
    }
    roff(b, s, n);
    nf_buf_putc(b, '\n');
}

static size_t indent_of(const char *s, size_t n)
{
    size_t k = 0;
    while (k < n && s[k] == ' ')
        k++;
    return k;
}

enum mode { TEXT, OPTION, PRE };

/* One line of a usage text's body: paragraphs filled, "  --opt   what" lines as tagged
 * paragraphs (their continuation lines indented further), other indented lines as they are. */
static void body_line(struct nf_buf *b, const char *s, size_t n, enum mode *m, bool *para)
{
    size_t ind = indent_of(s, n);
    if (ind == n) { /* blank */
        if (*m == PRE)
            nf_buf_puts(b, ".fi\n");
        *m = TEXT;
        *para = true;
        return;
    }
    if (ind >= 2 && ind < 5 && s[ind] == '-') {
        if (*m == PRE)
            nf_buf_puts(b, ".fi\n");
        const char *gap = NULL;
        for (size_t k = ind; k + 1 < n && gap == NULL; k++)
            if (s[k] == ' ' && s[k + 1] == ' ')
                gap = s + k;
        size_t tag = gap ? (size_t)(gap - s) - ind : n - ind;
        nf_buf_puts(b, ".TP\n\\fB");
        roff(b, s + ind, tag);
        nf_buf_puts(b, "\\fR\n");
        if (gap)
            roff_line(b, gap, n - (size_t)(gap - s));
        *m = OPTION;
        *para = false;
        return;
    }
    if (ind >= 5 && *m == OPTION) {
        roff_line(b, s, n);
        return;
    }
    if (ind > 0) {
        if (*m != PRE)
            nf_buf_puts(b, *m == OPTION || *para ? ".PP\n.nf\n" : ".nf\n");
        *m = PRE;
        *para = false;
        roff(b, s, n);
        nf_buf_putc(b, '\n');
        return;
    }
    if (*m == PRE)
        nf_buf_puts(b, ".fi\n");
    if (*m != TEXT || *para)
        nf_buf_puts(b, ".PP\n");
    *m = TEXT;
    *para = false;
    roff_line(b, s, n);
}

/* A command's section: its summary, its synopsis (the usage lines) as they are, the rest. */
static void command_section(struct nf_buf *b, const struct nf_cli_command *c)
{
    nf_buf_printf(b, ".SS \"nodefleet %s\"\n", c->name);
    roff_line(b, c->summary, strlen(c->summary));
    nf_buf_puts(b, ".PP\n.nf\n");
    const char *p = c->usage;
    bool synopsis = true, para = false;
    enum mode m = TEXT;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (synopsis) {
            if (indent_of(p, n) == n) {
                nf_buf_puts(b, ".fi\n");
                synopsis = false;
                para = true;
            } else {
                size_t skip = strncmp(p, "usage: ", 7) == 0 ? 7 : 0;
                size_t ind = indent_of(p, n);
                if (skip == 0 && ind >= 7)
                    skip = 7; /* the continuation lines keep their alignment */
                nf_buf_puts(b, "\\fB");
                roff(b, p + skip, n - skip);
                nf_buf_puts(b, "\\fR\n");
            }
        } else
            body_line(b, p, n, &m, &para);
        p += n + (e != NULL);
    }
    if (synopsis || m == PRE)
        nf_buf_puts(b, ".fi\n");
}

void nf_man_page_1(struct nf_buf *b, const struct nf_cli_command *cmds, size_t n,
                   const char *version)
{
    nf_buf_printf(b, ".TH NODEFLEET 1 \"\" \"nodefleet %s\" \"nodefleet manual\"\n", version);
    nf_buf_puts(b, ".SH NAME\nnodefleet \\- a node autoscaler for K3s worker pools on AWS EC2\n"
                   ".SH SYNOPSIS\n.B nodefleet\n.I command\n.RI [ options ]\n.br\n"
                   ".B nodefleet help\n.RI [ command | \\fBsettings\\fR]\n.br\n"
                   ".B nodefleet \\-\\-version\n"
                   ".SH DESCRIPTION\n"
                   "nodefleet watches a K3s cluster's demand (Prometheus metrics, pending pods,\n"
                   "application metrics), decides how many EC2 worker nodes it needs, launches\n"
                   "workers that join the cluster on their own, and removes idle ones only after\n"
                   "draining them safely. It runs as a daemon (\\fBrun\\fR), from a timer\n"
                   "(\\fBonce\\fR) or as an AWS Lambda function (\\fBlambda\\fR); its state and\n"
                   "lease live in SQLite or DynamoDB, and every launch and drain is on record\n"
                   "before it starts, so a crash at any point is resumed, never repeated.\n"
                   ".PP\n"
                   "A signal that cannot be read is unknown, never 0, and never causes a\n"
                   "scale\\-down. When unsure whether a node may go, it stays.\n"
                   ".SH COMMANDS\n");
    for (size_t i = 0; i < n; i++)
        command_section(b, &cmds[i]);
    nf_buf_puts(
        b, ".SS \"nodefleet help\"\n"
           "Help on a command (the text above), or \\fBhelp settings\\fR for every setting.\n"
           "\\fBhelp \\-\\-man 1\\fR and \\fBhelp \\-\\-man 5\\fR print these manual pages,\n"
           "\\fBhelp \\-\\-bash\\-completion\\fR the bash completion script.\n"
           ".SH OPTIONS\nEvery command takes:\n"
           ".TP\n\\fB\\-\\-config\\fR \\fIFILE\\fR\n"
           "the YAML configuration file (also \\fBNODEFLEET_CONFIG\\fR); see\n"
           ".BR nodefleet.yaml (5)\n"
           ".TP\n\\fB\\-\\-set\\fR \\fIname\\fR=\\fIvalue\\fR\n"
           "one setting, over the file and the environment; repeatable\n"
           ".TP\n\\fB\\-\\-help\\fR, \\fB\\-h\\fR\nthe command's help\n"
           ".SH ENVIRONMENT\n"
           ".TP\n.B NODEFLEET_CONFIG\nthe configuration file, when \\fB\\-\\-config\\fR is not "
           "given\n"
           ".TP\n.B NODEFLEET_*\nevery setting has its variable, listed in\n"
           ".BR nodefleet.yaml (5);\n"
           "precedence: defaults < file < environment < \\fB\\-\\-set\\fR\n"
           ".TP\n.BR AWS_REGION \", \" AWS_PROFILE \", \" AWS_ACCESS_KEY_ID \", ...\"\n"
           "AWS credentials and region, found as every AWS SDK finds them (environment,\n"
           "shared files, web identity, ECS, instance metadata)\n"
           ".TP\n.B KUBECONFIG\nthe API server's kubeconfig; else ~/.kube/config, the pod's "
           "service account, or /etc/rancher/k3s/k3s.yaml\n"
           ".SH EXIT STATUS\n"
           ".TP\n.B 0\nsuccess\n.TP\n.B 1\na runtime failure (a store, the cloud, the API "
           "server or Prometheus could not be used)\n"
           ".TP\n.B 2\nbad usage, configuration or input; one line on standard error says "
           "what and where\n"
           ".SH FILES\n.TP\n.I /etc/nodefleet/nodefleet.yaml\n"
           "the configuration the package's systemd unit runs with\n"
           ".TP\n.I /var/lib/nodefleet/nodefleet\\-state.db\n"
           "the unit's state and lease (\\fBstore: sqlite:\\fR...)\n"
           ".SH SEE ALSO\n.BR nodefleet.yaml (5),\n.BR systemctl (1),\n.BR kubectl (1)\n");
}

/* One setting: its name and variable as the tag; its type, default and range; its help. */
static void setting_item(struct nf_buf *b, const struct nf_config *d, int id)
{
    const struct nf_setting *st = &nf_settings[id];
    nf_buf_puts(b, ".TP\n\\fB");
    roff(b, st->name, strlen(st->name));
    nf_buf_puts(b, "\\fR (\\fB");
    roff(b, st->env, strlen(st->env));
    nf_buf_puts(b, "\\fR)\n");
    struct nf_buf v;
    nf_buf_init(&v, 65536);
    nf_buf_puts(b, "\\fI");
    roff(b, nf_config_type_name(id), strlen(nf_config_type_name(id)));
    nf_buf_puts(b, (st->flags & NF_CF_SECRET) ? " (a secret)" : "");
    nf_buf_puts(b, "\\fR, default \\fB");
    nf_config_format_value(d, id, false, &v);
    roff(b, v.data, v.len);
    nf_buf_puts(b, "\\fR");
    nf_buf_reset(&v);
    nf_config_write_range(id, &v);
    if (strcmp(v.data ? v.data : "", "text") != 0) { /* any text says nothing */
        nf_buf_puts(b, "; ");
        roff(b, v.data, v.len);
    }
    nf_buf_puts(b, "\n.br\n");
    roff_line(b, st->help, strlen(st->help));
    nf_buf_free(&v);
}

void nf_man_page_5(struct nf_buf *b, const char *version)
{
    nf_buf_printf(b, ".TH NODEFLEET.YAML 5 \"\" \"nodefleet %s\" \"nodefleet manual\"\n", version);
    nf_buf_puts(b, ".SH NAME\nnodefleet.yaml \\- nodefleet's configuration\n"
                   ".SH SYNOPSIS\n.I /etc/nodefleet/nodefleet.yaml\n"
                   ".SH DESCRIPTION\n"
                   "Every setting can be given in the YAML file (\\fB\\-\\-config\\fR "
                   "\\fIFILE\\fR), by its environment variable, or as \\fB\\-\\-set\\fR "
                   "\\fIname\\fR=\\fIvalue\\fR; later sources win: defaults < file < "
                   "environment < \\fB\\-\\-set\\fR. A name with a dot lives in a YAML section "
                   "(\\fBsim.boot_s\\fR is \\fBboot_s:\\fR under \\fBsim:\\fR). Durations take "
                   "seconds (300) or units (90s, 5m, 1h30m). A value out of range, an unknown "
                   "name or a malformed file is an error naming it, never clamped or ignored: "
                   "the configuration loads all or nothing, and a running \\fBnodefleet run\\fR "
                   "keeps its old one when a reload (SIGHUP) finds a problem.\n"
                   ".PP\n\\fBnodefleet check\\-config\\fR prints the effective configuration or "
                   "its problems; \\fBnodefleet check\\-config \\-\\-example\\fR a complete file.\n"
                   ".SH SETTINGS\n");
    struct nf_config d;
    nf_config_defaults(&d);
    for (int id = 0; id < NF_CFG__COUNT; id++)
        setting_item(b, &d, id);
    nf_buf_puts(b, ".SH TRIGGERS\n");
    const char *t = nf_config_triggers_help();
    roff_line(b, t, strlen(t));
    nf_buf_puts(b, ".PP\n.nf\ntriggers:\n  \\- name: orders_backlog\n"
                   "    query: sum(app_orders_pending)\n    above: 500\n    for: 2m\n"
                   "    scale_by: 2\n.fi\n"
                   ".SH EXAMPLE\n.nf\npolicy: default\nmin_nodes: 2\nmax_nodes: 10\n"
                   "store: dynamodb\naws:\n  launch_template: k3s\\-worker\n"
                   "  subnets: us\\-east\\-1a=subnet\\-aaa,us\\-east\\-1b=subnet\\-bbb\n"
                   "prometheus:\n  url: http://prometheus.monitoring:9090\n.fi\n"
                   ".SH SEE ALSO\n.BR nodefleet (1)\n");
}

/* The options a command's usage names ("--dry-run", ...), space-separated, each once. */
static void options_of(struct nf_buf *b, const char *usage)
{
    char seen[32][40];
    int nseen = 0;
    for (const char *p = strstr(usage, "--"); p != NULL && nseen < 32; p = strstr(p + 2, "--")) {
        if (p > usage && p[-1] != ' ' && p[-1] != '[' && p[-1] != '|')
            continue;
        size_t n = 2;
        while (n < 38 && (p[n] == '-' || (p[n] >= 'a' && p[n] <= 'z')))
            n++;
        if (n == 2)
            continue;
        char opt[40];
        snprintf(opt, sizeof opt, "%.*s", (int)n, p);
        int k = 0;
        while (k < nseen && strcmp(seen[k], opt) != 0)
            k++;
        if (k < nseen)
            continue;
        snprintf(seen[nseen++], sizeof seen[0], "%s", opt);
        nf_buf_printf(b, "%s ", opt);
    }
}

static void command_names(struct nf_buf *b, const struct nf_cli_command *cmds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        nf_buf_printf(b, "%s ", cmds[i].name);
}

void nf_bash_completion(struct nf_buf *b, const struct nf_cli_command *cmds, size_t n)
{
    nf_buf_puts(b, "# bash completion for nodefleet - generated by "
                   "`nodefleet help --bash-completion`\n"
                   "_nodefleet() {\n"
                   "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
                   "    local words\n"
                   "    if ((COMP_CWORD == 1)); then\n        words=\"");
    command_names(b, cmds, n);
    nf_buf_puts(b, "help --version --help\"\n"
                   "        mapfile -t COMPREPLY < <(compgen -W \"$words\" -- \"$cur\")\n"
                   "        return\n    fi\n"
                   "    case $prev in\n"
                   "    --set)\n        compopt -o nospace 2>/dev/null\n        words=\"");
    for (int id = 0; id < NF_CFG__COUNT; id++)
        nf_buf_printf(b, "%s%s=", id ? " " : "", nf_settings[id].name);
    nf_buf_puts(b, "\"\n"
                   "        mapfile -t COMPREPLY < <(compgen -W \"$words\" -- \"$cur\")\n"
                   "        return\n        ;;\n"
                   "    --config | --html | --trace | --input)\n"
                   "        mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
                   "        return\n        ;;\n"
                   "    --policy)\n"
                   "        mapfile -t COMPREPLY < <(compgen -W \"default seed static:\" -- "
                   "\"$cur\")\n        return\n        ;;\n"
                   "    --store)\n"
                   "        mapfile -t COMPREPLY < <(compgen -W \"sqlite: dynamodb mem\" -- "
                   "\"$cur\")\n        return\n        ;;\n"
                   "    esac\n"
                   "    case ${COMP_WORDS[1]} in\n");
    for (size_t i = 0; i < n; i++) {
        nf_buf_printf(b, "    %s) words=\"", cmds[i].name);
        options_of(b, cmds[i].usage);
        nf_buf_puts(b, "--help\" ;;\n");
    }
    nf_buf_puts(b, "    help) words=\"");
    command_names(b, cmds, n);
    nf_buf_puts(b, "settings --man --bash-completion\" ;;\n"
                   "    *) words=\"\" ;;\n    esac\n"
                   "    mapfile -t COMPREPLY < <(compgen -W \"$words\" -- \"$cur\")\n"
                   "}\n"
                   "complete -F _nodefleet nodefleet\n");
}
