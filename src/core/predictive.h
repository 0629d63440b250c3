/* predictive.h - node-fleet's layer 3 for the seed policy: the next hour predicted from the
 * metrics history (enable_predictive_scaling).
 *
 * Contract
 *   Pure, no allocation. The history is what every cycle stored (store.h: the metrics
 *   history table), oldest first or in any order; items outside the last 7 days are ignored.
 *   These are node-fleet's rules as its predictive_scaling.py and handler apply them (the
 *   only statement of them in this repository is issue 13's text, restated here):
 *   - the items of the last 7 days; fewer than 20 of them, or fewer than 3 whose UTC hour is
 *     the next hour's (the hour of now + 1 h): no prediction;
 *   - predicted cpu, memory and pending pods: the averages of that hour's items;
 *     confidence = min(count / 10, 1) over that hour's items;
 *   - cpu and memory are multiplied by (the average CPU of the items on today's UTC weekday /
 *     the average CPU of all the items), and by 1.2 more when confidence < 0.5;
 *   - scale up when confidence >= 0.3 and (cpu > 70 or memory > 73.5 or pending >= 1), to
 *     target = max(current, floor(cpu / 60 x current) + 1), limited to [2, current + 3] and
 *     to max_nodes. The caller applies the scale-up cooldown and runs this only when the
 *     reactive rules decided nothing.
 *   An unknown reading (NAN) is left out of every average; a weekday or overall average that
 *   is unknown or 0 leaves the factor at 1.
 */
#ifndef NF_CORE_PREDICTIVE_H
#define NF_CORE_PREDICTIVE_H

#include <stdbool.h>
#include <stddef.h>

#define NF_PRED_WINDOW_S       (7 * 86400.0)  /* the history the prediction reads */
#define NF_PRED_MIN_ITEMS      20             /* items overall, at least */
#define NF_PRED_MIN_HOUR_ITEMS 3              /* items in the predicted hour, at least */
#define NF_PRED_FULL_CONF      10.0           /* items in the hour for confidence 1 */
#define NF_PRED_LOW_CONF       0.5            /* below it the prediction is inflated ... */
#define NF_PRED_LOW_CONF_BOOST 1.2            /* ... by this factor */
#define NF_PRED_MIN_CONF       0.3            /* below it nothing is done */
#define NF_PRED_CPU_UP         70.0           /* predicted CPU % above which to scale */
#define NF_PRED_MEMORY_UP      73.5           /* predicted memory % above which to scale */
#define NF_PRED_PENDING_UP     1.0            /* predicted pending pods from which to scale */
#define NF_PRED_CPU_TARGET     60.0           /* the CPU % the target is sized for */
#define NF_PRED_MIN_TARGET     2              /* the target is at least ... */
#define NF_PRED_MAX_STEP       3              /* ... and at most current + this */
#define NF_PRED_TTL_S          (30 * 86400.0) /* an item's ttl: its time + 30 days */

/* One cycle's reading, as the metrics history table keeps it. */
struct nf_history_item {
    double t;                    /* Unix s; stored as an ISO 8601 timestamp in UTC */
    int hour;                    /* 0-23, UTC */
    int weekday;                 /* 0 Monday ... 6 Sunday, UTC */
    double cpu, memory, pending; /* %, %, pods; NAN unknown */
    int nodes;
};

/* The item for a reading at time t (hour and weekday from t). */
struct nf_history_item nf_history_item_at(double t, double cpu, double memory, double pending,
                                          int nodes);

struct nf_prediction {
    bool known; /* enough history */
    int items;  /* in the window */
    int hour;   /* the predicted hour (UTC) */
    int hour_items;
    double cpu, memory, pending; /* predicted, factors applied */
    double confidence, day_factor;
    bool up;    /* the rules say scale up */
    int target; /* the pool size they want (when up) */
};

void nf_predict(const struct nf_history_item *items, size_t n, double now, int current,
                int max_nodes, struct nf_prediction *out);

#endif
