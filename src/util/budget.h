/* budget.h - the time a run may take (issue 16): an invocation's deadline turned into a cap on
 * every network call, with a reserve kept for the last writes.
 *
 * Contract
 *   Process-wide: one cycle runs at a time in a process. nf_budget_start sets a deadline (on
 *   the monotonic clock) and a reserve; until nf_budget_clear, nf_budget_left() is what an
 *   ordinary call may still use - the time to the deadline less the reserve - and after
 *   nf_budget_final() (the state write and the lease release) the reserve too. Without a
 *   budget it is INFINITY. Set and cleared between cycles only (threads a cycle starts see
 *   it through their creation); read from any thread.
 *   nf_budget_cap is the arithmetic alone, pure, for the tests.
 */
#ifndef NF_UTIL_BUDGET_H
#define NF_UTIL_BUDGET_H

#include <stdbool.h>

/* What a call may use at `now` with that deadline and reserve (final: the reserve too);
 * INFINITY for no deadline (deadline <= 0). May be 0 or less: nothing left. */
double nf_budget_cap(double now, double deadline, double reserve, bool final);
/* Does a step estimated to take `estimate_s` (its configured timeout) fit in `left`? */
bool nf_budget_fits(double left, double estimate_s);

void nf_budget_start(double deadline_mono, double reserve_s);
void nf_budget_final(void);
void nf_budget_clear(void);
/* nf_budget_cap for now (nf_mono_now) and the budget in force. */
double nf_budget_left(void);
/* Is a budget in force, and has it run out (nothing left before the reserve)? */
bool nf_budget_spent(void);

#endif
