/* cycle_act.c - step 5 of the cycle: intent first, then the cloud or the cluster; scale-up
 * places markets and zones, scale-down picks who may go and starts their drains. */
#define _POSIX_C_SOURCE 200809L
#include "cycle_internal.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../util/log.h"

/* ---- act ---------------------------------------------------------------------------------- */

/* what one act did, for the notification: who went or came, and the hourly cost it moved */
struct tally {
    int count;
    char ids[512];
    double cost;
};

static void tally_add(struct tally *t, const char *id, double cost)
{
    size_t len = strlen(t->ids);
    snprintf(t->ids + len, sizeof t->ids - len, "%s%s", len ? ", " : "", id);
    t->cost += cost;
    t->count++;
}

/* "type*k" runs of the slots' types into the record ("" when no slot names one) */
static void record_types(struct nf_launch_rec *l, const char (*types)[32], int cnt)
{
    l->types[0] = '\0';
    bool named = false;
    for (int i = 0; i < cnt; i++)
        named |= types[i][0] != '\0';
    if (!named)
        return;
    size_t o = 0;
    for (int i = 0; i < cnt;) {
        int k = 1;
        while (i + k < cnt && strcmp(types[i + k], types[i]) == 0)
            k++;
        int w = snprintf(l->types + o, sizeof l->types - o, "%s%s*%d", o ? "," : "", types[i], k);
        if (w < 0 || (size_t)w >= sizeof l->types - o) { /* cannot: 16 runs fit */
            l->types[0] = '\0';
            return;
        }
        o += (size_t)w;
        i += k;
    }
}

/* One launch intent of cnt workers (markets m, types): on record before the cloud hears of
 * it, the outcome recorded after. NF_E_CONFLICT when the lease is lost; NF_E_UNAVAILABLE
 * (err set, already reported) when the cloud refused or failed, which ends this cycle's
 * launches. */
static int launch_batch(struct run *r, struct nf_plan *plan, const enum nf_market *markets,
                        const char (*types)[32], int cnt, int total, struct tally *t)
{
    struct nf_cycle *c = r->c;
    const struct nf_ports *p = &c->ports;
    if (c->state.nlaunches == NF_STATE_LAUNCHES_MAX) {
        nf_plan_trail(plan, "act", NF_TRAIL_BLOCKED, "too many launches in flight");
        return NF_E_UNAVAILABLE;
    }
    struct nf_launch_rec *l = &c->state.launches[c->state.nlaunches++];
    memset(l, 0, sizeof *l);
    /* the lease's fencing token in the id (so in the instances' nodefleet:intent tag): who
     * launched is visible in the cloud itself, to an auditor or the soak's checker */
    snprintf(l->intent, sizeof l->intent, "up-%.0f-%lld-t%lld", floor(r->now), ++c->seq,
             r->lease.token);
    l->launched_at = r->now;
    l->count = cnt;
    for (int i = 0; i < cnt; i++)
        l->spot += markets[i] == NF_MARKET_SPOT;
    snprintf(l->market, sizeof l->market, "%s",
             l->spot == cnt ? "spot"
             : l->spot == 0 ? "on-demand"
                            : "mixed");
    record_types(l, types, cnt);
    /* the intent is on record before the cloud hears of it */
    if (nf__cyc_save(r) != NF_OK)
        return NF_E_CONFLICT;
    nf__cyc_crash_point(c, "launch-intent-saved");
    enum nf_market m[NF_LAUNCH_INSTANCES_MAX];
    nf__cyc_markets_of(l, m);
    char tn[NF_LAUNCH_INSTANCES_MAX][32];
    const char *ty[NF_LAUNCH_INSTANCES_MAX];
    nf__cyc_types_of(l, tn, ty);
    struct nf_launch_outcome out;
    memset(&out, 0, sizeof out);
    char intent[64];
    snprintf(intent, sizeof intent, "%s", l->intent);
    int rc = p->cloud->launch(p->cloud_ctx, intent, cnt, m, ty, r->now, &out, r->err);
    nf__cyc_crash_point(c, "launch-called");
    /* the record may have moved if save reordered nothing; find it again by intent */
    for (int i = 0; i < c->state.nlaunches; i++)
        if (strcmp(c->state.launches[i].intent, intent) == 0)
            l = &c->state.launches[i];
    nf__cyc_record_outcome(l, &out);
    for (int k = 0; k < out.ninstances; k++) {
        tally_add(t, out.instances[k].id, 0);
        if (c->ninst < NF_CYCLE_INSTANCES_MAX)
            c->inst[c->ninst++] = out.instances[k];
    }
    if (rc == NF_OK)
        return nf__cyc_save(r) != NF_OK ? NF_E_CONFLICT : NF_OK;
    nf_log(NF_LOG_ERROR, "launch failed", NF_LF_STR("intent", intent),
           NF_LF_INT("made", out.ninstances), NF_LF_STR("error", r->err->msg), NF_LF_END);
    nf__cyc_notify(r, NF_EV_LAUNCH_FAILED, NULL, t->ids, total, total + t->count, 0,
                   "launching %d worker(s) failed: %s", cnt, r->err->msg);
    c->state.launch_failures++;
    /* a refusal (quota, no capacity anywhere) is final for this intent; a transport failure is
     * retried by the next reconcile under the same intent */
    if (rc != NF_E_UNAVAILABLE && l->ninstances == 0) {
        for (int i = 0; i < c->state.nlaunches; i++)
            if (strcmp(c->state.launches[i].intent, intent) == 0)
                nf__cyc_remove_launch(&c->state, i);
    }
    nf_plan_trail(plan, "act", NF_TRAIL_BLOCKED, "launch failed: %s", r->err->msg);
    nf__cyc_save(r);
    return NF_E_UNAVAILABLE;
}

/* The pending pods new workers are for, for choosing types: those a new worker could host
 * (labels, taints) and that do not fit, first fit, in the room the Ready workers have now. */
static size_t pending_demand(const struct nf_cycle *c, struct nf_demand_pod *out, size_t cap)
{
    const struct nf_fleet *f = c->last.view.fleet;
    enum { ROOM_MAX = 4096 };
    static int64_t cpu[ROOM_MAX], mem[ROOM_MAX];
    size_t nroom = 0;
    for (size_t k = 0; f != NULL && k < f->nnodes && nroom < ROOM_MAX; k++) {
        cpu[nroom] = f->nodes[k].ready && !f->nodes[k].unschedulable ? f->free_cpu[k] : 0;
        mem[nroom++] = f->nodes[k].ready && !f->nodes[k].unschedulable ? f->free_mem[k] : 0;
    }
    size_t n = 0;
    for (size_t i = 0; f != NULL && i < f->npods && n < cap; i++) {
        const struct nf_fpod *p = &f->pods[i];
        if (p->node >= 0 || p->finished || p->left_alone ||
            !nf_pod_fits_template(p, &c->o.tmpl.node, NULL))
            continue;
        size_t k = 0;
        while (k < nroom &&
               !(cpu[k] >= p->req_cpu_m && mem[k] >= p->req_mem && nf_pod_fits(f, p, k, NULL)))
            k++;
        if (k < nroom) { /* the scheduler will put it there */
            cpu[k] -= p->req_cpu_m;
            mem[k] -= p->req_mem;
            continue;
        }
        out[n++] = (struct nf_demand_pod){p->req_cpu_m, p->req_mem};
    }
    return n;
}

/* The types of the new workers: the cheapest combination (core/itypes.h) for the pending
 * pods and the policy's n workers counted in the first type, within max_nodes. Returns
 * how many workers that is (n when there is nothing to choose: names all ""). */
static int choose_types(struct run *r, struct nf_plan *plan, int n, int spot_now, int total,
                        char (*names)[32])
{
    struct nf_cycle *c = r->c;
    const struct nf_ports *p = &c->ports;
    for (int i = 0; i < n; i++)
        names[i][0] = '\0';
    static struct nf_itype ty[NF_ITYPES_MAX];
    size_t nt = 0;
    struct nf_err e = {0};
    if (p->cloud->catalog == NULL)
        return n;
    int rc = p->cloud->catalog(p->cloud_ctx, r->now, ty, NF_ITYPES_MAX, &nt, &e);
    if (rc != NF_OK || nt == 0) {
        if (rc != NF_E_UNAVAILABLE)
            nf_log(NF_LOG_WARN, "instance types not known; launching the first",
                   NF_LF_STR("error", e.msg), NF_LF_END);
        return n;
    }
    static struct nf_demand_pod pods[NF_CYCLE_DEMAND_MAX];
    static struct nf_itypes_ws ws;
    size_t np = pending_demand(c, pods, NF_CYCLE_DEMAND_MAX);
    enum nf_market m[NF_CYCLE_LAUNCH_MAX];
    nf_place_markets(spot_now, total, n, c->o.spot_pct, m);
    int spot = 0;
    for (int i = 0; i < n; i++)
        spot += m[i] == NF_MARKET_SPOT;
    int room = c->o.max_nodes > total ? c->o.max_nodes - total : 0;
    struct nf_type_choice ch;
    nf_itypes_choose(ty, nt, pods, np, (int64_t)n * ty[0].cpu_m, 0, (double)spot / n,
                     room > n ? room : n, &ws, &ch);
    int k = 0;
    char what[240] = "";
    size_t o = 0;
    for (size_t t = 0; t < nt; t++) {
        for (int i = 0; i < ch.count[t] && k < NF_CYCLE_LAUNCH_MAX; i++)
            memcpy(names[k++], ty[t].name, sizeof ty[t].name);
        if (ch.count[t] > 0 && o < sizeof what) {
            int w = snprintf(what + o, sizeof what - o, "%s%d x %s", o ? " + " : "", ch.count[t],
                             ty[t].name);
            o += w > 0 ? (size_t)w : 0;
        }
    }
    if (k == 0)
        return n;
    nf_plan_trail(plan, "act", NF_TRAIL_INFO, "types: %s for %zu pending pod(s), $%.4f/h", what, np,
                  ch.cost);
    return k;
}

int nf__cyc_scale_up(struct run *r, struct nf_plan *plan, int n, int spot, int total)
{
    struct nf_cycle *c = r->c;
    const struct nf_ports *p = &c->ports;
    if (p->cloud == NULL || !c->last.cloud_ok) {
        nf_plan_trail(plan, "act", NF_TRAIL_BLOCKED, "cannot launch: the cloud is unavailable (%s)",
                      c->last.incomplete_why);
        return NF_OK;
    }
    if (n > NF_CYCLE_LAUNCH_MAX)
        n = NF_CYCLE_LAUNCH_MAX;
    static char types[NF_CYCLE_LAUNCH_MAX][32];
    if (r->nreplace_types > 0 && r->nreplace_types >= n) { /* replacements: the same types */
        for (int i = 0; i < n; i++)
            memcpy(types[i], r->replace_types[i], sizeof types[i]);
    } else {
        n = choose_types(r, plan, n, spot, total, types);
    }
    enum nf_market markets[NF_CYCLE_LAUNCH_MAX];
    nf_place_markets(spot, total, n, c->o.spot_pct, markets);
    int nspot = 0;
    double cost = 0;
    for (int i = 0; i < n; i++) {
        nspot += markets[i] == NF_MARKET_SPOT;
        cost += nf__cyc_hourly(c, types[i], NULL, markets[i]);
    }
    if (c->o.dry_run) {
        nf_log(NF_LOG_INFO, "dry run: would launch workers", NF_LF_INT("count", n),
               NF_LF_INT("spot", nspot), NF_LF_INT("on_demand", n - nspot), NF_LF_END);
        nf__cyc_notify(r, NF_EV_SCALE_UP, NULL, NULL, total, total + n, cost, "%s", plan->reason);
        return NF_OK;
    }
    struct tally t = {0};
    /* one intent per NF_LAUNCH_INSTANCES_MAX workers, spot first (markets[] is spot first) */
    for (int first = 0; first < n && !r->lost; first += NF_LAUNCH_INSTANCES_MAX) {
        int cnt = n - first < NF_LAUNCH_INSTANCES_MAX ? n - first : NF_LAUNCH_INSTANCES_MAX;
        int rc = launch_batch(r, plan, markets + first, types + first, cnt, total, &t);
        if (rc == NF_E_CONFLICT)
            return rc;
        if (rc != NF_OK)
            break;
    }
    c->last.launched += t.count;
    if (t.count > 0) {
        c->state.last_scale_up = r->now;
        if (c->log_steps)
            nf_log(NF_LOG_INFO, "Step 5: Launching EC2 instances", NF_LF_INT("count", t.count),
                   NF_LF_STR("instances", t.ids), NF_LF_END);
        nf__cyc_notify(r, NF_EV_SCALE_UP, NULL, t.ids, total, total + t.count, cost * t.count / n,
                       "%s", plan->reason);
    }
    return NF_OK;
}

/* Scale-down, part 1: workers still joining go first (they serve nobody yet), newest first.
 * Returns NF_E_CONFLICT when the lease is lost. */
static int cancel_joining(struct run *r, int n, struct tally *t)
{
    struct nf_cycle *c = r->c;
    while (t->count < n && c->ports.cloud != NULL) {
        struct nf_launch_rec *best = NULL;
        int bk = -1;
        for (int i = 0; i < c->state.nlaunches; i++) {
            struct nf_launch_rec *l = &c->state.launches[i];
            for (int k = 0; k < l->ninstances; k++) {
                const struct nf_instance *in = nf__cyc_find_instance(c, l->instances[k]);
                if (in && nf__cyc_node_of(c, in) == NULL &&
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
        const struct nf_instance *in = nf__cyc_find_instance(c, id);
        double price = nf__cyc_instance_hourly(c, in, NF_MARKET_ON_DEMAND);
        if (c->o.dry_run) {
            nf_log(NF_LOG_INFO, "dry run: would cancel a joining worker", NF_LF_STR("instance", id),
                   NF_LF_END);
            break;
        }
        if (nf__cyc_terminate(r, id) != NF_OK) {
            nf_log(NF_LOG_WARN, "could not cancel a joining worker", NF_LF_STR("instance", id),
                   NF_LF_STR("error", r->err->msg), NF_LF_END);
            break;
        }
        nf__cyc_remove_launch_instance(best, bk);
        if (best->ninstances == 0)
            nf__cyc_remove_launch(&c->state, (int)(best - c->state.launches));
        tally_add(t, id, -price);
        c->last.terminated++;
        if (nf__cyc_save(r) != NF_OK)
            return NF_E_CONFLICT;
    }
    return NF_OK;
}

/* the nodes a drain may start on: ready, schedulable workers not already draining; with a
 * cloud, only those backed by a pool instance */
struct candidates {
    const char *names[NF_CYCLE_INSTANCES_MAX];
    const char *instance[NF_CYCLE_INSTANCES_MAX];
    enum nf_market market[NF_CYCLE_INSTANCES_MAX];
    size_t n;
};

static void add_candidate(struct candidates *cd, const struct nf_state *st,
                          const struct nf_node_info *nd, const char *instance, enum nf_market mk)
{
    if (cd->n == NF_CYCLE_INSTANCES_MAX || nd == NULL || !nd->ready || nd->cordoned ||
        nd->control_plane || nf__cyc_draining(st, nd->name))
        return;
    cd->instance[cd->n] = instance;
    cd->market[cd->n] = mk;
    cd->names[cd->n++] = nd->name;
}

/* the plan named which nodes (nremove > 0): only those are candidates */
static bool named(const struct nf_plan *plan, const char *node)
{
    if (plan->nremove == 0)
        return true;
    for (int i = 0; i < plan->nremove; i++)
        if (strcmp(plan->remove[i], node) == 0)
            return true;
    return false;
}

static void drain_candidates(const struct nf_cycle *c, const struct nf_plan *plan,
                             struct candidates *cd)
{
    cd->n = 0;
    if (c->ports.cloud != NULL) {
        for (size_t i = 0; i < c->ninst; i++) {
            const struct nf_node_info *nd = nf__cyc_node_of(c, &c->inst[i]);
            if (nd && named(plan, nd->name))
                add_candidate(cd, &c->state, nd, c->inst[i].id, c->inst[i].market);
        }
    } else {
        for (size_t i = 0; i < c->last.view.nnodes; i++) {
            const struct nf_node_info *nd = &c->last.view.nodes[i];
            if (named(plan, nd->name))
                add_candidate(cd, &c->state, nd, nd->instance, nd->market);
        }
    }
}

/* Scale-down, part 2: start the drain of one chosen node, on record before it is cordoned.
 * Returns NF_E_CONFLICT when the lease is lost, NF_E_INPUT when the cluster refused it (the
 * record is dropped and the refusal counted), NF_E_TOO_BIG when no record slot is left. */
static int start_drain(struct run *r, struct nf_plan *plan, const char *node, const char *instance)
{
    struct nf_cycle *c = r->c;
    const struct nf_ports *p = &c->ports;
    if (c->state.ndrains == NF_STATE_DRAINS_MAX)
        return NF_E_TOO_BIG;
    struct nf_drain_rec *d = &c->state.drains[c->state.ndrains++];
    memset(d, 0, sizeof *d);
    snprintf(d->node, sizeof d->node, "%s", node);
    snprintf(d->instance, sizeof d->instance, "%s", instance);
    d->started_at = r->now;
    /* the drain is on record before the node is cordoned */
    if (nf__cyc_save(r) != NF_OK)
        return NF_E_CONFLICT;
    nf__cyc_crash_point(c, "drain-record-saved");
    struct nf_drain_report rep;
    struct nf_err e = {0};
    int src = p->cluster->drain_step(p->cluster_ctx, node, r->now, r->now, 0, &rep, &e);
    nf__cyc_crash_point(c, "drain-step-done");
    if (src == NF_OK && rep.state == NF_DRAIN_ABORTED) {
        for (int i = 0; i < c->state.ndrains; i++)
            if (strcmp(c->state.drains[i].node, node) == 0)
                nf__cyc_remove_drain(&c->state, i);
        c->state.drains_aborted++;
        nf_plan_trail(plan, "drain", NF_TRAIL_BLOCKED, "drain of %s refused: %s", node, rep.why);
        return nf__cyc_save(r) != NF_OK ? NF_E_CONFLICT : NF_E_INPUT;
    }
    if (c->log_steps)
        nf_log(NF_LOG_INFO, "Step 5: Draining node", NF_LF_STR("node", node),
               NF_LF_STR("instance", instance), NF_LF_STR("status", src == NF_OK ? rep.why : e.msg),
               NF_LF_END);
    nf__cyc_notify(r, NF_EV_DRAIN_STARTED, node, instance, 0, 0, 0, "draining node %s", node);
    return NF_OK;
}

int nf__cyc_scale_down(struct run *r, struct nf_plan *plan, int n, int spot, int total)
{
    struct nf_cycle *c = r->c;
    const struct nf_ports *p = &c->ports;
    /* the cloud, the cluster or the metrics unseen: when unsure whether a node may go, it
     * stays (a policy that ignores metrics included) */
    if (c->last.incomplete_why[0]) {
        nf_plan_trail(plan, "act", NF_TRAIL_BLOCKED,
                      "no scale-down on an incomplete observation (%s)", c->last.incomplete_why);
        return NF_OK;
    }
    struct tally t = {0};
    /* a plan that names its nodes (the default policy) drains those; else joining workers go
     * first */
    if (plan->nremove == 0 && cancel_joining(r, n, &t) != NF_OK)
        return NF_E_CONFLICT;
    /* drains: the cluster picks nodes whose pods may all go, preferring the market placement
     * says to shrink */
    if (t.count < n && total > 0) {
        struct candidates cd;
        drain_candidates(c, plan, &cd);
        int prefer = (int)nf_place_remove_market(spot, total, c->o.spot_pct);
        size_t chosen[NF_CYCLE_INSTANCES_MAX], nch = 0;
        char why[512] = "";
        int want = n - t.count;
        int rc = p->cluster->choose(p->cluster_ctx, cd.names, cd.n, want, prefer, chosen, &nch, why,
                                    sizeof why, r->err);
        if (rc != NF_OK) {
            nf_plan_trail(plan, "act", NF_TRAIL_BLOCKED, "could not choose nodes: %s", r->err->msg);
            nch = 0;
        } else if ((int)nch < want) {
            nf_plan_trail(plan, "drain", NF_TRAIL_BLOCKED,
                          "%d more node(s) wanted, none may go: %s", want - (int)nch,
                          why[0] ? why : "no worker to drain");
        }
        for (size_t k = 0; k < nch && !r->lost; k++) {
            size_t i = chosen[k];
            if (c->o.dry_run) {
                nf_log(NF_LOG_INFO, "dry run: would drain node", NF_LF_STR("node", cd.names[i]),
                       NF_LF_END);
                t.count++;
                continue;
            }
            rc = start_drain(r, plan, cd.names[i], cd.instance[i]);
            if (rc == NF_E_CONFLICT)
                return rc;
            if (rc == NF_E_TOO_BIG)
                break;
            if (rc != NF_OK)
                continue;
            tally_add(&t, cd.names[i],
                      -nf__cyc_instance_hourly(c, nf__cyc_find_instance(c, cd.instance[i]),
                                               cd.market[i]));
            c->last.drained++;
        }
    }
    if (t.count > 0 && !c->o.dry_run)
        c->state.last_scale_down = r->now;
    if (t.count > 0)
        nf__cyc_notify(r, NF_EV_SCALE_DOWN, NULL, c->o.dry_run ? NULL : t.ids, total,
                       total - t.count, t.cost, "%s", plan->reason);
    return NF_OK;
}
