/* types.c - names for the core's enums and the plan's trail helpers. */
#include "types.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *const nf_signal_names[NF_SIG__COUNT] = {
#define NF__SIG_NAME(id, name, what) [id] = name,
    NF_SIGNALS(NF__SIG_NAME)
#undef NF__SIG_NAME
};

const char *nf_action_name(enum nf_action a)
{
    switch (a) {
    case NF_ACTION_NONE:
        return "none";
    case NF_ACTION_SCALE_UP:
        return "scale_up";
    case NF_ACTION_SCALE_DOWN:
        return "scale_down";
    }
    return "?";
}

const char *nf_trail_status_name(enum nf_trail_status s)
{
    switch (s) {
    case NF_TRAIL_INFO:
        return "info";
    case NF_TRAIL_HELD:
        return "held";
    case NF_TRAIL_NOT_HELD:
        return "not_held";
    case NF_TRAIL_UNKNOWN:
        return "unknown";
    case NF_TRAIL_BLOCKED:
        return "blocked";
    case NF_TRAIL_CHOSEN:
        return "chosen";
    }
    return "?";
}

void nf_plan_init(struct nf_plan *p)
{
    p->action = NF_ACTION_NONE;
    p->nodes = 0;
    p->reason[0] = '\0';
    p->ntrail = 0;
    p->nunneeded = p->nremove = 0;
    p->quiet = false;
}

void nf_plan_trail(struct nf_plan *p, const char *rule, enum nf_trail_status st, const char *fmt,
                   ...)
{
    if (p->ntrail >= NF_TRAIL_MAX)
        return;
    struct nf_trail_entry *e = &p->trail[p->ntrail++];
    if (p->ntrail == NF_TRAIL_MAX) {
        snprintf(e->rule, sizeof e->rule, "trail");
        e->status = NF_TRAIL_INFO;
        snprintf(e->detail, sizeof e->detail, "trail full; later lines dropped");
        return;
    }
    snprintf(e->rule, sizeof e->rule, "%s", rule);
    e->status = st;
    e->detail[0] = '\0';
    if (p->quiet)
        return; /* asked for the verdicts alone */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
    va_end(ap);
}

void nf_plan_set(struct nf_plan *p, enum nf_action a, int nodes, const char *fmt, ...)
{
    p->action = a;
    p->nodes = a == NF_ACTION_NONE ? 0 : nodes;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->reason, sizeof p->reason, fmt, ap);
    va_end(ap);
}

const char *nf_plan_code(const struct nf_plan *p)
{
    for (size_t i = 0; i < p->ntrail; i++) {
        const struct nf_trail_entry *e = &p->trail[i];
        if (e->status == NF_TRAIL_CHOSEN &&
            (strcmp(e->rule, "min_nodes") == 0 || strcmp(e->rule, "max_nodes") == 0 ||
             strcmp(e->rule, "static") == 0))
            return e->rule;
    }
    if (p->action != NF_ACTION_NONE) {
        for (size_t i = 0; i < p->ntrail; i++)
            if (p->trail[i].status == NF_TRAIL_HELD)
                return p->trail[i].rule;
        for (size_t i = 0; i < p->ntrail; i++) /* a choice no condition led to: consolidate */
            if (p->trail[i].status == NF_TRAIL_CHOSEN)
                return p->trail[i].rule;
        return nf_action_name(p->action);
    }
    for (size_t i = p->ntrail; i > 0; i--)
        if (p->trail[i - 1].status == NF_TRAIL_BLOCKED)
            return p->trail[i - 1].rule;
    for (size_t i = 0; i < p->ntrail; i++)
        if (strcmp(p->trail[i].rule, "samples") == 0)
            return "no_samples";
    return "stable";
}
