/* clock.h - the one place that reads the clocks and sleeps.
 *
 * Contract
 *   nf_wall_now(): Unix time in seconds (CLOCK_REALTIME), for timestamps, leases and anything
 *   stored or sent. nf_mono_now(): a monotonic clock in seconds, for measuring durations and
 *   deadlines (never stored). nf_sleep_s(): sleep this long, resuming after signals; 0 or less
 *   returns at once. The pure core never calls these: time reaches it as a value.
 */
#ifndef NF_CLOCK_H
#define NF_CLOCK_H

double nf_wall_now(void);
double nf_mono_now(void);
void nf_sleep_s(double seconds);
/* Sleep at most `seconds`, returning early if a signal arrives (for loops that check a flag). */
void nf_nap_s(double seconds);

#endif
