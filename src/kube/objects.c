/* objects.c - Kubernetes list items to plain data. */
#define _POSIX_C_SOURCE 200809L
#include "objects.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/timefmt.h"
#include "quantity.h"

void nf_kcluster_init(struct nf_kcluster *c, const char *market_label, const char *spot_value)
{
    memset(c, 0, sizeof *c);
    snprintf(c->market_label, sizeof c->market_label, "%s", market_label ? market_label : "");
    snprintf(c->market_spot_value, sizeof c->market_spot_value, "%s",
             spot_value ? spot_value : "spot");
}

void nf_kcluster_free(struct nf_kcluster *c)
{
    free(c->nodes);
    free(c->pods);
    free(c->rs);
    free(c->deploys);
    free(c->pdbs);
    nf_arena_free(&c->arena);
    memset(c, 0, sizeof *c);
}

/* ---- reading helpers ------------------------------------------------------------------ */

struct rd {
    struct nf_kcluster *c;
    const char *kind; /* "pod" */
    char who[300];    /* "shop/web-1" */
    struct nf_err *err;
    int rc;
};

static int bad(struct rd *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(struct rd *r, const char *field, const char *fmt, ...)
{
    if (r->rc != NF_OK)
        return r->rc;
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    r->rc = nf_err_set(r->err, NF_E_INPUT, "%s %s: %s: %s", r->kind, r->who, field, what);
    return r->rc;
}

static void *grow(void **arr, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        void *p = realloc(*arr, nc * size);
        if (p == NULL)
            return NULL;
        *arr = p;
        *cap = nc;
    }
    char *slot = (char *)*arr + (*n)++ * size;
    memset(slot, 0, size);
    return slot;
}

static const char *dup(struct rd *r, const char *s)
{
    if (s == NULL)
        return NULL;
    const char *d = nf_arena_strdup(&r->c->arena, s);
    if (d == NULL && r->rc == NF_OK)
        r->rc = nf_err_set(r->err, NF_E_NOMEM, "out of memory");
    return d;
}

/* a string field: NULL when absent or null, an error when another type */
static const char *str(struct rd *r, const json_t *o, const char *key, const char *field)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        bad(r, field, "expected a string");
        return NULL;
    }
    return json_string_value(v);
}

/* an object field: NULL when absent or null, an error when another type */
static const json_t *obj(struct rd *r, const json_t *o, const char *key, const char *field)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v))
        return NULL;
    if (!json_is_object(v)) {
        bad(r, field, "expected an object");
        return NULL;
    }
    return v;
}

static const json_t *arr(struct rd *r, const json_t *o, const char *key, const char *field)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v))
        return NULL;
    if (!json_is_array(v)) {
        bad(r, field, "expected a list");
        return NULL;
    }
    return v;
}

static int intf(struct rd *r, const json_t *o, const char *key, const char *field, int dflt)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v))
        return dflt;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000000) {
        bad(r, field, "expected a whole number from 0");
        return dflt;
    }
    return (int)json_integer_value(v);
}

/* metadata: name and namespace for messages, then the rest by the caller */
static const json_t *meta(struct rd *r, const json_t *item, const char **ns, const char **name)
{
    if (!json_is_object(item)) {
        snprintf(r->who, sizeof r->who, "(item)");
        bad(r, "item", "expected an object");
        return NULL;
    }
    const json_t *m = json_object_get(item, "metadata");
    const char *n = json_string_value(json_object_get(m, "name"));
    const char *s = json_string_value(json_object_get(m, "namespace"));
    snprintf(r->who, sizeof r->who, "%s%s%s", s ? s : "", s ? "/" : "", n ? n : "(unnamed)");
    if (!json_is_object(m) || n == NULL || n[0] == '\0') {
        bad(r, "metadata.name", "missing");
        return NULL;
    }
    if (json_object_get(m, "namespace") && s == NULL) {
        bad(r, "metadata.namespace", "expected a string");
        return NULL;
    }
    *name = dup(r, n);
    if (ns)
        *ns = dup(r, s ? s : "");
    return m;
}

static const char *annotation(struct rd *r, const json_t *m, const char *key)
{
    const json_t *a = obj(r, m, "annotations", "metadata.annotations");
    return a ? str(r, a, key, "metadata.annotations") : NULL;
}

/* a string-to-string map (labels, matchLabels) */
static int read_map(struct rd *r, const json_t *l, const char *field, const struct nf_label **out,
                    int *n)
{
    *out = NULL;
    *n = 0;
    if (l == NULL || json_object_size(l) == 0)
        return r->rc;
    struct nf_label *ls = nf_arena_alloc(&r->c->arena, json_object_size(l) * sizeof *ls);
    if (ls == NULL)
        return r->rc = nf_err_set(r->err, NF_E_NOMEM, "out of memory");
    const char *k;
    const json_t *v;
    int i = 0;
    json_object_foreach((json_t *)l, k, v)
    {
        if (!json_is_string(v))
            return bad(r, field, "label %s: expected a string", k);
        ls[i].key = dup(r, k);
        ls[i].value = dup(r, json_string_value(v));
        i++;
    }
    *out = ls;
    *n = i;
    return r->rc;
}

static int read_labels(struct rd *r, const json_t *o, const char *field,
                       const struct nf_label **out, int *n)
{
    return read_map(r, obj(r, o, "labels", field), field, out, n);
}

static bool cond_true(const json_t *status, const char *type, const char **reason)
{
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(status, "conditions"), i, c)
    {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t && strcmp(t, type) == 0) {
            if (reason)
                *reason = json_string_value(json_object_get(c, "reason"));
            const char *s = json_string_value(json_object_get(c, "status"));
            return s && strcmp(s, "True") == 0;
        }
    }
    if (reason)
        *reason = NULL;
    return false;
}

static bool has_cond(const json_t *status, const char *type)
{
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(status, "conditions"), i, c)
    {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t && strcmp(t, type) == 0)
            return true;
    }
    return false;
}

static int64_t quantity(struct rd *r, const json_t *o, const char *key, int scale,
                        const char *field)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v))
        return 0;
    char buf[64];
    const char *s;
    if (json_is_string(v)) {
        s = json_string_value(v);
    } else if (json_is_integer(v)) { /* quantities are strings, but numbers are accepted */
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        s = buf;
    } else {
        bad(r, field, "expected a quantity string");
        return 0;
    }
    int64_t q;
    const char *why;
    if (nf_quantity_parse(s, strlen(s), scale, &q, &why) != NF_OK) {
        bad(r, field, "\"%.40s\": %s", s, why);
        return 0;
    }
    return q;
}

/* ---- nodes ----------------------------------------------------------------------------- */

static const char *label_of(const struct nf_label *ls, int n, const char *key)
{
    return nf_label_of(ls, n, key);
}

/* A label selector (matchLabels and matchExpressions), or - with `labels_too` false - a node
 * selector term (matchExpressions only; matchFields are not modelled). */
static void read_selector(struct rd *r, const json_t *sel, const char *field, bool labels_too,
                          struct nf_selector *out)
{
    memset(out, 0, sizeof *out);
    char f[160];
    if (labels_too) {
        snprintf(f, sizeof f, "%s.matchLabels", field);
        read_map(r, obj(r, sel, "matchLabels", f), f, &out->match, &out->nmatch);
    }
    snprintf(f, sizeof f, "%s.matchExpressions", field);
    const json_t *exprs = arr(r, sel, "matchExpressions", f);
    size_t ne = json_array_size(exprs);
    if (ne == 0)
        return;
    struct nf_selreq *rq = nf_arena_alloc(&r->c->arena, ne * sizeof *rq);
    if (rq == NULL) {
        r->rc = nf_err_set(r->err, NF_E_NOMEM, "out of memory");
        return;
    }
    size_t i;
    const json_t *e;
    json_array_foreach(exprs, i, e)
    {
        const char *k = str(r, e, "key", f);
        const char *op = str(r, e, "operator", f);
        if (k == NULL || op == NULL) {
            bad(r, f, "needs key and operator");
            return;
        }
        rq[i].key = dup(r, k);
        if (strcmp(op, "In") == 0)
            rq[i].op = NF_SEL_IN;
        else if (strcmp(op, "NotIn") == 0)
            rq[i].op = NF_SEL_NOT_IN;
        else if (strcmp(op, "Exists") == 0)
            rq[i].op = NF_SEL_EXISTS;
        else if (strcmp(op, "DoesNotExist") == 0)
            rq[i].op = NF_SEL_DOES_NOT_EXIST;
        else {
            bad(r, f, "unknown operator %.40s", op);
            return;
        }
        const json_t *vals = arr(r, e, "values", f);
        size_t nv = json_array_size(vals);
        const char **vs = nv ? nf_arena_alloc(&r->c->arena, nv * sizeof *vs) : NULL;
        for (size_t k2 = 0; k2 < nv && vs; k2++) {
            const char *sv = json_string_value(json_array_get(vals, k2));
            if (sv == NULL) {
                bad(r, f, "values: expected strings");
                return;
            }
            vs[k2] = dup(r, sv);
        }
        rq[i].values = vs;
        rq[i].nvalues = (int)nv;
    }
    out->exprs = rq;
    out->nexprs = (int)ne;
}

/* spec.taints, the cordon's own left out (unschedulable says it) */
static void read_taints(struct rd *rp, const json_t *spec, struct nf_knode *n)
{
    struct nf_kcluster *c = rp->c;
    size_t ti;
    const json_t *taint;
    const json_t *taints = arr(rp, spec, "taints", "spec.taints");
    struct nf_taint *tv = json_array_size(taints)
                              ? nf_arena_alloc(&c->arena, json_array_size(taints) * sizeof *tv)
                              : NULL;
    json_array_foreach(taints, ti, taint)
    {
        const char *key = str(rp, taint, "key", "spec.taints.key");
        int eff = nf_taint_effect_parse(str(rp, taint, "effect", "spec.taints.effect"));
        if (key == NULL || eff < 0) {
            bad(rp, "spec.taints",
                "a taint needs a key and an effect of NoSchedule, "
                "PreferNoSchedule or NoExecute");
            break;
        }
        /* the cordon taint is read as unschedulable already */
        if (strcmp(key, "node.kubernetes.io/unschedulable") == 0 || tv == NULL)
            continue;
        const char *val = str(rp, taint, "value", "spec.taints.value");
        tv[n->ntaints++] =
            (struct nf_taint){.key = dup(rp, key), .value = dup(rp, val ? val : ""), .effect = eff};
    }
    n->taints = tv;
}

int nf_kread_node(struct nf_kcluster *c, const json_t *item, struct nf_err *err)
{
    struct rd r = {.c = c, .kind = "node", .err = err};
    struct nf_knode *n = grow((void **)&c->nodes, &c->nnodes, &c->cap_nodes, sizeof *n);
    if (n == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    const json_t *m = meta(&r, item, NULL, &n->name);
    if (m == NULL) {
        c->nnodes--;
        return r.rc;
    }
    const struct nf_label *ls;
    int nl;
    read_labels(&r, m, "metadata.labels", &ls, &nl);
    n->labels = ls;
    n->nlabels = nl;
    const char *ct = str(&r, m, "creationTimestamp", "metadata.creationTimestamp");
    const char *why_t;
    if (ct && nf_parse_time(ct, &n->created, &why_t) != NF_OK)
        bad(&r, "metadata.creationTimestamp", "%s", why_t);
    const char *sdd = annotation(&r, m, NF_ANN_SCALE_DOWN_DISABLED);
    n->scale_down_disabled = sdd && strcasecmp(sdd, "true") == 0;
    n->deleting = json_object_get(m, "deletionTimestamp") != NULL &&
                  !json_is_null(json_object_get(m, "deletionTimestamp"));
    n->control_plane = label_of(ls, nl, "node-role.kubernetes.io/control-plane") != NULL ||
                       label_of(ls, nl, "node-role.kubernetes.io/master") != NULL;
    const char *z = label_of(ls, nl, "topology.kubernetes.io/zone");
    n->zone = z ? z : label_of(ls, nl, "failure-domain.beta.kubernetes.io/zone");
    const char *t = label_of(ls, nl, "node.kubernetes.io/instance-type");
    n->instance_type = t ? t : label_of(ls, nl, "beta.kubernetes.io/instance-type");
    const char *mk = c->market_label[0] ? label_of(ls, nl, c->market_label) : NULL;
    n->market =
        mk && strcasecmp(mk, c->market_spot_value) == 0 ? NF_MARKET_SPOT : NF_MARKET_ON_DEMAND;
    const json_t *spec = obj(&r, item, "spec", "spec");
    const json_t *us = json_object_get(spec, "unschedulable");
    if (us && !json_is_boolean(us) && !json_is_null(us))
        bad(&r, "spec.unschedulable", "expected true or false");
    n->unschedulable = json_is_true(us);
    read_taints(&r, spec, n);
    n->provider_id = dup(&r, str(&r, spec, "providerID", "spec.providerID"));
    if (n->provider_id && strncmp(n->provider_id, "aws://", 6) == 0) {
        const char *id = strrchr(n->provider_id, '/') + 1;
        if (strncmp(id, "i-", 2) != 0 || strlen(id) >= sizeof n->instance_id)
            bad(&r, "spec.providerID", "\"%.80s\" does not end in an instance id", n->provider_id);
        else
            snprintf(n->instance_id, sizeof n->instance_id, "%s", id);
        if (n->zone == NULL) { /* aws:///us-east-1a/i-... */
            const char *p = n->provider_id + 6;
            while (*p == '/')
                p++;
            const char *slash = strchr(p, '/');
            if (slash && slash > p)
                n->zone = nf_arena_strndup(&c->arena, p, (size_t)(slash - p));
        }
    }
    const json_t *status = obj(&r, item, "status", "status");
    n->ready = cond_true(status, "Ready", NULL);
    size_t ai;
    const json_t *addr;
    json_array_foreach(arr(&r, status, "addresses", "status.addresses"), ai, addr)
    {
        const char *at = json_string_value(json_object_get(addr, "type"));
        const char *a = json_string_value(json_object_get(addr, "address"));
        if (at && a && strcmp(at, "InternalIP") == 0 && strlen(a) < sizeof n->internal_ip &&
            !n->internal_ip[0])
            snprintf(n->internal_ip, sizeof n->internal_ip, "%s", a);
    }
    const json_t *alloc = obj(&r, status, "allocatable", "status.allocatable");
    n->alloc_cpu_m = quantity(&r, alloc, "cpu", NF_QUANTITY_MILLI, "status.allocatable.cpu");
    n->alloc_mem = quantity(&r, alloc, "memory", NF_QUANTITY_UNIT, "status.allocatable.memory");
    int64_t pods = quantity(&r, alloc, "pods", NF_QUANTITY_UNIT, "status.allocatable.pods");
    n->alloc_pods = pods > 0 && pods < 1000000 ? (int)pods : 0;
    if (r.rc != NF_OK)
        c->nnodes--;
    return r.rc;
}

/* ---- pods ------------------------------------------------------------------------------ */

static enum nf_kowner owner_kind(const char *k)
{
    static const struct {
        const char *name;
        enum nf_kowner o;
    } kinds[] = {{"ReplicaSet", NF_OWN_REPLICASET},
                 {"StatefulSet", NF_OWN_STATEFULSET},
                 {"DaemonSet", NF_OWN_DAEMONSET},
                 {"Job", NF_OWN_JOB},
                 {"ReplicationController", NF_OWN_REPLICATIONCONTROLLER}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(k, kinds[i].name) == 0)
            return kinds[i].o;
    return NF_OWN_OTHER;
}

/* requests of one container list entry */
static void container_req(struct rd *r, const json_t *ctr, const char *list, size_t i, int64_t *cpu,
                          int64_t *mem)
{
    char f[128];
    const json_t *res = obj(r, ctr, "resources", list);
    const json_t *req = obj(r, res, "requests", list);
    snprintf(f, sizeof f, "spec.%s[%zu].resources.requests.cpu", list, i);
    *cpu = quantity(r, req, "cpu", NF_QUANTITY_MILLI, f);
    snprintf(f, sizeof f, "spec.%s[%zu].resources.requests.memory", list, i);
    *mem = quantity(r, req, "memory", NF_QUANTITY_UNIT, f);
}

static void pod_requests(struct rd *r, const json_t *spec, struct nf_kpod *p)
{
    int64_t app_cpu = 0, app_mem = 0, side_cpu = 0, side_mem = 0, init_cpu = 0, init_mem = 0;
    size_t i;
    const json_t *ctr;
    json_array_foreach(arr(r, spec, "initContainers", "spec.initContainers"), i, ctr)
    {
        int64_t c, m;
        container_req(r, ctr, "initContainers", i, &c, &m);
        const char *rp = json_string_value(json_object_get(ctr, "restartPolicy"));
        if (rp && strcmp(rp, "Always") == 0) { /* a sidecar: runs alongside the app */
            side_cpu += c;
            side_mem += m;
        } else {
            init_cpu = c + side_cpu > init_cpu ? c + side_cpu : init_cpu;
            init_mem = m + side_mem > init_mem ? m + side_mem : init_mem;
        }
    }
    const json_t *ctrs = arr(r, spec, "containers", "spec.containers");
    json_array_foreach(ctrs, i, ctr)
    {
        int64_t c, m;
        container_req(r, ctr, "containers", i, &c, &m);
        app_cpu += c;
        app_mem += m;
    }
    app_cpu += side_cpu;
    app_mem += side_mem;
    const json_t *ov = obj(r, spec, "overhead", "spec.overhead");
    p->req_cpu_m = (app_cpu > init_cpu ? app_cpu : init_cpu) +
                   quantity(r, ov, "cpu", NF_QUANTITY_MILLI, "spec.overhead.cpu");
    p->req_mem = (app_mem > init_mem ? app_mem : init_mem) +
                 quantity(r, ov, "memory", NF_QUANTITY_UNIT, "spec.overhead.memory");
}

static void pod_tolerations(struct rd *r, const json_t *spec, struct nf_kpod *p)
{
    const json_t *tol = arr(r, spec, "tolerations", "spec.tolerations");
    size_t n = json_array_size(tol), i;
    struct nf_toleration *tv = n ? nf_arena_alloc(&r->c->arena, n * sizeof *tv) : NULL;
    const json_t *t;
    json_array_foreach(tol, i, t)
    {
        if (tv == NULL)
            break;
        const char *op = str(r, t, "operator", "spec.tolerations.operator");
        int eff = nf_taint_effect_parse(str(r, t, "effect", "spec.tolerations.effect"));
        if ((op && strcmp(op, "Exists") != 0 && strcmp(op, "Equal") != 0) || eff == -2) {
            bad(r, "spec.tolerations",
                "operator must be Exists or Equal, effect NoSchedule, "
                "PreferNoSchedule, NoExecute or empty");
            return;
        }
        const char *k = str(r, t, "key", "spec.tolerations.key");
        const char *v = str(r, t, "value", "spec.tolerations.value");
        tv[p->ntolerations++] = (struct nf_toleration){.key = dup(r, k ? k : ""),
                                                       .value = dup(r, v ? v : ""),
                                                       .exists = op && strcmp(op, "Exists") == 0,
                                                       .effect = eff};
    }
    p->tolerations = tv;
}

/* nodeSelector, required node affinity, tolerations, required pod anti-affinity on the
 * hostname: what the predicates need (fleet.h) */
static void pod_scheduling(struct rd *r, const json_t *spec, struct nf_kpod *p)
{
    read_map(r, obj(r, spec, "nodeSelector", "spec.nodeSelector"), "spec.nodeSelector",
             &p->node_selector, &p->nnode_selector);
    pod_tolerations(r, spec, p);
    const json_t *aff = obj(r, spec, "affinity", "spec.affinity");
    const json_t *na = obj(r, aff, "nodeAffinity", "spec.affinity.nodeAffinity");
    const json_t *req = obj(r, na, "requiredDuringSchedulingIgnoredDuringExecution",
                            "spec.affinity.nodeAffinity.required");
    const json_t *terms =
        arr(r, req, "nodeSelectorTerms", "spec.affinity.nodeAffinity.required.nodeSelectorTerms");
    size_t nt = json_array_size(terms), i;
    struct nf_selector *sv = nt ? nf_arena_alloc(&r->c->arena, nt * sizeof *sv) : NULL;
    const json_t *t;
    json_array_foreach(terms, i, t)
    {
        if (sv == NULL)
            break;
        read_selector(r, t, "spec.affinity.nodeAffinity.required.nodeSelectorTerms", false,
                      &sv[p->naffinity++]);
    }
    p->affinity = sv;
    const json_t *pa = obj(r, aff, "podAntiAffinity", "spec.affinity.podAntiAffinity");
    const json_t *anti = arr(r, pa, "requiredDuringSchedulingIgnoredDuringExecution",
                             "spec.affinity.podAntiAffinity.required");
    size_t na2 = json_array_size(anti);
    struct nf_selector *av = na2 ? nf_arena_alloc(&r->c->arena, na2 * sizeof *av) : NULL;
    json_array_foreach(anti, i, t)
    {
        const char *topo = str(r, t, "topologyKey", "spec.affinity.podAntiAffinity.topologyKey");
        if (av == NULL || topo == NULL || strcmp(topo, "kubernetes.io/hostname") != 0)
            continue; /* other topologies are not modelled */
        read_selector(r, obj(r, t, "labelSelector", "spec.affinity.podAntiAffinity.labelSelector"),
                      "spec.affinity.podAntiAffinity.labelSelector", true, &av[p->nanti++]);
    }
    p->anti = av;
}

int nf_kread_pod(struct nf_kcluster *c, const json_t *item, struct nf_err *err)
{
    struct rd r = {.c = c, .kind = "pod", .err = err};
    struct nf_kpod *p = grow((void **)&c->pods, &c->npods, &c->cap_pods, sizeof *p);
    if (p == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    const json_t *m = meta(&r, item, &p->ns, &p->name);
    if (m == NULL) {
        c->npods--;
        return r.rc;
    }
    p->uid = dup(&r, str(&r, m, "uid", "metadata.uid"));
    p->deleting = json_object_get(m, "deletionTimestamp") != NULL &&
                  !json_is_null(json_object_get(m, "deletionTimestamp"));
    read_labels(&r, m, "metadata.labels", &p->labels, &p->nlabels);
    p->mirror = annotation(&r, m, NF_ANN_MIRROR) != NULL;
    const char *ste = annotation(&r, m, NF_ANN_SAFE_TO_EVICT);
    p->safe_to_evict = ste == NULL                     ? -1
                       : strcasecmp(ste, "true") == 0  ? 1
                       : strcasecmp(ste, "false") == 0 ? 0
                                                       : -1;
    p->safe_local_volumes = dup(&r, annotation(&r, m, NF_ANN_SAFE_LOCAL_VOLUMES));
    size_t i;
    const json_t *o;
    json_array_foreach(arr(&r, m, "ownerReferences", "metadata.ownerReferences"), i, o)
    {
        if (!json_is_true(json_object_get(o, "controller")))
            continue;
        const char *k = str(&r, o, "kind", "metadata.ownerReferences.kind");
        const char *n = str(&r, o, "name", "metadata.ownerReferences.name");
        if (k == NULL || n == NULL) {
            bad(&r, "metadata.ownerReferences", "a controller reference without kind and name");
            break;
        }
        p->owner = owner_kind(k);
        p->owner_kind = dup(&r, k);
        p->owner_name = dup(&r, n);
        break;
    }
    const json_t *spec = obj(&r, item, "spec", "spec");
    const char *node = str(&r, spec, "nodeName", "spec.nodeName");
    p->node = dup(&r, node ? node : "");
    /* local storage: emptyDir and hostPath volumes, by name */
    char vols[1024] = "";
    size_t vl = 0;
    const json_t *v;
    json_array_foreach(arr(&r, spec, "volumes", "spec.volumes"), i, v)
    {
        if (json_object_get(v, "emptyDir") == NULL && json_object_get(v, "hostPath") == NULL)
            continue;
        const char *vn = json_string_value(json_object_get(v, "name"));
        int w = snprintf(vols + vl, sizeof vols - vl, "%s%s", vl ? "," : "", vn ? vn : "?");
        if (w > 0 && (size_t)w < sizeof vols - vl)
            vl += (size_t)w;
    }
    p->local_volumes = vl ? dup(&r, vols) : NULL;
    pod_requests(&r, spec, p);
    pod_scheduling(&r, spec, p);
    const json_t *status = obj(&r, item, "status", "status");
    const char *ph = str(&r, status, "phase", "status.phase");
    p->phase = ph == NULL                     ? NF_PHASE_PENDING
               : strcmp(ph, "Pending") == 0   ? NF_PHASE_PENDING
               : strcmp(ph, "Running") == 0   ? NF_PHASE_RUNNING
               : strcmp(ph, "Succeeded") == 0 ? NF_PHASE_SUCCEEDED
               : strcmp(ph, "Failed") == 0    ? NF_PHASE_FAILED
                                              : NF_PHASE_UNKNOWN;
    p->ready = cond_true(status, "Ready", NULL);
    const char *why = NULL;
    p->unschedulable = has_cond(status, "PodScheduled") &&
                       !cond_true(status, "PodScheduled", &why) && why &&
                       strcmp(why, "Unschedulable") == 0;
    if (r.rc != NF_OK)
        c->npods--;
    return r.rc;
}

/* ---- owners ---------------------------------------------------------------------------- */

int nf_kread_replicaset(struct nf_kcluster *c, const json_t *item, struct nf_err *err)
{
    struct rd r = {.c = c, .kind = "replicaset", .err = err};
    struct nf_kreplicaset *s = grow((void **)&c->rs, &c->nrs, &c->cap_rs, sizeof *s);
    if (s == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    const json_t *m = meta(&r, item, &s->ns, &s->name);
    if (m == NULL) {
        c->nrs--;
        return r.rc;
    }
    size_t i;
    const json_t *o;
    json_array_foreach(arr(&r, m, "ownerReferences", "metadata.ownerReferences"), i, o)
    {
        const char *k = json_string_value(json_object_get(o, "kind"));
        if (json_is_true(json_object_get(o, "controller")) && k && strcmp(k, "Deployment") == 0)
            s->deployment = dup(&r, json_string_value(json_object_get(o, "name")));
    }
    s->replicas = intf(&r, obj(&r, item, "spec", "spec"), "replicas", "spec.replicas", 1);
    if (r.rc != NF_OK)
        c->nrs--;
    return r.rc;
}

int nf_kread_deployment(struct nf_kcluster *c, const json_t *item, struct nf_err *err)
{
    struct rd r = {.c = c, .kind = "deployment", .err = err};
    struct nf_kdeployment *d = grow((void **)&c->deploys, &c->ndeploys, &c->cap_deploys, sizeof *d);
    if (d == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    if (meta(&r, item, &d->ns, &d->name) == NULL) {
        c->ndeploys--;
        return r.rc;
    }
    d->replicas = intf(&r, obj(&r, item, "spec", "spec"), "replicas", "spec.replicas", 1);
    if (r.rc != NF_OK)
        c->ndeploys--;
    return r.rc;
}

int nf_kread_pdb(struct nf_kcluster *c, const json_t *item, struct nf_err *err)
{
    struct rd r = {.c = c, .kind = "poddisruptionbudget", .err = err};
    struct nf_kpdb *d = grow((void **)&c->pdbs, &c->npdbs, &c->cap_pdbs, sizeof *d);
    if (d == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    const json_t *m = meta(&r, item, &d->ns, &d->name);
    if (m == NULL) {
        c->npdbs--;
        return r.rc;
    }
    const json_t *spec = obj(&r, item, "spec", "spec");
    const json_t *sel = obj(&r, spec, "selector", "spec.selector");
    read_selector(&r, sel, "spec.selector", true, &d->sel);
    d->empty_selector = d->sel.nmatch == 0 && d->sel.nexprs == 0;
    const json_t *status = obj(&r, item, "status", "status");
    d->disruptions_allowed = intf(&r, status, "disruptionsAllowed", "status.disruptionsAllowed", 0);
    const json_t *gen = json_object_get(m, "generation");
    const json_t *obs = json_object_get(status, "observedGeneration");
    d->current = gen == NULL || (json_is_integer(obs) && json_is_integer(gen) &&
                                 json_integer_value(obs) >= json_integer_value(gen));
    if (r.rc != NF_OK)
        c->npdbs--;
    return r.rc;
}

/* ---- selectors ------------------------------------------------------------------------- */

bool nf_kpdb_selects(const struct nf_kpdb *d, const struct nf_kpod *p)
{
    if (d->empty_selector || strcmp(d->ns, p->ns) != 0)
        return false;
    return nf_selector_matches(&d->sel, p->labels, p->nlabels);
}
