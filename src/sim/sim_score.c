/* sim_score.c - scoring a run: cost, overload, time to capacity and the SPEC elasticity
 * metrics, step by step. */
#define _POSIX_C_SOURCE 200809L
#include "sim_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- scoring ------------------------------------------------------------------------------ */

int nf__sim_score_step(struct scorer *sc, struct nf_sim_metrics *met, double t, double dt,
                       double demand, double served, int pending, int need, int supply)
{
    sc->total_s += dt;
    sc->demand_vcpu_s += demand * dt;
    sc->unserved_vcpu_s += (demand - served) * dt;
    met->pending_pod_seconds += pending * dt;
    if (pending > 0)
        met->overload_minutes += dt / 60.0;
    double denom = need > 1 ? need : 1; /* demand of 0 would divide by zero: use 1 worker */
    if (need > supply) {
        sc->acc_u += (need - supply) / denom * dt;
        sc->ts_u += dt;
    } else if (supply > need) {
        sc->acc_o += (supply - need) / denom * dt;
        sc->ts_o += dt;
    }
    if (need > supply && !sc->in_shortfall) {
        sc->in_shortfall = true;
        sc->shortfall_start = t;
    } else if (need <= supply && sc->in_shortfall) {
        sc->in_shortfall = false;
        if (sc->nep == sc->capep) {
            size_t nc = sc->capep ? sc->capep * 2 : 256;
            double *ne = realloc(sc->episodes, nc * sizeof *ne);
            if (ne == NULL)
                return NF_E_NOMEM;
            sc->episodes = ne;
            sc->capep = nc;
        }
        sc->episodes[sc->nep++] = t - sc->shortfall_start;
    }
    return NF_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int nf__sim_score_finish(struct scorer *sc, struct nf_sim_metrics *met, double end)
{
    if (sc->in_shortfall) { /* still short at the end: count what we saw */
        double *ne = realloc(sc->episodes, (sc->nep + 1) * sizeof *ne);
        if (ne == NULL)
            return NF_E_NOMEM;
        sc->episodes = ne;
        sc->episodes[sc->nep++] = end - sc->shortfall_start;
    }
    met->shortfall_episodes = (long)sc->nep;
    met->time_to_capacity_p95_s = 0;
    if (sc->nep > 0) {
        qsort(sc->episodes, sc->nep, sizeof *sc->episodes, cmp_double);
        size_t rank = (size_t)ceil(0.95 * (double)sc->nep);
        met->time_to_capacity_p95_s = sc->episodes[rank - 1];
    }
    double T = sc->total_s > 0 ? sc->total_s : 1;
    met->unserved_fraction = sc->demand_vcpu_s > 0 ? sc->unserved_vcpu_s / sc->demand_vcpu_s : 0;
    met->accuracy_u = 100.0 * sc->acc_u / T;
    met->accuracy_o = 100.0 * sc->acc_o / T;
    met->timeshare_u = 100.0 * sc->ts_u / T;
    met->timeshare_o = 100.0 * sc->ts_o / T;
    free(sc->episodes);
    sc->episodes = NULL;
    return NF_OK;
}
