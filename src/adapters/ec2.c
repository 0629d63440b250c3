/* ec2.c - launching, listing and terminating the pool's instances. */
#define _POSIX_C_SOURCE 200809L
#include "ec2.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../aws/crypto.h"
#include "../util/check.h"
#include "../util/log.h"

static const struct nf_aws_op op_run = {"RunInstances", "RunInstancesRequest", "Reservation"};
static const struct nf_aws_op op_describe = {"DescribeInstances", "DescribeInstancesRequest",
                                             "DescribeInstancesResult"};
static const struct nf_aws_op op_terminate = {"TerminateInstances", "TerminateInstancesRequest",
                                              "TerminateInstancesResult"};

/* one EC2 call; the parameters are used up */
static int ec2_call(struct nf_ec2 *e, const struct nf_aws_op *op, json_t *params, json_t **res,
                    struct nf_aws_error *ae, struct nf_err *err)
{
    int rc = nf_aws_call(e->aws, &nf_aws_ec2, op, params, res, ae, err);
    json_decref(params);
    return rc;
}

static int nf_ec2_parse_subnets(const char *text, struct nf_ec2 *e, struct nf_err *err)
{
    e->nzones = 0;
    struct nf_kv kv = {0};
    int r;
    while ((r = nf_kv_next(&text, &kv)) != 0) {
        if (r < 0 || kv.key_len == 0 || kv.value_len == 0)
            return nf_err_set(err, NF_E_CONFIG,
                              "aws.subnets: expected zone=subnet pairs, got \"%.*s\"",
                              (int)(kv.value + kv.value_len - kv.key), kv.key);
        if (e->nzones == NF_EC2_ZONES_MAX)
            return nf_err_set(err, NF_E_CONFIG, "aws.subnets: more than %d zones",
                              NF_EC2_ZONES_MAX);
        struct nf_ec2_zone *z = &e->zones[e->nzones];
        if (kv.key_len >= sizeof z->az || kv.value_len >= sizeof z->subnet)
            return nf_err_set(err, NF_E_CONFIG, "aws.subnets: a name is too long");
        memset(z, 0, sizeof *z);
        memcpy(z->az, kv.key, kv.key_len);
        memcpy(z->subnet, kv.value, kv.value_len);
        for (int i = 0; i < e->nzones; i++)
            if (strcmp(e->zones[i].az, z->az) == 0)
                return nf_err_set(err, NF_E_CONFIG, "aws.subnets: zone %s given twice", z->az);
        e->nzones++;
    }
    return NF_OK;
}

int nf_ec2_parse_pool_tags(const char *text, const char *cluster_id, struct nf_ec2 *e,
                           struct nf_err *err)
{
    e->ntags = 0;
    const char *why = NULL;
    if (nf_check_tag_filter(text, &why) != NF_OK)
        return nf_err_set(err, NF_E_CONFIG, "aws.pool_tags: %s", why);
    struct nf_kv kv = {0};
    while (nf_kv_next(&text, &kv) > 0) { /* well formed: checked above */
        if (e->ntags == NF_EC2_TAGS_MAX)
            return nf_err_set(err, NF_E_CONFIG, "aws.pool_tags: more than %d tags",
                              NF_EC2_TAGS_MAX);
        snprintf(e->tags[e->ntags].key, sizeof e->tags[0].key, "%.*s", (int)kv.key_len, kv.key);
        /* the value, with {cluster_id} replaced */
        char *v = e->tags[e->ntags].value;
        size_t o = 0, cap = sizeof e->tags[0].value;
        const char *end = kv.value + kv.value_len;
        for (const char *q = kv.value; q < end; q++) {
            if (end - q >= 12 && strncmp(q, "{cluster_id}", 12) == 0) {
                for (const char *c = cluster_id; *c && o + 1 < cap; c++)
                    v[o++] = *c;
                q += 11;
            } else if (o + 1 < cap) {
                v[o++] = *q;
            }
        }
        v[o] = '\0';
        for (int i = 0; i < e->ntags; i++)
            if (strcmp(e->tags[i].key, e->tags[e->ntags].key) == 0)
                return nf_err_set(err, NF_E_CONFIG, "aws.pool_tags: tag %s given twice",
                                  e->tags[i].key);
        e->ntags++;
    }
    return NF_OK;
}

int nf_ec2_init(struct nf_ec2 *e, struct nf_aws_client *aws, const struct nf_config *cfg,
                struct nf_err *err)
{
    memset(e, 0, sizeof *e);
    e->aws = aws;
    snprintf(e->cluster_id, sizeof e->cluster_id, "%s", cfg->cluster_id);
    snprintf(e->template_, sizeof e->template_, "%s", cfg->aws_launch_template);
    snprintf(e->template_version, sizeof e->template_version, "%s",
             cfg->aws_launch_template_version);
    snprintf(e->instance_type, sizeof e->instance_type, "%s", cfg->aws_instance_type);
    e->backoff_s = cfg->aws_capacity_backoff;
    e->page_size = (int)cfg->aws_describe_page_size;
    int rc = nf_ec2_parse_pool_tags(cfg->aws_pool_tags, cfg->cluster_id, e, err);
    if (rc != NF_OK)
        return rc;
    return nf_ec2_parse_subnets(cfg->aws_subnets, e, err);
}

static bool spot_capacity_error(const char *code)
{
    static const char *const codes[] = {"InsufficientInstanceCapacity",
                                        "SpotMaxPriceTooLow",
                                        "MaxSpotInstanceCountExceeded",
                                        "UnfulfillableCapacity",
                                        "InsufficientCapacity",
                                        "Unsupported",
                                        NULL};
    for (const char *const *c = codes; *c; c++)
        if (strcmp(code, *c) == 0)
            return true;
    return false;
}

static bool quota_error(const char *code)
{
    return strcmp(code, "InstanceLimitExceeded") == 0 || strcmp(code, "VcpuLimitExceeded") == 0;
}

/* ClientToken: the intent, zone and market, hashed to 64 hex characters at most (the
 * limit is 64 ASCII characters). */
static void client_token(const char *intent, const char *az, enum nf_market m, char *out)
{
    char seed[256];
    int n = snprintf(seed, sizeof seed, "%s|%s|%s", intent, az, nf_market_name(m));
    unsigned char h[32];
    nf_sha256(seed, (size_t)(n > 0 ? n : 0), h);
    nf_hex(h, 32, out);
}

static const char *sv(const json_t *j)
{
    const char *v = json_string_value(j);
    return v ? v : "";
}

static void parse_instance(const json_t *j, struct nf_instance *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", sv(json_object_get(j, "InstanceId")));
    snprintf(out->az, sizeof out->az, "%s",
             sv(json_object_get(json_object_get(j, "Placement"), "AvailabilityZone")));
    snprintf(out->subnet, sizeof out->subnet, "%s", sv(json_object_get(j, "SubnetId")));
    snprintf(out->state, sizeof out->state, "%s",
             sv(json_object_get(json_object_get(j, "State"), "Name")));
    snprintf(out->private_ip, sizeof out->private_ip, "%s",
             sv(json_object_get(j, "PrivateIpAddress")));
    snprintf(out->private_dns, sizeof out->private_dns, "%s",
             sv(json_object_get(j, "PrivateDnsName")));
    const char *life = json_string_value(json_object_get(j, "InstanceLifecycle"));
    out->market = life && strcmp(life, "spot") == 0 ? NF_MARKET_SPOT : NF_MARKET_ON_DEMAND;
    out->launch_time = json_number_value(json_object_get(j, "LaunchTime"));
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(j, "Tags"), i, t)
    {
        const char *k = json_string_value(json_object_get(t, "Key"));
        const char *v = json_string_value(json_object_get(t, "Value"));
        if (k && v && strcmp(k, "nodefleet:intent") == 0)
            snprintf(out->intent, sizeof out->intent, "%s", v);
        if (k && v && strcmp(k, "nodefleet:market") == 0 && strcmp(v, "spot") == 0)
            out->market = NF_MARKET_SPOT;
    }
}

static json_t *tag(const char *k, const char *v)
{
    return json_pack("{s:s, s:s}", "Key", k, "Value", v);
}

/* One RunInstances: `count` workers in zone z on market m. */
static int run_group(struct nf_ec2 *e, const char *intent, int z, enum nf_market m, int count,
                     struct nf_launch_outcome *out, struct nf_aws_error *ae, struct nf_err *err)
{
    char token[65], name[NF_CONFIG_STR_MAX + 32];
    client_token(intent, e->zones[z].az, m, token);
    snprintf(name, sizeof name, "nodefleet-%s-worker", e->cluster_id);
    json_t *lt = json_object();
    if (strncmp(e->template_, "lt-", 3) == 0)
        json_object_set_new(lt, "LaunchTemplateId", json_string(e->template_));
    else
        json_object_set_new(lt, "LaunchTemplateName", json_string(e->template_));
    json_object_set_new(lt, "Version", json_string(e->template_version));
    json_t *p =
        json_pack("{s:i, s:i, s:o}", "MinCount", count, "MaxCount", count, "LaunchTemplate", lt);
    if (m == NF_MARKET_SPOT)
        json_object_set_new(p, "InstanceMarketOptions",
                            json_pack("{s:s, s:{s:s, s:s}}", "MarketType", "spot", "SpotOptions",
                                      "SpotInstanceType", "one-time",
                                      "InstanceInterruptionBehavior", "terminate"));
    if (e->instance_type[0])
        json_object_set_new(p, "InstanceType", json_string(e->instance_type));
    json_object_set_new(p, "SubnetId", json_string(e->zones[z].subnet));
    json_object_set_new(p, "ClientToken", json_string(token));
    json_t *tags = json_array();
    json_array_append_new(tags, tag("Name", name));
    /* the pool's tags make it ours: the next DescribeInstances finds it by them */
    for (int t = 0; t < e->ntags; t++)
        json_array_append_new(tags, tag(e->tags[t].key, e->tags[t].value));
    json_array_append_new(tags, tag("nodefleet:intent", intent));
    json_array_append_new(tags, tag("nodefleet:market", nf_market_name(m)));
    json_object_set_new(p, "TagSpecifications",
                        json_pack("[{s:s, s:o}]", "ResourceType", "instance", "Tags", tags));
    json_t *res = NULL;
    int rc = ec2_call(e, &op_run, p, &res, ae, err);
    if (rc != NF_OK)
        return rc;
    size_t i;
    json_t *inst;
    json_array_foreach(json_object_get(res, "Instances"), i, inst)
    {
        if (out->ninstances < (int)(sizeof out->instances / sizeof out->instances[0]))
            parse_instance(inst, &out->instances[out->ninstances++]);
        out->launched++;
    }
    json_decref(res);
    nf_log(NF_LOG_INFO, "launched workers", NF_LF_STR("intent", intent),
           NF_LF_STR("zone", e->zones[z].az), NF_LF_STR("market", nf_market_name(m)),
           NF_LF_INT("count", count), NF_LF_END);
    return NF_OK;
}

/* The zone with the fewest workers (counting this launch's) that is not backed off. */
static int pick_zone(const struct nf_ec2 *e, const int *counts, enum nf_market m, double now)
{
    int best = -1;
    for (int z = 0; z < e->nzones; z++) {
        double until = m == NF_MARKET_SPOT ? e->zones[z].spot_until : e->zones[z].od_until;
        if (until > now)
            continue;
        if (best < 0 || counts[z] < counts[best])
            best = z;
    }
    return best;
}

/* one (zone, market) group of k workers; on a capacity error the zone and market back off
 * and the same capacity is bought on-demand now: in this zone unless it is out of on-demand
 * too, else in the next emptiest zone */
static int launch_group(struct nf_ec2 *e, const char *intent, int z, enum nf_market m, int k,
                        int *counts, double now, struct nf_launch_outcome *out,
                        struct nf_aws_error *ae, struct nf_err *gerr)
{
    int rc = run_group(e, intent, z, m, k, out, ae, gerr);
    if (!(rc == NF_E_AWS && spot_capacity_error(ae->code)))
        return rc;
    nf_log(NF_LOG_WARN, "capacity error; trying on-demand", NF_LF_STR("zone", e->zones[z].az),
           NF_LF_STR("market", nf_market_name(m)), NF_LF_STR("code", ae->code), NF_LF_END);
    if (m == NF_MARKET_SPOT)
        e->zones[z].spot_until = now + e->backoff_s;
    else
        e->zones[z].od_until = now + e->backoff_s;
    int tries = 0;
    while (rc != NF_OK && tries++ < e->nzones) {
        int z2 = e->zones[z].od_until > now ? pick_zone(e, counts, NF_MARKET_ON_DEMAND, now) : z;
        if (z2 < 0)
            break;
        rc = run_group(e, intent, z2, NF_MARKET_ON_DEMAND, k, out, ae, gerr);
        if (rc == NF_E_AWS && spot_capacity_error(ae->code))
            e->zones[z2].od_until = now + e->backoff_s;
        else
            break;
    }
    if (rc == NF_OK && m == NF_MARKET_SPOT)
        out->fell_back += k;
    return rc;
}

int nf_ec2_launch(struct nf_ec2 *e, const char *intent, int count, const enum nf_market *markets,
                  double now, struct nf_launch_outcome *out, struct nf_err *err)
{
    memset(out, 0, sizeof *out);
    if (e->nzones == 0)
        return nf_err_set(err, NF_E_CONFIG, "aws.subnets is empty: no zone to launch in");
    if (e->template_[0] == '\0')
        return nf_err_set(err, NF_E_CONFIG, "aws.launch_template is empty");
    if (strlen(intent) > 40)
        return nf_err_set(err, NF_E_INTERNAL, "intent id too long");
    /* how many pool workers each zone has now */
    int counts[NF_EC2_ZONES_MAX] = {0};
    static struct nf_instance cur[NF_EC2_INSTANCES_MAX];
    size_t n = 0;
    int rc = nf_ec2_list(e, cur, NF_EC2_INSTANCES_MAX, &n, err);
    if (rc != NF_OK)
        return rc;
    int already = 0;
    for (size_t i = 0; i < n; i++) {
        for (int z = 0; z < e->nzones; z++)
            if (strcmp(cur[i].az, e->zones[z].az) == 0)
                counts[z]++;
        /* instances this intent launched before (a retry after a crash or a timeout): they
         * count, whatever market they ended up on - the ClientToken alone would not catch a
         * retry whose groups came out differently, nor an API that ignores it */
        if (strcmp(cur[i].intent, intent) == 0 && out->ninstances < 64) {
            out->instances[out->ninstances++] = cur[i];
            already++;
        }
    }
    out->already = already;
    if (already >= count)
        return NF_OK;
    markets += already;
    count -= already;
    /* group the workers by (zone, market), spreading each over the emptiest zones */
    int want[NF_EC2_ZONES_MAX][2] = {{0}};
    for (int i = 0; i < count; i++) {
        enum nf_market m = markets[i];
        int z = pick_zone(e, counts, m, now);
        if (z < 0 && m == NF_MARKET_SPOT) { /* spot backed off everywhere: on-demand */
            m = NF_MARKET_ON_DEMAND;
            out->fell_back++;
            z = pick_zone(e, counts, m, now);
        }
        if (z < 0)
            return nf_err_set(err, NF_E_UNAVAILABLE,
                              "every zone is backed off after capacity errors");
        want[z][m == NF_MARKET_SPOT]++;
        counts[z]++;
    }
    int first_rc = NF_OK;
    for (int z = 0; z < e->nzones; z++) {
        for (int spot = 1; spot >= 0; spot--) {
            int k = want[z][spot];
            if (k == 0)
                continue;
            enum nf_market m = spot ? NF_MARKET_SPOT : NF_MARKET_ON_DEMAND;
            struct nf_aws_error ae;
            struct nf_err gerr = {0};
            rc = launch_group(e, intent, z, m, k, counts, now, out, &ae, &gerr);
            if (rc != NF_OK && first_rc == NF_OK) {
                first_rc = rc;
                if (err)
                    *err = gerr;
                if (rc == NF_E_AWS && quota_error(ae.code))
                    return nf_err_set(err, NF_E_AWS,
                                      "%s: the account's EC2 quota is reached (%s); not retried",
                                      ae.code, ae.message);
            }
        }
    }
    return first_rc;
}

int nf_ec2_list(struct nf_ec2 *e, struct nf_instance *out, size_t cap, size_t *n,
                struct nf_err *err)
{
    *n = 0;
    e->pages_read = 0;
    char next[2048] = "";
    do {
        e->pages_read++;
        json_t *filters = json_array();
        for (int t = 0; t < e->ntags; t++) {
            char fname[160];
            snprintf(fname, sizeof fname, "tag:%s", e->tags[t].key);
            json_array_append_new(
                filters, json_pack("{s:s, s:[s]}", "Name", fname, "Values", e->tags[t].value));
        }
        json_array_append_new(filters,
                              json_pack("{s:s, s:[s, s, s, s]}", "Name", "instance-state-name",
                                        "Values", "pending", "running", "stopping", "stopped"));
        json_t *p = json_pack("{s:o, s:i}", "Filters", filters, "MaxResults",
                              e->page_size > 0 ? e->page_size : 500);
        if (next[0])
            json_object_set_new(p, "NextToken", json_string(next));
        json_t *res = NULL;
        struct nf_aws_error ae;
        int rc = ec2_call(e, &op_describe, p, &res, &ae, err);
        if (rc != NF_OK)
            return rc;
        size_t i, k;
        json_t *r, *inst;
        json_array_foreach(json_object_get(res, "Reservations"), i, r)
        {
            json_array_foreach(json_object_get(r, "Instances"), k, inst)
            {
                if (*n == cap) {
                    json_decref(res);
                    return nf_err_set(err, NF_E_TOO_BIG, "more than %zu pool instances", cap);
                }
                parse_instance(inst, &out[(*n)++]);
            }
        }
        const char *nt = json_string_value(json_object_get(res, "NextToken"));
        snprintf(next, sizeof next, "%s", nt ? nt : "");
        json_decref(res);
    } while (next[0]);
    return NF_OK;
}

int nf_ec2_terminate(struct nf_ec2 *e, const char *const *ids, size_t n, struct nf_err *err)
{
    if (n == 0)
        return NF_OK;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(ids[i]));
    json_t *p = json_pack("{s:o}", "InstanceIds", list);
    json_t *res = NULL;
    struct nf_aws_error ae;
    int rc = ec2_call(e, &op_terminate, p, &res, &ae, err);
    json_decref(res);
    if (rc == NF_E_AWS && strncmp(ae.code, "InvalidInstanceID", 17) == 0)
        rc = NF_OK; /* gone already */
    if (rc == NF_OK)
        nf_log(NF_LOG_INFO, "terminated workers", NF_LF_INT("count", (long long)n), NF_LF_END);
    return rc;
}

int nf_ec2_find_server(struct nf_ec2 *e, char *ip, size_t iplen, struct nf_err *err)
{
    json_t *p =
        json_pack("{s:[{s:s, s:[s]}, {s:s, s:[s]}]}", "Filters", "Name", "tag:Role", "Values",
                  "k3s-master", "Name", "instance-state-name", "Values", "running");
    json_t *res = NULL;
    struct nf_aws_error ae;
    int rc = ec2_call(e, &op_describe, p, &res, &ae, err);
    if (rc != NF_OK)
        return rc;
    struct nf_instance in;
    json_t *first = json_array_get(
        json_object_get(json_array_get(json_object_get(res, "Reservations"), 0), "Instances"), 0);
    if (first == NULL) {
        json_decref(res);
        return nf_err_set(err, NF_E_NOT_FOUND, "no running instance tagged Role=k3s-master");
    }
    parse_instance(first, &in);
    json_decref(res);
    snprintf(ip, iplen, "%s", in.private_ip);
    return NF_OK;
}

/* ---- the cloud port ---------------------------------------------------------------------- */

static int port_list(void *ctx, struct nf_instance *out, size_t cap, size_t *n, struct nf_err *err)
{
    return nf_ec2_list(ctx, out, cap, n, err);
}

static int port_launch(void *ctx, const char *intent, int count, const enum nf_market *markets,
                       double now, struct nf_launch_outcome *out, struct nf_err *err)
{
    return nf_ec2_launch(ctx, intent, count, markets, now, out, err);
}

static int port_terminate(void *ctx, const char *const *ids, size_t n, struct nf_err *err)
{
    return nf_ec2_terminate(ctx, ids, n, err);
}

static void port_backoff(void *ctx, const char *az, enum nf_market m, double now, double until)
{
    struct nf_ec2 *e = ctx;
    for (int z = 0; z < e->nzones; z++) {
        if (strcmp(e->zones[z].az, az) != 0)
            continue;
        double *u = m == NF_MARKET_SPOT ? &e->zones[z].spot_until : &e->zones[z].od_until;
        double to = until > 0 ? until : now + e->backoff_s;
        if (to > *u)
            *u = to;
        if (until <= 0)
            nf_log(NF_LOG_WARN, "zone backed off: a worker launched there never joined",
                   NF_LF_STR("zone", az), NF_LF_STR("market", nf_market_name(m)),
                   NF_LF_NUM("for_s", e->backoff_s), NF_LF_END);
    }
}

static size_t port_backoffs(void *ctx, struct nf_backoff_rec *out, size_t cap, double now)
{
    struct nf_ec2 *e = ctx;
    size_t n = 0;
    for (int z = 0; z < e->nzones; z++)
        for (int spot = 0; spot < 2; spot++) {
            double u = spot ? e->zones[z].spot_until : e->zones[z].od_until;
            if (u <= now || n == cap)
                continue;
            snprintf(out[n].az, sizeof out[n].az, "%s", e->zones[z].az);
            snprintf(out[n].market, sizeof out[n].market, "%s",
                     nf_market_name(spot ? NF_MARKET_SPOT : NF_MARKET_ON_DEMAND));
            out[n++].until = u;
        }
    return n;
}

const struct nf_cloud_port nf_ec2_cloud_port = {.name = "ec2",
                                                .list = port_list,
                                                .launch = port_launch,
                                                .terminate = port_terminate,
                                                .backoff = port_backoff,
                                                .backoffs = port_backoffs};
