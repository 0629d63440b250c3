/* bench_core.c - in-process cost of one seed decision (no process start, no JSON): the
 * figure that bounds how often a cycle can afford to decide; and of one default decision on
 * a large pool: 5,000 pending pods of mixed shapes bin-packed, consolidation verdicts for
 * 1,000 workers holding 30,000 pods (defaults: headroom 10 %, so every worker is judged). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <time.h>

#include <stdlib.h>

#include "config/config.h"
#include "core/fleet.h"
#include "core/itypes.h"
#include "core/policy.h"
#include "util/clock.h"

/* 1,000 workers (2 vCPU, 8 GiB) with 30 pods each of 20-60m, and 5,000 pending pods of three
 * shapes; the default policy decides once. Returns the seconds it took (best of 5). */
static double default_on_a_large_pool(const struct nf_config *cfg, int *action)
{
    enum { NODES = 1000, PER = 30, PENDING = 5000 };
    static struct nf_fnode nodes[NODES];
    static struct nf_fpod pods[NODES * PER + PENDING];
    static char names[NODES][16];
    for (int k = 0; k < NODES; k++) {
        snprintf(names[k], sizeof names[k], "w%04d", k);
        nodes[k] = (struct nf_fnode){.name = names[k],
                                     .ready = true,
                                     .market = k % 3 ? NF_MARKET_SPOT : NF_MARKET_ON_DEMAND,
                                     .alloc_cpu_m = 2000,
                                     .alloc_mem = 8LL << 30,
                                     .alloc_pods = 110};
    }
    size_t np = 0;
    for (int k = 0; k < NODES; k++)
        for (int i = 0; i < PER; i++)
            pods[np++] = (struct nf_fpod){.ns = "shop",
                                          .name = "web",
                                          .node = k,
                                          .req_cpu_m = 20 + (k * 7 + i * 13) % 41,
                                          .req_mem = 64LL << 20,
                                          .safe_to_evict = -1,
                                          .owner = NF_FOWN_REPLICAS,
                                          .owner_name = "web",
                                          .replicas = 30,
                                          .pdb = -1,
                                          .pdb2 = -1};
    static const int64_t shape[3] = {250, 500, 1000};
    for (int i = 0; i < PENDING; i++)
        pods[np++] = (struct nf_fpod){.ns = "shop",
                                      .name = "burst",
                                      .node = -1,
                                      .req_cpu_m = shape[i % 3],
                                      .req_mem = shape[i % 3] << 20,
                                      .safe_to_evict = -1,
                                      .owner = NF_FOWN_REPLICAS,
                                      .owner_name = "burst",
                                      .replicas = PENDING,
                                      .pdb = -1,
                                      .pdb2 = -1};
    struct nf_fleet f = {.nodes = nodes, .nnodes = NODES, .pods = pods, .npods = np};
    void *ws = malloc(nf_fleet_ws_bytes(NODES, np));
    struct nf_policy pol;
    if (ws == NULL || nf_config_policy(&pol, "default", cfg, NULL) != NF_OK)
        return -1;
    pol.seed.max_nodes = 1000 + 3000; /* room for the burst */
    struct nf_fnode tmpl = {.name = "(new)"};
    struct nf_observation obs = {.now = 1700000000.0,
                                 .workers = {.ready = NODES},
                                 .last_scale_up = NAN,
                                 .last_scale_down = NAN,
                                 .fleet = &f,
                                 .tmpl = &tmpl};
    double best = INFINITY;
    struct nf_plan plan;
    for (int r = 0; r < 5; r++) {
        double t0 = nf_mono_now();
        nf_fleet_prepare(&f, ws);
        nf_policy_decide(&pol, &obs, &plan);
        double dt = nf_mono_now() - t0;
        if (dt < best)
            best = dt;
    }
    *action = plan.action == NF_ACTION_SCALE_UP ? plan.nodes : -1;
    /* the same pool with nothing pending: every worker judged for consolidation */
    f.npods = NODES * PER;
    double best2 = INFINITY;
    for (int r = 0; r < 3; r++) {
        double t0 = nf_mono_now();
        nf_fleet_prepare(&f, ws);
        nf_policy_decide(&pol, &obs, &plan);
        double dt = nf_mono_now() - t0;
        if (dt < best2)
            best2 = dt;
    }
    printf("default decision, 1,000 workers x 30 pods + 5,000 pending pods: %.1f ms (buys %d); "
           "the same with nothing pending (consolidation verdicts for all): %.1f ms, %d "
           "unneeded   [< 100 ms]\n",
           best * 1e3, *action, best2 * 1e3, plan.nunneeded);
    free(ws);
    return best > best2 ? best : best2;
}

/* Choosing instance types for 5,000 pending pods (`shapes` distinct shapes) over 10 types
 * (three zones share a type's price list, so the choice is per type; the zones are the
 * launch's). Prints the best of 20 and returns workers bought. */
static int choose_types(int shapes)
{
    static const struct {
        const char *name;
        int64_t cpu_m;
        int gib;
        double od;
    } cat[10] = {{"m5.large", 2000, 8, 0.096},    {"m5.xlarge", 4000, 16, 0.192},
                 {"m5.2xlarge", 8000, 32, 0.384}, {"c5.large", 2000, 4, 0.085},
                 {"c5.xlarge", 4000, 8, 0.170},   {"c5.2xlarge", 8000, 16, 0.340},
                 {"r5.large", 2000, 16, 0.126},   {"r5.xlarge", 4000, 32, 0.252},
                 {"m6i.large", 2000, 8, 0.096},   {"t3.xlarge", 4000, 16, 0.1664}};
    struct nf_itype t[10];
    for (int i = 0; i < 10; i++) {
        t[i] = (struct nf_itype){.cpu_m = cat[i].cpu_m,
                                 .mem = (int64_t)cat[i].gib << 30,
                                 .od_price = cat[i].od,
                                 .spot_price = cat[i].od * (0.3 + 0.03 * i)};
        snprintf(t[i].name, sizeof t[i].name, "%s", cat[i].name);
    }
    static struct nf_demand_pod pods[5000];
    for (int i = 0; i < 5000; i++) {
        int s = i % shapes;
        pods[i] =
            (struct nf_demand_pod){100 + (s * 37) % 1900, (int64_t)(128 + (s * 211) % 7000) << 20};
    }
    static struct nf_itypes_ws ws;
    struct nf_type_choice c = {0};
    double best = 1e9;
    for (int r = 0; r < 20; r++) {
        double t0 = nf_mono_now();
        nf_itypes_choose(t, 10, pods, 5000, 0, 0, 0.7, 100000, &ws, &c);
        double dt = nf_mono_now() - t0;
        best = dt < best ? dt : best;
    }
    printf("choosing types for 5000 pending pods of %d shapes over 10 types: %.2f ms "
           "(best of 20; %d workers, $%.2f/h)\n",
           shapes, best * 1e3, c.total, c.cost);
    return c.total;
}

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
    int bought = 0;
    if (default_on_a_large_pool(&cfg, &bought) < 0 || bought <= 0)
        return 1;
    if (choose_types(20) <= 0 || choose_types(300) <= 0 || choose_types(5000) <= 0)
        return 1;
    return downs == n ? 0 : 1;
}
