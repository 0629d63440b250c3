/* bench_core.c - in-process cost of one seed decision (no process start, no JSON): the
 * figure that bounds how often a cycle can afford to decide. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "config/config.h"
#include "core/policy.h"
#include "util/clock.h"

int main(void)
{
    struct nf_config cfg;
    nf_config_defaults(&cfg);
    struct nf_policy pol;
    if (nf_config_policy(&pol, "seed", &cfg, NULL) != NF_OK)
        return 1;
    /* 15 minutes of 15-s samples, idle (the longest walk: the 600 s idle window) */
    struct nf_sample s[61];
    for (int i = 0; i < 61; i++) {
        s[i].t = 1700000000.0 - 900 + 15 * i;
        for (int k = 0; k < NF_SAMPLE_VALUES; k++)
            s[i].v[k] = NAN;
        s[i].v[NF_SIG_CPU] = 20;
        s[i].v[NF_SIG_MEMORY] = 30;
        s[i].v[NF_SIG_PENDING_PODS] = 0;
    }
    struct nf_observation obs = {.now = 1700000000.0,
                                 .workers = {.ready = 5},
                                 .samples = s,
                                 .nsamples = 61,
                                 .last_scale_up = NAN,
                                 .last_scale_down = NAN};
    struct nf_plan plan;
    const int n = 200000;
    double t0 = nf_mono_now();
    int downs = 0;
    for (int i = 0; i < n; i++) {
        nf_policy_decide(&pol, &obs, &plan);
        downs += plan.action == NF_ACTION_SCALE_DOWN;
    }
    double dt = nf_mono_now() - t0;
    printf("seed decision in process: %.2f us per call (%d calls, 61 samples, %d scale-downs)\n",
           dt / n * 1e6, n, downs);
    return downs == n ? 0 : 1;
}
