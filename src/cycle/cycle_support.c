/* cycle_support.c - the helpers of one run: logging its steps, notifying, saving under the
 * lease, matching instances to nodes, and the bookkeeping of launch and drain records. */
#define _POSIX_C_SOURCE 200809L
#include "cycle_internal.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../util/log.h"

/* ---- the run's context ---------------------------------------------------------------- */

void nf__cyc_crash_point(const struct nf_cycle *c, const char *where)
{
    if (c->o.crash_at[0] && strcmp(c->o.crash_at, where) == 0) {
        nf_log(NF_LOG_WARN, "test crash point reached: SIGKILL", NF_LF_STR("at", where), NF_LF_END);
        raise(SIGKILL);
    }
}

void nf__cyc_step_log(const struct nf_cycle *c, const char *msg, const struct nf_log_field *f)
{
    if (c->log_steps)
        nf_log_fields(NF_LOG_INFO, msg, f);
}

void nf__cyc_notify(struct run *r, enum nf_event_kind k, const char *node, const char *instances,
                    int before, int after, double cost, const char *fmt, ...)
{
    const struct nf_ports *p = &r->c->ports;
    if (p->notify == NULL)
        return;
    struct nf_event ev = {.kind = k,
                          .t = r->now,
                          .cluster_id = r->c->o.cluster_id,
                          .nodes_before = before,
                          .nodes_after = after,
                          .cost_per_hour_change = cost,
                          .dry_run = r->c->o.dry_run};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev.reason, sizeof ev.reason, fmt, ap);
    va_end(ap);
    snprintf(ev.node, sizeof ev.node, "%s", node ? node : "");
    snprintf(ev.instances, sizeof ev.instances, "%s", instances ? instances : "");
    p->notify->notify(p->notify_ctx, &ev);
}

static int save(struct run *r, bool last)
{
    struct nf_cycle *c = r->c;
    if (!r->leased || r->lost)
        return r->lost ? NF_E_CONFLICT : NF_OK;
    const struct nf_store_port *st = c->ports.store;
    int rc;
    if (last && st->save_release) {
        rc = st->save_release(c->ports.store_ctx, &r->lease, r->now, &c->state, r->err);
        r->released = rc == NF_OK;
    } else {
        rc = st->save(c->ports.store_ctx, &r->lease, r->now, &c->state, r->err);
    }
    if (rc == NF_E_CONFLICT) {
        r->lost = true;
        nf_log(NF_LOG_ERROR, "lease lost: stopping this cycle's actions",
               NF_LF_STR("error", r->err ? r->err->msg : ""), NF_LF_END);
        nf__cyc_notify(r, NF_EV_LEASE_PROBLEM, NULL, NULL, 0, 0, 0,
                       "the lease was lost mid-cycle (another process took over): %s",
                       r->err ? r->err->msg : "");
    }
    return rc;
}

/* Save the state under the lease; a refused write means the lease is gone: stop acting. */
int nf__cyc_save(struct run *r)
{
    return save(r, false);
}

int nf__cyc_save_last(struct run *r)
{
    return save(r, true);
}

double nf__cyc_hourly(const struct nf_cycle *c, const char *type, const char *az, enum nf_market m)
{
    const struct nf_ports *p = &c->ports;
    double v = p->cloud && p->cloud->hourly ? p->cloud->hourly(p->cloud_ctx, type, az, m) : NAN;
    if (isfinite(v))
        return v;
    return m == NF_MARKET_SPOT ? c->o.price_spot : c->o.price_on_demand;
}

/* ---- matching instances and nodes ------------------------------------------------------ */

const struct nf_node_info *nf__cyc_node_of(const struct nf_cycle *c, const struct nf_instance *in)
{
    for (size_t i = 0; i < c->last.view.nnodes; i++) {
        const struct nf_node_info *n = &c->last.view.nodes[i];
        if ((n->instance[0] && strcmp(n->instance, in->id) == 0) ||
            (!n->instance[0] && n->internal_ip[0] && strcmp(n->internal_ip, in->private_ip) == 0))
            return n;
    }
    return NULL;
}

struct nf_instance *nf__cyc_find_instance(struct nf_cycle *c, const char *id)
{
    for (size_t i = 0; i < c->ninst; i++)
        if (strcmp(c->inst[i].id, id) == 0)
            return &c->inst[i];
    return NULL;
}

void nf__cyc_forget_instance(struct nf_cycle *c, const char *id)
{
    for (size_t i = 0; i < c->ninst; i++)
        if (strcmp(c->inst[i].id, id) == 0) {
            c->inst[i] = c->inst[--c->ninst];
            return;
        }
}

void nf__cyc_remove_launch_instance(struct nf_launch_rec *l, int k)
{
    memmove(l->instances[k], l->instances[k + 1],
            (size_t)(l->ninstances - k - 1) * sizeof l->instances[0]);
    l->ninstances--;
}

void nf__cyc_remove_launch(struct nf_state *st, int i)
{
    st->launches[i] = st->launches[--st->nlaunches];
}

void nf__cyc_remove_drain(struct nf_state *st, int i)
{
    st->drains[i] = st->drains[--st->ndrains];
}

bool nf__cyc_in_records(const struct nf_state *st, const char *id)
{
    for (int i = 0; i < st->nlaunches; i++)
        for (int k = 0; k < st->launches[i].ninstances; k++)
            if (strcmp(st->launches[i].instances[k], id) == 0)
                return true;
    for (int i = 0; i < st->ndrains; i++)
        if (strcmp(st->drains[i].instance, id) == 0)
            return true;
    return false;
}

int nf__cyc_terminate(struct run *r, const char *id)
{
    const struct nf_ports *p = &r->c->ports;
    const char *ids[1] = {id};
    int rc = p->cloud->terminate(p->cloud_ctx, ids, 1, r->err);
    if (rc == NF_OK)
        nf__cyc_forget_instance(r->c, id);
    return rc;
}

bool nf__cyc_draining(const struct nf_state *st, const char *node)
{
    for (int i = 0; i < st->ndrains; i++)
        if (strcmp(st->drains[i].node, node) == 0)
            return true;
    return false;
}

void nf__cyc_markets_of(const struct nf_launch_rec *l, enum nf_market *m)
{
    for (int i = 0; i < l->count; i++)
        m[i] = i < l->spot ? NF_MARKET_SPOT : NF_MARKET_ON_DEMAND;
}

double nf__cyc_instance_hourly(const struct nf_cycle *c, const struct nf_instance *in,
                               enum nf_market m)
{
    return in ? nf__cyc_hourly(c, in->type, in->az, in->market) : nf__cyc_hourly(c, NULL, NULL, m);
}

void nf__cyc_types_of(const struct nf_launch_rec *l, char names[][32], const char **types)
{
    if (nf_launch_types_expand(l->types, l->count, names) != 0) /* read checked it */
        for (int i = 0; i < l->count; i++)
            names[i][0] = '\0';
    for (int i = 0; i < l->count; i++)
        types[i] = names[i];
}

void nf__cyc_record_outcome(struct nf_launch_rec *l, const struct nf_launch_outcome *out)
{
    for (int i = 0; i < out->ninstances && l->ninstances < NF_LAUNCH_INSTANCES_MAX; i++) {
        bool have = false;
        for (int k = 0; k < l->ninstances; k++)
            have |= strcmp(l->instances[k], out->instances[i].id) == 0;
        if (!have)
            snprintf(l->instances[l->ninstances++], sizeof l->instances[0], "%s",
                     out->instances[i].id);
    }
}

/* ---- the seed's metrics history ------------------------------------------------------------ */

void nf_cycle_keep_history(struct nf_cycle *c, struct nf_history_item *buf, size_t cap)
{
    c->mhist = buf;
    c->mhist_cap = cap;
    c->nmhist = 0;
}

static bool keeps_history(const struct nf_cycle *c)
{
    return c->mhist != NULL && c->mhist_cap > 0 && nf_policy_reads_history(c->policy) &&
           c->ports.store->history_load != NULL && c->ports.store->history_put != NULL;
}

static void drop_oldest(struct nf_cycle *c, size_t k)
{
    if (k > c->nmhist)
        k = c->nmhist;
    memmove(c->mhist, c->mhist + k, (c->nmhist - k) * sizeof *c->mhist);
    c->nmhist -= k;
}

void nf__cyc_read_history(struct nf_cycle *c, double now, struct nf_observation *obs)
{
    if (!keeps_history(c))
        return;
    size_t old = 0; /* what left the week (the prediction skips it): dropped a quarter at a
                     * time, not one memmove a cycle */
    while (old < c->nmhist && c->mhist[old].t < now - NF_PRED_WINDOW_S)
        old++;
    if (old > 0 && (old >= c->mhist_cap / 4 || c->nmhist == c->mhist_cap))
        drop_oldest(c, old);
    if (c->nmhist == c->mhist_cap) /* full (a short interval): the oldest quarter goes */
        drop_oldest(c, c->mhist_cap / 4 + 1);
    double after = c->nmhist ? c->mhist[c->nmhist - 1].t : now - NF_PRED_WINDOW_S;
    size_t got = 0;
    struct nf_err e = {0};
    if (c->ports.store->history_load(c->ports.store_ctx, after, c->mhist + c->nmhist,
                                     c->mhist_cap - c->nmhist, &got, &e) != NF_OK)
        nf_log(NF_LOG_WARN, "metrics history unreadable; predicting from what was read before",
               NF_LF_STR("error", e.msg), NF_LF_END);
    c->nmhist += got;
    obs->mhistory = c->mhist;
    obs->nmhistory = c->nmhist;
}

void nf__cyc_write_history(struct nf_cycle *c, double now, int nodes)
{
    if (!keeps_history(c))
        return;
    struct nf_history_item it =
        nf_history_item_at(now, c->last.newest[NF_SIG_CPU], c->last.newest[NF_SIG_MEMORY],
                           c->last.newest[NF_SIG_PENDING_PODS], nodes);
    struct nf_err e = {0};
    if (c->ports.store->history_put(c->ports.store_ctx, &it, &e) != NF_OK) {
        nf_log(NF_LOG_WARN, "metrics history: this reading was not kept", NF_LF_STR("error", e.msg),
               NF_LF_END);
        return;
    }
    if (c->nmhist == c->mhist_cap)
        drop_oldest(c, c->mhist_cap / 4 + 1);
    if (c->nmhist == 0 || c->mhist[c->nmhist - 1].t < now)
        c->mhist[c->nmhist++] = it;
}
