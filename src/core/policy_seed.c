/* policy_seed.c - node-fleet's documented scaling rules, exactly (DESIGN.md "Seed preset").
 *
 * Order of the rules, each ending the decision when it applies:
 *   1. size < min_nodes -> add (min - size), no cooldown;  size > max_nodes -> remove (size - max).
 *   2. no samples -> nothing (we cannot judge the load).
 *   3. any scale-up condition held -> add step or urgent step, unless within the scale-up
 *      cooldown; clamped so size never exceeds max. While an up-condition holds the pool is
 *      never shrunk, even when the add is blocked.
 *   4. idle (CPU low, memory low, no pending pods, all together) for scale_down_for -> remove 1,
 *      unless within the scale-down cooldown of the last event of either kind, or at min.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "predictive.h"
#include "window.h"

struct up_rule {
    const char *rule;
    enum nf_signal sig;
    double threshold;
    double duration;
};

static const char *sig_name(const struct nf_seed_params *s, int sig)
{
    if (sig < NF_SIG__COUNT)
        return nf_signal_names[sig];
    return s->triggers[sig - NF_SIG__COUNT].name;
}

/* "cpu > 70" / "cpu < 30 and memory < 50 and pending_pods == 0" */
static void cond_text(const struct nf_seed_params *s, const struct nf_condset *cs, char *out,
                      size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < cs->n && o < len; i++) {
        int w = snprintf(out + o, len - o, "%s%s %s %g", i ? " and " : "",
                         sig_name(s, (int)cs->c[i].sig), nf_cmp_symbol(cs->c[i].cmp),
                         cs->c[i].threshold);
        if (w < 0)
            return;
        o += (size_t)w;
    }
}

/* Evaluate one sustained condition and write its trail line; returns whether it held. */
static bool judge(const struct nf_seed_params *s, struct nf_plan *plan, const char *rule,
                  const struct nf_condset *cs, double duration, const struct nf_observation *obs)
{
    struct nf_window_result r;
    bool held = nf_window_holds(obs->samples, obs->nsamples, obs->now, duration, cs, &r);
    char cond[160];
    cond_text(s, cs, cond, sizeof cond);
    const struct nf_sample *newest = obs->nsamples ? &obs->samples[obs->nsamples - 1] : NULL;
    switch (r.state) {
    case NF_WIN_HELD:
        nf_plan_trail(plan, rule, NF_TRAIL_HELD, "%s for %gs: held since %gs ago", cond, duration,
                      obs->now - r.since);
        break;
    case NF_WIN_NO_SAMPLES:
        nf_plan_trail(plan, rule, NF_TRAIL_UNKNOWN, "%s for %gs: no samples", cond, duration);
        break;
    case NF_WIN_NEWEST_UNKNOWN:
        nf_plan_trail(plan, rule, NF_TRAIL_UNKNOWN, "%s for %gs: newest %s unknown", cond, duration,
                      sig_name(s, (int)cs->c[r.failing].sig));
        break;
    case NF_WIN_NEWEST_FAILS:
        nf_plan_trail(plan, rule, NF_TRAIL_NOT_HELD, "%s for %gs: newest %s is %g", cond, duration,
                      sig_name(s, (int)cs->c[r.failing].sig), newest->v[cs->c[r.failing].sig]);
        break;
    case NF_WIN_TOO_SHORT:
        nf_plan_trail(plan, rule, NF_TRAIL_NOT_HELD, "%s for %gs: only for %gs so far", cond,
                      duration, obs->now - r.since);
        break;
    }
    return held;
}

double nf_policy_seed_lookback(const struct nf_policy *p)
{
    const struct nf_seed_params *s = &p->seed;
    double m = s->up_for;
    if (s->up_app_for > m)
        m = s->up_app_for;
    if (s->down_for > m)
        m = s->down_for;
    for (int k = 0; k < s->ntriggers; k++)
        if (s->triggers[k].for_s > m)
            m = s->triggers[k].for_s;
    return m;
}

/* The seed's rules in their documented order (DESIGN.md, "Seed preset"): bounds, then the
 * scale-up conditions and their cooldown, then idle and its cooldown - one function so that
 * the order of the rules, which decides the outcome, is visible in one place. */
static void rules(const struct nf_policy *p, const struct nf_observation *obs, struct nf_plan *plan)
{
    const struct nf_seed_params *s = &p->seed;
    int size = obs->workers.ready + obs->workers.joining;
    nf_plan_trail(plan, "size", NF_TRAIL_INFO,
                  "ready %d + joining %d = %d (draining %d not counted); min %d, max %d",
                  obs->workers.ready, obs->workers.joining, size, obs->workers.draining,
                  s->min_nodes, s->max_nodes);

    /* 1. bounds first, no cooldown: an undersized pool is an outage waiting to happen */
    if (size < s->min_nodes) {
        nf_plan_trail(plan, "min_nodes", NF_TRAIL_CHOSEN, "size %d < min %d: add %d", size,
                      s->min_nodes, s->min_nodes - size);
        nf_plan_set(plan, NF_ACTION_SCALE_UP, s->min_nodes - size,
                    "below min_nodes: %d workers, min %d", size, s->min_nodes);
        return;
    }
    if (size > s->max_nodes) {
        nf_plan_trail(plan, "max_nodes", NF_TRAIL_CHOSEN, "size %d > max %d: remove %d", size,
                      s->max_nodes, size - s->max_nodes);
        nf_plan_set(plan, NF_ACTION_SCALE_DOWN, size - s->max_nodes,
                    "above max_nodes: %d workers, max %d", size, s->max_nodes);
        return;
    }

    /* 2. nothing to judge */
    if (obs->nsamples == 0) {
        nf_plan_trail(plan, "samples", NF_TRAIL_UNKNOWN, "no samples: cannot judge the load");
        nf_plan_set(plan, NF_ACTION_NONE, 0, "no samples");
        return;
    }

    /* 3. scale-up conditions: any one suffices */
    const struct up_rule ups[] = {
        {"cpu_high", NF_SIG_CPU, s->up_cpu, s->up_for},
        {"memory_high", NF_SIG_MEMORY, s->up_memory, s->up_for},
        {"pending_pods", NF_SIG_PENDING_PODS, s->up_pending, s->up_for},
        {"queue_depth", NF_SIG_QUEUE_DEPTH, s->up_queue, s->up_app_for},
        {"latency_p95", NF_SIG_LATENCY_P95_MS, s->up_latency_ms, s->up_app_for},
        {"error_rate", NF_SIG_ERROR_RATE_PCT, s->up_error_pct, s->up_app_for},
    };
    char held_text[NF_REASON_MAX] = "";
    size_t held_len = 0;
    int nheld = 0;
    for (size_t i = 0; i < sizeof ups / sizeof ups[0]; i++) {
        struct nf_condset cs = {.n = 1, .c = {{ups[i].sig, NF_CMP_ABOVE, ups[i].threshold}}};
        if (judge(s, plan, ups[i].rule, &cs, ups[i].duration, obs)) {
            nheld++;
            int w = snprintf(held_text + held_len, sizeof held_text - held_len, "%s%s > %g for %gs",
                             held_len ? ", " : "", nf_signal_names[ups[i].sig], ups[i].threshold,
                             ups[i].duration);
            if (w > 0 && (size_t)w < sizeof held_text - held_len)
                held_len += (size_t)w;
        }
    }
    int trigger_add = 0;
    for (int k = 0; k < s->ntriggers; k++) {
        const struct nf_trigger_rule *t = &s->triggers[k];
        struct nf_condset cs = {.n = 1,
                                .c = {{(enum nf_signal)NF_SIG_CUSTOM(k),
                                       t->below ? NF_CMP_BELOW : NF_CMP_ABOVE, t->threshold}}};
        char rule[NF_TRAIL_RULE_MAX];
        snprintf(rule, sizeof rule, "trigger:%.30s", t->name);
        if (judge(s, plan, rule, &cs, t->for_s, obs)) {
            nheld++;
            if (t->scale_by > trigger_add)
                trigger_add = t->scale_by;
            int w = snprintf(held_text + held_len, sizeof held_text - held_len,
                             "%s%s %s %g for %gs", held_len ? ", " : "", t->name,
                             t->below ? "<" : ">", t->threshold, t->for_s);
            if (w > 0 && (size_t)w < sizeof held_text - held_len)
                held_len += (size_t)w;
        }
    }
    if (nheld > 0) {
        if (isfinite(obs->last_scale_up) && obs->now - obs->last_scale_up < s->cooldown_up) {
            nf_plan_trail(plan, "cooldown_scale_up", NF_TRAIL_BLOCKED,
                          "last scale-up %gs ago < cooldown %gs", obs->now - obs->last_scale_up,
                          s->cooldown_up);
            nf_plan_set(plan, NF_ACTION_NONE, 0,
                        "scale-up blocked by cooldown (%gs since last scale-up, cooldown %gs): %s",
                        obs->now - obs->last_scale_up, s->cooldown_up, held_text);
            return;
        }
        const struct nf_sample *newest = &obs->samples[obs->nsamples - 1];
        bool urgent_cpu = newest->v[NF_SIG_CPU] > s->urgent_cpu;
        bool urgent_pending = newest->v[NF_SIG_PENDING_PODS] > s->urgent_pending;
        int add = (urgent_cpu || urgent_pending) ? s->up_urgent_step : s->up_step;
        if (trigger_add > add) {
            nf_plan_trail(plan, "trigger_scale_by", NF_TRAIL_INFO, "a held trigger asks for %d",
                          trigger_add);
            add = trigger_add;
        }
        if (urgent_cpu || urgent_pending)
            nf_plan_trail(plan, "urgent", NF_TRAIL_HELD, "newest %s %g > %g: add %d",
                          urgent_cpu ? "cpu" : "pending_pods",
                          urgent_cpu ? newest->v[NF_SIG_CPU] : newest->v[NF_SIG_PENDING_PODS],
                          urgent_cpu ? s->urgent_cpu : s->urgent_pending, add);
        if (add > s->max_nodes - size) {
            nf_plan_trail(plan, "max_nodes", NF_TRAIL_BLOCKED, "size %d + %d would exceed max %d",
                          size, add, s->max_nodes);
            add = s->max_nodes - size;
        }
        if (add <= 0) {
            nf_plan_set(plan, NF_ACTION_NONE, 0, "scale-up wanted but at max_nodes (%d): %s",
                        s->max_nodes, held_text);
            return;
        }
        nf_plan_trail(plan, "scale_up", NF_TRAIL_CHOSEN, "add %d: %d -> %d", add, size, size + add);
        nf_plan_set(plan, NF_ACTION_SCALE_UP, add, "%s", held_text);
        return;
    }

    /* 4. idle: all three together, sustained */
    struct nf_condset idle = {.n = 3,
                              .c = {{NF_SIG_CPU, NF_CMP_BELOW, s->down_cpu},
                                    {NF_SIG_MEMORY, NF_CMP_BELOW, s->down_memory},
                                    {NF_SIG_PENDING_PODS, NF_CMP_EQUAL, 0}}};
    if (!judge(s, plan, "idle", &idle, s->down_for, obs)) {
        nf_plan_set(plan, NF_ACTION_NONE, 0, "stable: no scaling condition held");
        return;
    }
    double last = NAN;
    if (isfinite(obs->last_scale_up))
        last = obs->last_scale_up;
    if (isfinite(obs->last_scale_down) && (!isfinite(last) || obs->last_scale_down > last))
        last = obs->last_scale_down;
    if (isfinite(last) && obs->now - last < s->cooldown_down) {
        nf_plan_trail(plan, "cooldown_scale_down", NF_TRAIL_BLOCKED,
                      "last scale event %gs ago < cooldown %gs", obs->now - last, s->cooldown_down);
        nf_plan_set(plan, NF_ACTION_NONE, 0,
                    "scale-down blocked by cooldown (%gs since last scale event, cooldown %gs)",
                    obs->now - last, s->cooldown_down);
        return;
    }
    if (size - 1 < s->min_nodes) {
        nf_plan_trail(plan, "min_nodes", NF_TRAIL_BLOCKED, "size %d - 1 < min %d", size,
                      s->min_nodes);
        nf_plan_set(plan, NF_ACTION_NONE, 0, "idle but at min_nodes (%d)", s->min_nodes);
        return;
    }
    nf_plan_trail(plan, "scale_down", NF_TRAIL_CHOSEN, "remove 1: %d -> %d", size, size - 1);
    nf_plan_set(plan, NF_ACTION_SCALE_DOWN, 1,
                "idle: cpu < %g, memory < %g and no pending pods for %gs", s->down_cpu,
                s->down_memory, s->down_for);
}

void nf_policy_seed_rules(const struct nf_policy *p, const struct nf_observation *obs,
                          struct nf_plan *plan, bool quiet)
{
    nf_plan_init(plan);
    plan->quiet = quiet;
    rules(p, obs, plan);
}

/* node-fleet's layer 3 (predictive.h), only when the reactive rules decided nothing: the
 * next hour from the metrics history, the scale-up cooldown applied. */
static void predictive_layer(const struct nf_policy *p, const struct nf_observation *obs,
                             struct nf_plan *plan)
{
    const struct nf_seed_params *s = &p->seed;
    int size = obs->workers.ready + obs->workers.joining;
    struct nf_prediction pr;
    nf_predict(obs->mhistory, obs->nmhistory, obs->now, size, s->max_nodes, &pr);
    if (!pr.known) {
        nf_plan_trail(plan, "predictive", NF_TRAIL_UNKNOWN,
                      "%d item(s) in 7 days, %d at %02d:00 UTC (needs %d and %d): no prediction",
                      pr.items, pr.hour_items, pr.hour, NF_PRED_MIN_ITEMS, NF_PRED_MIN_HOUR_ITEMS);
        return;
    }
    bool grows = pr.up && pr.target > size;
    nf_plan_trail(plan, "predictive", grows ? NF_TRAIL_HELD : NF_TRAIL_NOT_HELD,
                  "%02d:00 UTC: cpu %.1f%% memory %.1f%% pending %.1f, confidence %.2f, weekday "
                  "factor %.2f%s",
                  pr.hour, pr.cpu, pr.memory, pr.pending, pr.confidence, pr.day_factor,
                  grows ? "" : ": no scale-up");
    if (!grows)
        return;
    if (isfinite(obs->last_scale_up) && obs->now - obs->last_scale_up < s->cooldown_up) {
        nf_plan_trail(plan, "cooldown_scale_up", NF_TRAIL_BLOCKED,
                      "predicted %d workers, but the last scale-up was %.0fs ago (cooldown %.0fs)",
                      pr.target, obs->now - obs->last_scale_up, s->cooldown_up);
        return;
    }
    nf_plan_trail(plan, "predictive", NF_TRAIL_CHOSEN, "to %d workers: add %d", pr.target,
                  pr.target - size);
    nf_plan_set(plan, NF_ACTION_SCALE_UP, pr.target - size,
                "predicted for %02d:00 UTC: cpu %.1f%%, memory %.1f%%, pending %.1f (confidence "
                "%.2f): %d workers",
                pr.hour, pr.cpu, pr.memory, pr.pending, pr.confidence, pr.target);
}

void nf_policy_seed_decide(const struct nf_policy *p, const struct nf_observation *obs,
                           struct nf_plan *plan)
{
    nf_policy_seed_rules(p, obs, plan, false);
    if (p->seed.predictive && obs->mhistory != NULL && plan->action == NF_ACTION_NONE)
        predictive_layer(p, obs, plan);
}
