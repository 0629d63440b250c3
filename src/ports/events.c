/* events.c - the names of the cycle's events (see events.h). */
#include "events.h"
#include "ports.h"

const char *nf_event_name(enum nf_event_kind k)
{
    static const char *const names[] = {"scale_up",       "scale_down",    "drain_started",
                                        "drain_finished", "drain_aborted", "launch_failed",
                                        "lease_problem"};
    return names[k];
}

const char *nf_cloud_event_kind_name(enum nf_cloud_event_kind k)
{
    switch (k) {
    case NF_CEV_SPOT_INTERRUPTION:
        return "spot_interruption";
    case NF_CEV_REBALANCE:
        return "rebalance";
    case NF_CEV_STATE_CHANGE:
        return "state_change";
    default:
        return "scheduled";
    }
}
