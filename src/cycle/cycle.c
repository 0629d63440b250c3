/* cycle.c - lease, observe, reconcile, decide, act, record, release: through the ports only. */
#define _POSIX_C_SOURCE 200809L
#include "cycle.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../util/log.h"

/* A scale-up never launches more than this in one cycle (a guard against a wild plan). */
#define NF_CYCLE_LAUNCH_MAX 200

void nf_cycle_init(struct nf_cycle *c, const struct nf_ports *ports, const struct nf_policy *policy,
                   const struct nf_cycle_opts *o, struct nf_sample *history, size_t history_cap)
{
    memset(c, 0, sizeof *c);
    c->ports = *ports;
    c->policy = policy;
    c->o = *o;
    c->history = history;
    c->history_cap = history_cap;
    c->history_margin_s = 300;
    for (int i = 0; i < NF_SAMPLE_VALUES; i++)
        c->last_newest[i] = NAN;
    nf_plan_init(&c->last_plan);
}

/* ---- the run's context ---------------------------------------------------------------- */

static void crash_point(const struct nf_cycle *c, const char *where)
{
    if (c->o.crash_at[0] && strcmp(c->o.crash_at, where) == 0) {
        nf_log(NF_LOG_WARN, "test crash point reached: SIGKILL", NF_LF_STR("at", where), NF_LF_END);
        raise(SIGKILL);
    }
}

struct run {
    struct nf_cycle *c;
    double now;
    bool leased, lost;
    struct nf_lease lease;
    struct nf_err *err;
};

static void step_log(const struct nf_cycle *c, const char *msg, const struct nf_log_field *f)
{
    if (c->log_steps)
        nf_log_fields(NF_LOG_INFO, msg, f);
}

static void notify(struct run *r, enum nf_event_kind k, const char *node, const char *instances,
                   int before, int after, double cost, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

static void notify(struct run *r, enum nf_event_kind k, const char *node, const char *instances,
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

/* Save the state under the lease; a refused write means the lease is gone: stop acting. */
static int save(struct run *r)
{
    struct nf_cycle *c = r->c;
    if (!r->leased || r->lost)
        return r->lost ? NF_E_CONFLICT : NF_OK;
    int rc = c->ports.store->save(c->ports.store_ctx, &r->lease, r->now, &c->state, r->err);
    if (rc == NF_E_CONFLICT) {
        r->lost = true;
        nf_log(NF_LOG_ERROR, "lease lost: stopping this cycle's actions",
               NF_LF_STR("error", r->err ? r->err->msg : ""), NF_LF_END);
        notify(r, NF_EV_LEASE_PROBLEM, NULL, NULL, 0, 0, 0,
               "the lease was lost mid-cycle (another process took over): %s",
               r->err ? r->err->msg : "");
    }
    return rc;
}

static double hourly(const struct nf_cycle *c, enum nf_market m)
{
    return m == NF_MARKET_SPOT ? c->o.price_spot : c->o.price_on_demand;
}

/* ---- matching instances and nodes ------------------------------------------------------ */

static const struct nf_node_info *node_of(const struct nf_cycle *c, const struct nf_instance *in)
{
    for (size_t i = 0; i < c->last_view.nnodes; i++) {
        const struct nf_node_info *n = &c->last_view.nodes[i];
        if ((n->instance[0] && strcmp(n->instance, in->id) == 0) ||
            (!n->instance[0] && n->internal_ip[0] && strcmp(n->internal_ip, in->private_ip) == 0))
            return n;
    }
    return NULL;
}

static struct nf_instance *find_instance(struct nf_cycle *c, const char *id)
{
    for (size_t i = 0; i < c->ninst; i++)
        if (strcmp(c->inst[i].id, id) == 0)
            return &c->inst[i];
    return NULL;
}

static void forget_instance(struct nf_cycle *c, const char *id)
{
    for (size_t i = 0; i < c->ninst; i++)
        if (strcmp(c->inst[i].id, id) == 0) {
            c->inst[i] = c->inst[--c->ninst];
            return;
        }
}

static void remove_launch_instance(struct nf_launch_rec *l, int k)
{
    memmove(l->instances[k], l->instances[k + 1],
            (size_t)(l->ninstances - k - 1) * sizeof l->instances[0]);
    l->ninstances--;
}

static void remove_launch(struct nf_state *st, int i)
{
    st->launches[i] = st->launches[--st->nlaunches];
}

static void remove_drain(struct nf_state *st, int i)
{
    st->drains[i] = st->drains[--st->ndrains];
}

static bool in_records(const struct nf_state *st, const char *id)
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

static int terminate(struct run *r, const char *id)
{
    const struct nf_ports *p = &r->c->ports;
    const char *ids[1] = {id};
    int rc = p->cloud->terminate(p->cloud_ctx, ids, 1, r->err);
    if (rc == NF_OK)
        forget_instance(r->c, id);
    return rc;
}

/* ---- reconcile ------------------------------------------------------------------------ */

static void markets_of(const struct nf_launch_rec *l, enum nf_market *m)
{
    for (int i = 0; i < l->count; i++)
        m[i] = i < l->spot ? NF_MARKET_SPOT : NF_MARKET_ON_DEMAND;
}

/* Record what a launch made into its record (the instances not there yet). */
static void record_outcome(struct nf_launch_rec *l, const struct nf_launch_outcome *out)
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

static int reconcile_launches(struct run *r)
{
    struct nf_cycle *c = r->c;
    struct nf_state *st = &c->state;
    const struct nf_ports *p = &c->ports;
    for (int i = st->nlaunches - 1; i >= 0 && !r->lost; i--) {
        struct nf_launch_rec *l = &st->launches[i];
        if (l->ninstances == 0) {
            /* an intent whose launch never returned: launch it again under the same intent
             * (instances it did make are found by their tag, not made twice), while fresh */
            if (r->now - l->launched_at > c->o.provision_timeout_s || l->count <= 0) {
                nf_log(NF_LOG_WARN, "launch intent expired without instances",
                       NF_LF_STR("intent", l->intent), NF_LF_END);
                remove_launch(st, i);
                continue;
            }
            enum nf_market m[NF_LAUNCH_INSTANCES_MAX];
            markets_of(l, m);
            struct nf_launch_outcome out;
            memset(&out, 0, sizeof out);
            int rc = p->cloud->launch(p->cloud_ctx, l->intent, l->count, m, r->now, &out, r->err);
            record_outcome(l, &out);
            nf_log(rc == NF_OK ? NF_LOG_INFO : NF_LOG_WARN, "launch intent resumed",
                   NF_LF_STR("intent", l->intent), NF_LF_INT("found", out.already),
                   NF_LF_INT("launched", out.launched),
                   NF_LF_STR("error", rc == NF_OK ? "" : r->err->msg), NF_LF_END);
            for (int k = 0; k < out.ninstances; k++)
                if (find_instance(c, out.instances[k].id) == NULL &&
                    c->ninst < NF_CYCLE_INSTANCES_MAX)
                    c->inst[c->ninst++] = out.instances[k];
            if (save(r) != NF_OK)
                return NF_E_CONFLICT;
            continue;
        }
        for (int k = l->ninstances - 1; k >= 0; k--) {
            const struct nf_instance *in = find_instance(c, l->instances[k]);
            if (in == NULL) { /* gone before it joined: terminated elsewhere, or reclaimed */
                nf_log(NF_LOG_WARN, "launched instance gone before joining",
                       NF_LF_STR("instance", l->instances[k]), NF_LF_END);
                st->launch_failures++;
                remove_launch_instance(l, k);
                continue;
            }
            const struct nf_node_info *n = node_of(c, in);
            if (n && n->ready) {
                double took = r->now - l->launched_at;
                if (c->log_steps)
                    nf_log(NF_LOG_INFO, "Step 5: Nodes Ready", NF_LF_STR("instance", in->id),
                           NF_LF_STR("node", n->name), NF_LF_NUM("elapsed_s", took), NF_LF_END);
                remove_launch_instance(l, k);
                continue;
            }
            if (r->now - l->launched_at > c->o.provision_timeout_s) {
                char ids[32], az[32];
                snprintf(ids, sizeof ids, "%s", in->id);
                snprintf(az, sizeof az, "%s", in->az);
                enum nf_market mk = in->market;
                if (terminate(r, ids) != NF_OK) {
                    nf_log(NF_LOG_WARN, "could not terminate a worker that never joined",
                           NF_LF_STR("instance", ids), NF_LF_STR("error", r->err->msg), NF_LF_END);
                    continue;
                }
                st->launch_failures++;
                if (p->cloud->backoff != NULL && az[0]) /* not again there, for a while */
                    p->cloud->backoff(p->cloud_ctx, az, mk, r->now, 0);
                nf_log(NF_LOG_WARN, "worker never joined: terminated", NF_LF_STR("instance", ids),
                       NF_LF_NUM("waited_s", r->now - l->launched_at), NF_LF_END);
                notify(r, NF_EV_LAUNCH_FAILED, n ? n->name : NULL, ids, 0, 0, -hourly(c, mk),
                       "worker %s did not become Ready within %.0f s and was terminated", ids,
                       c->o.provision_timeout_s);
                remove_launch_instance(l, k);
            }
        }
        if (l->ninstances == 0)
            remove_launch(st, i);
    }
    /* adopt pool instances the state does not know and that never registered a Node */
    for (size_t i = 0; i < c->ninst && st->nlaunches < NF_STATE_LAUNCHES_MAX; i++) {
        const struct nf_instance *in = &c->inst[i];
        if (in_records(st, in->id) || node_of(c, in) != NULL)
            continue;
        struct nf_launch_rec *l = &st->launches[st->nlaunches++];
        memset(l, 0, sizeof *l);
        snprintf(l->intent, sizeof l->intent, "adopted-%.40s", in->id);
        snprintf(l->az, sizeof l->az, "%s", in->az);
        snprintf(l->market, sizeof l->market, "%s", nf_market_name(in->market));
        l->launched_at = in->launch_time > 0 ? in->launch_time : r->now;
        l->count = 1;
        l->spot = in->market == NF_MARKET_SPOT;
        l->ninstances = 1;
        snprintf(l->instances[0], sizeof l->instances[0], "%s", in->id);
        nf_log(NF_LOG_WARN, "adopted a pool instance the state did not know",
               NF_LF_STR("instance", in->id), NF_LF_STR("intent", in->intent), NF_LF_END);
    }
    return save(r);
}

static int reconcile_drains(struct run *r)
{
    struct nf_cycle *c = r->c;
    struct nf_state *st = &c->state;
    const struct nf_ports *p = &c->ports;
    if (st->ndrains == 0) {
        step_log(c, "Step 1: No pending drains", (const struct nf_log_field[]){NF_LF_END});
        return NF_OK;
    }
    for (int i = st->ndrains - 1; i >= 0 && !r->lost; i--) {
        struct nf_drain_rec *d = &st->drains[i];
        struct nf_drain_report rep;
        struct nf_err e = {0};
        int rc = p->cluster->drain_step(p->cluster_ctx, d->node, d->started_at, r->now, &rep, &e);
        if (rc != NF_OK) { /* the cluster unreachable: the drain stands, next cycle goes on */
            nf_log(NF_LOG_WARN, "drain step failed; the drain stays in progress",
                   NF_LF_STR("node", d->node), NF_LF_STR("error", e.msg), NF_LF_END);
            continue;
        }
        if (rep.state == NF_DRAIN_IN_PROGRESS) {
            step_log(c, "Step 1: Drain in progress",
                     (const struct nf_log_field[]){NF_LF_STR("node", d->node),
                                                   NF_LF_INT("pods_left", rep.remaining),
                                                   NF_LF_STR("status", rep.why), NF_LF_END});
            continue;
        }
        char node[128], inst[32];
        snprintf(node, sizeof node, "%s", d->node);
        snprintf(inst, sizeof inst, "%s", d->instance);
        if (rep.state == NF_DRAIN_ABORTED) {
            st->drains_aborted++;
            remove_drain(st, i);
            nf_log(NF_LOG_WARN, "drain aborted; the node stays", NF_LF_STR("node", node),
                   NF_LF_STR("why", rep.why), NF_LF_END);
            notify(r, NF_EV_DRAIN_ABORTED, node, inst, 0, 0, 0,
                   "drain of %s aborted, node kept: %s", node, rep.why);
            if (save(r) != NF_OK)
                return NF_E_CONFLICT;
            continue;
        }
        /* done: terminate the instance, then delete the Node */
        const struct nf_instance *in = inst[0] ? find_instance(c, inst) : NULL;
        enum nf_market mk = in ? in->market : NF_MARKET_ON_DEMAND;
        if (inst[0] && in != NULL && terminate(r, inst) != NF_OK) {
            nf_log(NF_LOG_WARN,
                   "drained, but the instance could not be terminated; retrying "
                   "next cycle",
                   NF_LF_STR("node", node), NF_LF_STR("instance", inst),
                   NF_LF_STR("error", r->err->msg), NF_LF_END);
            continue;
        }
        if (p->cluster->remove_node(p->cluster_ctx, node, &e) != NF_OK) {
            nf_log(NF_LOG_WARN,
                   "instance terminated, but the Node could not be deleted; "
                   "retrying next cycle",
                   NF_LF_STR("node", node), NF_LF_STR("error", e.msg), NF_LF_END);
            continue;
        }
        st->drains_done++;
        remove_drain(st, i);
        nf_log(NF_LOG_INFO, "drain finished: instance terminated, node deleted",
               NF_LF_STR("node", node), NF_LF_STR("instance", inst),
               NF_LF_NUM("took_s", r->now - d->started_at), NF_LF_END);
        notify(r, NF_EV_DRAIN_FINISHED, node, inst, 0, 0, -hourly(c, mk),
               "node %s drained and removed", node);
        if (save(r) != NF_OK)
            return NF_E_CONFLICT;
    }
    return NF_OK;
}

/* ---- counting --------------------------------------------------------------------------- */

static bool draining(const struct nf_state *st, const char *node)
{
    for (int i = 0; i < st->ndrains; i++)
        if (strcmp(st->drains[i].node, node) == 0)
            return true;
    return false;
}

static void count_workers(struct nf_cycle *c, struct nf_workers *w, int *spot, int *total)
{
    memset(w, 0, sizeof *w);
    *spot = *total = 0;
    if (c->ports.cloud != NULL && c->cloud_ok) {
        for (size_t i = 0; i < c->ninst; i++) {
            const struct nf_instance *in = &c->inst[i];
            const struct nf_node_info *n = node_of(c, in);
            bool is_draining = n && (n->cordoned || draining(&c->state, n->name));
            if (is_draining)
                w->draining++;
            else if (n && n->ready)
                w->ready++;
            else
                w->joining++;
            if (!is_draining) {
                (*total)++;
                *spot += in->market == NF_MARKET_SPOT;
            }
        }
        /* intents not launched yet are capacity on its way too */
        for (int i = 0; i < c->state.nlaunches; i++)
            if (c->state.launches[i].ninstances == 0)
                w->joining += c->state.launches[i].count;
        return;
    }
    for (size_t i = 0; i < c->last_view.nnodes; i++) {
        const struct nf_node_info *n = &c->last_view.nodes[i];
        if (n->control_plane)
            continue;
        if (n->cordoned)
            w->draining++;
        else if (n->ready)
            w->ready++;
        else
            w->joining++;
        if (!n->cordoned) {
            (*total)++;
            *spot += n->market == NF_MARKET_SPOT;
        }
    }
}

/* ---- act ---------------------------------------------------------------------------------- */

static int scale_up(struct run *r, struct nf_plan *plan, int n, int spot, int total)
{
    struct nf_cycle *c = r->c;
    const struct nf_ports *p = &c->ports;
    if (p->cloud == NULL || !c->cloud_ok) {
        nf_plan_trail(plan, "act", NF_TRAIL_BLOCKED, "cannot launch: the cloud is unavailable (%s)",
                      c->incomplete_why);
        return NF_OK;
    }
    if (n > NF_CYCLE_LAUNCH_MAX)
        n = NF_CYCLE_LAUNCH_MAX;
    enum nf_market markets[NF_CYCLE_LAUNCH_MAX];
    nf_place_markets(spot, total, n, c->o.spot_pct, markets);
    int nspot = 0;
    double cost = 0;
    for (int i = 0; i < n; i++) {
        nspot += markets[i] == NF_MARKET_SPOT;
        cost += hourly(c, markets[i]);
    }
    if (c->o.dry_run) {
        nf_log(NF_LOG_INFO, "dry run: would launch workers", NF_LF_INT("count", n),
               NF_LF_INT("spot", nspot), NF_LF_INT("on_demand", n - nspot), NF_LF_END);
        notify(r, NF_EV_SCALE_UP, NULL, NULL, total, total + n, cost, "%s", plan->reason);
        return NF_OK;
    }
    char ids[512] = "";
    int done = 0;
    /* one intent per NF_LAUNCH_INSTANCES_MAX workers, spot first (markets[] is spot first) */
    for (int first = 0; first < n && !r->lost; first += NF_LAUNCH_INSTANCES_MAX) {
        int cnt = n - first < NF_LAUNCH_INSTANCES_MAX ? n - first : NF_LAUNCH_INSTANCES_MAX;
        if (c->state.nlaunches == NF_STATE_LAUNCHES_MAX) {
            nf_plan_trail(plan, "act", NF_TRAIL_BLOCKED, "too many launches in flight");
            break;
        }
        struct nf_launch_rec *l = &c->state.launches[c->state.nlaunches++];
        memset(l, 0, sizeof *l);
        snprintf(l->intent, sizeof l->intent, "up-%.0f-%lld", floor(r->now), ++c->seq);
        l->launched_at = r->now;
        l->count = cnt;
        for (int i = 0; i < cnt; i++)
            l->spot += markets[first + i] == NF_MARKET_SPOT;
        snprintf(l->market, sizeof l->market, "%s",
                 l->spot == cnt ? "spot"
                 : l->spot == 0 ? "on-demand"
                                : "mixed");
        /* the intent is on record before the cloud hears of it */
        if (save(r) != NF_OK)
            return NF_E_CONFLICT;
        crash_point(c, "launch-intent-saved");
        enum nf_market m[NF_LAUNCH_INSTANCES_MAX];
        markets_of(l, m);
        struct nf_launch_outcome out;
        memset(&out, 0, sizeof out);
        char intent[64];
        snprintf(intent, sizeof intent, "%s", l->intent);
        int rc = p->cloud->launch(p->cloud_ctx, intent, cnt, m, r->now, &out, r->err);
        crash_point(c, "launch-called");
        /* the record may have moved if save reordered nothing; find it again by intent */
        for (int i = 0; i < c->state.nlaunches; i++)
            if (strcmp(c->state.launches[i].intent, intent) == 0)
                l = &c->state.launches[i];
        record_outcome(l, &out);
        for (int k = 0; k < out.ninstances; k++) {
            size_t len = strlen(ids);
            snprintf(ids + len, sizeof ids - len, "%s%s", len ? ", " : "", out.instances[k].id);
            if (c->ninst < NF_CYCLE_INSTANCES_MAX)
                c->inst[c->ninst++] = out.instances[k];
        }
        done += out.ninstances;
        if (rc != NF_OK) {
            nf_log(NF_LOG_ERROR, "launch failed", NF_LF_STR("intent", intent),
                   NF_LF_INT("made", out.ninstances), NF_LF_STR("error", r->err->msg), NF_LF_END);
            notify(r, NF_EV_LAUNCH_FAILED, NULL, ids, total, total + done, 0,
                   "launching %d worker(s) failed: %s", cnt, r->err->msg);
            c->state.launch_failures++;
            /* a refusal (quota, no capacity anywhere) is final for this intent; a transport
             * failure is retried by the next reconcile under the same intent */
            if (rc != NF_E_UNAVAILABLE && l->ninstances == 0) {
                for (int i = 0; i < c->state.nlaunches; i++)
                    if (strcmp(c->state.launches[i].intent, intent) == 0)
                        remove_launch(&c->state, i);
            }
            nf_plan_trail(plan, "act", NF_TRAIL_BLOCKED, "launch failed: %s", r->err->msg);
            save(r);
            break;
        }
        if (save(r) != NF_OK)
            return NF_E_CONFLICT;
    }
    c->launched += done;
    if (done > 0) {
        c->state.last_scale_up = r->now;
        if (c->log_steps)
            nf_log(NF_LOG_INFO, "Step 5: Launching EC2 instances", NF_LF_INT("count", done),
                   NF_LF_STR("instances", ids), NF_LF_END);
        notify(r, NF_EV_SCALE_UP, NULL, ids, total, total + done, cost * done / n, "%s",
               plan->reason);
    }
    return NF_OK;
}

static int scale_down(struct run *r, struct nf_plan *plan, int n, int spot, int total)
{
    struct nf_cycle *c = r->c;
    const struct nf_ports *p = &c->ports;
    /* the cloud, the cluster or the metrics unseen: when unsure whether a node may go, it
     * stays (a policy that ignores metrics included) */
    if (c->incomplete_why[0]) {
        nf_plan_trail(plan, "act", NF_TRAIL_BLOCKED,
                      "no scale-down on an incomplete observation (%s)", c->incomplete_why);
        return NF_OK;
    }
    int removed = 0;
    char ids[512] = "";
    double cost = 0;
    /* 1. workers still joining go first: they serve nobody yet */
    while (removed < n && p->cloud != NULL) {
        struct nf_launch_rec *best = NULL;
        int bk = -1;
        for (int i = 0; i < c->state.nlaunches; i++) {
            struct nf_launch_rec *l = &c->state.launches[i];
            for (int k = 0; k < l->ninstances; k++) {
                const struct nf_instance *in = find_instance(c, l->instances[k]);
                if (in && node_of(c, in) == NULL &&
                    (best == NULL || l->launched_at > best->launched_at)) {
                    best = l;
                    bk = k;
                }
            }
        }
        if (best == NULL)
            break;
        char id[32];
        snprintf(id, sizeof id, "%s", best->instances[bk]);
        const struct nf_instance *in = find_instance(c, id);
        enum nf_market mk = in ? in->market : NF_MARKET_ON_DEMAND;
        if (c->o.dry_run) {
            nf_log(NF_LOG_INFO, "dry run: would cancel a joining worker", NF_LF_STR("instance", id),
                   NF_LF_END);
            break;
        }
        if (terminate(r, id) != NF_OK) {
            nf_log(NF_LOG_WARN, "could not cancel a joining worker", NF_LF_STR("instance", id),
                   NF_LF_STR("error", r->err->msg), NF_LF_END);
            break;
        }
        remove_launch_instance(best, bk);
        if (best->ninstances == 0)
            remove_launch(&c->state, (int)(best - c->state.launches));
        size_t len = strlen(ids);
        snprintf(ids + len, sizeof ids - len, "%s%s", len ? ", " : "", id);
        cost -= hourly(c, mk);
        removed++;
        c->terminated++;
        if (save(r) != NF_OK)
            return NF_E_CONFLICT;
    }
    /* 2. drains: the cluster picks nodes whose pods may all go, preferring the market
     * placement says to shrink */
    if (removed < n && total > 0) {
        const char *names[NF_CYCLE_INSTANCES_MAX];
        const char *inst_of[NF_CYCLE_INSTANCES_MAX];
        enum nf_market mk_of[NF_CYCLE_INSTANCES_MAX];
        size_t nn = 0;
        if (p->cloud != NULL) {
            for (size_t i = 0; i < c->ninst && nn < NF_CYCLE_INSTANCES_MAX; i++) {
                const struct nf_node_info *nd = node_of(c, &c->inst[i]);
                if (nd && nd->ready && !nd->cordoned && !nd->control_plane &&
                    !draining(&c->state, nd->name)) {
                    inst_of[nn] = c->inst[i].id;
                    mk_of[nn] = c->inst[i].market;
                    names[nn++] = nd->name;
                }
            }
        } else {
            for (size_t i = 0; i < c->last_view.nnodes && nn < NF_CYCLE_INSTANCES_MAX; i++) {
                const struct nf_node_info *nd = &c->last_view.nodes[i];
                if (nd->ready && !nd->cordoned && !nd->control_plane &&
                    !draining(&c->state, nd->name)) {
                    inst_of[nn] = nd->instance;
                    mk_of[nn] = nd->market;
                    names[nn++] = nd->name;
                }
            }
        }
        int prefer = (int)nf_place_remove_market(spot, total, c->o.spot_pct);
        size_t chosen[NF_CYCLE_INSTANCES_MAX], nch = 0;
        char why[512] = "";
        int rc = p->cluster->choose(p->cluster_ctx, names, nn, n - removed, prefer, chosen, &nch,
                                    why, sizeof why, r->err);
        if (rc != NF_OK) {
            nf_plan_trail(plan, "act", NF_TRAIL_BLOCKED, "could not choose nodes: %s", r->err->msg);
            nch = 0;
        } else if ((int)nch < n - removed) {
            nf_plan_trail(plan, "drain", NF_TRAIL_BLOCKED,
                          "%d more node(s) wanted, none may go: %s", n - removed - (int)nch,
                          why[0] ? why : "no worker to drain");
        }
        for (size_t k = 0; k < nch && !r->lost; k++) {
            const char *node = names[chosen[k]];
            if (c->o.dry_run) {
                nf_log(NF_LOG_INFO, "dry run: would drain node", NF_LF_STR("node", node),
                       NF_LF_END);
                removed++;
                continue;
            }
            if (c->state.ndrains == NF_STATE_DRAINS_MAX)
                break;
            struct nf_drain_rec *d = &c->state.drains[c->state.ndrains++];
            memset(d, 0, sizeof *d);
            snprintf(d->node, sizeof d->node, "%s", node);
            snprintf(d->instance, sizeof d->instance, "%s", inst_of[chosen[k]]);
            d->started_at = r->now;
            /* the drain is on record before the node is cordoned */
            if (save(r) != NF_OK)
                return NF_E_CONFLICT;
            crash_point(c, "drain-record-saved");
            struct nf_drain_report rep;
            struct nf_err e = {0};
            int src = p->cluster->drain_step(p->cluster_ctx, node, r->now, r->now, &rep, &e);
            crash_point(c, "drain-step-done");
            if (src == NF_OK && rep.state == NF_DRAIN_ABORTED) {
                for (int i = 0; i < c->state.ndrains; i++)
                    if (strcmp(c->state.drains[i].node, node) == 0)
                        remove_drain(&c->state, i);
                c->state.drains_aborted++;
                nf_plan_trail(plan, "drain", NF_TRAIL_BLOCKED, "drain of %s refused: %s", node,
                              rep.why);
                if (save(r) != NF_OK)
                    return NF_E_CONFLICT;
                continue;
            }
            if (c->log_steps)
                nf_log(NF_LOG_INFO, "Step 5: Draining node", NF_LF_STR("node", node),
                       NF_LF_STR("instance", inst_of[chosen[k]]),
                       NF_LF_STR("status", src == NF_OK ? rep.why : e.msg), NF_LF_END);
            notify(r, NF_EV_DRAIN_STARTED, node, inst_of[chosen[k]], 0, 0, 0, "draining node %s",
                   node);
            size_t len = strlen(ids);
            snprintf(ids + len, sizeof ids - len, "%s%s", len ? ", " : "", node);
            cost -= hourly(c, mk_of[chosen[k]]);
            removed++;
            c->drained++;
        }
    }
    if (removed > 0 && !c->o.dry_run) {
        c->state.last_scale_down = r->now;
        notify(r, NF_EV_SCALE_DOWN, NULL, ids, total, total - removed, cost, "%s", plan->reason);
    } else if (removed > 0) {
        notify(r, NF_EV_SCALE_DOWN, NULL, NULL, total, total - removed, cost, "%s", plan->reason);
    }
    return NF_OK;
}

/* ---- the cycle ------------------------------------------------------------------------- */

static void record(struct run *r, const struct nf_plan *plan, const struct nf_workers *w)
{
    struct nf_cycle *c = r->c;
    struct nf_state *st = &c->state;
    struct nf_decision_rec d = {
        .t = r->now, .nodes = plan->nodes, .size_before = w->ready + w->joining};
    snprintf(d.action, sizeof d.action, "%s", nf_action_name(plan->action));
    snprintf(d.code, sizeof d.code, "%s", nf_plan_code(plan));
    nf_strjoin(d.reason, sizeof d.reason, plan->reason, (const char *)NULL);
    nf_state_add_decision(st, &d);
    st->node_count = w->ready + w->joining + c->launched - c->terminated;
    if (st->node_count < 0)
        st->node_count = 0;
    if (plan->action != NF_ACTION_NONE) {
        snprintf(st->last_action, sizeof st->last_action, "%s", nf_action_name(plan->action));
        nf_strjoin(st->last_reason, sizeof st->last_reason, plan->reason, (const char *)NULL);
    }
    if (st->nhistory == NF_STATE_HISTORY_MAX) {
        memmove(st->history, st->history + 1, (NF_STATE_HISTORY_MAX - 1) * sizeof st->history[0]);
        st->nhistory--;
    }
    if (c->ports.cloud != NULL && c->ports.cloud->backoffs != NULL)
        st->nbackoffs = (int)c->ports.cloud->backoffs(c->ports.cloud_ctx, st->backoffs,
                                                      NF_STATE_BACKOFFS_MAX, r->now);
    st->history[st->nhistory].t = r->now;
    st->history[st->nhistory].cpu = c->last_newest[NF_SIG_CPU];
    st->history[st->nhistory].memory = c->last_newest[NF_SIG_MEMORY];
    st->history[st->nhistory].pending_pods = c->last_newest[NF_SIG_PENDING_PODS];
    st->nhistory++;
}

static void incomplete(struct nf_cycle *c, const char *what, const char *msg)
{
    size_t l = strlen(c->incomplete_why);
    snprintf(c->incomplete_why + l, sizeof c->incomplete_why - l, "%s%s: %s", l ? "; " : "", what,
             msg);
}

int nf_cycle_run(struct nf_cycle *c, struct nf_plan *plan, struct nf_err *err)
{
    const struct nf_ports *p = &c->ports;
    nf_plan_init(plan);
    struct run r = {.c = c, .now = p->clock->now(p->clock_ctx), .err = err};
    c->incomplete_why[0] = c->lease_note[0] = '\0';
    c->launched = c->drained = c->terminated = 0;
    c->last_t = r.now;
    int rc = NF_OK;

    /* lease and state */
    if (p->store != NULL && !c->o.dry_run) {
        rc = p->store->acquire(p->store_ctx, c->o.owner, r.now, c->o.lease_ttl_s, &r.lease, err);
        if (rc == NF_E_CONFLICT) {
            snprintf(c->lease_note, sizeof c->lease_note, "%s", err ? err->msg : "");
            nf_plan_set(plan, NF_ACTION_NONE, 0, "another nodefleet holds the lease (%s)",
                        c->lease_note);
            step_log(c, "Step 2: Lease held by another process; nothing to do",
                     (const struct nf_log_field[]){NF_LF_STR("holder", r.lease.owner),
                                                   NF_LF_NUM("until", r.lease.expiry), NF_LF_END});
            return NF_OK;
        }
        if (rc != NF_OK)
            return rc;
        r.leased = true;
        step_log(c, "Step 2: Lease acquired",
                 (const struct nf_log_field[]){NF_LF_INT("token", r.lease.token),
                                               NF_LF_NUM("expiry", r.lease.expiry), NF_LF_END});
        rc = p->store->load(p->store_ctx, &c->state, err);
        if (rc != NF_OK)
            goto release;
        crash_point(c, "lease-held");
    } else if (p->store != NULL) { /* dry run: read, never write */
        struct nf_err e = {0};
        if (p->store->load(p->store_ctx, &c->state, &e) != NF_OK)
            nf_log(NF_LOG_WARN, "dry run: could not read the state", NF_LF_STR("error", e.msg),
                   NF_LF_END);
    }
    /* zones and markets resting, as the state remembers them (a `once` or a cold Lambda
     * start knows only what the state says) */
    if (p->cloud != NULL && p->cloud->backoff != NULL)
        for (int i = 0; i < c->state.nbackoffs; i++)
            if (c->state.backoffs[i].until > r.now)
                p->cloud->backoff(p->cloud_ctx, c->state.backoffs[i].az,
                                  strcmp(c->state.backoffs[i].market, "spot") == 0
                                      ? NF_MARKET_SPOT
                                      : NF_MARKET_ON_DEMAND,
                                  r.now, c->state.backoffs[i].until);

    /* observe the cloud and the cluster */
    c->ninst = 0;
    c->cloud_ok = c->cluster_ok = true;
    if (p->cloud != NULL) {
        struct nf_err e = {0};
        if (p->cloud->list(p->cloud_ctx, c->inst, NF_CYCLE_INSTANCES_MAX, &c->ninst, &e) != NF_OK) {
            c->cloud_ok = false;
            c->ninst = 0;
            incomplete(c, "cloud", e.msg);
        }
    }
    {
        struct nf_err e = {0};
        memset(&c->last_view, 0, sizeof c->last_view);
        if (p->cluster->observe(p->cluster_ctx, &c->last_view, &e) != NF_OK) {
            c->cluster_ok = false;
            memset(&c->last_view, 0, sizeof c->last_view);
            incomplete(c, "cluster", e.msg);
        }
    }
    if (c->incomplete_why[0])
        nf_log(NF_LOG_WARN, "observation incomplete: no scale-down, no reconcile action",
               NF_LF_STR("why", c->incomplete_why), NF_LF_END);

    /* The worker count comes from the cloud (cloud: ec2), else from the cluster. When that
     * source could not be read the count is unknown - never 0 - and nothing is decided about
     * it: no launch for min_nodes, no record, and the caller hears it failed. */
    c->count_known = p->cloud != NULL ? c->cloud_ok : c->cluster_ok;
    if (!c->count_known) {
        memset(&c->last_workers, 0, sizeof c->last_workers);
        nf_plan_set(plan, NF_ACTION_NONE, 0, "the worker count is unknown (%s): nothing decided",
                    c->incomplete_why);
        nf_plan_trail(plan, "observe", NF_TRAIL_BLOCKED,
                      "the %s, which counts the workers, could not be read",
                      p->cloud != NULL ? "cloud" : "cluster");
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "the worker count is unknown, nothing decided: %s",
                        c->incomplete_why);
        goto release;
    }

    /* reconcile what earlier cycles started (only on a complete view: never act unsure) */
    if (!c->o.dry_run && c->cluster_ok && (p->cloud == NULL || c->cloud_ok)) {
        if (p->cloud != NULL && reconcile_launches(&r) == NF_E_CONFLICT)
            goto release;
        if (reconcile_drains(&r) == NF_E_CONFLICT)
            goto release;
    }

    /* metrics */
    struct nf_observation obs = {
        .now = r.now,
        .last_scale_up = c->state.last_scale_up > 0 ? c->state.last_scale_up : NAN,
        .last_scale_down = c->state.last_scale_down > 0 ? c->state.last_scale_down : NAN};
    int spot = 0, total = 0;
    count_workers(c, &obs.workers, &spot, &total);
    size_t n = 0;
    double start = r.now - nf_policy_lookback(c->policy) - c->history_margin_s;
    struct nf_err me = {0};
    if (p->metrics->history(p->metrics_ctx, start, r.now, c->history, c->history_cap, &n, &me) !=
        NF_OK) {
        /* an incomplete observation may block scale-down but never cause it: decide on none */
        nf_log(NF_LOG_WARN, "metrics unavailable; deciding without samples",
               NF_LF_STR("error", me.msg), NF_LF_END);
        incomplete(c, "metrics", me.msg);
        n = 0;
    }
    obs.samples = c->history;
    obs.nsamples = n;
    c->last_workers = obs.workers;
    for (int i = 0; i < NF_SAMPLE_VALUES; i++)
        c->last_newest[i] = n ? c->history[n - 1].v[i] : NAN;
    step_log(c, "Step 3: Metrics collected",
             (const struct nf_log_field[]){
                 NF_LF_NUM("cpu", c->last_newest[NF_SIG_CPU]),
                 NF_LF_NUM("memory", c->last_newest[NF_SIG_MEMORY]),
                 NF_LF_NUM("pending_pods", c->last_newest[NF_SIG_PENDING_PODS]),
                 NF_LF_INT("node_count", obs.workers.ready + obs.workers.joining),
                 NF_LF_INT("joining", obs.workers.joining),
                 NF_LF_INT("draining", obs.workers.draining), NF_LF_INT("samples", (long long)n),
                 NF_LF_END});

    /* decide */
    nf_policy_decide(c->policy, &obs, plan);
    if (c->log_steps) {
        char msg[64];
        snprintf(msg, sizeof msg, "Step 4: Decision=%s", nf_action_name(plan->action));
        nf_log(NF_LOG_INFO, msg, NF_LF_STR("reason", plan->reason),
               NF_LF_STR("rule", nf_plan_code(plan)), NF_LF_INT("increment", plan->nodes),
               NF_LF_END);
    }

    /* act */
    if (plan->action == NF_ACTION_SCALE_UP && plan->nodes > 0)
        rc = scale_up(&r, plan, plan->nodes, spot, total);
    else if (plan->action == NF_ACTION_SCALE_DOWN && plan->nodes > 0)
        rc = scale_down(&r, plan, plan->nodes, spot, total);
    if (rc == NF_E_CONFLICT)
        goto release;
    rc = NF_OK;

    /* record */
    if (!c->o.dry_run && !r.lost) {
        record(&r, plan, &obs.workers);
        rc = save(&r);
        if (rc == NF_OK)
            step_log(c, "Step 6: State updated",
                     (const struct nf_log_field[]){
                         NF_LF_INT("node_count", c->state.node_count),
                         NF_LF_INT("launches_in_flight", c->state.nlaunches),
                         NF_LF_INT("drains_in_flight", c->state.ndrains), NF_LF_END});
    }

release:
    c->last_plan = *plan;
    if (r.leased) {
        struct nf_err e = {0};
        int lrc = p->store->release(p->store_ctx, &r.lease, &e);
        if (lrc == NF_OK)
            step_log(c, "Step 7: Lease released", (const struct nf_log_field[]){NF_LF_END});
        else if (!r.lost)
            nf_log(NF_LOG_WARN, "lease release failed (it expires on its own)",
                   NF_LF_STR("error", e.msg), NF_LF_END);
    }
    if (r.lost && rc == NF_OK)
        rc = nf_err_set(err, NF_E_CONFLICT, "the lease was lost during the cycle");
    return rc;
}
