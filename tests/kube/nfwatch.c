/* nfwatch.c - the watched cluster cache (kube/kwatch.h), driven line by line from stdin, for
 * the tests and benchmarks.
 *
 *   view     one line of JSON: {"ok": true, "ms": T, "objects": [...]} - every object of the
 *            cache's snapshot as one line of text (all the fields nodefleet reads) - or
 *            {"ok": false, "error": "..."} when the cache is not in sync
 *   list     the same from a fresh list (nf_kube_snapshot), to compare with
 *   count    a view's counts only: {"ok": true, "ms": T, "nodes": N, "pods": M}
 *   stats    {"lists": .., "watches": .., "events": .., "gone": .., "failures": ..,
 *            "in_sync": .., "objects": .., "bytes": ..}
 *   unview   give the last view back (what the cycle's end does: kube_cluster's settle)
 *   quit     stop the cache (and exit)
 *
 * Configuration as nodefleet reads it (KUBECONFIG, NODEFLEET_*); NFWATCH_TIMEOUT_S, when set,
 * is the watches' timeoutSeconds. Exit 0 ok, 1 error, 2 usage. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "kube/kcluster.h"
#include "kube/kwatch.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/parse.h"

extern char **environ;

static void labels(struct nf_buf *b, const char *what, const struct nf_label *l, int n)
{
    nf_buf_printf(b, " %s=[", what);
    for (int i = 0; i < n; i++)
        nf_buf_printf(b, "%s%s=%s", i ? "," : "", l[i].key, l[i].value ? l[i].value : "~");
    nf_buf_puts(b, "]");
}

static void selectors(struct nf_buf *b, const char *what, const struct nf_selector *s, int n)
{
    nf_buf_printf(b, " %s={", what);
    for (int i = 0; i < n; i++) {
        labels(b, "match", s[i].match, s[i].nmatch);
        for (int j = 0; j < s[i].nexprs; j++) {
            nf_buf_printf(b, " %s op%d(", s[i].exprs[j].key, (int)s[i].exprs[j].op);
            for (int v = 0; v < s[i].exprs[j].nvalues; v++)
                nf_buf_printf(b, "%s%s", v ? "," : "", s[i].exprs[j].values[v]);
            nf_buf_puts(b, ")");
        }
        nf_buf_puts(b, ";");
    }
    nf_buf_puts(b, "}");
}

static const char *s_(const char *s)
{
    return s ? s : "~";
}

static void dump_node(struct nf_buf *b, const struct nf_knode *n)
{
    nf_buf_printf(b,
                  "node %s pid=%s zone=%s type=%s id=%s ip=%s market=%d r%d u%d cp%d sdd%d d%d "
                  "c=%.0f cpu=%lld mem=%lld pods=%d",
                  n->name, s_(n->provider_id), s_(n->zone), s_(n->instance_type), n->instance_id,
                  n->internal_ip, (int)n->market, n->ready, n->unschedulable, n->control_plane,
                  n->scale_down_disabled, n->deleting, n->created, (long long)n->alloc_cpu_m,
                  (long long)n->alloc_mem, n->alloc_pods);
    labels(b, "labels", n->labels, n->nlabels);
    nf_buf_puts(b, " taints=[");
    for (int i = 0; i < n->ntaints; i++)
        nf_buf_printf(b, "%s=%s:%d,", n->taints[i].key, s_(n->taints[i].value),
                      (int)n->taints[i].effect);
    nf_buf_puts(b, "]");
}

static void dump_pod(struct nf_buf *b, const struct nf_kpod *p)
{
    nf_buf_printf(b,
                  "pod %s/%s uid=%s node=%s ph=%d d%d m%d r%d u%d own=%d:%s/%s ste=%d lv=%s "
                  "slv=%s cpu=%lld mem=%lld",
                  p->ns, p->name, s_(p->uid), p->node, (int)p->phase, p->deleting, p->mirror,
                  p->ready, p->unschedulable, (int)p->owner, s_(p->owner_kind), s_(p->owner_name),
                  p->safe_to_evict, s_(p->local_volumes), s_(p->safe_local_volumes),
                  (long long)p->req_cpu_m, (long long)p->req_mem);
    labels(b, "labels", p->labels, p->nlabels);
    labels(b, "nsel", p->node_selector, p->nnode_selector);
    selectors(b, "aff", p->affinity, p->naffinity);
    nf_buf_puts(b, " tol=[");
    for (int i = 0; i < p->ntolerations; i++)
        nf_buf_printf(b, "%s=%s:%d:%d,", s_(p->tolerations[i].key), s_(p->tolerations[i].value),
                      p->tolerations[i].exists, p->tolerations[i].effect);
    nf_buf_puts(b, "]");
    selectors(b, "anti", p->anti, p->nanti);
}

static json_t *dump(const struct nf_kcluster *c)
{
    json_t *a = json_array();
    struct nf_buf b;
    nf_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < c->nnodes; i++) {
        nf_buf_reset(&b);
        dump_node(&b, &c->nodes[i]);
        json_array_append_new(a, json_stringn(b.data, b.len));
    }
    for (size_t i = 0; i < c->npods; i++) {
        nf_buf_reset(&b);
        dump_pod(&b, &c->pods[i]);
        json_array_append_new(a, json_stringn(b.data, b.len));
    }
    for (size_t i = 0; i < c->nrs; i++) {
        nf_buf_reset(&b);
        nf_buf_printf(&b, "rs %s/%s dep=%s n=%d", c->rs[i].ns, c->rs[i].name,
                      s_(c->rs[i].deployment), c->rs[i].replicas);
        json_array_append_new(a, json_stringn(b.data, b.len));
    }
    for (size_t i = 0; i < c->ndeploys; i++) {
        nf_buf_reset(&b);
        nf_buf_printf(&b, "deploy %s/%s n=%d", c->deploys[i].ns, c->deploys[i].name,
                      c->deploys[i].replicas);
        json_array_append_new(a, json_stringn(b.data, b.len));
    }
    for (size_t i = 0; i < c->npdbs; i++) {
        const struct nf_kpdb *d = &c->pdbs[i];
        nf_buf_reset(&b);
        nf_buf_printf(&b, "pdb %s/%s allowed=%d current=%d empty=%d", d->ns, d->name,
                      d->disruptions_allowed, d->current, d->empty_selector);
        selectors(&b, "sel", &d->sel, 1);
        json_array_append_new(a, json_stringn(b.data, b.len));
    }
    nf_buf_free(&b);
    return a;
}

static void answer(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    printf("%s\n", s);
    fflush(stdout);
    free(s);
    json_decref(j);
}

static void view(struct nf_kube *k, struct nf_kwatch *w, const char *cmd,
                 const struct nf_config *cfg)
{
    struct nf_kcluster c;
    nf_kcluster_init(&c, cfg->kube_market_label, cfg->kube_market_spot_value);
    struct nf_err err = {0};
    double t0 = nf_mono_now();
    int rc = strcmp(cmd, "list") == 0 ? nf_kube_snapshot(k, &c, &err)
                                      : nf_kwatch_view(w, cfg->kube_timeout, &c, &err);
    double ms = (nf_mono_now() - t0) * 1000;
    if (rc != NF_OK)
        answer(json_pack("{s:b, s:s}", "ok", 0, "error", err.msg));
    else if (strcmp(cmd, "count") == 0)
        answer(json_pack("{s:b, s:f, s:I, s:I}", "ok", 1, "ms", ms, "nodes", (json_int_t)c.nnodes,
                         "pods", (json_int_t)c.npods));
    else
        answer(json_pack("{s:b, s:f, s:o}", "ok", 1, "ms", ms, "objects", dump(&c)));
    nf_kcluster_free(&c);
}

int main(void)
{
    struct nf_config cfg;
    if (nf_config_load_env(&cfg, environ) != NF_OK)
        return 2;
    struct nf_kube k;
    struct nf_cli cli = {.cmd = "nfwatch"};
    int st = nf_cli_kube_open(&cli, &cfg, &k);
    if (st != 0)
        return st;
    const char *t = getenv("NFWATCH_TIMEOUT_S");
    long long tv = 0;
    const char *why = NULL;
    if (t && (nf_parse_ll(t, strlen(t), &tv, &why) != NF_OK || tv < 0 || tv > 86400)) {
        fprintf(stderr, "nfwatch: NFWATCH_TIMEOUT_S=%s: %s\n", t, why ? why : "out of range");
        nf_kube_close(&k);
        return 2;
    }
    struct nf_kwatch_opts o = {.market_label = cfg.kube_market_label,
                               .spot_value = cfg.kube_market_spot_value,
                               .watch_timeout_s = (int)tv};
    struct nf_kwatch *w = NULL;
    struct nf_err err = {0};
    if (nf_kwatch_start(&k, &o, &w, &err) != NF_OK) {
        fprintf(stderr, "nfwatch: %s\n", err.msg);
        nf_kube_close(&k);
        return 1;
    }
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strcmp(line, "quit") == 0)
            break;
        if (strcmp(line, "stats") == 0) {
            struct nf_kwatch_stats s;
            nf_kwatch_stats(w, &s);
            answer(json_pack("{s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:I, s:I}", "lists",
                             (json_int_t)s.lists, "watches", (json_int_t)s.watches, "events",
                             (json_int_t)s.events, "gone", (json_int_t)s.gone, "failures",
                             (json_int_t)s.failures, "in_sync", s.in_sync, "objects",
                             (json_int_t)s.objects, "bytes", (json_int_t)s.bytes, "retired",
                             (json_int_t)s.retired));
        } else if (strcmp(line, "unview") == 0) {
            nf_kwatch_unview(w);
            answer(json_pack("{s:b}", "ok", 1));
        } else if (strcmp(line, "view") == 0 || strcmp(line, "list") == 0 ||
                   strcmp(line, "count") == 0) {
            view(&k, w, line, &cfg);
        } else {
            fprintf(stderr, "nfwatch: unknown command: %s\n", line);
        }
    }
    nf_kwatch_stop(w);
    nf_kube_close(&k);
    return 0;
}
