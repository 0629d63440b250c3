/* budget.c - the run's deadline (see budget.h). */
#include "budget.h"

#include <math.h>
#include <stdatomic.h>

#include "clock.h"

double nf_budget_cap(double now, double deadline, double reserve, bool final)
{
    if (!(deadline > 0))
        return INFINITY;
    return deadline - now - (final ? 0 : reserve);
}

bool nf_budget_fits(double left, double estimate_s)
{
    return estimate_s <= left;
}

/* doubles as bits in atomics: written between cycles, read by a cycle's threads */
static _Atomic double g_deadline, g_reserve;
static atomic_bool g_final;

void nf_budget_start(double deadline_mono, double reserve_s)
{
    atomic_store(&g_reserve, reserve_s > 0 ? reserve_s : 0);
    atomic_store(&g_final, false);
    atomic_store(&g_deadline, deadline_mono);
}

void nf_budget_final(void)
{
    atomic_store(&g_final, true);
}

void nf_budget_clear(void)
{
    atomic_store(&g_deadline, 0.0);
    atomic_store(&g_final, false);
}

double nf_budget_left(void)
{
    double d = atomic_load(&g_deadline);
    if (!(d > 0))
        return INFINITY;
    return nf_budget_cap(nf_mono_now(), d, atomic_load(&g_reserve), atomic_load(&g_final));
}

bool nf_budget_spent(void)
{
    return nf_budget_left() <= 0;
}
