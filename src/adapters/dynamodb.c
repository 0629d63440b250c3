/* dynamodb.c - pool state and the fenced lease in one DynamoDB item. */
#define _POSIX_C_SOURCE 200809L
#include "dynamodb.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/parse.h"

#define NF_DDB_TTL_S (7 * 86400.0)

static const struct nf_aws_op op_update = {"UpdateItem", NULL, "*"};
static const struct nf_aws_op op_get = {"GetItem", NULL, "*"};
static const struct nf_aws_op op_create = {"CreateTable", NULL, "*"};

/* DynamoDB numbers travel as strings */
static json_t *num(double v)
{
    char s[40];
    if (v == floor(v) && fabs(v) < 1e15)
        snprintf(s, sizeof s, "%.0f", v);
    else
        snprintf(s, sizeof s, "%.6f", v);
    return json_pack("{s:s}", "N", s);
}

static json_t *str(const char *s)
{
    return json_pack("{s:s}", "S", s);
}

static json_t *key(const struct nf_dynamodb_store *s)
{
    return json_pack("{s:o}", "cluster_id", str(s->cluster_id));
}

static double get_n(const json_t *item, const char *name, double dflt)
{
    const char *v = json_string_value(json_object_get(json_object_get(item, name), "N"));
    double d;
    return v && nf_parse_double(v, strlen(v), &d, NULL) == NF_OK ? d : dflt;
}

static const char *get_s(const json_t *item, const char *name)
{
    const char *v = json_string_value(json_object_get(json_object_get(item, name), "S"));
    return v ? v : "";
}

static int call(struct nf_dynamodb_store *s, const struct nf_aws_op *op, json_t *params,
                json_t **result, struct nf_aws_error *ae, struct nf_err *err)
{
    json_object_set_new(params, "TableName", json_string(s->table));
    int rc = nf_aws_call(s->aws, &nf_aws_dynamodb, op, params, result, ae, err);
    json_decref(params);
    return rc;
}

static bool lost_condition(int rc, const struct nf_aws_error *ae)
{
    return rc == NF_E_AWS && strcmp(ae->code, "ConditionalCheckFailedException") == 0;
}

static void lease_from(const json_t *item, struct nf_lease *l)
{
    memset(l, 0, sizeof *l);
    snprintf(l->owner, sizeof l->owner, "%s", get_s(item, "lease_owner"));
    l->token = (long long)get_n(item, "fencing_token", 0);
    l->acquired_at = get_n(item, "lock_acquired_at", 0);
    l->expiry = get_n(item, "lock_expiry", 0);
}

static int get_item(struct nf_dynamodb_store *s, json_t **item, struct nf_err *err)
{
    struct nf_aws_error ae;
    json_t *res = NULL;
    int rc = call(s, &op_get, json_pack("{s:o, s:b}", "Key", key(s), "ConsistentRead", 1), &res,
                  &ae, err);
    if (rc != NF_OK)
        return rc;
    *item = json_incref(json_object_get(res, "Item"));
    json_decref(res);
    return NF_OK;
}

static int ddb_acquire(void *ctx, const char *owner, double now, double ttl, struct nf_lease *out,
                       struct nf_err *err)
{
    struct nf_dynamodb_store *s = ctx;
    json_t *params = json_pack(
        "{s:o, s:s, s:s, s:{s:o, s:o, s:o, s:o, s:o, s:o}, s:s}", "Key", key(s), "UpdateExpression",
        "SET scaling_in_progress = :t, lock_acquired_at = :now, lock_expiry = :exp, "
        "lease_owner = :owner, #ttl = :ttl ADD fencing_token :one",
        "ConditionExpression", "attribute_not_exists(scaling_in_progress) OR lock_expiry < :now",
        "ExpressionAttributeValues", ":t", str("true"), ":now", num(now), ":exp", num(now + ttl),
        ":owner", str(owner), ":one", num(1), ":ttl", num(now + NF_DDB_TTL_S), "ReturnValues",
        "ALL_NEW");
    json_object_set_new(params, "ExpressionAttributeNames", json_pack("{s:s}", "#ttl", "ttl"));
    struct nf_aws_error ae;
    json_t *res = NULL;
    int rc = call(s, &op_update, params, &res, &ae, err);
    if (rc == NF_OK) {
        lease_from(json_object_get(res, "Attributes"), out);
        json_decref(res);
        return NF_OK;
    }
    if (!lost_condition(rc, &ae))
        return rc;
    /* held - by someone else, or by us if an earlier attempt of this call went through */
    json_t *item = NULL;
    rc = get_item(s, &item, err);
    if (rc != NF_OK)
        return rc;
    lease_from(item, out);
    json_decref(item);
    if (ae.attempts > 1 && strcmp(out->owner, owner) == 0 && out->expiry >= now)
        return NF_OK;
    return nf_err_set(err, NF_E_CONFLICT, "lease held by %s until %.0f (token %lld)", out->owner,
                      out->expiry, out->token);
}

/* The condition every write of a lease holder carries. */
static void holder_condition(json_t *params, const struct nf_lease *l, double now)
{
    json_object_set_new(params, "ConditionExpression",
                        json_string("lease_owner = :owner AND fencing_token = :tok AND "
                                    "lock_expiry >= :now"));
    json_t *v = json_object_get(params, "ExpressionAttributeValues");
    json_object_set_new(v, ":owner", str(l->owner));
    json_object_set_new(v, ":tok", num((double)l->token));
    json_object_set_new(v, ":now", num(now));
}

static int lost(struct nf_dynamodb_store *s, int rc, const struct nf_aws_error *ae,
                const struct nf_lease *l, const char *what, struct nf_err *err)
{
    (void)s;
    if (lost_condition(rc, ae))
        return nf_err_set(err, NF_E_CONFLICT,
                          "%s refused: the lease (token %lld) has expired or was taken over", what,
                          l->token);
    return rc;
}

static int ddb_renew(void *ctx, struct nf_lease *l, double now, double ttl, struct nf_err *err)
{
    struct nf_dynamodb_store *s = ctx;
    json_t *params =
        json_pack("{s:o, s:s, s:{s:o}}", "Key", key(s), "UpdateExpression",
                  "SET lock_expiry = :exp", "ExpressionAttributeValues", ":exp", num(now + ttl));
    holder_condition(params, l, now);
    struct nf_aws_error ae;
    json_t *res = NULL;
    int rc = call(s, &op_update, params, &res, &ae, err);
    json_decref(res);
    if (rc == NF_OK)
        l->expiry = now + ttl;
    return lost(s, rc, &ae, l, "renew", err);
}

static int ddb_release(void *ctx, const struct nf_lease *l, struct nf_err *err)
{
    struct nf_dynamodb_store *s = ctx;
    json_t *params = json_pack(
        "{s:o, s:s, s:s, s:{s:o, s:o}}", "Key", key(s), "UpdateExpression",
        "REMOVE scaling_in_progress, lock_acquired_at, lock_expiry, lease_owner",
        "ConditionExpression", "lease_owner = :owner AND fencing_token = :tok",
        "ExpressionAttributeValues", ":owner", str(l->owner), ":tok", num((double)l->token));
    struct nf_aws_error ae;
    json_t *res = NULL;
    int rc = call(s, &op_update, params, &res, &ae, err);
    json_decref(res);
    return lost(s, rc, &ae, l, "release", err);
}

static int ddb_unlock(void *ctx, double now, struct nf_lease *was, struct nf_err *err)
{
    struct nf_dynamodb_store *s = ctx;
    (void)now;
    json_t *params =
        json_pack("{s:o, s:s, s:{s:o}, s:s}", "Key", key(s), "UpdateExpression",
                  "REMOVE scaling_in_progress, lock_acquired_at, lock_expiry, lease_owner "
                  "ADD fencing_token :one",
                  "ExpressionAttributeValues", ":one", num(1), "ReturnValues", "ALL_OLD");
    struct nf_aws_error ae;
    json_t *res = NULL;
    int rc = call(s, &op_update, params, &res, &ae, err);
    if (rc == NF_OK)
        lease_from(json_object_get(res, "Attributes"), was);
    json_decref(res);
    return rc;
}

static int ddb_load(void *ctx, struct nf_state *st, struct nf_err *err)
{
    struct nf_dynamodb_store *s = ctx;
    memset(st, 0, sizeof *st);
    json_t *item = NULL;
    int rc = get_item(s, &item, err);
    if (rc != NF_OK || item == NULL)
        return rc;
    st->node_count = (int)get_n(item, "node_count", 0);
    st->last_scale_up = get_n(item, "last_scale_up", 0);
    st->last_scale_down = get_n(item, "last_scale_down", 0);
    snprintf(st->last_action, sizeof st->last_action, "%s", get_s(item, "last_scale_action"));
    snprintf(st->last_reason, sizeof st->last_reason, "%s", get_s(item, "last_scale_reason"));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(json_object_get(item, "in_flight_launches"), "L"), i, v)
    {
        if (st->nlaunches == NF_STATE_LAUNCHES_MAX)
            break;
        const json_t *m = json_object_get(v, "M");
        struct nf_launch_rec *r = &st->launches[st->nlaunches++];
        snprintf(r->intent, sizeof r->intent, "%s", get_s(m, "intent"));
        snprintf(r->az, sizeof r->az, "%s", get_s(m, "az"));
        snprintf(r->market, sizeof r->market, "%s", get_s(m, "market"));
        r->launched_at = get_n(m, "launched_at", 0);
        size_t k;
        json_t *id;
        json_array_foreach(json_object_get(json_object_get(m, "instances"), "L"), k, id)
        {
            if (r->ninstances == NF_LAUNCH_INSTANCES_MAX)
                break;
            snprintf(r->instances[r->ninstances++], sizeof r->instances[0], "%s",
                     json_string_value(json_object_get(id, "S"))
                         ? json_string_value(json_object_get(id, "S"))
                         : "");
        }
    }
    json_array_foreach(json_object_get(json_object_get(item, "draining_instances"), "L"), i, v)
    {
        const char *d = json_string_value(json_object_get(v, "S"));
        if (d == NULL || st->ndrains == NF_STATE_DRAINS_MAX)
            continue;
        /* "instance:node:started_at" */
        struct nf_drain_rec *r = &st->drains[st->ndrains];
        const char *c1 = strchr(d, ':'), *c2 = c1 ? strrchr(d, ':') : NULL;
        if (c1 == NULL || c2 == c1)
            continue;
        snprintf(r->instance, sizeof r->instance, "%.*s", (int)(c1 - d), d);
        snprintf(r->node, sizeof r->node, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
        nf_parse_double(c2 + 1, strlen(c2 + 1), &r->started_at, NULL);
        st->ndrains++;
    }
    json_array_foreach(json_object_get(json_object_get(item, "metrics_history"), "L"), i, v)
    {
        if (st->nhistory == NF_STATE_HISTORY_MAX)
            break;
        const json_t *m = json_object_get(v, "M");
        st->history[st->nhistory].t = get_n(m, "t", 0);
        st->history[st->nhistory].cpu = get_n(m, "cpu", NAN);
        st->history[st->nhistory].memory = get_n(m, "memory", NAN);
        st->history[st->nhistory].pending_pods = get_n(m, "pending_pods", NAN);
        st->nhistory++;
    }
    json_decref(item);
    return NF_OK;
}

static int ddb_save(void *ctx, const struct nf_lease *l, double now, const struct nf_state *st,
                    struct nf_err *err)
{
    struct nf_dynamodb_store *s = ctx;
    json_t *launches = json_array(), *drains = json_array(), *hist = json_array();
    for (int i = 0; i < st->nlaunches; i++) {
        const struct nf_launch_rec *r = &st->launches[i];
        json_t *ids = json_array();
        for (int k = 0; k < r->ninstances; k++)
            json_array_append_new(ids, str(r->instances[k]));
        json_array_append_new(launches,
                              json_pack("{s:{s:o, s:o, s:o, s:o, s:{s:o}}}", "M", "intent",
                                        str(r->intent), "az", str(r->az), "market", str(r->market),
                                        "launched_at", num(r->launched_at), "instances", "L", ids));
    }
    for (int i = 0; i < st->ndrains; i++) {
        char d[256];
        snprintf(d, sizeof d, "%s:%s:%.0f", st->drains[i].instance, st->drains[i].node,
                 st->drains[i].started_at);
        json_array_append_new(drains, str(d));
    }
    for (int i = 0; i < st->nhistory; i++) {
        json_t *m = json_pack("{s:o}", "t", num(st->history[i].t));
        if (isfinite(st->history[i].cpu))
            json_object_set_new(m, "cpu", num(st->history[i].cpu));
        if (isfinite(st->history[i].memory))
            json_object_set_new(m, "memory", num(st->history[i].memory));
        if (isfinite(st->history[i].pending_pods))
            json_object_set_new(m, "pending_pods", num(st->history[i].pending_pods));
        json_array_append_new(hist, json_pack("{s:o}", "M", m));
    }
    double last = st->last_scale_up > st->last_scale_down ? st->last_scale_up : st->last_scale_down;
    json_t *params = json_pack(
        "{s:o, s:s, s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:o}, s:{s:o}, s:{s:o}}, "
        "s:{s:s}}",
        "Key", key(s), "UpdateExpression",
        "SET node_count = :n, last_scale_time = :last, last_scale_up = :up, "
        "last_scale_down = :down, last_scale_action = :action, last_scale_reason = :reason, "
        "in_flight_launches = :launches, draining_instances = :drains, "
        "metrics_history = :hist, #ttl = :ttl",
        "ExpressionAttributeValues", ":n", num(st->node_count), ":last", num(last), ":up",
        num(st->last_scale_up), ":down", num(st->last_scale_down), ":action",
        str(st->last_action[0] ? st->last_action : "none"), ":reason",
        str(st->last_reason[0] ? st->last_reason : "-"), ":ttl", num(now + NF_DDB_TTL_S),
        ":launches", "L", launches, ":drains", "L", drains, ":hist", "L", hist,
        "ExpressionAttributeNames", "#ttl", "ttl");
    holder_condition(params, l, now);
    struct nf_aws_error ae;
    json_t *res = NULL;
    int rc = call(s, &op_update, params, &res, &ae, err);
    json_decref(res);
    return lost(s, rc, &ae, l, "state write", err);
}

int nf_dynamodb_create_table(struct nf_dynamodb_store *s, struct nf_err *err)
{
    json_t *params =
        json_pack("{s:[{s:s, s:s}], s:[{s:s, s:s}], s:s}", "AttributeDefinitions", "AttributeName",
                  "cluster_id", "AttributeType", "S", "KeySchema", "AttributeName", "cluster_id",
                  "KeyType", "HASH", "BillingMode", "PAY_PER_REQUEST");
    struct nf_aws_error ae;
    json_t *res = NULL;
    int rc = call(s, &op_create, params, &res, &ae, err);
    json_decref(res);
    if (rc == NF_E_AWS && strcmp(ae.code, "ResourceInUseException") == 0)
        return NF_OK;
    return rc;
}

const struct nf_store_port nf_dynamodb_store_port = {.name = "dynamodb",
                                                     .acquire = ddb_acquire,
                                                     .renew = ddb_renew,
                                                     .release = ddb_release,
                                                     .load = ddb_load,
                                                     .save = ddb_save,
                                                     .unlock = ddb_unlock};
