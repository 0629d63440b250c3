/* window.h - "condition held for D": the one definition of sustained, used by every rule.
 *
 * Contract (DESIGN.md, "Sustained")
 *   A condition holds for D at time `now` when the newest sample satisfies it and the
 *   unbroken run of newest samples satisfying it reaches back to a sample at t <= now - D.
 *   A condition here is a conjunction of up to NF_COND_MAX comparisons of one sample's
 *   signals against thresholds; a sample satisfies it only if every signal involved is known
 *   (finite) and every comparison is true. Unknown is neither high nor low.
 *   Pure: no allocation, no clock; samples oldest first as types.h requires.
 */
#ifndef NF_CORE_WINDOW_H
#define NF_CORE_WINDOW_H

#include <stdbool.h>
#include <stddef.h>

#include "types.h"

enum nf_cmp { NF_CMP_ABOVE, NF_CMP_BELOW, NF_CMP_EQUAL };

struct nf_cond {
    enum nf_signal sig;
    enum nf_cmp cmp;
    double threshold;
};

#define NF_COND_MAX 8

struct nf_condset {
    size_t n;
    struct nf_cond c[NF_COND_MAX];
};

enum nf_window_state {
    NF_WIN_HELD,           /* held for the whole duration */
    NF_WIN_NO_SAMPLES,     /* nothing to judge */
    NF_WIN_NEWEST_UNKNOWN, /* the newest sample lacks a signal the condition needs */
    NF_WIN_NEWEST_FAILS,   /* the newest sample does not satisfy the condition */
    NF_WIN_TOO_SHORT       /* satisfied now, but not yet for long enough */
};

struct nf_window_result {
    enum nf_window_state state;
    size_t run_len; /* samples in the unbroken newest run that satisfy the condition */
    double since;   /* time of the oldest sample of that run (NAN when run_len == 0) */
    int failing;    /* for NEWEST_UNKNOWN/NEWEST_FAILS: index of the first failing comparison */
};

bool nf_window_holds(const struct nf_sample *samples, size_t n, double now, double duration,
                     const struct nf_condset *cs, struct nf_window_result *out);

const char *nf_cmp_symbol(enum nf_cmp c);

#endif
