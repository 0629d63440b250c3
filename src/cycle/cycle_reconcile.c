/* cycle_reconcile.c - step 2 of the cycle: launches joined or past their timeout, drains
 * finished, aborted or still going, stray pool instances adopted. */
#define _POSIX_C_SOURCE 200809L
#include "cycle_internal.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../util/log.h"

/* ---- reconcile ------------------------------------------------------------------------ */

/* Record what a launch made into its record (the instances not there yet). */

/* an intent whose launch never returned: launch it again under the same intent (instances it
 * did make are found by their tag, not made twice). NF_E_CONFLICT when the lease is lost. */
static int resume_intent(struct run *r, struct nf_launch_rec *l)
{
    struct nf_cycle *c = r->c;
    const struct nf_ports *p = &c->ports;
    enum nf_market m[NF_LAUNCH_INSTANCES_MAX];
    nf__cyc_markets_of(l, m);
    char tn[NF_LAUNCH_INSTANCES_MAX][32];
    const char *types[NF_LAUNCH_INSTANCES_MAX];
    nf__cyc_types_of(l, tn, types);
    struct nf_launch_outcome out;
    memset(&out, 0, sizeof out);
    int rc = p->cloud->launch(p->cloud_ctx, l->intent, l->count, m, types, r->now, &out, r->err);
    nf__cyc_record_outcome(l, &out);
    nf_log(rc == NF_OK ? NF_LOG_INFO : NF_LOG_WARN, "launch intent resumed",
           NF_LF_STR("intent", l->intent), NF_LF_INT("found", out.already),
           NF_LF_INT("launched", out.launched), NF_LF_STR("error", rc == NF_OK ? "" : r->err->msg),
           NF_LF_END);
    for (int k = 0; k < out.ninstances; k++)
        if (nf__cyc_find_instance(c, out.instances[k].id) == NULL &&
            c->ninst < NF_CYCLE_INSTANCES_MAX)
            c->inst[c->ninst++] = out.instances[k];
    return nf__cyc_save(r) != NF_OK ? NF_E_CONFLICT : NF_OK;
}

/* a worker that did not become Ready within provision_timeout: terminate it, count it, and
 * back its zone and market off for a while. True when it was terminated. */
static bool give_up_on(struct run *r, const struct nf_launch_rec *l, const struct nf_instance *in,
                       const struct nf_node_info *n)
{
    struct nf_cycle *c = r->c;
    const struct nf_ports *p = &c->ports;
    char ids[32], az[32], type[32];
    snprintf(ids, sizeof ids, "%s", in->id);
    snprintf(az, sizeof az, "%s", in->az);
    snprintf(type, sizeof type, "%s", in->type);
    enum nf_market mk = in->market;
    if (nf__cyc_terminate(r, ids) != NF_OK) {
        nf_log(NF_LOG_WARN, "could not terminate a worker that never joined",
               NF_LF_STR("instance", ids), NF_LF_STR("error", r->err->msg), NF_LF_END);
        return false;
    }
    c->state.launch_failures++;
    c->last.join_timeouts++;
    if (p->cloud->backoff != NULL && az[0]) /* not again there, for a while */
        p->cloud->backoff(p->cloud_ctx, az, type, mk, r->now, 0);
    nf_log(NF_LOG_WARN, "worker never joined: terminated", NF_LF_STR("instance", ids),
           NF_LF_NUM("waited_s", r->now - l->launched_at), NF_LF_END);
    nf__cyc_notify(r, NF_EV_LAUNCH_FAILED, n ? n->name : NULL, ids, 0, 0,
                   -nf__cyc_hourly(c, type, az, mk),
                   "worker %s did not become Ready within %.0f s and was terminated", ids,
                   c->o.provision_timeout_s);
    return true;
}

/* each instance of a launch: gone (counted as a failure), joined (done), or late (given up) */
static void check_instances(struct run *r, struct nf_launch_rec *l)
{
    struct nf_cycle *c = r->c;
    for (int k = l->ninstances - 1; k >= 0; k--) {
        const struct nf_instance *in = nf__cyc_find_instance(c, l->instances[k]);
        if (in == NULL) { /* gone before it joined: terminated elsewhere, or reclaimed */
            nf_log(NF_LOG_WARN, "launched instance gone before joining",
                   NF_LF_STR("instance", l->instances[k]), NF_LF_END);
            c->state.launch_failures++;
            nf__cyc_remove_launch_instance(l, k);
            continue;
        }
        const struct nf_node_info *n = nf__cyc_node_of(c, in);
        if (n && n->ready) {
            if (c->log_steps)
                nf_log(NF_LOG_INFO, "Step 5: Nodes Ready", NF_LF_STR("instance", in->id),
                       NF_LF_STR("node", n->name), NF_LF_NUM("elapsed_s", r->now - l->launched_at),
                       NF_LF_END);
            if (c->last.njoined < (int)(sizeof c->last.joined_s / sizeof c->last.joined_s[0]))
                c->last.joined_s[c->last.njoined++] = r->now - l->launched_at;
            nf__cyc_remove_launch_instance(l, k);
            continue;
        }
        if (r->now - l->launched_at > c->o.provision_timeout_s && give_up_on(r, l, in, n))
            nf__cyc_remove_launch_instance(l, k);
    }
}

/* adopt pool instances the state does not know and that never registered a Node */
static void adopt_strays(struct run *r)
{
    struct nf_cycle *c = r->c;
    struct nf_state *st = &c->state;
    for (size_t i = 0; i < c->ninst && st->nlaunches < NF_STATE_LAUNCHES_MAX; i++) {
        const struct nf_instance *in = &c->inst[i];
        if (nf__cyc_in_records(st, in->id) || nf__cyc_node_of(c, in) != NULL)
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
}

/* what reconciling launches can change: records, their instances, the failure count */
static long long launches_signature(const struct nf_state *st)
{
    long long sig = st->nlaunches + st->launch_failures * 100003LL;
    for (int i = 0; i < st->nlaunches; i++)
        sig = sig * 31 + st->launches[i].ninstances;
    return sig;
}

int nf__cyc_reconcile_launches(struct run *r)
{
    struct nf_cycle *c = r->c;
    struct nf_state *st = &c->state;
    long long before = launches_signature(st);
    int nbefore = st->nlaunches;
    for (int i = st->nlaunches - 1; i >= 0 && !r->lost; i--) {
        struct nf_launch_rec *l = &st->launches[i];
        if (l->ninstances == 0) {
            /* resumed while fresh; an expired intent made nothing and is dropped */
            if (r->now - l->launched_at > c->o.provision_timeout_s || l->count <= 0) {
                nf_log(NF_LOG_WARN, "launch intent expired without instances",
                       NF_LF_STR("intent", l->intent), NF_LF_END);
                nf__cyc_remove_launch(st, i);
            } else if (resume_intent(r, l) != NF_OK) {
                return NF_E_CONFLICT;
            }
            continue;
        }
        check_instances(r, l);
        if (l->ninstances == 0)
            nf__cyc_remove_launch(st, i);
    }
    adopt_strays(r);
    if (st->nlaunches == nbefore && launches_signature(st) == before)
        return NF_OK; /* nothing changed: no write (the record step saves the cycle) */
    return nf__cyc_save(r);
}

int nf__cyc_reconcile_drains(struct run *r)
{
    struct nf_cycle *c = r->c;
    struct nf_state *st = &c->state;
    const struct nf_ports *p = &c->ports;
    if (st->ndrains == 0) {
        nf__cyc_step_log(c, "Step 1: No pending drains", (const struct nf_log_field[]){NF_LF_END});
        return NF_OK;
    }
    for (int i = st->ndrains - 1; i >= 0 && !r->lost; i--) {
        struct nf_drain_rec *d = &st->drains[i];
        struct nf_drain_report rep;
        struct nf_err e = {0};
        int rc = p->cluster->drain_step(p->cluster_ctx, d->node, d->started_at, r->now, d->force_at,
                                        &rep, &e);
        if (rc != NF_OK) { /* the cluster unreachable: the drain stands, next cycle goes on */
            nf_log(NF_LOG_WARN, "drain step failed; the drain stays in progress",
                   NF_LF_STR("node", d->node), NF_LF_STR("error", e.msg), NF_LF_END);
            continue;
        }
        if (rep.state == NF_DRAIN_IN_PROGRESS) {
            nf__cyc_step_log(c, "Step 1: Drain in progress",
                             (const struct nf_log_field[]){
                                 NF_LF_STR("node", d->node), NF_LF_INT("pods_left", rep.remaining),
                                 NF_LF_STR("status", rep.why), NF_LF_END});
            continue;
        }
        char node[128], inst[32];
        snprintf(node, sizeof node, "%s", d->node);
        snprintf(inst, sizeof inst, "%s", d->instance);
        if (rep.state == NF_DRAIN_ABORTED) {
            st->drains_aborted++;
            nf__cyc_remove_drain(st, i);
            nf_log(NF_LOG_WARN, "drain aborted; the node stays", NF_LF_STR("node", node),
                   NF_LF_STR("why", rep.why), NF_LF_END);
            nf__cyc_notify(r, NF_EV_DRAIN_ABORTED, node, inst, 0, 0, 0,
                           "drain of %s aborted, node kept: %s", node, rep.why);
            if (nf__cyc_save(r) != NF_OK)
                return NF_E_CONFLICT;
            continue;
        }
        /* done: terminate the instance, then delete the Node */
        const struct nf_instance *in = inst[0] ? nf__cyc_find_instance(c, inst) : NULL;
        enum nf_market mk = in ? in->market : NF_MARKET_ON_DEMAND;
        double price = nf__cyc_instance_hourly(c, in, mk); /* before `in` goes */
        if (inst[0] && in != NULL && nf__cyc_terminate(r, inst) != NF_OK) {
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
        nf__cyc_remove_drain(st, i);
        nf_log(NF_LOG_INFO, "drain finished: instance terminated, node deleted",
               NF_LF_STR("node", node), NF_LF_STR("instance", inst),
               NF_LF_NUM("took_s", r->now - d->started_at), NF_LF_END);
        nf__cyc_notify(r, NF_EV_DRAIN_FINISHED, node, inst, 0, 0, -price,
                       "node %s drained and removed", node);
        if (nf__cyc_save(r) != NF_OK)
            return NF_E_CONFLICT;
    }
    return NF_OK;
}
