/* sqs_events.c - the interruption queue. */
#define _POSIX_C_SOURCE 200809L
#include "sqs_events.h"

#include <stdio.h>
#include <string.h>

#include "../aws/ec2_events.h"
#include "../util/log.h"

static enum nf_cloud_event_kind kind_of(enum nf_ec2_event_kind k)
{
    switch (k) {
    case NF_EC2EV_SPOT_INTERRUPTION:
        return NF_CEV_SPOT_INTERRUPTION;
    case NF_EC2EV_REBALANCE:
        return NF_CEV_REBALANCE;
    case NF_EC2EV_STATE_CHANGE:
        return NF_CEV_STATE_CHANGE;
    case NF_EC2EV_SCHEDULED:
        return NF_CEV_SCHEDULED;
    default:
        return 0;
    }
}

static int sq_receive(void *ctx, double wait_s, struct nf_cloud_event *out, size_t cap, size_t *n,
                      int *nmessages, struct nf_err *err)
{
    struct nf_sqs_events *q = ctx;
    *n = 0;
    *nmessages = q->nmsgs = 0;
    int wait = wait_s < 0 ? 0 : wait_s > 20 ? 20 : (int)wait_s;
    int got = q->held;
    q->held = 0;
    if (got == 0) {
        int rc =
            nf_sqs_receive(q->aws, q->queue_url, NF_SQS_MESSAGES_MAX, wait, q->msgs, &got, err);
        if (rc != NF_OK)
            return rc;
    }
    for (int m = 0; m < got; m++) {
        struct nf_ec2_event ev[16];
        size_t k = 0;
        struct nf_err e = {0};
        int prc =
            q->msgs[m].too_big
                ? nf_err_set(&e, NF_E_TOO_BIG, "a body over %zu bytes", sizeof q->msgs[m].body - 1)
                : nf_ec2_events_parse(q->msgs[m].body, strlen(q->msgs[m].body), ev, 16, &k, &e);
        if (prc != NF_OK || *n + k > cap) {
            q->unreadable += prc != NF_OK;
            nf_log(NF_LOG_WARN, "interruption queue: a message left on the queue",
                   NF_LF_STR("message_id", q->msgs[m].id),
                   NF_LF_STR("error", prc != NF_OK ? e.msg : "more events than room this cycle"),
                   NF_LF_END);
            continue;
        }
        int idx = q->nmsgs; /* kept messages are numbered densely, in order */
        if (idx != m)
            q->msgs[idx] = q->msgs[m];
        q->nmsgs++;
        for (size_t x = 0; x < k; x++) {
            if (kind_of(ev[x].kind) == 0)
                continue;
            struct nf_cloud_event *o = &out[(*n)++];
            memset(o, 0, sizeof *o);
            o->kind = kind_of(ev[x].kind);
            snprintf(o->id, sizeof o->id, "%s", ev[x].id);
            snprintf(o->instance, sizeof o->instance, "%s", ev[x].instance);
            snprintf(o->detail, sizeof o->detail, "%s", ev[x].detail);
            o->time = ev[x].time;
            o->deadline = ev[x].deadline;
            o->message = idx;
        }
    }
    *nmessages = q->nmsgs;
    return NF_OK;
}

static int sq_ack(void *ctx, int m, struct nf_err *err)
{
    struct nf_sqs_events *q = ctx;
    if (m < 0 || m >= q->nmsgs)
        return nf_err_set(err, NF_E_INTERNAL, "ack of message %d of %d", m, q->nmsgs);
    return nf_sqs_delete(q->aws, q->queue_url, q->msgs[m].receipt, err);
}

static bool sq_poll(void *ctx, double wait_s)
{
    struct nf_sqs_events *q = ctx;
    if (q->held > 0)
        return true;
    int wait = wait_s < 1 ? 1 : wait_s > 20 ? 20 : (int)wait_s;
    struct nf_err e = {0};
    int got = 0;
    if (nf_sqs_receive(q->aws, q->queue_url, NF_SQS_MESSAGES_MAX, wait, q->msgs, &got, &e) !=
        NF_OK) {
        nf_log(NF_LOG_DEBUG, "interruption queue: poll failed", NF_LF_STR("error", e.msg),
               NF_LF_END);
        return false;
    }
    q->held = got;
    return got > 0;
}

const struct nf_events_port nf_sqs_events_port = {
    .name = "sqs", .receive = sq_receive, .ack = sq_ack, .poll = sq_poll};
