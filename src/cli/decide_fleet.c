/* decide_fleet.c - the optional pool in the decide contract: "nodes" (each with its "pods")
 * and "pending_pods", read into the core's pool model (core/fleet.h). Strings point into the
 * parsed JSON, which the input keeps until nf_decide_input_free. */
#include "decide_input.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

struct fr {
    struct nf_decide_input *in;
    struct nf_err *err;
    int rc;
};

static int fbad(struct fr *r, const char *field, const char *what)
{
    if (r->rc == NF_OK)
        r->rc = nf_err_set(r->err, NF_E_INPUT, "%s: %s", field, what);
    return r->rc;
}

static void *take(struct fr *r, size_t n, size_t size)
{
    if (r->rc != NF_OK)
        return NULL;
    struct nf_decide_input *in = r->in;
    if (in->nallocs == sizeof in->allocs / sizeof in->allocs[0]) {
        fbad(r, "input", "too many lists");
        return NULL;
    }
    void *p = calloc(n ? n : 1, size);
    if (p == NULL)
        r->rc = nf_err_set(r->err, NF_E_NOMEM, "out of memory");
    else
        in->allocs[in->nallocs++] = p;
    return p;
}

static bool known_keys(struct fr *r, const json_t *o, const char *where, const char *const *known)
{
    if (r->rc == NF_OK)
        r->rc = nf__decide_check_keys(o, where, known, r->err);
    return r->rc == NF_OK;
}

/* a string, or NULL when absent; `required` makes absence an error */
static const char *text(struct fr *r, const json_t *o, const char *key, const char *where,
                        bool required)
{
    const json_t *v = json_object_get(o, key);
    char f[200];
    snprintf(f, sizeof f, "%s.%s", where, key);
    if (v == NULL || json_is_null(v)) {
        if (required)
            fbad(r, f, "missing");
        return NULL;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 253) {
        fbad(r, f, "expected a string of 1 to 253 characters");
        return NULL;
    }
    return json_string_value(v);
}

static bool flag(struct fr *r, const json_t *o, const char *key, const char *where, bool dflt)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL)
        return dflt;
    if (!json_is_boolean(v)) {
        char f[200];
        snprintf(f, sizeof f, "%s.%s", where, key);
        fbad(r, f, "expected true or false");
        return dflt;
    }
    return json_is_true(v);
}

/* a whole number from 0 to max (absent: dflt) */
static long long whole(struct fr *r, const json_t *o, const char *key, const char *where,
                       long long max, long long dflt)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL)
        return dflt;
    char f[200];
    snprintf(f, sizeof f, "%s.%s", where, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
        char what[80];
        snprintf(what, sizeof what, "expected a whole number from 0 to %lld", max);
        fbad(r, f, what);
        return dflt;
    }
    return json_integer_value(v);
}

static void labels(struct fr *r, const json_t *o, const char *key, const char *where,
                   const struct nf_label **out, int *n)
{
    const json_t *m = json_object_get(o, key);
    *out = NULL;
    *n = 0;
    if (m == NULL)
        return;
    char f[200];
    snprintf(f, sizeof f, "%s.%s", where, key);
    if (!json_is_object(m) || json_object_size(m) > 64) {
        fbad(r, f, "expected an object of at most 64 string values");
        return;
    }
    struct nf_label *ls = take(r, json_object_size(m), sizeof *ls);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)m, k, v)
    {
        if (ls == NULL)
            return;
        if (!json_is_string(v)) {
            fbad(r, f, "label values must be strings");
            return;
        }
        ls[(*n)++] = (struct nf_label){.key = k, .value = json_string_value(v)};
    }
    *out = ls;
}

static void taints(struct fr *r, const json_t *o, const char *where, struct nf_fnode *n)
{
    static const char *const known[] = {"key", "value", "effect", NULL};
    const json_t *a = json_object_get(o, "taints");
    if (a == NULL)
        return;
    char f[200];
    snprintf(f, sizeof f, "%s.taints", where);
    if (!json_is_array(a) || json_array_size(a) > 64) {
        fbad(r, f, "expected an array of at most 64 taints");
        return;
    }
    struct nf_taint *t = take(r, json_array_size(a), sizeof *t);
    size_t i;
    const json_t *e;
    json_array_foreach(a, i, e)
    {
        if (t == NULL || !json_is_object(e) || !known_keys(r, e, f, known)) {
            fbad(r, f, "expected objects with key, value and effect");
            return;
        }
        int eff = nf_taint_effect_parse(text(r, e, "effect", f, true));
        const char *k = text(r, e, "key", f, true), *v = text(r, e, "value", f, false);
        if (eff < 0 || k == NULL) {
            fbad(r, f,
                 "a taint needs a key and an effect of NoSchedule, PreferNoSchedule or "
                 "NoExecute");
            return;
        }
        t[n->ntaints++] = (struct nf_taint){.key = k, .value = v ? v : "", .effect = eff};
    }
    n->taints = t;
}

static void tolerations(struct fr *r, const json_t *o, const char *where, struct nf_fpod *p)
{
    static const char *const known[] = {"key", "operator", "value", "effect", NULL};
    const json_t *a = json_object_get(o, "tolerations");
    if (a == NULL)
        return;
    char f[200];
    snprintf(f, sizeof f, "%s.tolerations", where);
    if (!json_is_array(a) || json_array_size(a) > 64) {
        fbad(r, f, "expected an array of at most 64 tolerations");
        return;
    }
    struct nf_toleration *t = take(r, json_array_size(a), sizeof *t);
    size_t i;
    const json_t *e;
    json_array_foreach(a, i, e)
    {
        if (t == NULL || !json_is_object(e) || !known_keys(r, e, f, known)) {
            fbad(r, f, "expected objects with key, operator, value and effect");
            return;
        }
        const char *op = text(r, e, "operator", f, false);
        int eff = nf_taint_effect_parse(text(r, e, "effect", f, false));
        if ((op && strcmp(op, "Exists") != 0 && strcmp(op, "Equal") != 0) || eff == -2) {
            fbad(r, f,
                 "operator is Exists or Equal, effect NoSchedule, PreferNoSchedule or "
                 "NoExecute");
            return;
        }
        const char *k = text(r, e, "key", f, false), *v = text(r, e, "value", f, false);
        t[p->ntolerations++] = (struct nf_toleration){.key = k ? k : "",
                                                      .value = v ? v : "",
                                                      .exists = op && strcmp(op, "Exists") == 0,
                                                      .effect = eff};
    }
    p->tolerations = t;
}

static enum nf_fowner owner_of(struct fr *r, const char *s, const char *where)
{
    if (s == NULL || strcmp(s, "Deployment") == 0 || strcmp(s, "ReplicaSet") == 0)
        return NF_FOWN_REPLICAS;
    if (strcmp(s, "StatefulSet") == 0)
        return NF_FOWN_STATEFULSET;
    if (strcmp(s, "DaemonSet") == 0)
        return NF_FOWN_DAEMONSET;
    if (strcmp(s, "Job") == 0)
        return NF_FOWN_JOB;
    if (strcmp(s, "none") == 0)
        return NF_FOWN_NONE;
    if (strcmp(s, "other") == 0)
        return NF_FOWN_UNKNOWN;
    char f[200];
    snprintf(f, sizeof f, "%s.owner", where);
    fbad(r, f, "expected Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, none or other");
    return NF_FOWN_UNKNOWN;
}

/* one pod object (a node's, or a pending shape with "count") */
static void pod(struct fr *r, const json_t *o, const char *where, long node, struct nf_fpod *p,
                long long *count)
{
    static const char *const known[] = {"name",          "namespace",   "cpu_m",    "memory_mib",
                                        "owner",         "owner_name",  "replicas", "safe_to_evict",
                                        "node_selector", "tolerations", "count",    NULL};
    if (!json_is_object(o)) {
        fbad(r, where, "expected an object");
        return;
    }
    if (!known_keys(r, o, where, known))
        return;
    const char *own = text(r, o, "owner", where, false);
    const json_t *ste = json_object_get(o, "safe_to_evict");
    *p = (struct nf_fpod){.ns = text(r, o, "namespace", where, false),
                          .name = text(r, o, "name", where, false),
                          .node = node,
                          .req_cpu_m = whole(r, o, "cpu_m", where, 1LL << 40, 0),
                          .req_mem = whole(r, o, "memory_mib", where, 1LL << 30, 0) << 20,
                          .safe_to_evict = ste == NULL || json_is_null(ste) ? -1
                                           : json_is_true(ste)              ? 1
                                                                            : 0,
                          .owner = owner_of(r, own, where),
                          .owner_kind = own ? own : "Deployment",
                          .owner_name = text(r, o, "owner_name", where, false),
                          .replicas = (int)whole(r, o, "replicas", where, 1000000, 2),
                          .pdb = -1,
                          .pdb2 = -1};
    if (ste && !json_is_null(ste) && !json_is_boolean(ste))
        fbad(r, where, "safe_to_evict: expected true, false or null");
    if (p->ns == NULL)
        p->ns = "default";
    if (p->name == NULL)
        p->name = "(unnamed)";
    if (p->owner_name == NULL)
        p->owner_name = p->name;
    p->left_alone = p->owner == NF_FOWN_DAEMONSET;
    labels(r, o, "node_selector", where, &p->node_selector, &p->nnode_selector);
    tolerations(r, o, where, p);
    *count = whole(r, o, "count", where, 100000, 1);
}

static const char *const node_keys[] = {"name",   "ready",      "schedulable", "control_plane",
                                        "market", "zone",       "instance",    "instance_type",
                                        "cpu_m",  "memory_mib", "max_pods",    "labels",
                                        "taints", "pods",       NULL};

static void node(struct fr *r, const json_t *o, size_t k, struct nf_fnode *n)
{
    char where[64];
    snprintf(where, sizeof where, "nodes[%zu]", k);
    if (!json_is_object(o)) {
        fbad(r, where, "expected an object");
        return;
    }
    if (!known_keys(r, o, where, node_keys))
        return;
    const char *mk = text(r, o, "market", where, false);
    if (mk && strcmp(mk, "spot") != 0 && strcmp(mk, "on-demand") != 0)
        fbad(r, where, "market: expected spot or on-demand");
    *n = (struct nf_fnode){.name = text(r, o, "name", where, true),
                           .zone = text(r, o, "zone", where, false),
                           .instance = text(r, o, "instance", where, false),
                           .instance_type = text(r, o, "instance_type", where, false),
                           .market =
                               mk && strcmp(mk, "spot") == 0 ? NF_MARKET_SPOT : NF_MARKET_ON_DEMAND,
                           .ready = flag(r, o, "ready", where, true),
                           .unschedulable = !flag(r, o, "schedulable", where, true),
                           .control_plane = flag(r, o, "control_plane", where, false),
                           .alloc_cpu_m = whole(r, o, "cpu_m", where, 1LL << 40, 0),
                           .alloc_mem = whole(r, o, "memory_mib", where, 1LL << 30, 0) << 20,
                           .alloc_pods = (int)whole(r, o, "max_pods", where, 100000, 0)};
    labels(r, o, "labels", where, &n->labels, &n->nlabels);
    taints(r, o, where, n);
}

static size_t count_pods(struct fr *r, const json_t *nodes, const json_t *pending)
{
    size_t total = 0, i;
    const json_t *n;
    json_array_foreach(nodes, i, n)
    {
        const json_t *pods = json_object_get(n, "pods");
        if (pods != NULL && !json_is_array(pods)) {
            char f[64];
            snprintf(f, sizeof f, "nodes[%zu].pods", i);
            fbad(r, f, "expected an array");
        }
        total += json_array_size(pods);
    }
    const json_t *p;
    json_array_foreach(pending, i, p)
    {
        const json_t *c = json_object_get(p, "count");
        total += json_is_integer(c) && json_integer_value(c) > 0 && json_integer_value(c) <= 100000
                     ? (size_t)json_integer_value(c)
                     : 1;
    }
    return total;
}

int nf__decide_parse_fleet(const void *root_, struct nf_decide_input *in, struct nf_err *err)
{
    const json_t *root = root_;
    struct fr r = {.in = in, .err = err};
    const json_t *nodes = json_object_get(root, "nodes"),
                 *pending = json_object_get(root, "pending_pods");
    if (nodes == NULL && pending == NULL)
        return NF_OK;
    if ((nodes && !json_is_array(nodes)) || json_array_size(nodes) > 10000)
        return fbad(&r, "nodes", "expected an array of at most 10000 nodes");
    if ((pending && !json_is_array(pending)) || json_array_size(pending) > 10000)
        return fbad(&r, "pending_pods", "expected an array of at most 10000 pod shapes");
    size_t nn = json_array_size(nodes), np = count_pods(&r, nodes, pending);
    if (np > NF_DECIDE_PODS_MAX)
        return fbad(&r, "pods", "more than 1000000 in all");
    struct nf_fnode *fn = take(&r, nn, sizeof *fn);
    struct nf_fpod *fp = take(&r, np, sizeof *fp);
    size_t k, i, at = 0;
    const json_t *n, *p;
    json_array_foreach(nodes, k, n)
    {
        if (r.rc != NF_OK)
            return r.rc;
        node(&r, n, k, &fn[k]);
        json_array_foreach(json_object_get(n, "pods"), i, p)
        {
            char where[80];
            snprintf(where, sizeof where, "nodes[%zu].pods[%zu]", k, i);
            long long count;
            pod(&r, p, where, (long)k, &fp[at++], &count);
            if (count != 1)
                fbad(&r, where, "count is for pending_pods only");
        }
    }
    json_array_foreach(pending, i, p)
    {
        char where[64];
        snprintf(where, sizeof where, "pending_pods[%zu]", i);
        long long count = 1;
        struct nf_fpod one;
        pod(&r, p, where, -1, &one, &count);
        for (long long c = 0; c < count && r.rc == NF_OK && at < np; c++)
            fp[at++] = one;
    }
    if (r.rc != NF_OK)
        return r.rc;
    void *ws = take(&r, nf_fleet_ws_bytes(nn, at), 1);
    if (ws == NULL)
        return r.rc;
    in->fleet = (struct nf_fleet){.nodes = fn, .nnodes = nn, .pods = fp, .npods = at};
    nf_fleet_prepare(&in->fleet, ws);
    in->obs.fleet = &in->fleet;
    return NF_OK;
}

void nf_decide_write_pool(struct nf_fleet *f, struct nf_fnode *tmpl, struct nf_buf *out)
{
    if (out->len >= 2 && memcmp(out->data + out->len - 2, "}\n", 2) == 0)
        out->len -= 2; /* reopen the plan's object */
    nf_buf_puts(out, ",\"pool\":{\"nodes\":[");
    for (size_t k = 0; k < f->nnodes; k++) {
        struct nf_drain_verdict v;
        nf_fleet_drainable(f, k, NULL, &v);
        nf_buf_puts(out, k ? ",{\"name\":" : "{\"name\":");
        nf_buf_json_str(out, f->nodes[k].name);
        nf_buf_printf(out, ",\"removable\":%s,\"rule\":\"%s\",\"why\":",
                      v.block == NF_BLOCK_NONE ? "true" : "false", nf_block_id(v.block));
        nf_buf_json_str(out, v.detail);
        nf_buf_putc(out, '}');
    }
    long pending = 0;
    for (size_t i = 0; i < f->npods; i++)
        pending += f->pods[i].node < 0;
    char first[300];
    long unhostable = nf_fleet_unhostable(f, tmpl, first, sizeof first);
    nf_buf_printf(out,
                  "],\"pending_pods\":%ld,\"unhostable_pods\":%ld,\"unhostable_why\":", pending,
                  unhostable);
    nf_buf_json_str(out, first);
    nf_buf_puts(out, "}}\n");
}
