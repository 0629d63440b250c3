/* test_cycle.c - the seven-step cycle against fake ports that write down every call: the
 * order of intent and action, the lease on every path, no scale-down when unsure, dry runs
 * that touch nothing, and the launch contract (joined, never joined, refused). The end-to-end
 * lab proves the same with real servers; these pin the rules down in milliseconds. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "config/config.h"
#include "core/policy.h"
#include "adapters/mem_store.h"
#include "cycle/cycle.h"
#include "util/budget.h"
#include "util/clock.h"
#include "util/log.h"

/* ---- the fake world: one call log, a cloud, a cluster, a store, a notifier ---------------- */

static char calls[8192];

static void called(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static pthread_mutex_t calls_mu = PTHREAD_MUTEX_INITIALIZER;
static void called(const char *fmt, ...)
{
    pthread_mutex_lock(&calls_mu); /* the concurrent observation calls from threads */
    size_t l = strlen(calls);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(calls + l, sizeof calls - l, fmt, ap);
    va_end(ap);
    l = strlen(calls);
    snprintf(calls + l, sizeof calls - l, ";");
    pthread_mutex_unlock(&calls_mu);
}

static double now_t = 100000;
static double fake_now(void *ctx)
{
    (void)ctx;
    return now_t;
}
static const struct nf_clock_port clock_port = {.name = "fake", .now = fake_now};

/* a source this slow (seconds) answers late: the concurrent observation waits for the slowest */
static double slow_s;
static void slowly(void)
{
    if (slow_s > 0)
        nf_sleep_s(slow_s);
}

static bool metrics_fail;
static int fake_history(void *ctx, double start, double end, struct nf_sample *out, size_t cap,
                        size_t *n, struct nf_err *err)
{
    (void)ctx;
    called("metrics");
    slowly();
    if (metrics_fail)
        return nf_err_set(err, NF_E_UNAVAILABLE, "prometheus: connection refused");
    *n = fill_samples(out, cap, start, end, 15, 20, 20, 0);
    return NF_OK;
}
static const struct nf_metrics_port metrics_port = {.name = "fake", .history = fake_history};

/* the cluster: workers w0..w(n-1) on instances i-0..i-(n-1), plus what a test changes */
static struct nf_node_info nodes[16];
static size_t nnodes;
static bool cluster_fail;
static enum nf_drain_state drain_result = NF_DRAIN_IN_PROGRESS;

static struct nf_fleet *fake_fleet; /* the pool model the cluster shows, when a test sets it */
static int fake_observe(void *ctx, struct nf_cluster_view *out, struct nf_err *err)
{
    (void)ctx;
    called("observe");
    slowly();
    if (cluster_fail)
        return nf_err_set(err, NF_E_UNAVAILABLE, "API server: connection refused");
    out->nodes = nodes;
    out->nnodes = nnodes;
    out->fleet = fake_fleet;
    return NF_OK;
}
static int fake_choose(void *ctx, const char *const *names, size_t nnames, int count, int prefer,
                       size_t *chosen, size_t *nchosen, char *why, size_t whylen,
                       struct nf_err *err)
{
    (void)ctx, (void)prefer, (void)err;
    *nchosen = 0;
    for (size_t i = 0; i < nnames && (int)*nchosen < count; i++)
        for (size_t k = 0; k < nnodes; k++)
            if (strcmp(nodes[k].name, names[i]) == 0 && nodes[k].why_not[0] == '\0')
                chosen[(*nchosen)++] = i;
    snprintf(why, whylen, "the others may not go");
    called("choose:%zu", *nchosen);
    return NF_OK;
}
static double last_force_at; /* what the last drain step was told */
static int fake_drain_step(void *ctx, const char *node, double started_at, double now,
                           double force_at, struct nf_drain_report *rep, struct nf_err *err)
{
    (void)ctx, (void)started_at, (void)now, (void)err;
    called("drain_step:%s", node);
    last_force_at = force_at;
    memset(rep, 0, sizeof *rep);
    rep->state = drain_result;
    snprintf(rep->why, sizeof rep->why, "%s", drain_result == NF_DRAIN_ABORTED ? "a budget" : "");
    for (size_t k = 0; k < nnodes; k++)
        if (strcmp(nodes[k].name, node) == 0)
            nodes[k].cordoned = drain_result != NF_DRAIN_ABORTED;
    return NF_OK;
}
static int fake_remove_node(void *ctx, const char *node, struct nf_err *err)
{
    (void)ctx, (void)err;
    called("remove_node:%s", node);
    for (size_t k = 0; k < nnodes; k++)
        if (strcmp(nodes[k].name, node) == 0)
            nodes[k] = nodes[--nnodes];
    return NF_OK;
}
static int settles; /* the cycle gave its observation back (issue 14: the watched cache) */
static void fake_settle(void *ctx)
{
    (void)ctx;
    settles++;
}
static const struct nf_cluster_port cluster_port = {.name = "fake",
                                                    .observe = fake_observe,
                                                    .choose = fake_choose,
                                                    .drain_step = fake_drain_step,
                                                    .remove_node = fake_remove_node,
                                                    .settle = fake_settle};

static struct nf_instance insts[32];
static size_t ninsts;
static int next_id = 100;
static int launch_rc = NF_OK;

static bool cloud_fail, no_cloud;
static int fake_list(void *ctx, struct nf_instance *out, size_t cap, size_t *n, struct nf_err *err)
{
    (void)ctx, (void)err;
    called("list");
    slowly();
    if (cloud_fail)
        return nf_err_set(err, NF_E_UNAVAILABLE, "EC2: connection refused");
    *n = 0;
    for (size_t i = 0; i < ninsts && *n < cap; i++)
        out[(*n)++] = insts[i];
    return NF_OK;
}
static int fake_launch(void *ctx, const char *intent, int count, const enum nf_market *markets,
                       const char *const *types, double now, struct nf_launch_outcome *out,
                       struct nf_err *err)
{
    (void)ctx;
    called("launch:%d", count);
    if (launch_rc != NF_OK)
        return nf_err_set(err, launch_rc, "InstanceLimitExceeded: quota reached");
    for (int i = 0; i < count; i++) {
        struct nf_instance *in = &insts[ninsts++];
        memset(in, 0, sizeof *in);
        snprintf(in->id, sizeof in->id, "i-%d", next_id++);
        snprintf(in->az, sizeof in->az, "us-east-1a");
        snprintf(in->intent, sizeof in->intent, "%s", intent);
        in->market = markets[i];
        snprintf(in->type, sizeof in->type, "%s", types && types[i] ? types[i] : "");
        in->launch_time = now;
        out->instances[out->ninstances++] = *in;
        out->launched++;
    }
    return NF_OK;
}
static int fake_terminate(void *ctx, const char *const *ids, size_t n, struct nf_err *err)
{
    (void)ctx, (void)err;
    for (size_t k = 0; k < n; k++) {
        called("terminate:%s", ids[k]);
        for (size_t i = 0; i < ninsts; i++)
            if (strcmp(insts[i].id, ids[k]) == 0)
                insts[i] = insts[--ninsts];
    }
    return NF_OK;
}
static struct nf_backoff_rec offs[8];
static size_t noffs;
static void fake_backoff(void *ctx, const char *az, const char *type, enum nf_market m, double now,
                         double until)
{
    (void)ctx, (void)type;
    called("backoff:%s:%s:%s", az, nf_market_name(m), until > 0 ? "restored" : "new");
    struct nf_backoff_rec *b = &offs[noffs++];
    snprintf(b->az, sizeof b->az, "%s", az);
    snprintf(b->market, sizeof b->market, "%s", nf_market_name(m));
    b->until = until > 0 ? until : now + 600;
}
static size_t fake_backoffs(void *ctx, struct nf_backoff_rec *out, size_t cap, double now)
{
    (void)ctx;
    size_t n = 0;
    for (size_t i = 0; i < noffs && n < cap; i++)
        if (offs[i].until > now)
            out[n++] = offs[i];
    return n;
}
/* the types the cloud offers, when a test sets them (none: one unnamed type) */
static struct nf_itype fake_types[4];
static size_t nfake_types;
static int fake_catalog(void *ctx, double now, struct nf_itype *out, size_t cap, size_t *n,
                        struct nf_err *err)
{
    (void)ctx, (void)now;
    *n = 0;
    if (nfake_types == 0)
        return nf_err_set(err, NF_E_UNAVAILABLE, "one unnamed type");
    for (size_t i = 0; i < nfake_types && i < cap; i++)
        out[(*n)++] = fake_types[i];
    return NF_OK;
}
static double fake_hourly(void *ctx, const char *type, const char *az, enum nf_market m)
{
    (void)ctx, (void)az;
    for (size_t i = 0; i < nfake_types; i++)
        if (type && strcmp(type, fake_types[i].name) == 0)
            return m == NF_MARKET_SPOT ? fake_types[i].spot_price : fake_types[i].od_price;
    return NAN;
}
static const struct nf_cloud_port cloud_port = {.name = "fake",
                                                .list = fake_list,
                                                .launch = fake_launch,
                                                .terminate = fake_terminate,
                                                .backoff = fake_backoff,
                                                .backoffs = fake_backoffs,
                                                .catalog = fake_catalog,
                                                .hourly = fake_hourly};

/* the store: the memory store (the same semantics as SQLite's and DynamoDB's), with every call
 * written down and faults injected around it */
static struct nf_mem_store mem;
#define stored (mem.state)
static bool held_elsewhere, lose_on_save, load_fail;

static int fake_acquire(void *ctx, const char *owner, double now, double ttl, struct nf_lease *out,
                        struct nf_err *err)
{
    called("acquire");
    if (held_elsewhere) { /* a live owner: the store itself refuses */
        snprintf(mem.lease.owner, sizeof mem.lease.owner, "other:1");
        mem.lease.expiry = now + 30;
    }
    return nf_mem_store_port.acquire(ctx, owner, now, ttl, out, err);
}
static int fake_release(void *ctx, const struct nf_lease *l, struct nf_err *err)
{
    called("release");
    return nf_mem_store_port.release(ctx, l, err);
}
static int fake_load(void *ctx, struct nf_state *out, struct nf_err *err)
{
    called("load");
    if (load_fail)
        return nf_err_set(err, NF_E_UNAVAILABLE, "DynamoDB: connection refused");
    return nf_mem_store_port.load(ctx, out, err);
}
static int fake_save(void *ctx, const struct nf_lease *l, double now, const struct nf_state *st,
                     struct nf_err *err)
{
    int inflight = 0;
    for (int i = 0; i < st->nlaunches; i++)
        inflight += st->launches[i].ninstances;
    called("save:L%d/%d,D%d", st->nlaunches, inflight, st->ndrains);
    if (lose_on_save) { /* another process took the lease over mid-cycle */
        mem.lease.token++;
        snprintf(mem.lease.owner, sizeof mem.lease.owner, "other:2");
    }
    return nf_mem_store_port.save(ctx, l, now, st, err);
}
static int history_puts;
static bool history_load_fail;
static int fake_history_put(void *ctx, const struct nf_history_item *it, struct nf_err *err)
{
    history_puts++;
    return nf_mem_store_port.history_put(ctx, it, err);
}

static int fake_history_load(void *ctx, double after, struct nf_history_item *out, size_t cap,
                             size_t *n, struct nf_err *err)
{
    if (history_load_fail)
        return nf_err_set(err, NF_E_IO, "store unreachable");
    return nf_mem_store_port.history_load(ctx, after, out, cap, n, err);
}

static const struct nf_store_port store_port = {.name = "recording mem",
                                                .acquire = fake_acquire,
                                                .release = fake_release,
                                                .load = fake_load,
                                                .save = fake_save,
                                                .history_put = fake_history_put,
                                                .history_load = fake_history_load};

/* the interruption queue: what a test puts there, handed out once per receive */
static struct nf_cloud_event queued[8];
static size_t nqueued;
static int queued_msgs, acked;
static int fake_receive(void *ctx, double wait_s, struct nf_cloud_event *out, size_t cap, size_t *n,
                        int *nmessages, struct nf_err *err)
{
    (void)ctx, (void)wait_s, (void)err;
    *n = 0;
    for (size_t i = 0; i < nqueued && *n < cap; i++)
        out[(*n)++] = queued[i];
    *nmessages = queued_msgs;
    if (queued_msgs)
        called("receive:%zu", *n);
    return NF_OK;
}
static int fake_ack(void *ctx, int m, struct nf_err *err)
{
    (void)ctx, (void)err;
    called("ack:%d", m);
    acked++;
    return NF_OK;
}
static const struct nf_events_port events_port = {
    .name = "fake", .receive = fake_receive, .ack = fake_ack};
/* one message with one event about instance `inst` */
static void queue(enum nf_cloud_event_kind k, const char *id, const char *inst, double deadline)
{
    struct nf_cloud_event *e = &queued[nqueued++];
    memset(e, 0, sizeof *e);
    e->kind = k;
    snprintf(e->id, sizeof e->id, "%s", id);
    snprintf(e->instance, sizeof e->instance, "%s", inst);
    snprintf(e->detail, sizeof e->detail, "%s", k == NF_CEV_STATE_CHANGE ? "stopped" : "terminate");
    e->deadline = deadline;
    e->message = queued_msgs++;
}

static int events[8];
static struct nf_event last_up; /* the last scale-up notification */
static void fake_notify(void *ctx, const struct nf_event *ev)
{
    (void)ctx;
    events[ev->kind]++;
    if (ev->kind == NF_EV_SCALE_UP)
        last_up = *ev;
}
static const struct nf_notify_port notify_port = {.name = "fake", .notify = fake_notify};

/* ---- set-up ---------------------------------------------------------------------------- */

static struct nf_cycle cyc;
static struct nf_policy pol;
static struct nf_sample hist[4096];

/* `workers` Ready workers on their instances; the policy `spec`. */
static struct nf_pool_template test_tmpl; /* the new worker's labels and taints */

static bool concurrent;        /* the observation in threads, as `run` does */
static bool no_events;         /* no interruption queue */
static double step_timeout;    /* every source's timeout: the steps' estimates under a deadline */
static bool rebalance_replace; /* aws.rebalance: replace */
static void world(int workers, const char *spec, bool dry_run)
{
    calls[0] = '\0';
    settles = 0;
    memset(events, 0, sizeof events);
    nf_mem_store_init(&mem);
    metrics_fail = cluster_fail = held_elsewhere = lose_on_save = false;
    cloud_fail = load_fail = false;
    drain_result = NF_DRAIN_IN_PROGRESS;
    launch_rc = NF_OK;
    nnodes = ninsts = noffs = nqueued = 0;
    queued_msgs = acked = 0;
    last_force_at = 0;
    for (int i = 0; i < workers; i++) {
        struct nf_instance *in = &insts[ninsts++];
        memset(in, 0, sizeof *in);
        snprintf(in->id, sizeof in->id, "i-%d", i);
        snprintf(in->az, sizeof in->az, "us-east-1%c", 'a' + i % 2);
        struct nf_node_info *n = &nodes[nnodes++];
        memset(n, 0, sizeof *n);
        snprintf(n->name, sizeof n->name, "w%d", i);
        snprintf(n->instance, sizeof n->instance, "i-%d", i);
        n->ready = true;
    }
    struct nf_config cfg;
    nf_config_defaults(&cfg);
    struct nf_err err = {0};
    assert_int_equal(nf_config_policy(&pol, spec, &cfg, &err), NF_OK);
    struct nf_ports ports = {.clock = &clock_port,
                             .metrics = &metrics_port,
                             .cluster = &cluster_port,
                             .cloud = no_cloud ? NULL : &cloud_port,
                             .store = &store_port,
                             .store_ctx = &mem,
                             .notify = &notify_port,
                             .events = no_events ? NULL : &events_port};
    struct nf_cycle_opts o = {.cloud_timeout_s = step_timeout,
                              .cluster_timeout_s = step_timeout,
                              .metrics_timeout_s = step_timeout,
                              .spot_pct = 50,
                              .provision_timeout_s = 600,
                              .lease_ttl_s = 60,
                              .dry_run = dry_run,
                              .concurrent = concurrent,
                              .rebalance_replace = rebalance_replace,
                              .price_on_demand = 0.02,
                              .price_spot = 0.01};
    snprintf(o.owner, sizeof o.owner, "me:1");
    nf_pool_template_copy(&o.tmpl, &test_tmpl);
    nf_cycle_init(&cyc, &ports, &pol, &o, hist, sizeof hist / sizeof hist[0]);
}

static int run(struct nf_plan *plan)
{
    struct nf_err err = {0};
    calls[0] = '\0';
    return nf_cycle_run(&cyc, plan, &err);
}

/* The instances from index `first` on register as Ready nodes (they joined). */
static void join_from(size_t first)
{
    for (size_t i = first; i < ninsts; i++) {
        struct nf_node_info *n = &nodes[nnodes++];
        memset(n, 0, sizeof *n);
        snprintf(n->name, sizeof n->name, "w-%s", insts[i].id);
        snprintf(n->instance, sizeof n->instance, "%s", insts[i].id);
        n->ready = true;
    }
}

static void assert_before(const char *first, const char *then)
{
    const char *a = strstr(calls, first), *b = strstr(calls, then);
    if (a == NULL || b == NULL || a > b)
        fail_msg("expected %s before %s in %s", first, then, calls);
}

/* ---- the tests ------------------------------------------------------------------------- */

/* The memory store keeps the lease's rules, as the SQLite and DynamoDB stores do (their own
 * tests check those against real servers): the fencing token rises, a stale holder writes
 * nothing. */
static void the_memory_store_fences_like_the_others(void **state)
{
    (void)state;
    struct nf_mem_store m;
    nf_mem_store_init(&m);
    const struct nf_store_port *p = &nf_mem_store_port;
    struct nf_lease a, b, was;
    struct nf_err err = {0};
    struct nf_state st = {.node_count = 3};
    assert_int_equal(p->acquire(&m, "a:1", 100, 60, &a, &err), NF_OK);
    assert_int_equal(a.token, 1);
    assert_int_equal(p->acquire(&m, "b:1", 130, 60, &b, &err), NF_E_CONFLICT);
    assert_string_equal(b.owner, "a:1");
    assert_int_equal(p->save(&m, &a, 150, &st, &err), NF_OK);
    /* a's lease expires; b takes over with a higher token; a can write nothing more */
    assert_int_equal(p->acquire(&m, "b:1", 161, 60, &b, &err), NF_OK);
    assert_int_equal(b.token, 2);
    st.node_count = 9;
    assert_int_equal(p->save(&m, &a, 162, &st, &err), NF_E_CONFLICT);
    assert_int_equal(p->renew(&m, &a, 162, 60, &err), NF_E_CONFLICT);
    assert_int_equal(p->release(&m, &a, &err), NF_E_CONFLICT);
    struct nf_state got;
    assert_int_equal(p->load(&m, &got, &err), NF_OK);
    assert_int_equal(got.node_count, 3);
    /* unlock clears the lease and raises the token: b, still alive, is fenced off too */
    assert_int_equal(p->unlock(&m, 170, &was, &err), NF_OK);
    assert_string_equal(was.owner, "b:1");
    assert_int_equal(p->save(&m, &b, 171, &st, &err), NF_E_CONFLICT);
    assert_int_equal(p->peek(&m, &was, &err), NF_OK);
    assert_int_equal(was.token, 3);
    assert_string_equal(was.owner, "");
}

static void lease_held_elsewhere_does_nothing(void **state)
{
    (void)state;
    world(1, "static:3", false);
    held_elsewhere = true;
    struct nf_plan plan;
    assert_int_equal(run(&plan), NF_OK);
    assert_string_equal(calls, "acquire;");
    assert_int_equal(plan.action, NF_ACTION_NONE);
    assert_non_null(strstr(plan.reason, "another nodefleet holds the lease"));
    assert_int_equal(ninsts, 1);
    assert_int_equal(settles, 1); /* a standby keeps no snapshot */
}

static void the_intent_is_saved_before_the_cloud_hears_of_it(void **state)
{
    (void)state;
    world(1, "static:3", false);
    struct nf_plan plan;
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal(plan.action, NF_ACTION_SCALE_UP);
    assert_int_equal(plan.nodes, 2);
    assert_before("acquire;load;", "list;observe;");
    assert_before("save:L1/0,D0;", "launch:2;"); /* the intent, no instances yet */
    assert_before("launch:2;", "save:L1/2,D0;"); /* then the instances it made */
    assert_before("save:L1/2,D0;", "release;");
    assert_int_equal(ninsts, 3);
    assert_int_equal(stored.nlaunches, 1);
    assert_int_equal(stored.launches[0].ninstances, 2);
    assert_int_equal(stored.launches[0].spot, 1); /* 50 % of two */
    assert_int_equal(events[NF_EV_SCALE_UP], 1);
    assert_int_equal(settles, 1); /* the observation given back at the end */
    assert_null(cyc.last.view.fleet);
    /* the next cycle: still joining, so nothing more is launched */
    now_t += 30;
    assert_int_equal(run(&plan), NF_OK);
    assert_null(strstr(calls, "launch:"));
    assert_int_equal(ninsts, 3);
    /* they join: the launch record is done */
    join_from(1);
    now_t += 30;
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal(stored.nlaunches, 0);
    assert_int_equal(plan.action, NF_ACTION_NONE);
}

static void a_lost_lease_stops_the_cycle_before_any_action(void **state)
{
    (void)state;
    world(1, "static:3", false);
    lose_on_save = true;
    struct nf_plan plan;
    struct nf_err err = {0};
    calls[0] = '\0';
    assert_int_equal(nf_cycle_run(&cyc, &plan, &err), NF_E_CONFLICT);
    assert_null(strstr(calls, "launch:"));
    assert_int_equal(ninsts, 1);
    assert_non_null(strstr(calls, "release;")); /* tried on every path */
    assert_int_equal(events[NF_EV_LEASE_PROBLEM], 1);
}

static void dry_run_decides_and_touches_nothing(void **state)
{
    (void)state;
    world(1, "static:3", true);
    struct nf_plan plan;
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal(plan.action, NF_ACTION_SCALE_UP);
    assert_null(strstr(calls, "acquire"));
    assert_null(strstr(calls, "save"));
    assert_null(strstr(calls, "launch"));
    assert_int_equal(ninsts, 1);
    assert_int_equal(events[NF_EV_SCALE_UP], 1); /* told, marked dry */
    world(3, "static:1", true);
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal(plan.action, NF_ACTION_SCALE_DOWN);
    assert_null(strstr(calls, "drain_step"));
    assert_null(strstr(calls, "terminate"));
}

static void no_scale_down_on_an_incomplete_observation(void **state)
{
    (void)state;
    struct nf_plan plan;
    for (int what = 0; what < 2; what++) {
        world(3, "static:1", false);
        if (what == 0)
            cluster_fail = true;
        else
            metrics_fail = true; /* a policy that ignores metrics is no exception */
        assert_int_equal(run(&plan), NF_OK);
        assert_int_equal(plan.action, NF_ACTION_SCALE_DOWN);
        assert_null(strstr(calls, "choose"));
        assert_null(strstr(calls, "drain_step"));
        assert_null(strstr(calls, "terminate"));
        assert_int_equal(stored.ndrains, 0);
        bool blocked = false;
        for (size_t i = 0; i < plan.ntrail; i++)
            blocked |= plan.trail[i].status == NF_TRAIL_BLOCKED &&
                       strstr(plan.trail[i].detail, "incomplete observation") != NULL;
        assert_true(blocked);
    }
    /* a scale-up still goes ahead: more capacity is never the unsafe side */
    world(1, "static:2", false);
    cluster_fail = true;
    assert_int_equal(run(&plan), NF_OK);
    assert_non_null(strstr(calls, "launch:1;"));
}

/* Issue 10: a source that cannot be read never reaches the core as 0. One row per source:
 * which actions may follow its failure, and whether the cycle reports failing. */
static void a_failed_source_is_unknown_never_zero(void **state)
{
    (void)state;
    const struct {
        const char *what;
        bool *flag;
        bool without_cloud;
        bool may_launch, may_drain, saves;
        int rc;
    } rows[] = {
        /* the cloud counts the workers (cloud: ec2): unknown count, nothing decided */
        {"cloud", &cloud_fail, false, false, false, false, NF_E_UNAVAILABLE},
        /* the cluster counts them when there is no cloud */
        {"cluster without a cloud", &cluster_fail, true, false, false, false, NF_E_UNAVAILABLE},
        /* with a cloud the count is known; only scale-down waits */
        {"cluster", &cluster_fail, false, true, false, true, NF_OK},
        {"metrics", &metrics_fail, false, true, false, true, NF_OK},
        {"store", &load_fail, false, false, false, false, NF_E_UNAVAILABLE},
    };
    const size_t nrows = sizeof rows / sizeof rows[0];
    for (size_t k = 0; k < 2 * nrows; k++) {
        concurrent = k >= nrows; /* each row again, observed in threads */
        size_t i = k % nrows;
        for (int down = 0; down < 2; down++) {
            /* 0 workers and min 2 (seed: scale up to min); or 3 workers held to 1 */
            no_cloud = rows[i].without_cloud;
            world(down ? 3 : 0, down ? "static:1" : "seed", false);
            no_cloud = false;
            *rows[i].flag = true;
            struct nf_plan plan;
            struct nf_err err = {0};
            calls[0] = '\0';
            int rc = nf_cycle_run(&cyc, &plan, &err);
            if (rc != rows[i].rc)
                fail_msg("%s (%s): rc %d, expected %d (%s)", rows[i].what, down ? "down" : "up", rc,
                         rows[i].rc, err.msg);
            if (rc != NF_OK &&
                strstr(err.msg, rows[i].what[0] == 's' ? "DynamoDB" : "refused") == NULL)
                fail_msg("%s: the error does not say what was unreachable: %s", rows[i].what,
                         err.msg);
            bool launched = strstr(calls, "launch:") != NULL;
            bool drained = strstr(calls, "drain_step") != NULL || stored.ndrains > 0;
            bool saved = strstr(calls, "save:") != NULL;
            if (!down && launched != rows[i].may_launch)
                fail_msg("%s: launched=%d, expected %d (calls %s; %s)", rows[i].what, launched,
                         rows[i].may_launch, calls, plan.reason);
            if (down && drained != rows[i].may_drain)
                fail_msg("%s: drained=%d, expected %d (calls %s)", rows[i].what, drained,
                         rows[i].may_drain, calls);
            if (saved != rows[i].saves)
                fail_msg("%s (%s): saved=%d, expected %d (calls %s)", rows[i].what,
                         down ? "down" : "up", saved, rows[i].saves, calls);
            if (rows[i].rc != NF_OK && strstr(calls, "acquire") != NULL)
                assert_non_null(strstr(calls, "release"));
            if (rows[i].rc != NF_OK)
                assert_int_equal(plan.action, NF_ACTION_NONE);
        }
    }
    concurrent = false;
}

/* observed in threads, the cycle waits for the slowest source, not the sum of all three, and
 * decides as it does one after another */
static void the_sources_are_observed_at_once(void **state)
{
    (void)state;
    struct nf_plan seq, con;
    world(3, "static:4", false);
    assert_int_equal(run(&seq), NF_OK);
    concurrent = true;
    world(3, "static:4", false);
    slow_s = 0.2;
    double t0 = nf_mono_now();
    assert_int_equal(run(&con), NF_OK);
    double took = nf_mono_now() - t0;
    slow_s = 0;
    concurrent = false;
    if (took > 0.35) /* one after another: 0.6 s; two of them at once: 0.4 s */
        fail_msg("three sources of 0.2 s each took %.3f s together", took);
    assert_non_null(strstr(calls, "list;"));
    assert_non_null(strstr(calls, "observe;"));
    assert_non_null(strstr(calls, "metrics;"));
    assert_int_equal(con.action, seq.action);
    assert_int_equal(con.nodes, seq.nodes);
    assert_string_equal(con.reason, seq.reason);
}

/* a cycle with nothing to reconcile and nothing to do writes the state once (its record),
 * not once more for an unchanged reconcile: a DynamoDB write a cycle is money */
static void a_quiet_cycle_writes_once(void **state)
{
    (void)state;
    world(3, "static:3", false);
    struct nf_plan plan;
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    const char *first = strstr(calls, "save:");
    assert_non_null(first);
    if (strstr(first + 1, "save:") != NULL)
        fail_msg("a quiet cycle wrote the state more than once: %s", calls);
}

static void a_drain_is_on_record_before_it_starts_then_finishes(void **state)
{
    (void)state;
    world(3, "static:2", false);
    snprintf(nodes[0].why_not, sizeof nodes[0].why_not, "pod shop/db-0 belongs to StatefulSet db");
    struct nf_plan plan;
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal(plan.action, NF_ACTION_SCALE_DOWN);
    assert_before("choose:1;save:L0/0,D1;", "drain_step:w1;"); /* w0 may not go */
    assert_int_equal(stored.ndrains, 1);
    assert_string_equal(stored.drains[0].node, "w1");
    assert_string_equal(stored.drains[0].instance, "i-1");
    assert_null(strstr(calls, "terminate"));
    /* the next cycle: the drain is done, the instance goes, then the Node */
    drain_result = NF_DRAIN_DONE;
    now_t += 30;
    assert_int_equal(run(&plan), NF_OK);
    assert_before("drain_step:w1;", "terminate:i-1;");
    assert_before("terminate:i-1;", "remove_node:w1;");
    assert_int_equal(stored.ndrains, 0);
    assert_int_equal(stored.drains_done, 1);
    assert_int_equal(ninsts, 2);
    assert_int_equal(events[NF_EV_DRAIN_FINISHED], 1);
}

static void an_aborted_drain_keeps_the_node(void **state)
{
    (void)state;
    world(3, "static:2", false);
    drain_result = NF_DRAIN_ABORTED;
    struct nf_plan plan;
    assert_int_equal(run(&plan), NF_OK);
    assert_null(strstr(calls, "terminate"));
    assert_int_equal(stored.ndrains, 0);
    assert_int_equal(stored.drains_aborted, 1);
    assert_int_equal(ninsts, 3);
}

static void a_worker_that_never_joins_is_terminated_after_the_timeout(void **state)
{
    (void)state;
    world(1, "static:2", false);
    struct nf_plan plan;
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal(ninsts, 2);
    char id[24];
    snprintf(id, sizeof id, "%s", insts[1].id);
    enum nf_market mk = insts[1].market;
    now_t += 599; /* within provision_timeout: it may still join */
    assert_int_equal(run(&plan), NF_OK);
    assert_null(strstr(calls, "terminate"));
    now_t += 2;
    assert_int_equal(run(&plan), NF_OK);
    char want[40];
    snprintf(want, sizeof want, "terminate:%s;", id);
    assert_non_null(strstr(calls, want));
    char off[64];
    snprintf(off, sizeof off, "backoff:us-east-1a:%s:new;", nf_market_name(mk));
    assert_before(want, off); /* that zone and market rest a while */
    assert_int_equal(stored.launch_failures, 1);
    assert_int_equal(events[NF_EV_LAUNCH_FAILED], 1);
    assert_non_null(strstr(calls, "launch:1;")); /* and the pool is brought back up */
    /* the state remembers the back-off: a fresh process (a `once`, a cold Lambda start)
     * restores it before it looks at the cloud */
    assert_int_equal(stored.nbackoffs, 1);
    assert_string_equal(stored.backoffs[0].az, "us-east-1a");
    assert_true(stored.backoffs[0].until == now_t + 600);
    noffs = 0; /* the adapter of a new process knows nothing */
    now_t += 30;
    assert_int_equal(run(&plan), NF_OK);
    snprintf(off, sizeof off, "backoff:us-east-1a:%s:restored;", nf_market_name(mk));
    assert_before(off, "list;");
    assert_int_equal(stored.nbackoffs, 1);
    /* the replacement joins; once the back-off is over, it is forgotten */
    join_from(1);
    now_t += 600;
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal(stored.nbackoffs, 0);
    assert_int_equal(stored.launch_failures, 1);
}

static void a_refused_launch_is_dropped_and_counted(void **state)
{
    (void)state;
    world(1, "static:3", false);
    launch_rc = NF_E_AWS;
    struct nf_plan plan;
    assert_int_equal(run(&plan), NF_OK);
    assert_non_null(strstr(calls, "launch:2;"));
    assert_int_equal(stored.nlaunches, 0);
    assert_int_equal(stored.launch_failures, 1);
    assert_int_equal(events[NF_EV_LAUNCH_FAILED], 1);
}

static void an_unknown_pool_instance_is_adopted(void **state)
{
    (void)state;
    world(2, "static:3", false);
    struct nf_instance *in = &insts[ninsts++]; /* launched, then the process died */
    memset(in, 0, sizeof *in);
    snprintf(in->id, sizeof in->id, "i-stray");
    in->launch_time = now_t - 10;
    struct nf_plan plan;
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal(stored.nlaunches, 1);
    assert_string_equal(stored.launches[0].instances[0], "i-stray");
    assert_null(strstr(calls, "launch:")); /* it counts as capacity on its way: 2 + 1 = 3 */
}

/* A pending pod no new worker could host is reported, with the first one and why; the
 * template's labels (kube.node_labels) decide it */
static void pending_pods_no_new_worker_could_host_are_reported(void **state)
{
    (void)state;
    static const struct nf_label gpu[] = {{"accel", "gpu"}};
    struct nf_fnode fn[1] = {
        {.name = "w0", .ready = true, .alloc_cpu_m = 2000, .alloc_mem = 1 << 30}};
    struct nf_fpod fp[3] = {
        {.ns = "shop", .name = "web", .node = -1, .req_cpu_m = 500, .pdb = -1, .pdb2 = -1},
        {.ns = "ml",
         .name = "train",
         .node = -1,
         .req_cpu_m = 500,
         .node_selector = gpu,
         .nnode_selector = 1,
         .pdb = -1,
         .pdb2 = -1},
        {.ns = "shop", .name = "huge", .node = -1, .req_cpu_m = 4000, .pdb = -1, .pdb2 = -1}};
    struct nf_fleet f = {.nodes = fn, .nnodes = 1, .pods = fp, .npods = 3};
    void *ws = malloc(nf_fleet_ws_bytes(1, 3));
    assert_non_null(ws);
    nf_fleet_prepare(&f, ws);
    fake_fleet = &f;
    world(1, "seed", false);
    struct nf_plan plan;
    assert_int_equal(run(&plan), NF_OK);
    const struct nf_cycle_report *rep = nf_cycle_last(&cyc);
    assert_int_equal(rep->unhostable_pods, 2);
    assert_string_equal(rep->unhostable_why, "pod ml/train: its nodeSelector does not match");
    /* a new worker that carries the label hosts it; the 4-CPU pod still fits none (the largest
     * worker has 2) */
    test_tmpl.labels[0] = gpu[0];
    test_tmpl.node.nlabels = 1;
    test_tmpl.node.labels = test_tmpl.labels;
    world(1, "seed", false);
    assert_int_equal(run(&plan), NF_OK);
    rep = nf_cycle_last(&cyc);
    assert_int_equal(rep->unhostable_pods, 1);
    assert_string_equal(rep->unhostable_why,
                        "pod shop/huge: it requests more CPU than a new worker has");
    memset(&test_tmpl, 0, sizeof test_tmpl);
    fake_fleet = NULL;
    free(ws);
}

/* Several instance types: the scale-up buys the cheapest combination that hosts the pending
 * pods the Ready workers have no room for (here w0 takes 2 of the 6, and one of the larger
 * type, cheaper per core, takes the other 4 - more than the 1 worker of the first type the
 * policy asked for, which is the floor),
 * and records each worker's type in the launch intent before the cloud hears of it */
static void a_scale_up_buys_the_cheapest_types_for_the_pending_pods(void **state)
{
    (void)state;
    struct nf_fnode fn[1] = {
        {.name = "w0", .ready = true, .alloc_cpu_m = 2000, .alloc_mem = 4LL << 30}};
    struct nf_fpod fp[6];
    for (int i = 0; i < 6; i++)
        fp[i] = (struct nf_fpod){.ns = "shop",
                                 .name = "web",
                                 .node = -1,
                                 .req_cpu_m = 1000,
                                 .req_mem = 1LL << 30,
                                 .pdb = -1,
                                 .pdb2 = -1};
    struct nf_fleet f = {.nodes = fn, .nnodes = 1, .pods = fp, .npods = 6};
    void *ws = malloc(nf_fleet_ws_bytes(1, 6));
    assert_non_null(ws);
    nf_fleet_prepare(&f, ws);
    fake_fleet = &f;
    fake_types[0] = (struct nf_itype){"small", 2000, 4LL << 30, 0.02, 0.01};
    fake_types[1] = (struct nf_itype){"big", 4000, 8LL << 30, 0.025, 0.0125};
    nfake_types = 2;
    world(1, "default", false);
    struct nf_plan plan;
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal(plan.action, NF_ACTION_SCALE_UP);
    int big = 0, launched = (int)ninsts - 1;
    for (size_t i = 1; i < ninsts; i++)
        big += strcmp(insts[i].type, "big") == 0;
    assert_int_equal(plan.nodes, 1);
    assert_int_equal(launched, 1); /* 4 cores: big x1 ($0.025) beats small x2 ($0.04) */
    assert_int_equal(big, 1);
    bool said = false;
    for (size_t i = 0; i < plan.ntrail; i++)
        said |= strstr(plan.trail[i].detail, "types: ") != NULL &&
                strstr(plan.trail[i].detail, " x big") != NULL;
    assert_true(said);
    /* the intent named the types (what a resumed launch asks for again) */
    struct nf_state st;
    struct nf_err e = {0};
    assert_int_equal(store_port.load(&mem, &st, &e), NF_OK);
    assert_int_equal(st.nlaunches, 1);
    char want[64];
    snprintf(want, sizeof want, "big*%d", launched);
    assert_string_equal(st.launches[0].types, want);
    /* the next cycle prices what runs: w0 (no type: the configured on-demand price) and the
     * big worker at its own market's price */
    assert_int_equal(run(&plan), NF_OK);
    const struct nf_cycle_report *rep = nf_cycle_last(&cyc);
    double big_price = insts[1].market == NF_MARKET_SPOT ? 0.0125 : 0.025;
    assert_float_equal(rep->cost_per_hour[NF_MARKET_ON_DEMAND] + rep->cost_per_hour[NF_MARKET_SPOT],
                       cyc.o.price_on_demand + big_price, 1e-9);
    assert_float_equal(
        rep->cost_per_hour[insts[1].market],
        big_price + (insts[1].market == NF_MARKET_ON_DEMAND ? cyc.o.price_on_demand : 0), 1e-9);
    /* one unnamed type: nothing chosen, the launch names none */
    nfake_types = 0;
    world(1, "default", false);
    assert_int_equal(run(&plan), NF_OK);
    for (size_t i = 1; i < ninsts; i++)
        assert_string_equal(insts[i].type, "");
    fake_fleet = NULL;
    free(ws);
}

/* The default policy's timers live in the state: a worker unneeded in one cycle is removed by a
 * later one once unneeded long enough, and the drain takes the worker the plan named */
/* the seed's predictive layer: each cycle that holds the lease keeps its reading in the
 * store's metrics history; the cycle reads the week back (then only what is new) and the
 * policy sees it; a dry run keeps nothing */
static struct nf_history_item mh[64];
static void the_seed_keeps_its_metrics_history(void **state)
{
    (void)state;
    world(3, "seed", false);
    nf_cycle_keep_history(&cyc, mh, 64);
    history_puts = 0;
    struct nf_plan plan;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(run(&plan), NF_OK);
        now_t += 120;
    }
    assert_int_equal(history_puts, 5);
    assert_int_equal(mem.nhist, 5);
    assert_int_equal((int)cyc.nmhist, 5);
    assert_int_equal(mem.hist[0].nodes, 3);
    assert_true(mem.hist[4].t > mem.hist[0].t);
    /* a new process (a cold start) reads the week back from the store */
    struct nf_history_item fresh[64];
    nf_cycle_keep_history(&cyc, fresh, 64);
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal((int)cyc.nmhist, 6); /* the 5, and its own */
    assert_true(fresh[0].t == mem.hist[0].t);
    /* the store unreadable: the cycle goes on with what it had */
    history_load_fail = true;
    now_t += 120;
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal((int)cyc.nmhist, 7); /* what it had, and its own */
    history_load_fail = false;
    /* a dry run keeps nothing */
    int before = history_puts;
    world(3, "seed", true);
    nf_cycle_keep_history(&cyc, mh, 64);
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal(history_puts, before);
    /* the default policy reads none */
    world(3, "default", false);
    nf_cycle_keep_history(&cyc, mh, 64);
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal(history_puts, before);
}

static void unneeded_workers_are_timed_across_cycles(void **state)
{
    (void)state;
    struct nf_fnode fn[3] = {
        {.name = "w0", .ready = true, .alloc_cpu_m = 2000, .alloc_mem = 1 << 30, .alloc_pods = 110},
        {.name = "w1", .ready = true, .alloc_cpu_m = 2000, .alloc_mem = 1 << 30, .alloc_pods = 110},
        {.name = "w2",
         .ready = true,
         .alloc_cpu_m = 2000,
         .alloc_mem = 1 << 30,
         .alloc_pods = 110}};
    struct nf_fpod fp[2] = {{.ns = "shop",
                             .name = "db-0",
                             .node = 0,
                             .req_cpu_m = 500,
                             .owner = NF_FOWN_STATEFULSET,
                             .pdb = -1,
                             .pdb2 = -1},
                            {.ns = "shop",
                             .name = "web-1",
                             .node = 1,
                             .req_cpu_m = 900,
                             .safe_to_evict = -1,
                             .owner = NF_FOWN_REPLICAS,
                             .replicas = 3,
                             .pdb = -1,
                             .pdb2 = -1}};
    struct nf_fleet f = {.nodes = fn, .nnodes = 3, .pods = fp, .npods = 2};
    void *ws = malloc(nf_fleet_ws_bytes(3, 2));
    assert_non_null(ws);
    nf_fleet_prepare(&f, ws);
    fake_fleet = &f;
    world(3, "default", false);
    struct nf_plan plan;
    double t0 = now_t;
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    /* w2 (empty); w1 holds the headroom slots (the fullest workers with room hold them) */
    assert_int_equal(stored.nunneeded, 1);
    assert_string_equal(stored.unneeded[0].node, "w2");
    assert_true(stored.unneeded[0].since == t0);
    now_t += 300; /* not yet: the timers keep their start */
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal(plan.action, NF_ACTION_NONE);
    assert_true(stored.unneeded[0].since == t0);
    now_t += 330; /* 630 s > 600 s: the least used goes (w2, empty), named by the plan; one
                   * only: min_nodes is 2 */
    assert_int_equal(run(&plan), NF_OK);
    assert_int_equal(plan.action, NF_ACTION_SCALE_DOWN);
    assert_int_equal(plan.nremove, 1);
    assert_string_equal(plan.remove[0], "w2");
    assert_non_null(strstr(calls, "drain_step:w2;"));
    assert_null(strstr(calls, "drain_step:w0;"));
    fake_fleet = NULL;
    free(ws);
}

/* issue 15: a spot warning - the worker drained against its deadline, a replacement launched in
 * the same cycle, the message deleted only after the state holds both; the same message again
 * does nothing; an event about an instance outside the pool is deleted and ignored */
static void a_spot_warning_drains_against_its_deadline_and_replaces_at_once(void **state)
{
    (void)state;
    world(3, "static:3", false);
    insts[1].market = NF_MARKET_SPOT;
    /* the worker is the larger of two types: its replacement is of its type (its pods fit),
     * not the cheapest choice for nothing pending */
    fake_types[0] = (struct nf_itype){"small", 2000, 4LL << 30, 0.02, 0.01};
    fake_types[1] = (struct nf_itype){"big", 4000, 8LL << 30, 0.04, 0.02};
    nfake_types = 2;
    snprintf(insts[1].type, sizeof insts[1].type, "big");
    queue(NF_CEV_SPOT_INTERRUPTION, "ev-1", "i-1", now_t + 120);
    queue(NF_CEV_SPOT_INTERRUPTION, "ev-2", "i-999", now_t + 120); /* not ours */
    struct nf_plan plan;
    assert_int_equal(run(&plan), NF_OK);
    assert_before("receive:2;", "save:L0/0,D1;"); /* the drain, saved first */
    assert_before("save:L0/0,D1;", "ack:0;");     /* then the messages go */
    assert_before("ack:1;", "launch:1;");         /* the replacement, the same cycle */
    assert_before("backoff:us-east-1b:spot:new;", "launch:1;"); /* its pool rests */
    assert_before("launch:1;", "drain_step:w1;");               /* the drain's first step, too */
    assert_int_equal(acked, 2);
    assert_int_equal(stored.ndrains, 1);
    assert_string_equal(stored.drains[0].node, "w1");
    assert_true(stored.drains[0].force_at == now_t + 90); /* 30 s before it goes */
    assert_true(last_force_at == now_t + 90);
    assert_int_equal(stored.ninterrupts, 1);
    assert_string_equal(stored.interrupts[0].kind, "spot_interruption");
    assert_int_equal(stored.interruptions, 1);
    assert_int_equal(ninsts, 4);
    assert_string_equal(insts[3].type, "big");
    /* the replacement's notification names the worker it replaces and itself */
    assert_string_contains(last_up.reason, "replacing 1 interrupted worker (i-1)");
    assert_string_equal(last_up.instances, insts[3].id);
    assert_float_equal(last_up.cost_per_hour_change,
                       insts[3].market == NF_MARKET_SPOT ? 0.02 : 0.04, 1e-9); /* big's price */
    assert_int_equal(events[NF_EV_DRAIN_STARTED], 1);
    assert_int_equal(cyc.last.events[NF_CEV_SPOT_INTERRUPTION], 1); /* for the metrics */
    /* delivered again (at least once): acked, nothing twice */
    nqueued = 0;
    queued_msgs = 0;
    queue(NF_CEV_SPOT_INTERRUPTION, "ev-1", "i-1", now_t + 120);
    now_t += 10;
    assert_int_equal(run(&plan), NF_OK);
    assert_non_null(strstr(calls, "ack:0;"));
    assert_null(strstr(calls, "launch:"));
    assert_int_equal(stored.ndrains, 1);
    assert_int_equal(stored.interruptions, 1);
    assert_int_equal(ninsts, 4);
    nfake_types = 0;
}

static void an_unasked_stop_forgets_the_worker_and_a_dry_run_reads_nothing(void **state)
{
    (void)state;
    world(3, "static:3", false);
    queue(NF_CEV_STATE_CHANGE, "ev-9", "i-2", 0);
    queue(NF_CEV_REBALANCE, "ev-10", "i-0", 0);
    struct nf_plan plan;
    assert_int_equal(run(&plan), NF_OK);
    assert_non_null(strstr(calls, "remove_node:w2;"));
    assert_null(strstr(calls, "drain_step:"));
    assert_int_equal(stored.ninterrupts, 2);
    assert_int_equal(stored.interruptions, 0); /* neither interrupts a worker */
    assert_int_equal(acked, 2);
    /* aws.rebalance: replace - the worker goes as if warned: drained and replaced */
    rebalance_replace = true;
    world(3, "static:3", false);
    queue(NF_CEV_REBALANCE, "ev-11", "i-1", 0);
    assert_int_equal(run(&plan), NF_OK);
    rebalance_replace = false;
    assert_non_null(strstr(calls, "launch:1;"));
    assert_non_null(strstr(calls, "drain_step:w1;"));
    assert_int_equal(stored.ndrains, 1);
    assert_true(stored.drains[0].force_at == now_t + 90);
    /* a dry run leaves the queue to the process that acts */
    world(3, "static:3", true);
    queue(NF_CEV_SPOT_INTERRUPTION, "ev-1", "i-1", now_t + 120);
    assert_int_equal(run(&plan), NF_OK);
    assert_null(strstr(calls, "receive"));
    assert_int_equal(acked, 0);
}

/* Issue 16: under a run's deadline a step is not started unless its estimate - the timeouts of
 * what it calls - fits in what is left less the reserve; the cycle then ends with rule
 * `deadline`, the lease released. */
static void a_step_that_does_not_fit_the_deadline_is_not_started(void **state)
{
    (void)state;
    struct nf_plan plan;
    concurrent = true;
    step_timeout = 1; /* observe: 1 s (at once); the events: 2 s; a launch: 1 s */
    /* 0.5 s left: not even the observation starts */
    world(2, "static:3", false);
    nf_budget_start(nf_mono_now() + 1.5, 1);
    assert_int_equal(run(&plan), NF_OK);
    nf_budget_clear();
    assert_string_equal(nf_plan_code(&plan), "deadline");
    assert_non_null(strstr(plan.reason, "not enough to observe"));
    assert_null(strstr(calls, "metrics"));
    assert_null(strstr(calls, "list"));
    assert_non_null(strstr(calls, "release"));
    assert_true(cyc.last.deadline_cut);
    /* 1.6 s: the observation, but not the cloud's events (a drain then a launch: 2 s) */
    world(2, "static:3", false);
    nf_budget_start(nf_mono_now() + 2.6, 1);
    assert_int_equal(run(&plan), NF_OK);
    nf_budget_clear();
    assert_string_equal(nf_plan_code(&plan), "deadline");
    assert_non_null(strstr(calls, "metrics"));
    assert_null(strstr(calls, "receive"));
    assert_null(strstr(calls, "launch"));
    assert_non_null(strstr(calls, "release"));
    /* a slow observation leaves 0.6 s: the launch (1 s) is not started */
    no_events = true;
    slow_s = 1.0;
    world(2, "static:3", false);
    nf_budget_start(nf_mono_now() + 2.6, 1);
    assert_int_equal(run(&plan), NF_OK);
    nf_budget_clear();
    slow_s = 0;
    assert_string_equal(nf_plan_code(&plan), "deadline");
    assert_non_null(strstr(plan.reason, "act on the decision"));
    assert_null(strstr(calls, "launch"));
    assert_non_null(strstr(calls, "release"));
    assert_int_equal(ninsts, 2);
    /* time enough (or no deadline at all): the same cycle launches */
    world(2, "static:3", false);
    nf_budget_start(nf_mono_now() + 30, 1);
    assert_int_equal(run(&plan), NF_OK);
    nf_budget_clear();
    assert_int_equal(plan.action, NF_ACTION_SCALE_UP);
    assert_non_null(strstr(calls, "launch:1;"));
    assert_false(cyc.last.deadline_cut);
    /* the least a cycle needs: observe (1 s) and then act (1 s); with the events, 2 s more */
    assert_true(fabs(nf_cycle_step_time(&cyc) - 2) < 1e-9);
    no_events = concurrent = false;
    world(2, "static:3", false);
    assert_true(fabs(nf_cycle_step_time(&cyc) - 6) < 1e-9); /* one source after another */
    step_timeout = 0;
}

int main(void)
{
    nf_log_set_level(NF_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_memory_store_fences_like_the_others),
        cmocka_unit_test(lease_held_elsewhere_does_nothing),
        cmocka_unit_test(the_intent_is_saved_before_the_cloud_hears_of_it),
        cmocka_unit_test(a_lost_lease_stops_the_cycle_before_any_action),
        cmocka_unit_test(dry_run_decides_and_touches_nothing),
        cmocka_unit_test(no_scale_down_on_an_incomplete_observation),
        cmocka_unit_test(a_failed_source_is_unknown_never_zero),
        cmocka_unit_test(a_drain_is_on_record_before_it_starts_then_finishes),
        cmocka_unit_test(an_aborted_drain_keeps_the_node),
        cmocka_unit_test(a_worker_that_never_joins_is_terminated_after_the_timeout),
        cmocka_unit_test(a_refused_launch_is_dropped_and_counted),
        cmocka_unit_test(an_unknown_pool_instance_is_adopted),
        cmocka_unit_test(pending_pods_no_new_worker_could_host_are_reported),
        cmocka_unit_test(a_scale_up_buys_the_cheapest_types_for_the_pending_pods),
        cmocka_unit_test(unneeded_workers_are_timed_across_cycles),
        cmocka_unit_test(the_seed_keeps_its_metrics_history),
        cmocka_unit_test(the_sources_are_observed_at_once),
        cmocka_unit_test(a_quiet_cycle_writes_once),
        cmocka_unit_test(a_spot_warning_drains_against_its_deadline_and_replaces_at_once),
        cmocka_unit_test(an_unasked_stop_forgets_the_worker_and_a_dry_run_reads_nothing),
        cmocka_unit_test(a_step_that_does_not_fit_the_deadline_is_not_started),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
