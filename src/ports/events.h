/* events.h - what the cycle tells people about (Slack, SNS, the log): the event kinds, their
 * names, and one event's fields. Shared by the cycle, which makes them, and the notifier
 * adapters, which send them, so it lives with the ports rather than in either. */
#ifndef NF_PORTS_EVENTS_H
#define NF_PORTS_EVENTS_H

#include <stdbool.h>

enum nf_event_kind {
    NF_EV_SCALE_UP,
    NF_EV_SCALE_DOWN,
    NF_EV_DRAIN_STARTED,
    NF_EV_DRAIN_FINISHED,
    NF_EV_DRAIN_ABORTED,
    NF_EV_LAUNCH_FAILED,
    NF_EV_LEASE_PROBLEM
};
const char *nf_event_name(enum nf_event_kind k);

struct nf_event {
    enum nf_event_kind kind;
    double t;
    const char *cluster_id;
    char reason[512];
    int nodes_before, nodes_after;
    double cost_per_hour_change; /* USD per hour, + more, - less */
    char instances[512];         /* "i-0abc, i-0def" */
    char node[128];
    bool dry_run;
};

#endif
