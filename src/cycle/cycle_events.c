/* cycle_events.c - the cloud's events (issue 15), right after the observation: a spot
 * interruption or a scheduled retirement drains the worker against its deadline and launches
 * its replacement in the same cycle; a rebalance recommendation rests its pool; a stop or a
 * termination nodefleet did not ask for forgets the worker and deletes its Node.
 *
 * At least once, and never twice: an event acts only if (instance, event id) is not already
 * in the state; what it asked for is saved before its message is deleted, so a crash between
 * the two redelivers a message that then does nothing. Events about instances outside the
 * pool, and events of no interest, are deleted without a word. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "cycle_internal.h"

/* pods are deleted this long before the instance goes: what their own shutdown needs */
#define NF_INTERRUPT_DELETE_BEFORE_S 30.0

static bool seen(const struct nf_state *st, const struct nf_cloud_event *e)
{
    for (int i = 0; i < st->ninterrupts; i++)
        if (strcmp(st->interrupts[i].instance, e->instance) == 0 &&
            strcmp(st->interrupts[i].event_id, e->id) == 0)
            return true;
    return false;
}

/* Keep the event an hour (older ones go first; when full, the oldest). */
static void remember(struct nf_state *st, const struct nf_cloud_event *e, double now)
{
    int k = 0;
    for (int i = 0; i < st->ninterrupts; i++)
        if (now - st->interrupts[i].seen_at < NF_INTERRUPT_KEEP_S)
            st->interrupts[k++] = st->interrupts[i];
    st->ninterrupts = k;
    if (st->ninterrupts == NF_STATE_INTERRUPTS_MAX) {
        memmove(&st->interrupts[0], &st->interrupts[1],
                (size_t)(NF_STATE_INTERRUPTS_MAX - 1) * sizeof st->interrupts[0]);
        st->ninterrupts--;
    }
    struct nf_interrupt_rec *r = &st->interrupts[st->ninterrupts++];
    memset(r, 0, sizeof *r);
    snprintf(r->instance, sizeof r->instance, "%s", e->instance);
    snprintf(r->event_id, sizeof r->event_id, "%s", e->id);
    snprintf(r->kind, sizeof r->kind, "%s", nf_cloud_event_kind_name(e->kind));
    r->seen_at = now;
    r->deadline = e->deadline;
}

/* The worker goes at e->deadline: drain it against that (a drain already under way is
 * tightened), and count one replacement. */
static void interrupted(struct run *r, const struct nf_cloud_event *e, struct nf_instance *in,
                        int *replace)
{
    struct nf_cycle *c = r->c;
    struct nf_state *st = &c->state;
    double force_at = e->deadline - NF_INTERRUPT_DELETE_BEFORE_S;
    if (force_at < r->now)
        force_at = r->now;
    const struct nf_node_info *n = nf__cyc_node_of(c, in);
    bool drained = false;
    for (int i = 0; i < st->ndrains; i++)
        if (strcmp(st->drains[i].instance, in->id) == 0) {
            if (st->drains[i].force_at == 0 || st->drains[i].force_at > force_at)
                st->drains[i].force_at = force_at;
            drained = true;
        }
    if (!drained && n != NULL && st->ndrains < NF_STATE_DRAINS_MAX) {
        struct nf_drain_rec *d = &st->drains[st->ndrains++];
        memset(d, 0, sizeof *d);
        snprintf(d->node, sizeof d->node, "%s", n->name);
        snprintf(d->instance, sizeof d->instance, "%s", in->id);
        d->started_at = r->now;
        d->force_at = force_at;
    }
    if (in->market == NF_MARKET_SPOT && c->ports.cloud->backoff != NULL)
        c->ports.cloud->backoff(c->ports.cloud_ctx, in->az, in->type, NF_MARKET_SPOT, r->now, 0);
    (*replace)++;
    if (r->nreplace_types < NF_CYCLE_REPLACE_MAX)
        snprintf(r->replace_types[r->nreplace_types++], 32, "%s", in->type);
    size_t used = strlen(r->replace_ids);
    if (used + strlen(in->id) + 6 < sizeof r->replace_ids)
        snprintf(r->replace_ids + used, sizeof r->replace_ids - used, "%s%s", used ? ", " : "",
                 in->id);
    else if (used + 4 < sizeof r->replace_ids && strstr(r->replace_ids, "...") == NULL)
        snprintf(r->replace_ids + used, sizeof r->replace_ids - used, "...");
    st->interruptions++;
    nf_log(NF_LOG_WARN, "instance interrupted: draining before it goes, replacing it",
           NF_LF_STR("kind", nf_cloud_event_kind_name(e->kind)), NF_LF_STR("instance", in->id),
           NF_LF_STR("node", n ? n->name : ""), NF_LF_NUM("seconds_left", e->deadline - r->now),
           NF_LF_STR("event", e->id), NF_LF_END);
    nf__cyc_notify(r, NF_EV_DRAIN_STARTED, n ? n->name : NULL, in->id, 0, 0, 0,
                   "%s of %s (node %s): drained before it goes in %.0f s; a replacement is "
                   "launched",
                   nf_cloud_event_kind_name(e->kind), in->id, n ? n->name : "none",
                   e->deadline - r->now);
}

/* A stop or termination: asked for by nodefleet (a drain of its own), or not. */
static void stopped(struct run *r, const struct nf_cloud_event *e, struct nf_instance *in)
{
    struct nf_cycle *c = r->c;
    for (int i = 0; i < c->state.ndrains; i++)
        if (strcmp(c->state.drains[i].instance, in->id) == 0)
            return; /* ours: the drain finishes it */
    const struct nf_node_info *n = nf__cyc_node_of(c, in);
    char node[128] = "";
    if (n)
        snprintf(node, sizeof node, "%s", n->name);
    struct nf_err e2 = {0};
    if (node[0] && c->ports.cluster->remove_node(c->ports.cluster_ctx, node, &e2) != NF_OK)
        nf_log(NF_LOG_WARN, "could not delete the Node of a stopped instance; next cycle",
               NF_LF_STR("node", node), NF_LF_STR("error", e2.msg), NF_LF_END);
    nf_log(NF_LOG_WARN, "instance stopped without nodefleet asking: forgotten",
           NF_LF_STR("instance", in->id), NF_LF_STR("state", e->detail), NF_LF_STR("node", node),
           NF_LF_END);
    nf__cyc_forget_instance(c, in->id);
}

static bool gone_state(const char *s)
{
    return strcmp(s, "stopping") == 0 || strcmp(s, "stopped") == 0 ||
           strcmp(s, "shutting-down") == 0 || strcmp(s, "terminated") == 0;
}

/* One event about one pool instance; true when it asked for something (kept in the state). */
static bool act_on(struct run *r, const struct nf_cloud_event *e, struct nf_instance *in,
                   int *replace)
{
    const struct nf_cycle *c = r->c;
    switch (e->kind) {
    case NF_CEV_SPOT_INTERRUPTION:
    case NF_CEV_SCHEDULED:
        if (e->deadline <= 0)
            return false; /* a scheduled change with no date: nothing to be early for */
        interrupted(r, e, in, replace);
        return true;
    case NF_CEV_REBALANCE:
        if (c->o.rebalance_replace) { /* as if its two-minute warning had come */
            struct nf_cloud_event w = *e;
            w.deadline = (e->time > 0 ? e->time : r->now) + 120;
            interrupted(r, &w, in, replace);
            return true;
        }
        /* noted: the next launches prefer other pools */
        if (in->market == NF_MARKET_SPOT && c->ports.cloud->backoff != NULL)
            c->ports.cloud->backoff(c->ports.cloud_ctx, in->az, in->type, NF_MARKET_SPOT, r->now,
                                    0);
        nf_log(NF_LOG_INFO, "rebalance recommendation: its pool rests for the next launches",
               NF_LF_STR("instance", in->id), NF_LF_STR("az", in->az), NF_LF_END);
        return true;
    case NF_CEV_STATE_CHANGE:
        if (!gone_state(e->detail))
            return false;
        stopped(r, e, in);
        return true;
    }
    return false;
}

int nf__cyc_handle_events(struct run *r, int *replace)
{
    struct nf_cycle *c = r->c;
    const struct nf_ports *p = &c->ports;
    *replace = 0;
    if (p->events == NULL || p->cloud == NULL || c->o.dry_run)
        return NF_OK;
    struct nf_cloud_event ev[64];
    size_t n = 0;
    int nmsg = 0;
    struct nf_err e = {0};
    if (p->events->receive(p->events_ctx, 0, ev, 64, &n, &nmsg, &e) != NF_OK) {
        nf_log(NF_LOG_WARN, "interruption queue unreadable; next cycle", NF_LF_STR("error", e.msg),
               NF_LF_END);
        return NF_OK;
    }
    bool changed = false;
    for (size_t i = 0; i < n; i++) {
        struct nf_instance *in = nf__cyc_find_instance(c, ev[i].instance);
        if (in == NULL || seen(&c->state, &ev[i]))
            continue; /* not the pool's, or already acted on */
        if (act_on(r, &ev[i], in, replace)) {
            remember(&c->state, &ev[i], r->now);
            c->last.events[ev[i].kind]++;
            changed = true;
        }
    }
    if (changed && nf__cyc_save(r) != NF_OK) /* what they asked for, before they go */
        return NF_E_CONFLICT;
    for (int m = 0; m < nmsg; m++)
        if (p->events->ack(p->events_ctx, m, &e) != NF_OK)
            nf_log(NF_LOG_WARN, "interruption queue: a message not deleted (it will come again)",
                   NF_LF_STR("error", e.msg), NF_LF_END);
    return NF_OK;
}
