/* registry.c - counters, gauges and one histogram behind a mutex, rendered on demand. */
#define _POSIX_C_SOURCE 200809L
#include "registry.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expo.h"

static const double duration_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                         0.5,   1,    2.5,   5,    10,  30};
#define NBOUNDS (sizeof duration_bounds / sizeof duration_bounds[0])
/* launch to Ready: K3s workers join in about a minute; a slow AMI or a cold zone in several */
static const double join_bounds[] = {15, 30, 45, 60, 90, 120, 180, 300, 600, 900};
#define NJOIN (sizeof join_bounds / sizeof join_bounds[0])

static const char *const components[] = {"prometheus", "cluster", "cloud",
                                         "store",      "notify",  "cycle"};
#define NCOMPONENTS (sizeof components / sizeof components[0])

struct decision {
    char action[16];
    char reason[48];
    double count;
};

struct nf_registry {
    pthread_mutex_t mu;
    char version[64];
    double bucket[NBOUNDS];
    double dur_sum, dur_count;
    struct decision decisions[NF_REGISTRY_DECISIONS_MAX + 1];
    size_t ndecisions;
    struct nf_workers workers;
    double errors[NCOMPONENTS];
    double interruptions[4];
    double cost[2]; /* on-demand, spot; $ an hour */
    int nsignals;
    char names[NF_SAMPLE_VALUES][48];
    double values[NF_SAMPLE_VALUES];
    double last_wall, last_mono;
    bool any_cycle;
    double failed;
    struct nf_registry_settings set;
    double last_decision, lease_held, lease_lost, deadline_cuts;
    double launch_failures, join_timeouts, drains_done, drains_aborted;
    double join_bucket[NJOIN], join_sum, join_count;
    double drains_in_flight, drain_oldest, instances[2], cost_all_od;
};

struct nf_registry *nf_registry_new(const char *version, const char *const *signal_names,
                                    int nsignals)
{
    struct nf_registry *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    pthread_mutex_init(&r->mu, NULL);
    snprintf(r->version, sizeof r->version, "%s", version);
    r->nsignals = nsignals > NF_SAMPLE_VALUES ? NF_SAMPLE_VALUES : nsignals;
    r->cost[0] = r->cost[1] = r->cost_all_od = NAN;
    r->instances[0] = r->instances[1] = NAN;
    r->set.interval_s = r->set.drain_timeout_s = r->set.provision_timeout_s = NAN;
    for (int i = 0; i < r->nsignals; i++) {
        snprintf(r->names[i], sizeof r->names[i], "%s", signal_names[i]);
        r->values[i] = NAN;
    }
    return r;
}

void nf_registry_free(struct nf_registry *r)
{
    if (r == NULL)
        return;
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static struct decision *decision_slot(struct nf_registry *r, const char *action, const char *reason)
{
    for (size_t i = 0; i < r->ndecisions; i++)
        if (strcmp(r->decisions[i].action, action) == 0 &&
            strcmp(r->decisions[i].reason, reason) == 0)
            return &r->decisions[i];
    if (r->ndecisions == NF_REGISTRY_DECISIONS_MAX) {
        if (strcmp(reason, "other") != 0)
            return decision_slot(r, action, "other");
        /* "other" of a new action: share the last slot rather than grow */
        return &r->decisions[NF_REGISTRY_DECISIONS_MAX - 1];
    }
    struct decision *d = &r->decisions[r->ndecisions++];
    snprintf(d->action, sizeof d->action, "%s", action);
    snprintf(d->reason, sizeof d->reason, "%s", reason);
    d->count = 0;
    return d;
}

void nf_registry_cycle(struct nf_registry *r, double duration_s, const char *action,
                       const char *reason, const struct nf_workers *workers, const double *newest,
                       double wall_end, double mono_end)
{
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < NBOUNDS; i++)
        if (duration_s <= duration_bounds[i])
            r->bucket[i]++;
    r->dur_sum += duration_s;
    r->dur_count++;
    if (action != NULL)
        decision_slot(r, action, reason ? reason : "unknown")->count++;
    else
        r->failed++;
    if (workers != NULL)
        r->workers = *workers;
    for (int i = 0; i < r->nsignals; i++)
        r->values[i] = newest ? newest[i] : NAN;
    r->last_wall = wall_end;
    r->last_mono = mono_end;
    r->any_cycle = true;
    pthread_mutex_unlock(&r->mu);
}

void nf_registry_errors(struct nf_registry *r, const char *component, unsigned long n)
{
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < NCOMPONENTS; i++)
        if (strcmp(components[i], component) == 0)
            r->errors[i] += (double)n;
    pthread_mutex_unlock(&r->mu);
}

static const char *const event_kinds[4] = {"spot_interruption", "rebalance", "state_change",
                                           "scheduled"};

void nf_registry_interruptions(struct nf_registry *r, const char *kind, unsigned long n)
{
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < 4; i++)
        if (strcmp(event_kinds[i], kind) == 0)
            r->interruptions[i] += (double)n;
    pthread_mutex_unlock(&r->mu);
}

void nf_registry_cost(struct nf_registry *r, double on_demand, double spot)
{
    pthread_mutex_lock(&r->mu);
    r->cost[0] = on_demand;
    r->cost[1] = spot;
    pthread_mutex_unlock(&r->mu);
}

void nf_registry_settings(struct nf_registry *r, const struct nf_registry_settings *s)
{
    pthread_mutex_lock(&r->mu);
    r->set = *s;
    pthread_mutex_unlock(&r->mu);
}

void nf_registry_facts(struct nf_registry *r, const struct nf_registry_facts *f, double wall)
{
    pthread_mutex_lock(&r->mu);
    if (f->decided)
        r->last_decision = wall;
    r->lease_held = f->lease_held;
    r->lease_lost += f->lease_lost;
    r->deadline_cuts += f->deadline_cut;
    r->launch_failures += f->launch_failures;
    r->join_timeouts += f->join_timeouts;
    r->drains_done += f->drains_done;
    r->drains_aborted += f->drains_aborted;
    for (int i = 0; i < f->njoined; i++) {
        for (size_t b = 0; b < NJOIN; b++)
            if (f->joined_s[i] <= join_bounds[b])
                r->join_bucket[b]++;
        r->join_sum += f->joined_s[i];
        r->join_count++;
    }
    if (f->pool_known) {
        r->drains_in_flight = f->drains_in_flight;
        r->drain_oldest = f->drain_oldest_age_s;
        r->instances[0] = f->instances[0];
        r->instances[1] = f->instances[1];
        r->cost_all_od = f->cost_if_on_demand;
    }
    pthread_mutex_unlock(&r->mu);
}

static void gauge(struct nf_buf *out, const char *name, const char *help, double v)
{
    nf_expo_family(out, name, help, "gauge");
    nf_expo_sample(out, name, NULL, NULL, 0, v, false, 0);
}

static void counter(struct nf_buf *out, const char *name, const char *help, double v)
{
    nf_expo_family(out, name, help, "counter");
    nf_expo_sample(out, name, NULL, NULL, 0, v, false, 0);
}

/* the settings the rules compare with, and the facts of nf_registry_facts */
static void render_facts(struct nf_registry *r, struct nf_buf *out)
{
    gauge(out, "nodefleet_interval_seconds", "The configured time between cycles.",
          r->set.interval_s);
    gauge(out, "nodefleet_nodes_min", "The configured min_nodes.", r->set.min_nodes);
    gauge(out, "nodefleet_nodes_max", "The configured max_nodes.", r->set.max_nodes);
    gauge(out, "nodefleet_drain_timeout_seconds", "The configured kube.drain_timeout.",
          r->set.drain_timeout_s);
    gauge(out, "nodefleet_provision_timeout_seconds", "The configured provision_timeout.",
          r->set.provision_timeout_s);
    counter(out, "nodefleet_cycles_failed_total", "Decision cycles that failed.", r->failed);
    gauge(out, "nodefleet_last_decision_timestamp_seconds",
          "Unix time of the last cycle that held the lease and decided (0: none yet).",
          r->last_decision);
    gauge(out, "nodefleet_lease_held", "1 when the last cycle held the lease to its end.",
          r->lease_held);
    counter(out, "nodefleet_lease_lost_total",
            "Cycles whose lease another process took over before they ended.", r->lease_lost);
    counter(out, "nodefleet_deadline_cuts_total",
            "Cycles ended early by the run's deadline (Lambda's, once --deadline, the interval).",
            r->deadline_cuts);
    counter(out, "nodefleet_launch_failures_total",
            "Workers that failed to launch or were gone before they joined.", r->launch_failures);
    counter(out, "nodefleet_join_timeouts_total",
            "Workers not Ready within provision_timeout, terminated.", r->join_timeouts);
    nf_expo_family(out, "nodefleet_join_duration_seconds",
                   "Time from a worker's launch to its node's Ready.", "histogram");
    nf_expo_histogram(out, "nodefleet_join_duration_seconds", NULL, 0, join_bounds, r->join_bucket,
                      NJOIN, r->join_sum, r->join_count);
    nf_expo_family(out, "nodefleet_drains_total", "Drains finished, by outcome.", "counter");
    struct nf_label ld = {"outcome", "done"}, la = {"outcome", "aborted"};
    nf_expo_sample(out, "nodefleet_drains_total", NULL, &ld, 1, r->drains_done, false, 0);
    nf_expo_sample(out, "nodefleet_drains_total", NULL, &la, 1, r->drains_aborted, false, 0);
    gauge(out, "nodefleet_drains_in_flight", "Drains on record, not finished.",
          r->drains_in_flight);
    gauge(out, "nodefleet_drain_oldest_age_seconds",
          "How long the oldest drain in flight has run (0: none).", r->drain_oldest);
    nf_expo_family(out, "nodefleet_instances", "The pool's instances, by market.", "gauge");
    for (int i = 0; i < 2; i++) {
        struct nf_label lm = {"market", i ? "spot" : "on-demand"};
        nf_expo_sample(out, "nodefleet_instances", NULL, &lm, 1, r->instances[i], false, 0);
    }
    gauge(out, "nodefleet_cost_if_on_demand_dollars_per_hour",
          "What the pool's instances would cost an hour all on-demand (the savings' base).",
          r->cost_all_od);
}

void nf_registry_render(struct nf_registry *r, struct nf_buf *out)
{
    pthread_mutex_lock(&r->mu);
    nf_expo_family(out, "nodefleet_build_info", "Build information; always 1.", "gauge");
    struct nf_label l = {"version", r->version};
    nf_expo_sample(out, "nodefleet_build_info", NULL, &l, 1, 1, false, 0);

    nf_expo_family(out, "nodefleet_cycle_duration_seconds",
                   "Time a decision cycle took, observe to record.", "histogram");
    nf_expo_histogram(out, "nodefleet_cycle_duration_seconds", NULL, 0, duration_bounds, r->bucket,
                      NBOUNDS, r->dur_sum, r->dur_count);

    nf_expo_family(out, "nodefleet_cycles_total", "Decision cycles finished.", "counter");
    nf_expo_sample(out, "nodefleet_cycles_total", NULL, NULL, 0, r->dur_count, false, 0);

    nf_expo_family(out, "nodefleet_decisions_total",
                   "Decisions by action and by the rule that decided.", "counter");
    for (size_t i = 0; i < r->ndecisions; i++) {
        struct nf_label ls[] = {{"action", r->decisions[i].action},
                                {"reason", r->decisions[i].reason}};
        nf_expo_sample(out, "nodefleet_decisions_total", NULL, ls, 2, r->decisions[i].count, false,
                       0);
    }

    nf_expo_family(out, "nodefleet_errors_total", "Failed calls, by component.", "counter");
    for (size_t i = 0; i < NCOMPONENTS; i++) {
        struct nf_label lc = {"component", components[i]};
        nf_expo_sample(out, "nodefleet_errors_total", NULL, &lc, 1, r->errors[i], false, 0);
    }

    nf_expo_family(out, "nodefleet_interruptions_total",
                   "Events of the interruption queue acted on, by kind.", "counter");
    for (size_t i = 0; i < 4; i++) {
        struct nf_label lk = {"kind", event_kinds[i]};
        nf_expo_sample(out, "nodefleet_interruptions_total", NULL, &lk, 1, r->interruptions[i],
                       false, 0);
    }

    nf_expo_family(out, "nodefleet_cost_dollars_per_hour",
                   "What the pool's instances cost an hour, by market, from their types' prices "
                   "(NaN: not known yet).",
                   "gauge");
    for (int i = 0; i < 2; i++) {
        struct nf_label lm = {"market", i ? "spot" : "on-demand"};
        nf_expo_sample(out, "nodefleet_cost_dollars_per_hour", NULL, &lm, 1, r->cost[i], false, 0);
    }

    nf_expo_family(out, "nodefleet_last_cycle_timestamp_seconds",
                   "Unix time the last cycle finished (0: none yet).", "gauge");
    nf_expo_sample(out, "nodefleet_last_cycle_timestamp_seconds", NULL, NULL, 0, r->last_wall,
                   false, 0);

    nf_expo_family(out, "nodefleet_nodes", "Workers by state, as last observed.", "gauge");
    const struct {
        const char *state;
        int n;
    } st[] = {{"ready", r->workers.ready},
              {"joining", r->workers.joining},
              {"draining", r->workers.draining}};
    for (size_t i = 0; i < 3; i++) {
        struct nf_label ls = {"state", st[i].state};
        nf_expo_sample(out, "nodefleet_nodes", NULL, &ls, 1, st[i].n, false, 0);
    }

    nf_expo_family(out, "nodefleet_signal", "Newest value read per signal (NaN when unknown).",
                   "gauge");
    for (int i = 0; i < r->nsignals; i++) {
        struct nf_label ln = {"name", r->names[i]};
        nf_expo_sample(out, "nodefleet_signal", NULL, &ln, 1, r->values[i], false, 0);
    }
    nf_expo_family(out, "nodefleet_signal_unknown",
                   "1 when the newest read of a signal failed or was not a number.", "gauge");
    for (int i = 0; i < r->nsignals; i++) {
        struct nf_label ln = {"name", r->names[i]};
        nf_expo_sample(out, "nodefleet_signal_unknown", NULL, &ln, 1,
                       isfinite(r->values[i]) ? 0 : 1, false, 0);
    }
    render_facts(r, out);
    pthread_mutex_unlock(&r->mu);
}

bool nf_registry_ready(struct nf_registry *r, double mono_now, double interval_s, char *why,
                       size_t whylen)
{
    pthread_mutex_lock(&r->mu);
    bool any = r->any_cycle;
    double age = mono_now - r->last_mono;
    pthread_mutex_unlock(&r->mu);
    if (!any) {
        snprintf(why, whylen, "no cycle has finished yet");
        return false;
    }
    if (age > 2 * interval_s) {
        snprintf(why, whylen, "last cycle finished %.0fs ago (more than 2 intervals of %gs)", age,
                 interval_s);
        return false;
    }
    return true;
}
