/* itypes.c - the cheapest combination of instance types for the pods to place. */
#include "itypes.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

double nf_itype_price(const struct nf_itype *t, double spot_frac)
{
    double spot = isfinite(t->spot_price) && t->spot_price > 0 ? t->spot_price : t->od_price;
    return spot_frac * spot + (1 - spot_frac) * t->od_price;
}

/* ---- shapes --------------------------------------------------------------------------- */

/* the smallest step of the x1.25 grid at or above v (v > 0) */
static int64_t coarse(int64_t v)
{
    double g = 1;
    while (g < (double)v)
        g *= 1.25;
    return (int64_t)ceil(g);
}

/* Group the pods by shape (coarsely when `grid`); false when there are too many shapes. */
static bool group(struct nf_itypes_ws *ws, const struct nf_demand_pod *pods, size_t n, bool grid)
{
    ws->nshapes = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t c = pods[i].cpu_m > 0 ? pods[i].cpu_m : 0, m = pods[i].mem > 0 ? pods[i].mem : 0;
        if (c == 0 && m == 0)
            continue; /* asks for nothing: fits anywhere */
        if (grid) {
            c = c ? coarse(c) : 0;
            m = m ? coarse(m) : 0;
        }
        size_t k = 0;
        while (k < ws->nshapes && !(ws->shapes[k].cpu_m == c && ws->shapes[k].mem == m))
            k++;
        if (k == ws->nshapes) {
            if (k == NF_ITYPES_SHAPES_MAX)
                return false;
            ws->shapes[ws->nshapes++] = (struct nf_ishape){c, m, 0};
        }
        ws->shapes[k].count++;
    }
    return true;
}

/* largest first: CPU, then memory (insertion sort: a few hundred shapes at most) */
static void sort_shapes(struct nf_itypes_ws *ws)
{
    for (size_t i = 1; i < ws->nshapes; i++) {
        struct nf_ishape s = ws->shapes[i];
        size_t j = i;
        while (j > 0 && (ws->shapes[j - 1].cpu_m < s.cpu_m ||
                         (ws->shapes[j - 1].cpu_m == s.cpu_m && ws->shapes[j - 1].mem < s.mem))) {
            ws->shapes[j] = ws->shapes[j - 1];
            j--;
        }
        ws->shapes[j] = s;
    }
}

/* how many pods of shape s one room (cpu, mem) holds */
static int64_t fits(int64_t cpu, int64_t mem, const struct nf_ishape *s)
{
    int64_t a = s->cpu_m ? cpu / s->cpu_m : INT64_MAX;
    int64_t b = s->mem ? mem / s->mem : INT64_MAX;
    return a < b ? a : b;
}

/* ---- packing -------------------------------------------------------------------------- */

#define BINS_CAP                                                                                   \
    (sizeof((struct nf_itypes_ws *)0)->bins / sizeof((struct nf_itypes_ws *)0)->bins[0])

/* put bins in at index at (false: no room - never with the caps above) */
static bool insert_bins(struct nf_itypes_ws *ws, size_t at, int64_t cpu, int64_t mem, int n)
{
    if (n <= 0)
        return true;
    if (ws->nbins == BINS_CAP)
        return false;
    memmove(&ws->bins[at + 1], &ws->bins[at], (ws->nbins - at) * sizeof ws->bins[0]);
    ws->bins[at] = (struct nf_ibins){cpu, mem, n};
    ws->nbins++;
    return true;
}

/* k pods of shape s into the open bins, first fit; returns what is still to place */
static int64_t fill_open(struct nf_itypes_ws *ws, const struct nf_ishape *s, int64_t k)
{
    for (size_t g = 0; g < ws->nbins && k > 0; g++) {
        struct nf_ibins *b = &ws->bins[g];
        int64_t f = fits(b->cpu_m, b->mem, s);
        if (f <= 0)
            continue;
        if (k >= f * b->n) { /* every bin of the group takes f */
            b->cpu_m -= f * s->cpu_m;
            b->mem -= f * s->mem;
            k -= f * b->n;
            continue;
        }
        int full = (int)(k / f), rest = (int)(k % f), untouched = b->n - full - (rest > 0);
        int64_t cpu = b->cpu_m, mem = b->mem;
        b->n = full;
        b->cpu_m = cpu - f * s->cpu_m;
        b->mem = mem - f * s->mem;
        if (!insert_bins(ws, g + 1, cpu - rest * s->cpu_m, mem - rest * s->mem, rest > 0) ||
            !insert_bins(ws, g + 1 + (rest > 0), cpu, mem, untouched))
            return k;    /* unreachable with the caps: treated as not placed */
        if (full == 0) { /* an empty group: drop it */
            memmove(b, b + 1, (ws->nbins - g - 1) * sizeof *b);
            ws->nbins--;
        }
        return 0;
    }
    return k;
}

/* Pack the shapes' counts `want` onto workers of type t, at most `limit` of them; returns the
 * workers used; ws->left gets, per shape, what did not go (too big for t, or past the limit). */
static int pack(struct nf_itypes_ws *ws, const struct nf_itype *t, const int *want, int limit)
{
    ws->nbins = 0;
    int used = 0;
    for (size_t i = 0; i < ws->nshapes; i++) {
        const struct nf_ishape *s = &ws->shapes[i];
        int64_t k = want[i];
        int64_t per = fits(t->cpu_m, t->mem, s);
        if (k == 0 || per <= 0) {
            ws->left[i] = (int)k;
            continue;
        }
        k = fill_open(ws, s, k);
        int64_t need = (k + per - 1) / per, take = need < limit - used ? need : limit - used;
        if (take > 0) {
            int64_t full = k / per < take ? k / per : take;
            int64_t rest = take > full ? k - full * per : 0;
            insert_bins(ws, ws->nbins, t->cpu_m - per * s->cpu_m, t->mem - per * s->mem, (int)full);
            insert_bins(ws, ws->nbins, t->cpu_m - rest * s->cpu_m, t->mem - rest * s->mem,
                        rest > 0);
            k -= full * per + rest;
            used += (int)take;
        }
        ws->left[i] = (int)k;
    }
    return used;
}

/* ---- choosing ------------------------------------------------------------------------- */

struct cand {
    int a, na, b, nb; /* b < 0: a alone */
};

static int64_t ceil_div(int64_t x, int64_t y)
{
    return x <= 0 ? 0 : y <= 0 ? INT32_MAX : (x + y - 1) / y;
}

/* more workers of whichever of the two types is cheaper for the missing floor */
static void meet_floor(const struct nf_itype *ty, struct cand *c, int64_t fc, int64_t fm, double sf)
{
    int64_t cpu = c->na * ty[c->a].cpu_m + (c->b >= 0 ? c->nb * ty[c->b].cpu_m : 0);
    int64_t mem = c->na * ty[c->a].mem + (c->b >= 0 ? c->nb * ty[c->b].mem : 0);
    int64_t more_a = ceil_div(fc - cpu, ty[c->a].cpu_m), m2 = ceil_div(fm - mem, ty[c->a].mem);
    more_a = more_a > m2 ? more_a : m2;
    if (c->b < 0) {
        c->na += (int)more_a;
        return;
    }
    int64_t more_b = ceil_div(fc - cpu, ty[c->b].cpu_m), b2 = ceil_div(fm - mem, ty[c->b].mem);
    more_b = more_b > b2 ? more_b : b2;
    if ((double)more_b * nf_itype_price(&ty[c->b], sf) <
        (double)more_a * nf_itype_price(&ty[c->a], sf))
        c->nb += (int)more_b;
    else
        c->na += (int)more_a;
}

static bool none_left(const struct nf_itypes_ws *ws)
{
    for (size_t i = 0; i < ws->nshapes; i++)
        if (ws->left[i])
            return false;
    return true;
}

/* keep c when it beats the best so far: within max_count first, then cheaper, then fewer */
static void consider(const struct nf_itype *ty, struct cand c, double sf, int max_count,
                     struct cand *best, double *best_cost, bool *have)
{
    int total = c.na + (c.b >= 0 ? c.nb : 0);
    double cost =
        c.na * nf_itype_price(&ty[c.a], sf) + (c.b >= 0 ? c.nb * nf_itype_price(&ty[c.b], sf) : 0);
    if (*have) {
        int btotal = best->na + (best->b >= 0 ? best->nb : 0);
        bool in = total <= max_count, bin = btotal <= max_count, better;
        if (in != bin)
            better = in;
        else if (in)
            better =
                cost < *best_cost - 1e-12 || (fabs(cost - *best_cost) <= 1e-12 && total < btotal);
        else
            better = total < btotal || (total == btotal && cost < *best_cost - 1e-12);
        if (!better)
            return;
    }
    *best = c;
    *best_cost = cost;
    *have = true;
}

int nf_itypes_choose(const struct nf_itype *ty, size_t nt, const struct nf_demand_pod *pods,
                     size_t np, int64_t floor_cpu_m, int64_t floor_mem, double sf, int max_count,
                     struct nf_itypes_ws *ws, struct nf_type_choice *out)
{
    memset(out, 0, sizeof *out);
    if (nt == 0)
        return -1;
    if (nt > NF_ITYPES_MAX)
        nt = NF_ITYPES_MAX;
    if (!group(ws, pods, np, false))
        group(ws, pods, np, true); /* the grid has far fewer steps than the cap */
    sort_shapes(ws);
    int all[NF_ITYPES_SHAPES_MAX], rest[NF_ITYPES_SHAPES_MAX];
    for (size_t i = 0; i < ws->nshapes; i++) { /* a shape no type hosts is never bought for */
        bool any = false;
        for (size_t t = 0; t < nt && !any; t++)
            any = fits(ty[t].cpu_m, ty[t].mem, &ws->shapes[i]) > 0;
        all[i] = any ? ws->shapes[i].count : 0;
        out->unhostable += any ? 0 : ws->shapes[i].count;
    }
    struct cand best = {0, 0, -1, 0};
    double best_cost = 0;
    bool have = false;
    for (size_t a = 0; a < nt; a++) {
        int used = pack(ws, &ty[a], all, INT32_MAX);
        for (int j = 0; j <= 3 && j <= used; j++) {
            int na = used - j;
            if (j > 0)
                pack(ws, &ty[a], all, na);
            if (none_left(ws)) {
                struct cand c = {(int)a, na, -1, 0};
                meet_floor(ty, &c, floor_cpu_m, floor_mem, sf);
                consider(ty, c, sf, max_count, &best, &best_cost, &have);
                continue;
            }
            memcpy(rest, ws->left, ws->nshapes * sizeof rest[0]);
            for (size_t b = 0; b < nt; b++) {
                if (b == a)
                    continue;
                int nb = pack(ws, &ty[b], rest, INT32_MAX);
                if (!none_left(ws))
                    continue;
                struct cand c = {(int)a, na, (int)b, nb};
                meet_floor(ty, &c, floor_cpu_m, floor_mem, sf);
                consider(ty, c, sf, max_count, &best, &best_cost, &have);
            }
        }
    }
    if (!have) { /* nothing hosts every pod: cannot happen (unhostable ones are left out) */
        best = (struct cand){0, 0, -1, 0};
        meet_floor(ty, &best, floor_cpu_m, floor_mem, sf);
    }
    out->count[best.a] += best.na;
    if (best.b >= 0)
        out->count[best.b] += best.nb;
    out->total = best.na + (best.b >= 0 ? best.nb : 0);
    out->cost = best.na * nf_itype_price(&ty[best.a], sf) +
                (best.b >= 0 ? best.nb * nf_itype_price(&ty[best.b], sf) : 0);
    return 0;
}
