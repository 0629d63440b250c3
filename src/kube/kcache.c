/* kcache.c - objects one arena each, in list order. */
#define _POSIX_C_SOURCE 200809L
#include "kcache.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_paths[NF_KK_COUNT] = {
    "/api/v1/nodes", "/api/v1/pods", "/apis/apps/v1/replicasets", "/apis/apps/v1/deployments",
    "/apis/policy/v1/poddisruptionbudgets"};
static const char *const kind_names[NF_KK_COUNT] = {"nodes", "pods", "replicasets", "deployments",
                                                    "poddisruptionbudgets"};
static const size_t rec_size[NF_KK_COUNT] = {sizeof(struct nf_knode), sizeof(struct nf_kpod),
                                             sizeof(struct nf_kreplicaset),
                                             sizeof(struct nf_kdeployment), sizeof(struct nf_kpdb)};

const char *nf_kkind_path(enum nf_kkind k)
{
    return kind_paths[k];
}

const char *nf_kkind_name(enum nf_kkind k)
{
    return kind_names[k];
}

void nf_kcache_init(struct nf_kcache *c)
{
    memset(c, 0, sizeof *c);
}

void nf_kobj_free(struct nf_kobj *o)
{
    if (o == NULL)
        return;
    struct nf_arena a = o->mem; /* the object lives in its own arena */
    nf_arena_free(&a);
}

void nf_ktable_free(struct nf_ktable *t)
{
    for (size_t i = 0; i < t->n; i++)
        nf_kobj_free(t->v[i]);
    free(t->v);
    memset(t, 0, sizeof *t);
}

static void free_retired(struct nf_kcache *c)
{
    for (size_t i = 0; i < c->nretired; i++) {
        c->bytes -= c->retired[i]->mem.bytes;
        nf_kobj_free(c->retired[i]);
    }
    c->nretired = 0;
}

void nf_kcache_free(struct nf_kcache *c)
{
    free_retired(c);
    free(c->retired);
    for (int k = 0; k < NF_KK_COUNT; k++)
        nf_ktable_free(&c->t[k]);
    memset(c, 0, sizeof *c);
}

/* ---- copying one record into its own arena --------------------------------------------- */

struct cp {
    struct nf_arena *a;
    bool oom;
};

static const char *cstr(struct cp *p, const char *s)
{
    if (s == NULL)
        return NULL;
    const char *d = nf_arena_strdup(p->a, s);
    p->oom |= d == NULL;
    return d;
}

static void *carr(struct cp *p, const void *src, size_t n, size_t size)
{
    if (src == NULL)
        return NULL;
    void *d = nf_arena_alloc(p->a, n * size);
    if (d == NULL) {
        p->oom = true;
        return NULL;
    }
    memcpy(d, src, n * size);
    return d;
}

static const struct nf_label *clabels(struct cp *p, const struct nf_label *src, int n)
{
    struct nf_label *d = carr(p, src, (size_t)n, sizeof *d);
    for (int i = 0; d && i < n; i++) {
        d[i].key = cstr(p, src[i].key);
        d[i].value = cstr(p, src[i].value);
    }
    return d;
}

static void cselector(struct cp *p, struct nf_selector *d, const struct nf_selector *s)
{
    d->match = clabels(p, s->match, s->nmatch);
    struct nf_selreq *e = carr(p, s->exprs, (size_t)s->nexprs, sizeof *e);
    for (int i = 0; e && i < s->nexprs; i++) {
        e[i].key = cstr(p, s->exprs[i].key);
        const char **v = carr(p, s->exprs[i].values, (size_t)s->exprs[i].nvalues, sizeof *v);
        for (int j = 0; v && j < s->exprs[i].nvalues; j++)
            v[j] = cstr(p, s->exprs[i].values[j]);
        e[i].values = v;
    }
    d->exprs = e;
}

static const struct nf_selector *cselectors(struct cp *p, const struct nf_selector *src, int n)
{
    struct nf_selector *d = carr(p, src, (size_t)n, sizeof *d);
    for (int i = 0; d && i < n; i++)
        cselector(p, &d[i], &src[i]);
    return d;
}

static void copy_node(struct cp *p, struct nf_knode *d)
{
    d->name = cstr(p, d->name);
    d->provider_id = cstr(p, d->provider_id);
    d->zone = cstr(p, d->zone);
    d->instance_type = cstr(p, d->instance_type);
    d->labels = clabels(p, d->labels, d->nlabels);
    struct nf_taint *t = carr(p, d->taints, (size_t)d->ntaints, sizeof *t);
    for (int i = 0; t && i < d->ntaints; i++) {
        t[i].key = cstr(p, t[i].key);
        t[i].value = cstr(p, t[i].value);
    }
    d->taints = t;
}

static void copy_pod(struct cp *p, struct nf_kpod *d)
{
    d->ns = cstr(p, d->ns);
    d->name = cstr(p, d->name);
    d->uid = cstr(p, d->uid);
    d->node = cstr(p, d->node);
    d->owner_kind = cstr(p, d->owner_kind);
    d->owner_name = cstr(p, d->owner_name);
    d->local_volumes = cstr(p, d->local_volumes);
    d->safe_local_volumes = cstr(p, d->safe_local_volumes);
    d->labels = clabels(p, d->labels, d->nlabels);
    d->node_selector = clabels(p, d->node_selector, d->nnode_selector);
    d->affinity = cselectors(p, d->affinity, d->naffinity);
    struct nf_toleration *t = carr(p, d->tolerations, (size_t)d->ntolerations, sizeof *t);
    for (int i = 0; t && i < d->ntolerations; i++) {
        t[i].key = cstr(p, t[i].key);
        t[i].value = cstr(p, t[i].value);
    }
    d->tolerations = t;
    d->anti = cselectors(p, d->anti, d->nanti);
}

/* The kind's record the reader just appended to `s`, and the count to take it back. */
static void *last_record(enum nf_kkind kind, struct nf_kcluster *s, size_t **count)
{
    switch (kind) {
    case NF_KK_NODES:
        *count = &s->nnodes;
        return s->nnodes ? &s->nodes[s->nnodes - 1] : NULL;
    case NF_KK_PODS:
        *count = &s->npods;
        return s->npods ? &s->pods[s->npods - 1] : NULL;
    case NF_KK_RS:
        *count = &s->nrs;
        return s->nrs ? &s->rs[s->nrs - 1] : NULL;
    case NF_KK_DEPLOYS:
        *count = &s->ndeploys;
        return s->ndeploys ? &s->deploys[s->ndeploys - 1] : NULL;
    default:
        *count = &s->npdbs;
        return s->npdbs ? &s->pdbs[s->npdbs - 1] : NULL;
    }
}

static void copy_record(struct cp *p, enum nf_kkind kind, void *rec, struct nf_kobj *o)
{
    switch (kind) {
    case NF_KK_NODES:
        copy_node(p, rec);
        o->ns = "";
        o->name = ((struct nf_knode *)rec)->name;
        return;
    case NF_KK_PODS:
        copy_pod(p, rec);
        break;
    case NF_KK_RS: {
        struct nf_kreplicaset *r = rec;
        r->ns = cstr(p, r->ns);
        r->name = cstr(p, r->name);
        r->deployment = cstr(p, r->deployment);
        break;
    }
    case NF_KK_DEPLOYS: {
        struct nf_kdeployment *r = rec;
        r->ns = cstr(p, r->ns);
        r->name = cstr(p, r->name);
        break;
    }
    default: {
        struct nf_kpdb *r = rec;
        r->ns = cstr(p, r->ns);
        r->name = cstr(p, r->name);
        cselector(p, &r->sel, &r->sel);
        break;
    }
    }
    /* every kind but nodes starts with ns and name (objects.h) */
    const char *const *nn = rec;
    o->ns = nn[0];
    o->name = nn[1];
}

static int (*const readers[NF_KK_COUNT])(struct nf_kcluster *, const json_t *, struct nf_err *) = {
    nf_kread_node, nf_kread_pod, nf_kread_replicaset, nf_kread_deployment, nf_kread_pdb};

int nf_kobj_read(enum nf_kkind kind, const json_t *item, struct nf_kcluster *scratch,
                 struct nf_kobj **out, struct nf_err *err)
{
    *out = NULL;
    int rc = readers[kind](scratch, item, err);
    size_t *count;
    void *src = last_record(kind, scratch, &count);
    if (rc == NF_OK && src == NULL)
        rc = nf_err_set(err, NF_E_INTERNAL, "a reader kept no record");
    if (rc == NF_OK) {
        /* one block fits it all: what the reader allocated bounds what is copied (a node's
         * zone, a label's value in the reader's arena, is a string of its own here) */
        struct nf_arena a = {.block_min = sizeof(struct nf_kobj) + rec_size[kind] +
                                          scratch->arena.used + (kind == NF_KK_NODES ? 96 : 32)};
        struct nf_kobj *o = nf_arena_alloc(&a, sizeof *o);
        a.block_min = 256; /* should alignment need more after all: a little more */
        void *rec = o ? nf_arena_alloc(&a, rec_size[kind]) : NULL;
        if (rec == NULL) {
            nf_arena_free(&a);
            rc = nf_err_set(err, NF_E_NOMEM, "out of memory");
        } else {
            memcpy(rec, src, rec_size[kind]);
            struct cp p = {.a = &a};
            copy_record(&p, kind, rec, o);
            o->rec = rec;
            o->mem = a; /* the arena's head; o itself is inside it */
            if (p.oom) {
                nf_kobj_free(o);
                rc = nf_err_set(err, NF_E_NOMEM, "out of memory");
            } else {
                *out = o;
            }
        }
    }
    *count = 0;
    nf_arena_free(&scratch->arena);
    return rc;
}

/* ---- tables in list order ---------------------------------------------------------------- */

static int cmp_key(const char *ns, const char *name, const struct nf_kobj *o)
{
    int c = strcmp(ns, o->ns);
    return c ? c : strcmp(name, o->name);
}

/* The index of (ns, name), or where it would go; *found says which. */
static size_t find(const struct nf_ktable *t, const char *ns, const char *name, bool *found)
{
    size_t lo = 0, hi = t->n;
    if (hi > 0 && cmp_key(ns, name, t->v[hi - 1]) > 0) { /* the usual append */
        *found = false;
        return hi;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_key(ns, name, t->v[mid]);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    *found = false;
    return lo;
}

static int reserve(void ***v, size_t *cap, size_t need, struct nf_err *err)
{
    if (need <= *cap)
        return NF_OK;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    void **nv = realloc(*v, nc * sizeof *nv);
    if (nv == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    *v = nv;
    *cap = nc;
    return NF_OK;
}

static int retire(struct nf_kcache *c, struct nf_kobj *o, struct nf_err *err)
{
    if (!c->viewing) { /* nobody can be looking at it */
        c->bytes -= o->mem.bytes;
        nf_kobj_free(o);
        return NF_OK;
    }
    int rc = reserve((void ***)&c->retired, &c->cap_retired, c->nretired + 1, err);
    if (rc != NF_OK)
        return rc;
    c->retired[c->nretired++] = o;
    return NF_OK;
}

int nf_ktable_push(struct nf_ktable *t, struct nf_kobj *o, struct nf_err *err)
{
    int rc = reserve((void ***)&t->v, &t->cap, t->n + 1, err);
    if (rc != NF_OK)
        return rc;
    t->v[t->n++] = o;
    return NF_OK;
}

int nf_kcache_put(struct nf_kcache *c, enum nf_kkind kind, struct nf_kobj *o, struct nf_err *err)
{
    struct nf_ktable *t = &c->t[kind];
    bool found;
    size_t i = find(t, o->ns, o->name, &found);
    if (found) {
        int rc = retire(c, t->v[i], err);
        if (rc != NF_OK)
            return rc;
        t->v[i] = o;
    } else {
        int rc = reserve((void ***)&t->v, &t->cap, t->n + 1, err);
        if (rc != NF_OK)
            return rc;
        memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof *t->v);
        t->v[i] = o;
        t->n++;
    }
    c->bytes += o->mem.bytes;
    return NF_OK;
}

int nf_kcache_del(struct nf_kcache *c, enum nf_kkind kind, const char *ns, const char *name,
                  struct nf_err *err)
{
    struct nf_ktable *t = &c->t[kind];
    bool found;
    size_t i = find(t, ns, name, &found);
    if (!found)
        return NF_OK; /* already gone (a re-list can pass a deletion) */
    int rc = retire(c, t->v[i], err);
    if (rc != NF_OK)
        return rc;
    memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof *t->v);
    t->n--;
    return NF_OK;
}

int nf_kcache_apply(struct nf_kcache *c, enum nf_kkind kind, bool del, struct nf_kobj *o,
                    struct nf_err *err)
{
    int rc;
    if (del) {
        rc = nf_kcache_del(c, kind, o->ns, o->name, err);
        nf_kobj_free(o);
    } else if ((rc = nf_kcache_put(c, kind, o, err)) != NF_OK) {
        nf_kobj_free(o);
    }
    return rc;
}

static int cmp_obj(const void *a, const void *b)
{
    const struct nf_kobj *x = *(struct nf_kobj *const *)a, *y = *(struct nf_kobj *const *)b;
    return cmp_key(x->ns, x->name, y);
}

int nf_kcache_replace(struct nf_kcache *c, enum nf_kkind kind, struct nf_ktable *fresh,
                      struct nf_err *err)
{
    struct nf_ktable *t = &c->t[kind];
    int rc = reserve((void ***)&c->retired, &c->cap_retired, c->nretired + t->n, err);
    if (rc != NF_OK)
        return rc;
    for (size_t i = 0; i < t->n; i++)
        retire(c, t->v[i], NULL); /* cannot fail: the room is there */
    free(t->v);
    qsort(fresh->v, fresh->n, sizeof *fresh->v, cmp_obj);
    *t = *fresh;
    memset(fresh, 0, sizeof *fresh);
    for (size_t i = 0; i < t->n; i++)
        c->bytes += t->v[i]->mem.bytes;
    return NF_OK;
}

/* ---- a view ------------------------------------------------------------------------------ */

static void *copy_out(const struct nf_ktable *t, size_t size, size_t *n, size_t *cap, bool *oom)
{
    *n = *cap = 0;
    if (t->n == 0)
        return NULL;
    char *v = malloc(t->n * size);
    if (v == NULL) {
        *oom = true;
        return NULL;
    }
    for (size_t i = 0; i < t->n; i++)
        memcpy(v + i * size, t->v[i]->rec, size);
    *n = *cap = t->n;
    return v;
}

void nf_kcache_unview(struct nf_kcache *c)
{
    free_retired(c);
    c->viewing = false;
}

int nf_kcache_view(struct nf_kcache *c, struct nf_kcluster *out, struct nf_err *err)
{
    free_retired(c); /* the previous view is gone: what it alone saw can go */
    c->viewing = true;
    bool oom = false;
    out->nodes =
        copy_out(&c->t[NF_KK_NODES], rec_size[NF_KK_NODES], &out->nnodes, &out->cap_nodes, &oom);
    out->pods =
        copy_out(&c->t[NF_KK_PODS], rec_size[NF_KK_PODS], &out->npods, &out->cap_pods, &oom);
    out->rs = copy_out(&c->t[NF_KK_RS], rec_size[NF_KK_RS], &out->nrs, &out->cap_rs, &oom);
    out->deploys = copy_out(&c->t[NF_KK_DEPLOYS], rec_size[NF_KK_DEPLOYS], &out->ndeploys,
                            &out->cap_deploys, &oom);
    out->pdbs =
        copy_out(&c->t[NF_KK_PDBS], rec_size[NF_KK_PDBS], &out->npdbs, &out->cap_pdbs, &oom);
    if (oom)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    return NF_OK;
}
