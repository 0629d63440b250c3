/* ec2_events.c - EventBridge's EC2 and Health events, from a queue's message. */
#define _POSIX_C_SOURCE 200809L
#include "ec2_events.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../util/timefmt.h"

#define SPOT_WARNING_S 120.0

const char *nf_ec2_event_kind_name(enum nf_ec2_event_kind k)
{
    static const char *const names[] = {"other", "spot_interruption", "rebalance", "state_change",
                                        "scheduled"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "other";
}

static bool instance_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (strncmp(s, "i-", 2) != 0 || (n != 10 && n != 19))
        return false;
    for (size_t i = 2; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* A string member, or NULL with the error set when `required`. */
static const char *member(const json_t *o, const char *key, const char *where, bool required,
                          struct nf_err *err, int *rc)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL && !required)
        return NULL;
    if (!json_is_string(v)) {
        if (*rc == NF_OK)
            *rc = nf_err_set(err, NF_E_INPUT, "event: %s%s: %s", where, key,
                             v ? "not a string" : "missing");
        return NULL;
    }
    return json_string_value(v);
}

static int read_time(const char *s, const char *field, double *out, struct nf_err *err)
{
    const char *why = NULL;
    if (nf_parse_time(s, out, &why) != NF_OK)
        return nf_err_set(err, NF_E_INPUT, "event: %s: \"%.40s\": %s", field, s,
                          why ? why : "not an RFC 3339 time");
    return NF_OK;
}

static int add(struct nf_ec2_event *out, size_t cap, size_t *n, const struct nf_ec2_event *ev,
               const char *instance, const char *field, struct nf_err *err)
{
    if (instance && !instance_id_ok(instance))
        return nf_err_set(err, NF_E_INPUT, "event: %s: \"%.30s\": not an EC2 instance id", field,
                          instance);
    if (*n >= cap)
        return nf_err_set(err, NF_E_TOO_BIG, "event: more than %zu instances", cap);
    out[*n] = *ev;
    snprintf(out[*n].instance, sizeof out[*n].instance, "%s", instance ? instance : "");
    (*n)++;
    return NF_OK;
}

/* AWS Health: every affected instance of a scheduled EC2 change. */
static int health(const json_t *detail, struct nf_ec2_event *ev, struct nf_ec2_event *out,
                  size_t cap, size_t *n, struct nf_err *err)
{
    int rc = NF_OK;
    const char *service = member(detail, "service", "detail.", false, err, &rc);
    const char *category = member(detail, "eventTypeCategory", "detail.", false, err, &rc);
    const char *code = member(detail, "eventTypeCode", "detail.", false, err, &rc);
    const char *start = member(detail, "startTime", "detail.", false, err, &rc);
    if (rc != NF_OK)
        return rc;
    if (!service || strcmp(service, "EC2") != 0 || !category ||
        strcmp(category, "scheduledChange") != 0)
        return add(out, cap, n, ev, NULL, NULL, err); /* another service or kind: other */
    ev->kind = NF_EC2EV_SCHEDULED;
    snprintf(ev->detail, sizeof ev->detail, "%s", code ? code : "");
    /* Health writes its times as "Tue, 15 Dec 2020 06:00:00 GMT" or RFC 3339; only the
     * latter is read, the former leaves the deadline unknown */
    double t;
    if (start && nf_parse_time(start, &t, &(const char *){NULL}) == NF_OK)
        ev->deadline = t;
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(detail, "affectedEntities"), i, e)
    {
        const char *id = member(e, "entityValue", "detail.affectedEntities[].", true, err, &rc);
        if (rc != NF_OK)
            return rc;
        if ((rc = add(out, cap, n, ev, id, "detail.affectedEntities[].entityValue", err)) != NF_OK)
            return rc;
    }
    return NF_OK;
}

static int event(const json_t *j, struct nf_ec2_event *out, size_t cap, size_t *n,
                 struct nf_err *err)
{
    int rc = NF_OK;
    const char *id = member(j, "id", "", true, err, &rc);
    const char *type = member(j, "detail-type", "", true, err, &rc);
    const char *source = member(j, "source", "", true, err, &rc);
    const char *time = member(j, "time", "", true, err, &rc);
    const json_t *detail = json_object_get(j, "detail");
    if (rc == NF_OK && !json_is_object(detail))
        rc = nf_err_set(err, NF_E_INPUT, "event: detail: %s", detail ? "not an object" : "missing");
    if (rc != NF_OK)
        return rc;
    if (id[0] == '\0' || strlen(id) >= sizeof out->id)
        return nf_err_set(err, NF_E_INPUT, "event: id: empty or over %zu bytes",
                          sizeof out->id - 1);
    struct nf_ec2_event ev = {.kind = NF_EC2EV_OTHER};
    snprintf(ev.id, sizeof ev.id, "%s", id);
    if ((rc = read_time(time, "time", &ev.time, err)) != NF_OK)
        return rc;
    if (strcmp(source, "aws.health") == 0 && strcmp(type, "AWS Health Event") == 0)
        return health(detail, &ev, out, cap, n, err);
    if (strcmp(source, "aws.ec2") != 0)
        return add(out, cap, n, &ev, NULL, NULL, err);
    const char *detail_field = NULL;
    if (strcmp(type, "EC2 Spot Instance Interruption Warning") == 0) {
        ev.kind = NF_EC2EV_SPOT_INTERRUPTION;
        ev.deadline = ev.time + SPOT_WARNING_S;
        detail_field = "instance-action";
    } else if (strcmp(type, "EC2 Instance Rebalance Recommendation") == 0) {
        ev.kind = NF_EC2EV_REBALANCE;
    } else if (strcmp(type, "EC2 Instance State-change Notification") == 0) {
        ev.kind = NF_EC2EV_STATE_CHANGE;
        detail_field = "state";
    } else {
        return add(out, cap, n, &ev, NULL, NULL, err);
    }
    const char *instance = member(detail, "instance-id", "detail.", true, err, &rc);
    const char *d = detail_field ? member(detail, detail_field, "detail.", true, err, &rc) : "";
    if (rc != NF_OK)
        return rc;
    if (strlen(d) >= sizeof ev.detail)
        return nf_err_set(err, NF_E_INPUT, "event: detail.%s: over %zu bytes", detail_field,
                          sizeof ev.detail - 1);
    snprintf(ev.detail, sizeof ev.detail, "%s", d);
    return add(out, cap, n, &ev, instance, "detail.instance-id", err);
}

int nf_ec2_events_parse(const char *body, size_t len, struct nf_ec2_event *out, size_t cap,
                        size_t *n, struct nf_err *err)
{
    *n = 0;
    if (len > NF_EC2_EVENT_MAX)
        return nf_err_set(err, NF_E_TOO_BIG, "event: %zu bytes, over the %u-byte limit", len,
                          (unsigned)NF_EC2_EVENT_MAX);
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL)
        return nf_err_set(err, NF_E_INPUT, "event: not JSON: %s at line %d column %d", je.text,
                          je.line, je.column);
    int rc;
    const char *kind = json_string_value(json_object_get(j, "Type"));
    if (kind && strcmp(kind, "Notification") == 0) { /* through SNS: the event is a string */
        const char *msg = json_string_value(json_object_get(j, "Message"));
        json_t *inner = msg ? json_loads(msg, JSON_REJECT_DUPLICATES, &je) : NULL;
        if (inner == NULL)
            rc = nf_err_set(err, NF_E_INPUT, "event: an SNS notification whose Message is %s",
                            msg ? "not JSON" : "missing");
        else if (!json_is_object(inner))
            rc = nf_err_set(err, NF_E_INPUT, "event: an SNS Message that is not an object");
        else
            rc = event(inner, out, cap, n, err);
        json_decref(inner);
    } else if (!json_is_object(j)) {
        rc = nf_err_set(err, NF_E_INPUT, "event: not a JSON object");
    } else {
        rc = event(j, out, cap, n, err);
    }
    json_decref(j);
    if (rc != NF_OK)
        *n = 0;
    return rc;
}
