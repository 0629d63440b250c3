/* window.c - sustained-condition evaluation over a sample history. */
#include "window.h"

#include <math.h>

const char *nf_cmp_symbol(enum nf_cmp c)
{
    switch (c) {
    case NF_CMP_ABOVE:
        return ">";
    case NF_CMP_BELOW:
        return "<";
    case NF_CMP_EQUAL:
        return "==";
    }
    return "?";
}

static bool nf_cond_eval(const struct nf_condset *cs, const struct nf_sample *s, int *failing,
                         bool *unknown)
{
    for (size_t i = 0; i < cs->n; i++) {
        const struct nf_cond *c = &cs->c[i];
        double v = s->v[c->sig];
        bool ok;
        if (!isfinite(v)) {
            if (failing)
                *failing = (int)i;
            if (unknown)
                *unknown = true;
            return false;
        }
        switch (c->cmp) {
        case NF_CMP_ABOVE:
            ok = v > c->threshold;
            break;
        case NF_CMP_BELOW:
            ok = v < c->threshold;
            break;
        case NF_CMP_EQUAL:
            ok = v == c->threshold;
            break;
        default:
            ok = false;
        }
        if (!ok) {
            if (failing)
                *failing = (int)i;
            if (unknown)
                *unknown = false;
            return false;
        }
    }
    return true;
}

bool nf_window_holds(const struct nf_sample *samples, size_t n, double now, double duration,
                     const struct nf_condset *cs, struct nf_window_result *out)
{
    struct nf_window_result r = {
        .state = NF_WIN_NO_SAMPLES, .run_len = 0, .since = NAN, .failing = -1};
    if (n == 0) {
        if (out)
            *out = r;
        return false;
    }
    bool unknown = false;
    if (!nf_cond_eval(cs, &samples[n - 1], &r.failing, &unknown)) {
        r.state = unknown ? NF_WIN_NEWEST_UNKNOWN : NF_WIN_NEWEST_FAILS;
        if (out)
            *out = r;
        return false;
    }
    /* walk back over the unbroken run; stop early once it reaches now - duration */
    double horizon = now - duration;
    size_t i = n;
    while (i > 0 && nf_cond_eval(cs, &samples[i - 1], NULL, NULL)) {
        i--;
        r.run_len++;
        r.since = samples[i].t;
        if (r.since <= horizon)
            break;
    }
    r.state = r.since <= horizon ? NF_WIN_HELD : NF_WIN_TOO_SHORT;
    if (out)
        *out = r;
    return r.state == NF_WIN_HELD;
}
