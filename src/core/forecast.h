/* forecast.h - the pool's demand history and a seasonal forecast of it.
 *
 * Contract
 *   Demand is what the pool's pods request (running on workers, plus pending ones a new
 *   worker could host), in CPU cores, kept as the peak of each NF_DEMAND_BUCKET_S bucket for
 *   NF_DEMAND_BUCKETS buckets (14 days): a ring, newest last, with NAN for a bucket nothing
 *   was seen in (a gap). Pure, fixed size, no allocation.
 *
 *   The forecast is seasonal-naive with a level correction: the demand at t + h is the peak of
 *   the same time of day one day earlier (and one week earlier, when the history has it: the
 *   larger of the two), times the ratio of the last hour's mean to the mean of the same hour
 *   one day earlier (bounded to [0.5, 2]: a level that moved since yesterday moves the whole
 *   day). With less than one day of history, or a gap where it looks, it is unknown (NAN):
 *   the policy is then purely reactive. Why this and not Holt-Winters: the traces' seasons are
 *   sharp (a working day starts within minutes, a sale at 14:00), which a smoothed model lags
 *   by its smoothing; yesterday's own shape carries the edge, and the level ratio carries a
 *   trend (see the README's numbers).
 */
#ifndef NF_CORE_FORECAST_H
#define NF_CORE_FORECAST_H

#include <stdbool.h>
#include <stddef.h>

#define NF_DEMAND_BUCKET_S 300.0
#define NF_DEMAND_BUCKETS  4032 /* 14 days of 5 minutes */
#define NF_DEMAND_MINUTES  60   /* and the last hour by the minute */

struct nf_demand_history {
    double newest_t; /* the newest bucket's start (a multiple of the bucket); 0: empty */
    int n;           /* buckets kept, at most NF_DEMAND_BUCKETS */
    int head;        /* index of the oldest */
    float v[NF_DEMAND_BUCKETS];
    /* the last hour's peak of each minute: minute m (Unix minutes) at minute[m % 60], valid
     * for the minutes after minute_t - 3600 up to minute_t (the newest's start; 0: none); NAN
     * for a minute nothing was seen in */
    double minute_t;
    float minute[NF_DEMAND_MINUTES];
};

/* Record `cores` seen at time t: its bucket keeps the peak; buckets skipped since the last
 * record are gaps; time going back (a clock step) is ignored. */
void nf_demand_record(struct nf_demand_history *h, double t, double cores);
/* The bucket starting at time t (a multiple of the bucket), or NAN when not kept. */
double nf_demand_at(const struct nf_demand_history *h, double t);
/* The slot of minute[] that holds the minute of time t (any t, negative too). */
int nf_demand_minute_slot(double t);
/* The peak demand seen in the last `span` seconds up to `now`: by the minute when the span is
 * within the last hour, else by the 5-minute bucket; NAN when nothing was seen. */
double nf_demand_peak(const struct nf_demand_history *h, double now, double span);
/* The demand forecast at time `at` (> now), or NAN when it is not known. */
double nf_demand_forecast(const struct nf_demand_history *h, double now, double at);

#endif
