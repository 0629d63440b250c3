/* sqs_events.h - the events port over an SQS queue that EventBridge (or SNS) feeds
 * (aws.interruption_queue_url): aws/ec2_events.h reads each message.
 *
 * Contract
 *   receive: one ReceiveMessage of up to 10 messages (a long poll of `wait_s`, at most 20 s as
 *   SQS allows); each message's EC2 events become nf_cloud_events numbered by message; a
 *   message that does not read, or too big for the buffer, is logged with its id and left on
 *   the queue (its redrive policy decides) - never counted, never acked. ack: DeleteMessage of
 *   message m of the last receive.
 */
#ifndef NF_ADAPTERS_SQS_EVENTS_H
#define NF_ADAPTERS_SQS_EVENTS_H

#include "../aws/support.h"
#include "../ports/ports.h"

struct nf_sqs_events {
    struct nf_aws_client *aws;
    char queue_url[1024];
    struct nf_sqs_message msgs[NF_SQS_MESSAGES_MAX];
    int nmsgs;
    int held;        /* messages a poll got, for the next receive (0: none) */
    long unreadable; /* messages left on the queue because they did not read */
};

extern const struct nf_events_port nf_sqs_events_port;

#endif
