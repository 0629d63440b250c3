/* predictive.c - node-fleet's layer 3 (predictive.h). */
#include "predictive.h"

#include <math.h>

#define DAY_S 86400.0

/* times outside [0, NF_PRED_T_MAX] (nothing a clock says) count as 0 */
#define NF_PRED_T_MAX 1e11

static double sane(double t)
{
    return t >= 0 && t <= NF_PRED_T_MAX ? t : 0;
}

static int hour_of(double t)
{
    return (int)floor(fmod(sane(t), DAY_S) / 3600.0);
}

static int weekday_of(double t)
{
    /* 1970-01-01 was a Thursday: weekday 3 with Monday 0 */
    long long d = (long long)floor(sane(t) / DAY_S);
    return (int)((d + 3) % 7);
}

struct nf_history_item nf_history_item_at(double t, double cpu, double memory, double pending,
                                          int nodes)
{
    return (struct nf_history_item){.t = t,
                                    .hour = hour_of(t),
                                    .weekday = weekday_of(t),
                                    .cpu = cpu,
                                    .memory = memory,
                                    .pending = pending,
                                    .nodes = nodes};
}

struct mean {
    double sum;
    int n;
};

static void add(struct mean *m, double v)
{
    if (isfinite(v)) {
        m->sum += v;
        m->n++;
    }
}

static double avg(const struct mean *m)
{
    return m->n > 0 ? m->sum / m->n : NAN;
}

void nf_predict(const struct nf_history_item *items, size_t n, double now, int current,
                int max_nodes, struct nf_prediction *out)
{
    *out = (struct nf_prediction){.hour = hour_of(now + 3600.0), .day_factor = 1};
    int today = weekday_of(now);
    struct mean cpu = {0}, mem = {0}, pend = {0}, all_cpu = {0}, day_cpu = {0};
    for (size_t i = 0; i < n; i++) {
        const struct nf_history_item *it = &items[i];
        if (!(it->t >= now - NF_PRED_WINDOW_S && it->t <= now))
            continue;
        out->items++;
        add(&all_cpu, it->cpu);
        if (it->weekday == today)
            add(&day_cpu, it->cpu);
        if (it->hour == out->hour) {
            out->hour_items++;
            add(&cpu, it->cpu);
            add(&mem, it->memory);
            add(&pend, it->pending);
        }
    }
    if (out->items < NF_PRED_MIN_ITEMS || out->hour_items < NF_PRED_MIN_HOUR_ITEMS)
        return;
    out->known = true;
    out->confidence = fmin(out->hour_items / NF_PRED_FULL_CONF, 1.0);
    double all = avg(&all_cpu), day = avg(&day_cpu);
    if (isfinite(all) && all > 0 && isfinite(day))
        out->day_factor = day / all;
    double boost = out->confidence < NF_PRED_LOW_CONF ? NF_PRED_LOW_CONF_BOOST : 1.0;
    out->cpu = avg(&cpu) * out->day_factor * boost;
    out->memory = avg(&mem) * out->day_factor * boost;
    out->pending = avg(&pend);
    bool wants = out->cpu > NF_PRED_CPU_UP || out->memory > NF_PRED_MEMORY_UP ||
                 out->pending >= NF_PRED_PENDING_UP; /* NAN compares false: not wanted */
    if (out->confidence < NF_PRED_MIN_CONF || !wants)
        return;
    int t = current;
    if (isfinite(out->cpu)) {
        double sized = floor(out->cpu / NF_PRED_CPU_TARGET * current) + 1;
        if (sized > t)
            t = sized > 1e6 ? 1000000 : (int)sized;
    }
    if (t < NF_PRED_MIN_TARGET)
        t = NF_PRED_MIN_TARGET;
    if (t > current + NF_PRED_MAX_STEP)
        t = current + NF_PRED_MAX_STEP;
    if (t > max_nodes)
        t = max_nodes;
    out->up = true;
    out->target = t;
}
