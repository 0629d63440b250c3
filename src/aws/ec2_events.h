/* ec2_events.h - the EC2 events nodefleet acts on, read from an SQS message's body.
 *
 * Contract
 *   nf_ec2_events_parse reads one message body: an EventBridge event as EventBridge delivers
 *   it to an SQS queue, or the same wrapped in an SNS notification (`"Type": "Notification"`,
 *   the event in "Message"). It fills `out` with one nf_ec2_event per instance concerned:
 *     "EC2 Spot Instance Interruption Warning" (source aws.ec2)  -> NF_EC2EV_SPOT_INTERRUPTION,
 *         deadline = the event's time + 120 s (AWS's two-minute warning);
 *     "EC2 Instance Rebalance Recommendation"                  -> NF_EC2EV_REBALANCE;
 *     "EC2 Instance State-change Notification"                 -> NF_EC2EV_STATE_CHANGE, with
 *         the new state (pending, running, stopping, stopped, shutting-down, terminated);
 *     "AWS Health Event" (source aws.health, service EC2, category scheduledChange) ->
 *         NF_EC2EV_SCHEDULED, one per affected instance, deadline = its startTime (0 when none);
 *     any other well-formed event                              -> NF_EC2EV_OTHER (no instance).
 *   Bounded: bodies over NF_EC2_EVENT_MAX bytes, more than `cap` instances, an id over 79
 *   bytes, an instance id that is not i- and 8 or 17 hex digits, a time that is not RFC 3339
 *   are NF_E_INPUT / NF_E_TOO_BIG naming the field ("detail.instance-id: \"x\": not an EC2
 *   instance id"). Pure: no I/O, no clock.
 */
#ifndef NF_AWS_EC2_EVENTS_H
#define NF_AWS_EC2_EVENTS_H

#include <stddef.h>

#include "../util/err.h"

#define NF_EC2_EVENT_MAX (256 * 1024) /* SQS's own limit on a message */

enum nf_ec2_event_kind {
    NF_EC2EV_OTHER,
    NF_EC2EV_SPOT_INTERRUPTION,
    NF_EC2EV_REBALANCE,
    NF_EC2EV_STATE_CHANGE,
    NF_EC2EV_SCHEDULED
};

struct nf_ec2_event {
    enum nf_ec2_event_kind kind;
    char id[80];       /* the event's id: with the instance, what makes it unique */
    char instance[24]; /* "" for NF_EC2EV_OTHER */
    char detail[96];   /* the spot action, the new state, or the Health event's type code */
    double time;       /* when the event was emitted, Unix s */
    double deadline;   /* when the instance goes; 0 when the event does not say */
};

const char *nf_ec2_event_kind_name(enum nf_ec2_event_kind k);

int nf_ec2_events_parse(const char *body, size_t len, struct nf_ec2_event *out, size_t cap,
                        size_t *n, struct nf_err *err);

#endif
