/* itypes.h - which instance types to buy: the cheapest combination that hosts the pods.
 *
 * Contract
 *   Pure: no I/O, no clock, no allocation (the caller owns the workspace).
 *   A type is what one new worker of it can host (allocatable CPU and memory) and what it
 *   costs an hour on each market. nf_itypes_choose packs the pods to place, first fit
 *   decreasing by shape, onto workers of each type and keeps the cheapest answer among:
 *   every type alone, and every type for all but the last one, two or three workers of
 *   that packing with another type taking what is left over. Each answer must also hold
 *   the capacity floor (what the policy asked for: n workers of the reference shape,
 *   headroom included) and stay within `max_count` workers; when none does, the answer
 *   with the fewest workers is taken. Ties go to the earlier type (aws.instance_types is an
 *   order of preference). Pods no type can host are left out and counted.
 *   Pods are grouped by shape; past NF_ITYPES_SHAPES_MAX distinct shapes each pod is
 *   rounded up onto a coarse grid (x1.25 steps) - never smaller than it asked, so a
 *   coarse answer may buy a little more, never too little.
 */
#ifndef NF_CORE_ITYPES_H
#define NF_CORE_ITYPES_H

#include <stddef.h>
#include <stdint.h>

#define NF_ITYPES_MAX        16
#define NF_ITYPE_NAME_MAX    32
#define NF_ITYPES_SHAPES_MAX 256

struct nf_itype {
    char name[NF_ITYPE_NAME_MAX];
    int64_t cpu_m;               /* allocatable CPU of one worker, millicores */
    int64_t mem;                 /* allocatable memory of one worker, bytes */
    double od_price, spot_price; /* $ an hour; spot_price: the cheapest zone's, NAN unknown */
};

struct nf_demand_pod {
    int64_t cpu_m, mem;
};

/* The caller's scratch space (about 30 KB; static or heap, never touched between calls). */
struct nf_itypes_ws {
    struct nf_ishape {
        int64_t cpu_m, mem;
        int count;
    } shapes[NF_ITYPES_SHAPES_MAX];
    size_t nshapes;
    struct nf_ibins {
        int64_t cpu_m, mem;               /* room left in each */
        int n;                            /* how many such workers */
    } bins[4 * NF_ITYPES_SHAPES_MAX + 8]; /* a shape adds 4 groups at most */
    size_t nbins;
    int left[NF_ITYPES_SHAPES_MAX]; /* per shape: pods the bin limit left over */
};

struct nf_type_choice {
    int count[NF_ITYPES_MAX]; /* workers of each type */
    int total;                /* workers in all */
    double cost;              /* $ an hour, at the blended price */
    int unhostable;           /* pods no type can host (left out) */
};

/* The hourly price of one worker of t when a fraction spot_frac of workers is spot (a spot
 * price not known is priced on-demand). */
double nf_itype_price(const struct nf_itype *t, double spot_frac);

/* The cheapest combination of types (see the contract). spot_frac in [0, 1]; floor_cpu_m and
 * floor_mem >= 0; max_count >= 1. Returns 0, or -1 when no type is given. */
int nf_itypes_choose(const struct nf_itype *types, size_t ntypes, const struct nf_demand_pod *pods,
                     size_t npods, int64_t floor_cpu_m, int64_t floor_mem, double spot_frac,
                     int max_count, struct nf_itypes_ws *ws, struct nf_type_choice *out);

#endif
