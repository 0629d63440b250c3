/* policy.c - the policy registry and the static policy. */
#include "policy.h"

#include <stdio.h>
#include <string.h>

#include "../util/parse.h"

void nf_policy_seed_decide(const struct nf_policy *p, const struct nf_observation *obs,
                           struct nf_plan *plan);
double nf_policy_seed_lookback(const struct nf_policy *p);
void nf_policy_default_decide(const struct nf_policy *p, const struct nf_observation *obs,
                              struct nf_plan *plan);

struct nf_policy_kind {
    const char *name;
    bool takes_arg;
    double interval_s; /* the cadence its rules were written for */
    void (*decide)(const struct nf_policy *p, const struct nf_observation *obs,
                   struct nf_plan *plan);
    double (*lookback)(const struct nf_policy *p);
};

static void static_decide(const struct nf_policy *p, const struct nf_observation *obs,
                          struct nf_plan *plan)
{
    nf_plan_init(plan);
    int size = obs->workers.ready + obs->workers.joining;
    int want = p->static_size;
    nf_plan_trail(plan, "size", NF_TRAIL_INFO, "ready %d + joining %d = %d; static target %d",
                  obs->workers.ready, obs->workers.joining, size, want);
    if (size < want) {
        nf_plan_trail(plan, "static", NF_TRAIL_CHOSEN, "add %d to reach %d", want - size, want);
        nf_plan_set(plan, NF_ACTION_SCALE_UP, want - size, "static pool of %d: %d workers", want,
                    size);
    } else if (size > want) {
        nf_plan_trail(plan, "static", NF_TRAIL_CHOSEN, "remove %d to reach %d", size - want, want);
        nf_plan_set(plan, NF_ACTION_SCALE_DOWN, size - want, "static pool of %d: %d workers", want,
                    size);
    } else {
        nf_plan_set(plan, NF_ACTION_NONE, 0, "static pool of %d: at size", want);
    }
}

static double static_lookback(const struct nf_policy *p)
{
    (void)p;
    return 0;
}

static const struct nf_policy_kind kinds[] = {
    {.name = "seed",
     .takes_arg = false,
     .interval_s = 120,
     .decide = nf_policy_seed_decide,
     .lookback = nf_policy_seed_lookback},
    {.name = "default",
     .takes_arg = false,
     .interval_s = 30,
     .decide = nf_policy_default_decide,
     .lookback = nf_policy_seed_lookback}, /* it falls back on the seed's metric rules */
    {.name = "static",
     .takes_arg = true,
     .interval_s = 120,
     .decide = static_decide,
     .lookback = static_lookback},
    {.name = NULL},
};

/* Split spec into kind, argument and interval (0 when not given); returns the kind or NULL
 * with `why` set. */
static const struct nf_policy_kind *lookup(const char *spec, long long *arg, double *interval,
                                           const char **why)
{
    const char *at = strchr(spec, '@');
    size_t slen = at ? (size_t)(at - spec) : strlen(spec);
    *interval = 0;
    if (at != NULL) {
        const char *w2;
        if (nf_parse_duration(at + 1, strlen(at + 1), interval, &w2) != NF_OK || *interval < 1 ||
            *interval > 86400) {
            *why = "the interval after @ must be a duration from 1s to 24h, e.g. seed@30s";
            return NULL;
        }
    }
    const char *colon = memchr(spec, ':', slen);
    size_t nlen = colon ? (size_t)(colon - spec) : slen;
    for (const struct nf_policy_kind *k = kinds; k->name != NULL; k++) {
        if (strlen(k->name) != nlen || memcmp(k->name, spec, nlen) != 0)
            continue;
        if (!k->takes_arg) {
            if (colon != NULL) {
                *why = "this policy takes no argument";
                return NULL;
            }
            return k;
        }
        if (colon == NULL) {
            *why = "static needs a size, e.g. static:5";
            return NULL;
        }
        const char *why2;
        if (nf_parse_ll(colon + 1, slen - (size_t)(colon + 1 - spec), arg, &why2) != NF_OK ||
            *arg < 0 || *arg > 1000) {
            *why = "static size must be a whole number from 0 to 1000";
            return NULL;
        }
        return k;
    }
    *why = "unknown policy (known: default, seed, static:N)";
    return NULL;
}

int nf_policy_spec_check(const char *spec, const char **why)
{
    long long arg;
    double interval;
    const char *w = NULL;
    if (strlen(spec) >= NF_POLICY_NAME_MAX) {
        if (why)
            *why = "policy spec too long";
        return NF_E_INPUT;
    }
    if (lookup(spec, &arg, &interval, &w) == NULL) {
        if (why)
            *why = w;
        return NF_E_INPUT;
    }
    return NF_OK;
}

int nf_policy_init(struct nf_policy *p, const char *spec, const struct nf_policy_params *params,
                   struct nf_err *err)
{
    long long arg = 0;
    double interval = 0;
    const char *why = NULL;
    if (strlen(spec) >= NF_POLICY_NAME_MAX)
        return nf_err_set(err, NF_E_USAGE, "policy \"%.40s...\": spec too long", spec);
    const struct nf_policy_kind *k = lookup(spec, &arg, &interval, &why);
    if (k == NULL)
        return nf_err_set(err, NF_E_USAGE, "policy \"%s\": %s", spec, why);
    memset(p, 0, sizeof *p);
    p->kind = k;
    snprintf(p->name, sizeof p->name, "%s", spec);
    p->static_size = (int)arg;
    p->seed = params->seed;
    p->dflt = params->dflt;
    p->interval_given = interval > 0;
    p->interval_s = interval > 0 ? interval : k->interval_s;
    return NF_OK;
}

void nf_policy_decide(const struct nf_policy *p, const struct nf_observation *obs,
                      struct nf_plan *plan)
{
    p->kind->decide(p, obs, plan);
}

double nf_policy_lookback(const struct nf_policy *p)
{
    return p->kind->lookback(p);
}

bool nf_policy_reads_history(const struct nf_policy *p)
{
    return p->kind->decide == nf_policy_seed_decide && p->seed.predictive;
}
