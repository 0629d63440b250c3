/* clock.c - wall clock, monotonic clock and sleeping (see clock.h). */
#define _POSIX_C_SOURCE 200809L
#include "clock.h"

#include <math.h>
#include <time.h>

static double seconds(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double nf_wall_now(void)
{
    return seconds(CLOCK_REALTIME);
}

double nf_mono_now(void)
{
    return seconds(CLOCK_MONOTONIC);
}

static struct timespec span(double s)
{
    return (struct timespec){.tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9)};
}

void nf_sleep_s(double s)
{
    if (!(s > 0))
        return;
    struct timespec ts = span(s);
    while (nanosleep(&ts, &ts) != 0)
        ;
}

void nf_nap_s(double s)
{
    if (!(s > 0))
        return;
    struct timespec ts = span(s);
    nanosleep(&ts, NULL);
}
