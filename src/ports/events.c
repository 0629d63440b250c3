/* events.c - the names of the cycle's events (see events.h). */
#include "events.h"

const char *nf_event_name(enum nf_event_kind k)
{
    static const char *const names[] = {"scale_up",       "scale_down",    "drain_started",
                                        "drain_finished", "drain_aborted", "launch_failed",
                                        "lease_problem"};
    return names[k];
}
