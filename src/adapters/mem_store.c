/* mem_store.c - the store port in memory (see mem_store.h). */
#include "mem_store.h"

#include <stdio.h>
#include <string.h>

void nf_mem_store_init(struct nf_mem_store *m)
{
    memset(m, 0, sizeof *m);
}

static bool holds(const struct nf_mem_store *m, const struct nf_lease *l)
{
    return m->lease.owner[0] && strcmp(m->lease.owner, l->owner) == 0 && m->lease.token == l->token;
}

static int lost(const struct nf_lease *l, const char *what, struct nf_err *err)
{
    return nf_err_set(err, NF_E_CONFLICT,
                      "%s refused: the lease (token %lld) has expired or was taken over", what,
                      l->token);
}

static int mem_acquire(void *ctx, const char *owner, double now, double ttl, struct nf_lease *out,
                       struct nf_err *err)
{
    struct nf_mem_store *m = ctx;
    if (m->lease.owner[0] && m->lease.expiry >= now) {
        *out = m->lease;
        return nf_err_set(err, NF_E_CONFLICT, "lease held by %s until %.0f (token %lld)",
                          m->lease.owner, m->lease.expiry, m->lease.token);
    }
    snprintf(m->lease.owner, sizeof m->lease.owner, "%s", owner);
    m->lease.token++;
    m->lease.acquired_at = now;
    m->lease.expiry = now + ttl;
    *out = m->lease;
    return NF_OK;
}

static int mem_renew(void *ctx, struct nf_lease *l, double now, double ttl, struct nf_err *err)
{
    struct nf_mem_store *m = ctx;
    if (!holds(m, l) || m->lease.expiry < now)
        return lost(l, "renew", err);
    m->lease.expiry = l->expiry = now + ttl;
    return NF_OK;
}

static int mem_release(void *ctx, const struct nf_lease *l, struct nf_err *err)
{
    struct nf_mem_store *m = ctx;
    if (!holds(m, l))
        return lost(l, "release", err);
    m->lease.owner[0] = '\0';
    m->lease.acquired_at = m->lease.expiry = 0;
    return NF_OK;
}

static int mem_load(void *ctx, struct nf_state *out, struct nf_err *err)
{
    (void)err;
    struct nf_mem_store *m = ctx;
    if (m->have_state)
        *out = m->state;
    else
        memset(out, 0, sizeof *out);
    return NF_OK;
}

static int mem_save(void *ctx, const struct nf_lease *l, double now, const struct nf_state *st,
                    struct nf_err *err)
{
    struct nf_mem_store *m = ctx;
    if (!holds(m, l) || m->lease.expiry < now)
        return lost(l, "state write", err);
    m->state = *st;
    m->have_state = true;
    return NF_OK;
}

static int mem_unlock(void *ctx, double now, struct nf_lease *was, struct nf_err *err)
{
    (void)now, (void)err;
    struct nf_mem_store *m = ctx;
    *was = m->lease;
    m->lease.owner[0] = '\0';
    m->lease.acquired_at = m->lease.expiry = 0;
    m->lease.token++;
    return NF_OK;
}

static int mem_peek(void *ctx, struct nf_lease *out, struct nf_err *err)
{
    (void)err;
    *out = ((struct nf_mem_store *)ctx)->lease;
    return NF_OK;
}

static int mem_history_put(void *ctx, const struct nf_history_item *it, struct nf_err *err)
{
    (void)err;
    struct nf_mem_store *m = ctx;
    if (m->nhist > 0) {
        struct nf_history_item *last = &m->hist[(m->hist_head + m->nhist - 1) % NF_MEM_HISTORY_MAX];
        if (it->t < last->t)
            return NF_OK; /* the clock went back: keep what there is, in order */
        if (it->t == last->t) {
            *last = *it;
            return NF_OK;
        }
    }
    if (m->nhist < NF_MEM_HISTORY_MAX) {
        m->hist[(m->hist_head + m->nhist++) % NF_MEM_HISTORY_MAX] = *it;
    } else {
        m->hist[m->hist_head] = *it;
        m->hist_head = (m->hist_head + 1) % NF_MEM_HISTORY_MAX;
    }
    return NF_OK;
}

static int mem_history_load(void *ctx, double after, struct nf_history_item *out, size_t cap,
                            size_t *n, struct nf_err *err)
{
    (void)err;
    const struct nf_mem_store *m = ctx;
    *n = 0;
    size_t lo = 0, hi = m->nhist; /* the first after `after`: the ring is in time order */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->hist[(m->hist_head + mid) % NF_MEM_HISTORY_MAX].t > after)
            hi = mid;
        else
            lo = mid + 1;
    }
    for (size_t i = lo; i < m->nhist && *n < cap; i++) {
        const struct nf_history_item *it = &m->hist[(m->hist_head + i) % NF_MEM_HISTORY_MAX];
        if (it->t > after)
            out[(*n)++] = *it;
    }
    return NF_OK;
}

const struct nf_store_port nf_mem_store_port = {.name = "mem",
                                                .acquire = mem_acquire,
                                                .renew = mem_renew,
                                                .release = mem_release,
                                                .load = mem_load,
                                                .save = mem_save,
                                                .unlock = mem_unlock,
                                                .history_put = mem_history_put,
                                                .history_load = mem_history_load,
                                                .peek = mem_peek};
