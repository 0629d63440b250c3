/* notify.h - telling people: every event as a log line; Slack and SNS when configured.
 *
 * Contract
 *   One concise message per event (scale up/down, drain started/finished/aborted, launch
 *   failure, lease problem): the action, the reason, the worker count before -> after, the
 *   hourly cost change and the instances. Slack gets {"text": ...} on its incoming webhook;
 *   SNS a Publish with subject "nodefleet <event> <pool>" and the same content as JSON. A
 *   failed delivery is logged and counted (`failed`), never fatal, never retried in the
 *   cycle. The webhook URL is a secret: it is never logged.
 */
#ifndef NF_ADAPTERS_NOTIFY_H
#define NF_ADAPTERS_NOTIFY_H

#include "../aws/client.h"
#include "../http/http.h"
#include "../ports/ports.h"

struct nf_notifier {
    char slack_url[1024];      /* "" = no Slack */
    char sns_topic[1024];      /* "" = no SNS */
    struct nf_http *http;      /* for Slack; owned by the notifier */
    struct nf_aws_client *aws; /* for SNS; the caller's */
    unsigned long sent, failed;
};

void nf_notifier_free(struct nf_notifier *n);

extern const struct nf_notify_port nf_notify_port; /* ctx: struct nf_notifier * */

#endif
