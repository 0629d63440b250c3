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
    r->cost[0] = r->cost[1] = NAN;
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
