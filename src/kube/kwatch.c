/* kwatch.c - list, then watch, one thread per kind. */
#define _POSIX_C_SOURCE 200809L
#include "kwatch.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/clock.h"
#include "../util/log.h"

#define BACKOFF_MIN_S 0.2
#define BACKOFF_MAX_S 30.0

struct kw {
    struct nf_kwatch *w;
    enum nf_kkind kind;
    pthread_t thread;
    bool started;
    struct nf_kube k;           /* its own connection */
    struct nf_kcluster scratch; /* one object read at a time */
    char rv[128];               /* where the next watch starts; "" lists first */
    bool gone;                  /* the watch said 410: list again */
    unsigned long long rnd;
    /* under w->mu */
    bool listed, relisting, up, tried;
    double down_since; /* mono; 0 while up */
    char why[NF_ERR_MSG_MAX];
};

struct nf_kwatch {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a first list done; stop */
    volatile int stop;
    struct nf_kcache cache;
    struct kw kinds[NF_KK_COUNT];
    int watch_timeout_s;
    bool viewed;
    struct nf_kwatch_stats st;
};

static double rand01(struct kw *kw)
{
    kw->rnd = kw->rnd * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(kw->rnd >> 11) / 9007199254740992.0;
}

/* Wait `s` seconds, or less when stopping. */
static void pause_s(struct nf_kwatch *w, double s)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double end = (double)ts.tv_sec + ts.tv_nsec / 1e9 + s;
    ts.tv_sec = (time_t)end;
    ts.tv_nsec = (long)((end - floor(end)) * 1e9);
    pthread_mutex_lock(&w->mu);
    while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0)
        ;
    pthread_mutex_unlock(&w->mu);
}

static void set_down(struct kw *kw, const char *why)
{
    struct nf_kwatch *w = kw->w;
    pthread_mutex_lock(&w->mu);
    if (kw->up || kw->down_since == 0)
        kw->down_since = nf_mono_now();
    kw->up = false;
    snprintf(kw->why, sizeof kw->why, "%s", why);
    pthread_mutex_unlock(&w->mu);
}

/* ---- the list --------------------------------------------------------------------------- */

struct listing {
    struct kw *kw;
    struct nf_ktable t;
};

static int on_item(void *ctx, const json_t *item, struct nf_err *err)
{
    struct listing *l = ctx;
    struct nf_kobj *o;
    int rc = nf_kobj_read(l->kw->kind, item, &l->kw->scratch, &o, err);
    if (rc == NF_OK && (rc = nf_ktable_push(&l->t, o, err)) != NF_OK)
        nf_kobj_free(o);
    return rc;
}

static int list_kind(struct kw *kw, struct nf_err *err)
{
    struct nf_kwatch *w = kw->w;
    struct listing l = {.kw = kw};
    char rv[sizeof kw->rv];
    int rc =
        nf_kube_list_rv(&kw->k, nf_kkind_path(kw->kind), NULL, on_item, &l, rv, sizeof rv, err);
    pthread_mutex_lock(&w->mu);
    if (rc == NF_OK)
        rc = nf_kcache_replace(&w->cache, kw->kind, &l.t, err);
    if (rc == NF_OK) {
        kw->listed = true;
        kw->relisting = false;
        kw->up = true; /* the list is as good as a watch that just opened */
        kw->down_since = 0;
        w->st.lists++;
        snprintf(kw->rv, sizeof kw->rv, "%s", rv);
    } else {
        snprintf(kw->why, sizeof kw->why, "%s", err ? err->msg : "the list failed");
    }
    kw->tried = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    nf_ktable_free(&l.t);
    return rc;
}

/* ---- the watch -------------------------------------------------------------------------- */

static void note_rv(struct kw *kw, const json_t *obj)
{
    const char *rv =
        json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    if (rv && rv[0] && strlen(rv) < sizeof kw->rv)
        snprintf(kw->rv, sizeof kw->rv, "%s", rv);
}

static int on_event(void *ctx, const char *type, const json_t *obj, struct nf_err *err)
{
    struct kw *kw = ctx;
    struct nf_kwatch *w = kw->w;
    if (type == NULL) { /* open */
        pthread_mutex_lock(&w->mu);
        kw->up = true;
        kw->down_since = 0;
        w->st.watches++;
        pthread_mutex_unlock(&w->mu);
        return NF_OK;
    }
    if (strcmp(type, "ERROR") == 0) {
        const json_t *code = json_object_get(obj, "code");
        const char *msg = json_string_value(json_object_get(obj, "message"));
        if (json_integer_value(code) == 410)
            kw->gone = true;
        return nf_err_set(err, NF_E_KUBE, "watch %s: %lld %.200s", nf_kkind_name(kw->kind),
                          (long long)json_integer_value(code), msg ? msg : "");
    }
    struct nf_kobj *o = NULL;
    int rc = NF_OK;
    bool del = strcmp(type, "DELETED") == 0;
    if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0 || del)
        rc = nf_kobj_read(kw->kind, obj, &kw->scratch, &o, err);
    else if (strcmp(type, "BOOKMARK") != 0)
        rc = nf_err_set(err, NF_E_INPUT, "watch %s: unknown event type \"%.40s\"",
                        nf_kkind_name(kw->kind), type);
    if (rc != NF_OK) {
        kw->gone = rc == NF_E_INPUT; /* an object we cannot read: list it all again */
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    if (o)
        rc = nf_kcache_apply(&w->cache, kw->kind, del, o, err);
    w->st.events++;
    pthread_mutex_unlock(&w->mu);
    note_rv(kw, obj);
    return rc;
}

static void *follow(void *arg)
{
    struct kw *kw = arg;
    struct nf_kwatch *w = kw->w;
    double backoff = BACKOFF_MIN_S;
    while (!w->stop) {
        struct nf_err err = {0};
        int rc = NF_OK;
        if (kw->rv[0] == '\0')
            rc = list_kind(kw, &err);
        if (rc == NF_OK) {
            int t = w->watch_timeout_s ? w->watch_timeout_s : 300 + (int)(rand01(kw) * 300);
            struct nf_kube_status st;
            kw->gone = false;
            rc = nf_kube_watch(&kw->k, nf_kkind_path(kw->kind), kw->rv, t, &w->stop, on_event, kw,
                               &st, &err);
            if (rc != NF_OK && (kw->gone || st.code == 410)) {
                pthread_mutex_lock(&w->mu);
                kw->relisting = true; /* the table may have missed changes */
                w->st.gone++;
                pthread_mutex_unlock(&w->mu);
                kw->rv[0] = '\0';
                set_down(kw, err.msg);
                nf_log(NF_LOG_INFO, "cluster cache: listing again", NF_LF_STR("reason", err.msg),
                       NF_LF_END);
                continue; /* at once: a 410 is routine */
            }
        }
        if (w->stop)
            break;
        if (rc == NF_OK) { /* the server ended the watch: resume where it stopped */
            set_down(kw, "between watches");
            backoff = BACKOFF_MIN_S;
            continue;
        }
        set_down(kw, err.msg);
        pthread_mutex_lock(&w->mu);
        w->st.failures++;
        pthread_mutex_unlock(&w->mu);
        double wait = rand01(kw) * backoff;
        nf_log(NF_LOG_WARN, "cluster cache: the API server failed; retrying",
               NF_LF_STR("kind", nf_kkind_name(kw->kind)), NF_LF_STR("error", err.msg),
               NF_LF_NUM("retry_in_s", wait), NF_LF_END);
        pause_s(w, wait);
        backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
    }
    return NULL;
}

/* ---- the owner's side --------------------------------------------------------------------- */

int nf_kwatch_start(const struct nf_kube *k, const struct nf_kwatch_opts *o, struct nf_kwatch **out,
                    struct nf_err *err)
{
    *out = NULL;
    struct nf_kwatch *w = calloc(1, sizeof *w);
    if (w == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    nf_kcache_init(&w->cache);
    w->watch_timeout_s = o->watch_timeout_s;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 512 * 1024);
    int rc = NF_OK;
    for (int i = 0; i < NF_KK_COUNT && rc == NF_OK; i++) {
        struct kw *kw = &w->kinds[i];
        kw->w = w;
        kw->kind = (enum nf_kkind)i;
        kw->k = *k; /* the credentials are shared and read-only; the connection is its own */
        kw->k.http = nf_http_new(err);
        memset(kw->k.more, 0, sizeof kw->k.more); /* the owner's */
        kw->rnd = (unsigned long long)(nf_mono_now() * 1e9) ^ (0x9e3779b97f4a7c15ULL * (i + 1));
        nf_kcluster_init(&kw->scratch, o->market_label, o->spot_value);
        if (kw->k.http == NULL)
            rc = err ? err->code : NF_E_UNAVAILABLE;
        else if (pthread_create(&kw->thread, &at, follow, kw) != 0)
            rc = nf_err_set(err, NF_E_INTERNAL, "cannot start the cluster cache's threads");
        else
            kw->started = true;
    }
    pthread_attr_destroy(&at);
    if (rc != NF_OK) {
        nf_kwatch_stop(w);
        return rc;
    }
    *out = w;
    return NF_OK;
}

void nf_kwatch_stop(struct nf_kwatch *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < NF_KK_COUNT; i++) {
        struct kw *kw = &w->kinds[i];
        if (kw->started)
            pthread_join(kw->thread, NULL);
        nf_http_free(kw->k.http);
        nf_kcluster_free(&kw->scratch);
    }
    nf_kcache_free(&w->cache);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

/* Under w->mu: NULL when in sync, else the first kind that is not. */
static const struct kw *out_of_sync(struct nf_kwatch *w, double now)
{
    for (int i = 0; i < NF_KK_COUNT; i++) {
        const struct kw *kw = &w->kinds[i];
        if (!kw->listed || kw->relisting ||
            (!kw->up && kw->down_since > 0 && now - kw->down_since > NF_KWATCH_GRACE_S))
            return kw;
    }
    return NULL;
}

static bool all_tried(struct nf_kwatch *w)
{
    for (int i = 0; i < NF_KK_COUNT; i++)
        if (!w->kinds[i].tried)
            return false;
    return true;
}

int nf_kwatch_view(struct nf_kwatch *w, double first_wait_s, struct nf_kcluster *out,
                   struct nf_err *err)
{
    pthread_mutex_lock(&w->mu);
    if (!w->viewed) { /* the first cycle waits for the first lists */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        double e = (double)ts.tv_sec + ts.tv_nsec / 1e9 + first_wait_s;
        ts.tv_sec = (time_t)e;
        ts.tv_nsec = (long)((e - floor(e)) * 1e9);
        while (!all_tried(w) && pthread_cond_timedwait(&w->cv, &w->mu, &ts) != ETIMEDOUT)
            ;
        w->viewed = true;
    }
    const struct kw *bad = out_of_sync(w, nf_mono_now());
    int rc;
    if (bad != NULL) {
        const char *state = !bad->listed     ? "not listed yet"
                            : bad->relisting ? "listing again"
                                             : "watch down";
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "cluster cache not in sync: %s %s: %s",
                        nf_kkind_name(bad->kind), state, bad->why[0] ? bad->why : "waiting");
    } else {
        rc = nf_kcache_view(&w->cache, out, err);
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

void nf_kwatch_unview(struct nf_kwatch *w)
{
    pthread_mutex_lock(&w->mu);
    nf_kcache_unview(&w->cache);
    pthread_mutex_unlock(&w->mu);
}

void nf_kwatch_stats(struct nf_kwatch *w, struct nf_kwatch_stats *s)
{
    pthread_mutex_lock(&w->mu);
    *s = w->st;
    s->in_sync = out_of_sync(w, nf_mono_now()) == NULL;
    s->objects = 0;
    for (int i = 0; i < NF_KK_COUNT; i++)
        s->objects += w->cache.t[i].n;
    s->bytes = w->cache.bytes;
    s->retired = w->cache.nretired;
    pthread_mutex_unlock(&w->mu);
}
