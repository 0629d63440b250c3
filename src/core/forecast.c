/* forecast.c - the demand history ring and the seasonal-naive forecast (forecast.h). */
#include "forecast.h"

#include <math.h>

#define DAY_S  86400.0
#define WEEK_S (7 * DAY_S)
#define HOUR_S 3600.0

static void push(struct nf_demand_history *h, float x)
{
    if (h->n < NF_DEMAND_BUCKETS) {
        h->v[(h->head + h->n) % NF_DEMAND_BUCKETS] = x;
        h->n++;
    } else {
        h->v[h->head] = x;
        h->head = (h->head + 1) % NF_DEMAND_BUCKETS;
    }
}

#define MINUTE_S 60.0

int nf_demand_minute_slot(double t)
{
    double k = fmod(floor(t / MINUTE_S), NF_DEMAND_MINUTES); /* in (-60, 60) */
    return (int)(k < 0 ? k + NF_DEMAND_MINUTES : k);
}

#define minute_slot nf_demand_minute_slot

/* the minute ring: the newest minute's peak; the minutes skipped since are unknown */
static void record_minute(struct nf_demand_history *h, double t, double cores)
{
    double m = floor(t / MINUTE_S) * MINUTE_S;
    if (h->minute_t > 0 && m < h->minute_t)
        return; /* the clock stepped back */
    if (h->minute_t <= 0 || m - h->minute_t >= NF_DEMAND_MINUTES * MINUTE_S) {
        for (int i = 0; i < NF_DEMAND_MINUTES; i++)
            h->minute[i] = NAN;
    } else {
        for (double x = h->minute_t + MINUTE_S; x <= m; x += MINUTE_S)
            h->minute[minute_slot(x)] = NAN;
    }
    h->minute_t = m;
    float *slot = &h->minute[minute_slot(m)];
    if (isnan(*slot) || cores > *slot)
        *slot = (float)cores;
}

void nf_demand_record(struct nf_demand_history *h, double t, double cores)
{
    if (!isfinite(t) || !isfinite(cores) || cores < 0 || t < 0)
        return;
    record_minute(h, t, cores);
    double b = floor(t / NF_DEMAND_BUCKET_S) * NF_DEMAND_BUCKET_S;
    if (h->n == 0) {
        h->head = 0;
        h->newest_t = b;
        push(h, (float)cores);
        return;
    }
    if (b < h->newest_t)
        return; /* the clock stepped back: keep what there is */
    if (b == h->newest_t) {
        float *last = &h->v[(h->head + h->n - 1) % NF_DEMAND_BUCKETS];
        if (isnan(*last) || cores > *last)
            *last = (float)cores;
        return;
    }
    double skip = (b - h->newest_t) / NF_DEMAND_BUCKET_S - 1;
    if (skip >= NF_DEMAND_BUCKETS) { /* away longer than the history: start again */
        h->n = h->head = 0;
    } else {
        for (int i = 0; i < (int)skip; i++)
            push(h, NAN);
    }
    h->newest_t = b;
    push(h, (float)cores);
}

double nf_demand_at(const struct nf_demand_history *h, double t)
{
    if (h->n == 0 || !isfinite(t))
        return NAN;
    double b = floor(t / NF_DEMAND_BUCKET_S) * NF_DEMAND_BUCKET_S;
    if (b > h->newest_t)
        return NAN;
    double back = (h->newest_t - b) / NF_DEMAND_BUCKET_S;
    if (back >= h->n)
        return NAN;
    return h->v[(h->head + h->n - 1 - (int)back) % NF_DEMAND_BUCKETS];
}

double nf_demand_peak(const struct nf_demand_history *h, double now, double span)
{
    double peak = NAN;
    if (!isfinite(now) || !(span >= 0))
        return NAN;
    if (span <= (NF_DEMAND_MINUTES - 1) * MINUTE_S && h->minute_t > 0) {
        double first = floor((now - span) / MINUTE_S) * MINUTE_S;
        for (double m = first; m <= now && m <= h->minute_t; m += MINUTE_S) {
            if (m <= h->minute_t - NF_DEMAND_MINUTES * MINUTE_S)
                continue;
            float v = h->minute[minute_slot(m)];
            if (!isnan(v) && (isnan(peak) || v > peak))
                peak = v;
        }
        return peak;
    }
    for (double x = now - span; x <= now + NF_DEMAND_BUCKET_S - 1; x += NF_DEMAND_BUCKET_S) {
        double v = nf_demand_at(h, x > now ? now : x);
        if (!isnan(v) && (isnan(peak) || v > peak))
            peak = v;
    }
    return peak;
}

/* the peak of the buckets around t (one on each side: the season's edge moves a little) */
static double around(const struct nf_demand_history *h, double t)
{
    double m = NAN;
    for (int k = -1; k <= 1; k++) {
        double x = nf_demand_at(h, t + k * NF_DEMAND_BUCKET_S);
        if (!isnan(x) && (isnan(m) || x > m))
            m = x;
    }
    return m;
}

/* the mean of the buckets in [t - span, t], NAN with fewer than half of them known */
static double mean(const struct nf_demand_history *h, double t, double span)
{
    double sum = 0;
    int known = 0, all = 0;
    for (double x = t - span; x <= t; x += NF_DEMAND_BUCKET_S, all++) {
        double v = nf_demand_at(h, x);
        if (!isnan(v)) {
            sum += v;
            known++;
        }
    }
    return known * 2 >= all && known > 0 ? sum / known : NAN;
}

double nf_demand_forecast(const struct nf_demand_history *h, double now, double at)
{
    double day = around(h, at - DAY_S);
    if (isnan(day))
        return NAN; /* less than a day of history, or a gap there */
    double week = around(h, at - WEEK_S);
    double base = !isnan(week) && week > day ? week : day;
    double recent = mean(h, now, HOUR_S), before = mean(h, now - DAY_S, HOUR_S);
    double ratio = 1;
    if (!isnan(recent) && !isnan(before) && before > 0)
        ratio = recent / before;
    if (ratio < 0.5)
        ratio = 0.5;
    if (ratio > 2)
        ratio = 2;
    return base * ratio;
}
