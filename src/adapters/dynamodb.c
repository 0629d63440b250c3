/* dynamodb.c - pool state and the fenced lease in one DynamoDB item. */
#define _POSIX_C_SOURCE 200809L
#include "dynamodb.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/buf.h"
#include "../util/parse.h"
#include "../util/timefmt.h"

#define NF_DDB_TTL_S (7 * 86400.0)

static const struct nf_aws_op op_update = {"UpdateItem", NULL, "*"};
static const struct nf_aws_op op_get = {"GetItem", NULL, "*"};
static const struct nf_aws_op op_create = {"CreateTable", NULL, "*"};
static const struct nf_aws_op op_put = {"PutItem", NULL, "*"};
static const struct nf_aws_op op_query = {"Query", NULL, "*"};

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

static int call_on(struct nf_dynamodb_store *s, const char *table, const struct nf_aws_op *op,
                   json_t *params, json_t **result, struct nf_aws_error *ae, struct nf_err *err)
{
    json_object_set_new(params, "TableName", json_string(table));
    int rc = nf_aws_call(s->aws, &nf_aws_dynamodb, op, params, result, ae, err);
    json_decref(params);
    if (rc != NF_OK && err != NULL &&
        !(rc == NF_E_AWS && strcmp(ae->code, "ConditionalCheckFailedException") == 0)) {
        char m[sizeof err->msg];
        snprintf(m, sizeof m, "%s", err->msg);
        nf_strjoin(err->msg, sizeof err->msg, "table ", table, ": ", m, (const char *)NULL);
    }
    return rc;
}

static int call(struct nf_dynamodb_store *s, const struct nf_aws_op *op, json_t *params,
                json_t **result, struct nf_aws_error *ae, struct nf_err *err)
{
    return call_on(s, s->table, op, params, result, ae, err);
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
    json_decref(s->acquired);
    s->acquired = NULL;
    int rc = call(s, &op_update, params, &res, &ae, err);
    if (rc == NF_OK) {
        json_t *item = json_object_get(res, "Attributes");
        lease_from(item, out);
        if (json_is_object(item))
            s->acquired = json_incref(item);
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

/* Decoding the item: every field we read must have the type and form we write; anything
 * else is an error naming the field, never a silent default (a lost in-flight launch or
 * drain would be forgotten on the next save). Free text (action, reason) is cut to fit. */
struct dec {
    const json_t *item;
    struct nf_err *err;
    const char *what; /* what is decoded, for the message; NULL: "state item" */
    int rc;
};

static int bad(struct dec *d, const char *field, const char *what)
{
    if (d->rc == NF_OK)
        d->rc = nf_err_set(d->err, NF_E_INPUT, "%s: %s: %s", d->what ? d->what : "state item",
                           field, what);
    return d->rc;
}

/* A number attribute {"N": "..."} of `obj`; `dflt` when absent. */
static double dec_n(struct dec *d, const json_t *obj, const char *name, const char *field,
                    double dflt)
{
    const json_t *a = json_object_get(obj, name);
    if (a == NULL)
        return dflt;
    const char *v = json_string_value(json_object_get(a, "N"));
    double x;
    if (v == NULL) {
        bad(d, field, "expected a number attribute {\"N\": ...}");
        return dflt;
    }
    if (nf_parse_double(v, strlen(v), &x, NULL) != NF_OK || !isfinite(x)) {
        bad(d, field, "not a finite number");
        return dflt;
    }
    return x;
}

/* A string attribute {"S": "..."} of `obj` copied into out[n]; "" when absent. `exact`
 * makes a value that does not fit an error instead of cutting it. */
static void dec_s(struct dec *d, const json_t *obj, const char *name, const char *field, char *out,
                  size_t n, bool exact)
{
    out[0] = '\0';
    const json_t *a = json_object_get(obj, name);
    if (a == NULL)
        return;
    const char *v = json_string_value(json_object_get(a, "S"));
    if (v == NULL) {
        bad(d, field, "expected a string attribute {\"S\": ...}");
        return;
    }
    if (exact && strlen(v) >= n) {
        bad(d, field, "too long");
        return;
    }
    snprintf(out, n, "%s", v);
}

/* The list attribute {"L": [...]} of `obj`, NULL when absent. */
static const json_t *dec_l(struct dec *d, const json_t *obj, const char *name, const char *field)
{
    const json_t *a = json_object_get(obj, name);
    if (a == NULL)
        return NULL;
    const json_t *l = json_object_get(a, "L");
    if (!json_is_array(l)) {
        bad(d, field, "expected a list attribute {\"L\": [...]}");
        return NULL;
    }
    return l;
}

static void dec_launch(struct dec *d, const json_t *v, size_t i, struct nf_launch_rec *r)
{
    char f[96];
    snprintf(f, sizeof f, "in_flight_launches[%zu]", i);
    const json_t *m = json_object_get(v, "M");
    if (!json_is_object(m)) {
        bad(d, f, "expected a map attribute {\"M\": {...}}");
        return;
    }
    dec_s(d, m, "intent", f, r->intent, sizeof r->intent, true);
    dec_s(d, m, "az", f, r->az, sizeof r->az, true);
    dec_s(d, m, "market", f, r->market, sizeof r->market, true);
    r->launched_at = dec_n(d, m, "launched_at", f, 0);
    if (r->intent[0] == '\0')
        bad(d, f, "no intent");
    const json_t *ids = dec_l(d, m, "instances", f);
    if (json_array_size(ids) > NF_LAUNCH_INSTANCES_MAX) {
        bad(d, f, "more instances than a launch can have");
        return;
    }
    size_t k;
    const json_t *id;
    json_array_foreach(ids, k, id)
    {
        const char *sid = json_string_value(json_object_get(id, "S"));
        if (sid == NULL || sid[0] == '\0' || strlen(sid) >= sizeof r->instances[0]) {
            bad(d, f, "an instance id is not a short string");
            return;
        }
        snprintf(r->instances[r->ninstances++], sizeof r->instances[0], "%s", sid);
    }
}

/* "instance:node:started_at", as the seed writes its draining list */
static void dec_drain(struct dec *d, const json_t *v, size_t i, struct nf_drain_rec *r)
{
    char f[64];
    snprintf(f, sizeof f, "draining_instances[%zu]", i);
    const char *s = json_string_value(json_object_get(v, "S"));
    const char *c1 = s ? strchr(s, ':') : NULL, *c2 = c1 ? strrchr(s, ':') : NULL;
    if (s == NULL || c1 == NULL || c2 == c1 || c1 == s || c2 == c1 + 1 ||
        (size_t)(c1 - s) >= sizeof r->instance || (size_t)(c2 - c1 - 1) >= sizeof r->node ||
        nf_parse_double(c2 + 1, strlen(c2 + 1), &r->started_at, NULL) != NF_OK) {
        bad(d, f, "expected \"instance:node:started_at\"");
        return;
    }
    snprintf(r->instance, sizeof r->instance, "%.*s", (int)(c1 - s), s);
    snprintf(r->node, sizeof r->node, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
}

int nf_dynamodb_state_decode(const json_t *item, struct nf_state *st, struct nf_err *err)
{
    memset(st, 0, sizeof *st);
    if (!json_is_object(item))
        return nf_err_set(err, NF_E_INPUT, "state item: not an object");
    struct dec d = {.item = item, .err = err, .rc = NF_OK};
    double n = dec_n(&d, item, "node_count", "node_count", 0);
    if (n < 0 || n > 100000 || n != floor(n))
        bad(&d, "node_count", "not a whole number from 0 to 100000");
    st->node_count = (int)n;
    st->last_scale_up = dec_n(&d, item, "last_scale_up", "last_scale_up", 0);
    st->last_scale_down = dec_n(&d, item, "last_scale_down", "last_scale_down", 0);
    dec_s(&d, item, "last_scale_action", "last_scale_action", st->last_action,
          sizeof st->last_action, false);
    dec_s(&d, item, "last_scale_reason", "last_scale_reason", st->last_reason,
          sizeof st->last_reason, false);
    size_t i;
    const json_t *v;
    const json_t *l = dec_l(&d, item, "in_flight_launches", "in_flight_launches");
    if (json_array_size(l) > NF_STATE_LAUNCHES_MAX)
        bad(&d, "in_flight_launches", "more entries than nodefleet keeps");
    else
        json_array_foreach(l, i, v) dec_launch(&d, v, i, &st->launches[st->nlaunches++]);
    l = dec_l(&d, item, "draining_instances", "draining_instances");
    if (json_array_size(l) > NF_STATE_DRAINS_MAX)
        bad(&d, "draining_instances", "more entries than nodefleet keeps");
    else
        json_array_foreach(l, i, v) dec_drain(&d, v, i, &st->drains[st->ndrains++]);
    /* the seed's history: only the newest readings matter */
    l = dec_l(&d, item, "metrics_history", "metrics_history");
    size_t first =
        json_array_size(l) > NF_STATE_HISTORY_MAX ? json_array_size(l) - NF_STATE_HISTORY_MAX : 0;
    for (i = first; i < json_array_size(l); i++) {
        const json_t *m = json_object_get(json_array_get(l, i), "M");
        char f[64];
        snprintf(f, sizeof f, "metrics_history[%zu]", i);
        if (!json_is_object(m)) {
            bad(&d, f, "expected a map attribute {\"M\": {...}}");
            break;
        }
        st->history[st->nhistory].t = dec_n(&d, m, "t", f, 0);
        st->history[st->nhistory].cpu = dec_n(&d, m, "cpu", f, NAN);
        st->history[st->nhistory].memory = dec_n(&d, m, "memory", f, NAN);
        st->history[st->nhistory].pending_pods = dec_n(&d, m, "pending_pods", f, NAN);
        st->nhistory++;
    }
    if (d.rc != NF_OK)
        memset(st, 0, sizeof *st);
    return d.rc;
}

static int ddb_load(void *ctx, struct nf_state *st, struct nf_err *err)
{
    struct nf_dynamodb_store *s = ctx;
    memset(st, 0, sizeof *st);
    json_t *item = s->acquired; /* right after our acquire: that answer is the newest item */
    s->acquired = NULL;
    int rc = NF_OK;
    if (item == NULL)
        rc = get_item(s, &item, err);
    if (rc != NF_OK || item == NULL)
        return rc;
    /* nodefleet's own full copy when there is one; the seed's fields otherwise (an item the
     * seed wrote, or one edited by hand) */
    const char *full =
        json_string_value(json_object_get(json_object_get(item, "nodefleet_state"), "S"));
    if (full != NULL)
        rc = nf_state_from_json(full, strlen(full), st, err);
    else if (json_object_get(item, "nodefleet_state") != NULL)
        rc = nf_err_set(err, NF_E_INPUT,
                        "state item: nodefleet_state: expected a string "
                        "attribute {\"S\": ...}");
    else
        rc = nf_dynamodb_state_decode(item, st, err);
    json_decref(item);
    if (rc != NF_OK)
        nf_err_prefix(err, "table %s, cluster_id %s", s->table, s->cluster_id);
    return rc;
}

#define STATE_SET                                                                                  \
    "SET node_count = :n, last_scale_time = :last, last_scale_up = :up, "                          \
    "last_scale_down = :down, last_scale_action = :action, last_scale_reason = :reason, "          \
    "in_flight_launches = :launches, draining_instances = :drains, "                               \
    "metrics_history = :hist, #ttl = :ttl, nodefleet_state = :full"

/* The state's write; with `release`, the lease's fields go in the same write. */
static int save(struct nf_dynamodb_store *s, const struct nf_lease *l, double now,
                const struct nf_state *st, bool release, struct nf_err *err)
{
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
    struct nf_buf full;
    nf_buf_init(&full, 350 * 1024); /* DynamoDB's item limit is 400 KB */
    if (nf_state_to_json(st, &full) != NF_OK || full.status != NF_OK) {
        nf_buf_free(&full);
        json_decref(launches);
        json_decref(drains);
        json_decref(hist);
        return nf_err_set(err, NF_E_TOO_BIG, "state too large for one DynamoDB item");
    }
    json_t *params = json_pack(
        "{s:o, s:s, s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:o}, s:{s:o}, s:{s:o}, s:o}, "
        "s:{s:s}}",
        "Key", key(s), "UpdateExpression",
        release ? STATE_SET " REMOVE scaling_in_progress, lock_acquired_at, lock_expiry, "
                            "lease_owner"
                : STATE_SET,
        "ExpressionAttributeValues", ":n", num(st->node_count), ":last", num(last), ":up",
        num(st->last_scale_up), ":down", num(st->last_scale_down), ":action",
        str(st->last_action[0] ? st->last_action : "none"), ":reason",
        str(st->last_reason[0] ? st->last_reason : "-"), ":ttl", num(now + NF_DDB_TTL_S),
        ":launches", "L", launches, ":drains", "L", drains, ":hist", "L", hist, ":full",
        str(full.data), "ExpressionAttributeNames", "#ttl", "ttl");
    nf_buf_free(&full);
    holder_condition(params, l, now);
    struct nf_aws_error ae;
    json_t *res = NULL;
    int rc = call(s, &op_update, params, &res, &ae, err);
    json_decref(res);
    return lost(s, rc, &ae, l, release ? "state write and release" : "state write", err);
}

static int ddb_save(void *ctx, const struct nf_lease *l, double now, const struct nf_state *st,
                    struct nf_err *err)
{
    return save(ctx, l, now, st, false, err);
}

static int ddb_save_release(void *ctx, const struct nf_lease *l, double now,
                            const struct nf_state *st, struct nf_err *err)
{
    return save(ctx, l, now, st, true, err);
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

int nf_dynamodb_create_history_table(struct nf_dynamodb_store *s, struct nf_err *err)
{
    json_t *params = json_pack(
        "{s:[{s:s, s:s}, {s:s, s:s}], s:[{s:s, s:s}, {s:s, s:s}], s:s}", "AttributeDefinitions",
        "AttributeName", "cluster_id", "AttributeType", "S", "AttributeName", "timestamp",
        "AttributeType", "S", "KeySchema", "AttributeName", "cluster_id", "KeyType", "HASH",
        "AttributeName", "timestamp", "KeyType", "RANGE", "BillingMode", "PAY_PER_REQUEST");
    struct nf_aws_error ae;
    json_t *res = NULL;
    int rc = call_on(s, s->history_table, &op_create, params, &res, &ae, err);
    json_decref(res);
    if (rc == NF_E_AWS && strcmp(ae.code, "ResourceInUseException") == 0)
        return NF_OK;
    return rc;
}

static int ddb_history_put(void *ctx, const struct nf_history_item *it, struct nf_err *err)
{
    struct nf_dynamodb_store *s = ctx;
    char ts[32];
    nf_format_time(it->t, ts);
    json_t *item =
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "cluster_id", str(s->cluster_id), "timestamp",
                  str(ts), "hour", num(it->hour), "day_of_week", num(it->weekday), "node_count",
                  num(it->nodes), "ttl", num(floor(it->t + NF_PRED_TTL_S)));
    if (isfinite(it->cpu))
        json_object_set_new(item, "cpu_utilization", num(it->cpu));
    if (isfinite(it->memory))
        json_object_set_new(item, "memory_utilization", num(it->memory));
    if (isfinite(it->pending))
        json_object_set_new(item, "pending_pods", num(it->pending));
    struct nf_aws_error ae;
    json_t *res = NULL;
    int rc =
        call_on(s, s->history_table, &op_put, json_pack("{s:o}", "Item", item), &res, &ae, err);
    json_decref(res);
    return rc;
}

int nf_dynamodb_history_decode(const json_t *item, struct nf_history_item *it, struct nf_err *err)
{
    struct dec d = {.err = err, .what = "metrics history item"};
    char ts[40];
    dec_s(&d, item, "timestamp", "timestamp", ts, sizeof ts, true);
    double t = 0, v[3] = {NAN, NAN, NAN};
    const char *why = "missing";
    if (d.rc == NF_OK && (ts[0] == '\0' || nf_parse_time(ts, &t, &why) != NF_OK))
        bad(&d, "timestamp", why);
    if (d.rc == NF_OK && !(t >= 0 && t <= 1e11))
        bad(&d, "timestamp", "before 1970 or after the year 5000");
    static const char *const names[3] = {"cpu_utilization", "memory_utilization", "pending_pods"};
    for (int k = 0; k < 3; k++)
        v[k] = dec_n(&d, item, names[k], names[k], NAN);
    double nodes = dec_n(&d, item, "node_count", "node_count", 0);
    if (d.rc == NF_OK && !(nodes >= 0 && nodes <= 1e6))
        bad(&d, "node_count", "out of range [0, 1000000]");
    if (d.rc != NF_OK)
        return d.rc;
    *it = nf_history_item_at(t, v[0], v[1], v[2], (int)nodes);
    return NF_OK;
}

/* One Query page: the items decoded into out (from *n), and the page's LastEvaluatedKey (a
 * new reference, NULL on the last page). */
static int query_page(struct nf_dynamodb_store *s, const char *after, json_t *start,
                      struct nf_history_item *out, size_t cap, size_t *n, json_t **next,
                      struct nf_err *err)
{
    json_t *params = json_pack("{s:s, s:{s:s}, s:{s:o, s:o}}", "KeyConditionExpression",
                               "cluster_id = :c AND #ts > :after", "ExpressionAttributeNames",
                               "#ts", "timestamp", "ExpressionAttributeValues", ":c",
                               str(s->cluster_id), ":after", str(after));
    if (start != NULL)
        json_object_set(params, "ExclusiveStartKey", start);
    struct nf_aws_error ae;
    json_t *res = NULL;
    int rc = call_on(s, s->history_table, &op_query, params, &res, &ae, err);
    *next = NULL;
    const json_t *items = json_object_get(res, "Items");
    if (rc == NF_OK && !json_is_array(items))
        rc =
            nf_err_set(err, NF_E_INPUT, "table %s: Query answered without Items", s->history_table);
    for (size_t i = 0; rc == NF_OK && i < json_array_size(items) && *n < cap; i++)
        rc = nf_dynamodb_history_decode(json_array_get(items, i), &out[*n], err) == NF_OK
                 ? ((*n)++, NF_OK)
                 : NF_E_INPUT;
    json_t *lek = json_object_get(res, "LastEvaluatedKey");
    if (rc == NF_OK && lek != NULL && *n < cap)
        *next = json_incref(lek);
    json_decref(res);
    return rc;
}

static int ddb_history_load(void *ctx, double after, struct nf_history_item *out, size_t cap,
                            size_t *n, struct nf_err *err)
{
    struct nf_dynamodb_store *s = ctx;
    *n = 0;
    char ts[32];
    nf_format_time(floor(after), ts);
    json_t *start = NULL;
    int rc = NF_OK, pages = 0;
    do {
        json_t *next = NULL;
        rc = query_page(s, ts, start, out, cap, n, &next, err);
        json_decref(start);
        start = next;
    } while (rc == NF_OK && start != NULL && ++pages < 1000);
    json_decref(start);
    return rc;
}

static int ddb_peek(void *ctx, struct nf_lease *out, struct nf_err *err)
{
    json_t *item = NULL;
    memset(out, 0, sizeof *out);
    int rc = get_item(ctx, &item, err);
    if (rc == NF_OK && item != NULL)
        lease_from(item, out);
    json_decref(item);
    return rc;
}

void nf_dynamodb_store_close(struct nf_dynamodb_store *s)
{
    json_decref(s->acquired);
    s->acquired = NULL;
}

const struct nf_store_port nf_dynamodb_store_port = {.name = "dynamodb",
                                                     .peek = ddb_peek,
                                                     .acquire = ddb_acquire,
                                                     .renew = ddb_renew,
                                                     .release = ddb_release,
                                                     .load = ddb_load,
                                                     .save = ddb_save,
                                                     .save_release = ddb_save_release,
                                                     .unlock = ddb_unlock,
                                                     .history_put = ddb_history_put,
                                                     .history_load = ddb_history_load};
