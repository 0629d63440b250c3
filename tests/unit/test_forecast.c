/* test_forecast.c - the demand history ring and the seasonal forecast: a known seasonal
 * series, a level that moved, a week's season, short history and gaps. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <math.h>
#include <stdlib.h>

#include "core/forecast.h"

#define DAY 86400.0

static struct nf_demand_history *h;

static int setup(void **state)
{
    (void)state;
    h = calloc(1, sizeof *h);
    return h ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(h);
    return 0;
}

/* a working day: 2 cores at night, 10 in the afternoon */
static double daily(double t)
{
    double hour = fmod(t, DAY) / 3600.0;
    return 6 + 4 * sin(2 * 3.14159265358979323846 * (hour - 10) / 24);
}

static void the_ring_keeps_peaks_gaps_and_bounds(void **state)
{
    (void)state;
    assert_true(isnan(nf_demand_at(h, 0)));
    nf_demand_record(h, 1000, 3);
    nf_demand_record(h, 1100, 5); /* same bucket (900-1200): the peak stays */
    nf_demand_record(h, 1150, 4);
    assert_true(nf_demand_at(h, 1000) == 5);
    nf_demand_record(h, 2100, 7); /* two buckets skipped: gaps */
    assert_true(isnan(nf_demand_at(h, 1200)));
    assert_true(isnan(nf_demand_at(h, 1500)));
    assert_true(nf_demand_at(h, 2100) == 7);
    nf_demand_record(h, 500, 99); /* the clock stepped back: ignored */
    assert_true(nf_demand_at(h, 2100) == 7);
    assert_true(isnan(nf_demand_at(h, 300)));
    nf_demand_record(h, 2200, NAN); /* not a number: ignored */
    assert_true(nf_demand_at(h, 2100) == 7);
    /* 15 days later the oldest are gone and the ring holds 14 days exactly */
    for (double t = 2400; t < 2400 + 15 * DAY; t += 300)
        nf_demand_record(h, t, 1);
    assert_int_equal(h->n, NF_DEMAND_BUCKETS);
    assert_true(isnan(nf_demand_at(h, 2100)));
    /* away longer than the history: it starts again */
    nf_demand_record(h, 2400 + 40 * DAY, 2);
    assert_int_equal(h->n, 1);
}

static void a_daily_season_is_forecast(void **state)
{
    (void)state;
    double now = 3 * DAY + 9 * 3600; /* 09:00 on day 4: the morning rise */
    for (double t = 0; t <= now; t += 60)
        nf_demand_record(h, t, daily(t));
    /* less than a day back from the first day: unknown */
    struct nf_demand_history *young = calloc(1, sizeof *young);
    for (double t = 0; t <= 20 * 3600; t += 60)
        nf_demand_record(young, t, daily(t));
    assert_true(isnan(nf_demand_forecast(young, 20 * 3600, 20 * 3600 + 300)));
    free(young);
    for (double ahead = 300; ahead <= 3600; ahead += 300) {
        double f = nf_demand_forecast(h, now, now + ahead), truth = daily(now + ahead);
        /* the peak of three buckets around yesterday's time: at most 10 minutes early */
        if (!(f >= truth - 0.05 && f <= daily(now + ahead + 900) + 0.05))
            fail_msg("ahead %.0f: forecast %.3f, truth %.3f", ahead, f, truth);
    }
}

static void a_moved_level_scales_the_forecast_and_gaps_are_unknown(void **state)
{
    (void)state;
    double now = 2 * DAY + 14 * 3600;
    for (double t = 0; t <= now; t += 60) /* the second day and after: 1.5 times busier */
        nf_demand_record(h, t, daily(t) * (t >= 2 * DAY ? 1.5 : 1));
    double f = nf_demand_forecast(h, now, now + 600);
    double want = daily(now + 600) * 1.5;
    assert_true(fabs(f - want) / want < 0.06);
    /* a bounded ratio: a tenfold jump in the last hour counts as twice */
    for (double t = now - 3000; t <= now; t += 60)
        nf_demand_record(h, t, daily(t) * 15);
    f = nf_demand_forecast(h, now, now + 600);
    assert_true(f <= 2 * 10.0 + 1e-6); /* yesterday's peak is at most 10, the ratio at most 2 */
    /* a gap where yesterday's value would be: unknown */
    struct nf_demand_history *g = calloc(1, sizeof *g);
    for (double t = 0; t <= 1.5 * DAY; t += 60)
        if (t < 0.4 * DAY || t > 0.6 * DAY)
            nf_demand_record(g, t, 5);
    assert_true(isnan(nf_demand_forecast(g, 1.5 * DAY, 1.5 * DAY)));
    free(g);
}

static void a_weekly_season_is_kept(void **state)
{
    (void)state;
    /* weekdays busy (10), weekends quiet (2): on a Monday morning yesterday says 2, last week
     * says 10: the larger is taken */
    double now = 7 * DAY + 8 * 3600; /* day 7 (a Monday: days 5 and 6 were the weekend) */
    for (double t = 0; t <= now; t += 300) {
        int d = (int)(t / DAY) % 7;
        nf_demand_record(h, t, d == 5 || d == 6 ? 2 : 10);
    }
    assert_true(nf_demand_forecast(h, now, now + 600) >= 10 * 0.5);
}

/* the last hour by the minute: the peak of a span, minutes skipped are unknown, more than an
 * hour away starts again; longer spans fall back to the 5-minute buckets */
static void the_recent_peak_is_kept_by_the_minute(void **state)
{
    (void)state;
    double t0 = 1796032800; /* a whole hour */
    nf_demand_record(h, t0, 2);
    nf_demand_record(h, t0 + 30, 5); /* the same minute: its peak */
    nf_demand_record(h, t0 + 60, 1);
    nf_demand_record(h, t0 + 300, 3); /* minutes 2-4 unknown */
    assert_float_equal(nf_demand_peak(h, t0 + 300, 0), 3, 1e-6);
    assert_float_equal(nf_demand_peak(h, t0 + 300, 240), 3, 1e-6); /* minute 1 on: 1, ?, 3 */
    assert_float_equal(nf_demand_peak(h, t0 + 300, 300), 5, 1e-6);
    assert_true(isnan(nf_demand_peak(h, t0 + 300, -1)));
    /* ten minutes later, a 10-minute span no longer sees the 5 */
    nf_demand_record(h, t0 + 900, 1);
    assert_float_equal(nf_demand_peak(h, t0 + 900, 600), 3, 1e-6);
    /* over an hour: by the 5-minute bucket (t0's bucket held 5) */
    assert_float_equal(nf_demand_peak(h, t0 + 3900, 3900), 5, 1e-6);
    /* away more than an hour: the minutes start again */
    nf_demand_record(h, t0 + 2 * 3600, 0.5);
    assert_float_equal(nf_demand_peak(h, t0 + 2 * 3600, 600), 0.5, 1e-6);
    /* the slot of any time, negative too, is in range */
    for (double t = -7200; t < 7200; t += 17)
        assert_true(nf_demand_minute_slot(t) >= 0 && nf_demand_minute_slot(t) < 60);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(the_ring_keeps_peaks_gaps_and_bounds),
        T(a_daily_season_is_forecast),
        T(a_moved_level_scales_the_forecast_and_gaps_are_unknown),
        T(a_weekly_season_is_kept),
        T(the_recent_peak_is_kept_by_the_minute),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
