/* ec2.c - launching, listing and terminating the pool's instances. */
#define _POSIX_C_SOURCE 200809L
#include "ec2.h"

#include <jansson.h>
#include <math.h>
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
    snprintf(e->region, sizeof e->region, "%s", aws ? aws->region : "");
    e->backoff_s = cfg->aws_capacity_backoff;
    e->page_size = (int)cfg->aws_describe_page_size;
    int rc = nf_ec2_parse_pool_tags(cfg->aws_pool_tags, cfg->cluster_id, e, err);
    if (rc == NF_OK)
        rc = nf_ec2_parse_subnets(cfg->aws_subnets, e, err);
    return rc == NF_OK ? nf__ec2_types_init(e, cfg, err) : rc;
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

/* ClientToken: the intent, zone, market and type, hashed to 64 hex characters at most (the
 * limit is 64 ASCII characters). The type is left out when unnamed, so a pool of one
 * template type keeps the tokens it had. */
static void client_token(const char *intent, const char *az, enum nf_market m, const char *type,
                         int nth, char *out)
{
    char seed[256], more[48] = "";
    if (nth > 0) /* a second group to the same pool in one launch (after a capacity error) */
        snprintf(more, sizeof more, "#%d", nth);
    int n = snprintf(seed, sizeof seed, "%s|%s|%s%s%s%s", intent, az, nf_market_name(m),
                     type[0] ? "|" : "", type, more);
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
    snprintf(out->type, sizeof out->type, "%s", sv(json_object_get(j, "InstanceType")));
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

/* One RunInstances: `count` workers of type t in zone z on market m. */
static int run_group(struct nf_ec2 *e, const char *intent, int t, int z, enum nf_market m,
                     int count, int nth, struct nf_launch_outcome *out, struct nf_aws_error *ae,
                     struct nf_err *err)
{
    char token[65], name[NF_CONFIG_STR_MAX + 32];
    const char *type = e->types[t].name;
    client_token(intent, e->zones[z].az, m, type, nth, token);
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
    if (type[0])
        json_object_set_new(p, "InstanceType", json_string(type));
    json_object_set_new(p, "SubnetId", json_string(e->zones[z].subnet));
    json_object_set_new(p, "ClientToken", json_string(token));
    json_t *tags = json_array();
    json_array_append_new(tags, tag("Name", name));
    /* the pool's tags make it ours: the next DescribeInstances finds it by them */
    for (int g = 0; g < e->ntags; g++)
        json_array_append_new(tags, tag(e->tags[g].key, e->tags[g].value));
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
           NF_LF_STR("type", type[0] ? type : "(the template's)"), NF_LF_INT("count", count),
           NF_LF_END);
    return NF_OK;
}

/* ---- pools: (type, zone, market) ------------------------------------------------------- */

/* what the pool holds now, counting this launch's workers as they are placed */
struct tally {
    int zone[NF_EC2_ZONES_MAX];                   /* workers per zone */
    int spot[NF_ITYPES_MAX][NF_EC2_ZONES_MAX];    /* spot workers per (type, zone) */
    int want[NF_ITYPES_MAX][NF_EC2_ZONES_MAX][2]; /* this launch's, per pool */
    int runs[NF_ITYPES_MAX][NF_EC2_ZONES_MAX][2]; /* RunInstances made, per pool */
    bool forced[NF_ITYPES_MAX][NF_EC2_ZONES_MAX];  /* on-demand tried although it rests */
};

static bool resting(const struct nf_ec2 *e, int t, int z, enum nf_market m, double now)
{
    return e->types[t].until[z][m == NF_MARKET_SPOT] > now;
}

/* type u can stand in for type t: t itself, or at least as large in vCPU and memory */
static bool stands_in(const struct nf_ec2 *e, int t, int u)
{
    const struct nf_ec2_type *a = &e->types[t], *b = &e->types[u];
    return u == t || (a->vcpu > 0 && b->vcpu >= a->vcpu && b->mem_mib >= a->mem_mib);
}

/* An on-demand pool for a worker of type t: its emptiest zone not resting; then the cheapest
 * type standing in for it. */
static bool pick_on_demand(const struct nf_ec2 *e, int t, const struct tally *ta, double now,
                           int *pt, int *pz)
{
    *pt = *pz = -1;
    for (int u = 0; u < e->ntypes; u++) {
        if (!stands_in(e, t, u))
            continue;
        int best = -1;
        for (int z = 0; z < e->nzones; z++)
            if (!resting(e, u, z, NF_MARKET_ON_DEMAND, now) &&
                (best < 0 || ta->zone[z] < ta->zone[best]))
                best = z;
        if (best < 0)
            continue;
        double pu = e->types[u].od_price, pb = *pt >= 0 ? e->types[*pt].od_price : NAN;
        if (*pt < 0 || u == t || (*pt != t && isfinite(pu) && !(pu >= pb))) {
            *pt = u;
            *pz = best;
        }
        if (u == t)
            break; /* its own type first, whatever stands-ins cost */
    }
    return *pt >= 0;
}

/* When every on-demand pool for type t rests: the one whose rest ends first. Staying short of
 * workers for the rest of a back-off (min_nodes unmet, pods pending, an interrupted worker not
 * replaced) costs more than one more try - a capacity error costs a refused call, a worker
 * that does not join is found and terminated. */
static void pick_soonest(const struct nf_ec2 *e, int t, int *pt, int *pz)
{
    *pt = t;
    *pz = 0;
    for (int u = 0; u < e->ntypes; u++)
        for (int z = 0; z < e->nzones; z++)
            if (stands_in(e, t, u) && e->types[u].until[z][0] < e->types[*pt].until[*pz][0]) {
                *pt = u;
                *pz = z;
            }
}

/* A spot pool for a worker of type t (ec2.h's rule): the fewest of the pool's spot workers,
 * then the emptiest zone, then the cheapest, then the earlier type. */
static bool pick_spot(const struct nf_ec2 *e, int t, const struct tally *ta, double now, int *pt,
                      int *pz)
{
    double own = nf__ec2_price(e, t, -1, NF_MARKET_SPOT);
    *pt = *pz = -1;
    double best_price = NAN;
    for (int u = 0; u < e->ntypes; u++) {
        if (!stands_in(e, t, u))
            continue;
        for (int z = 0; z < e->nzones; z++) {
            if (resting(e, u, z, NF_MARKET_SPOT, now))
                continue;
            double pr = nf__ec2_price(e, u, z, NF_MARKET_SPOT);
            if (u != t && !(isfinite(pr) && isfinite(own) &&
                            pr <= own * (1 + NF_EC2_SPOT_SPREAD_PCT / 100.0)))
                continue;
            if (*pt >= 0) {
                int a = ta->spot[u][z], b = ta->spot[*pt][*pz];
                int za = ta->zone[z], zb = ta->zone[*pz];
                bool cheaper = isfinite(pr) && !(pr >= best_price);
                if (a > b || (a == b && (za > zb || (za == zb && !cheaper))))
                    continue;
            }
            *pt = u;
            *pz = z;
            best_price = pr;
        }
    }
    return *pt >= 0;
}

static void place(struct tally *ta, int t, int z, enum nf_market m, int k)
{
    ta->want[t][z][m == NF_MARKET_SPOT] += k;
    ta->zone[z] += k;
    if (m == NF_MARKET_SPOT)
        ta->spot[t][z] += k;
}

/* One pool's group of k workers; on a capacity error the pool rests and the same workers go
 * to the next pool in this call - spot: the next spot pool, then on-demand; on-demand: the
 * next on-demand pool. */
static int launch_group(struct nf_ec2 *e, const char *intent, int t, int z, enum nf_market m, int k,
                        struct tally *ta, double now, struct nf_launch_outcome *out,
                        struct nf_aws_error *ae, struct nf_err *gerr)
{
    int want = t; /* the type the workers were chosen as */
    for (int tries = 0; tries <= 2 * NF_ITYPES_MAX * NF_EC2_ZONES_MAX; tries++) {
        int rc = NF_E_UNAVAILABLE;
        bool forced = tries == 0 && m == NF_MARKET_ON_DEMAND && ta->forced[t][z];
        if (forced || !resting(e, t, z, m, now)) { /* (an earlier group's error rests it) */
            rc = run_group(e, intent, t, z, m, k, ta->runs[t][z][m == NF_MARKET_SPOT]++, out, ae,
                           gerr);
            if (!(rc == NF_E_AWS && spot_capacity_error(ae->code)))
                return rc;
            nf_log(NF_LOG_WARN, "capacity error; the pool rests, trying the next",
                   NF_LF_STR("type", e->types[t].name[0] ? e->types[t].name : "(the template's)"),
                   NF_LF_STR("zone", e->zones[z].az), NF_LF_STR("market", nf_market_name(m)),
                   NF_LF_STR("code", ae->code), NF_LF_END);
            e->types[t].until[z][m == NF_MARKET_SPOT] = now + e->backoff_s;
        }
        ta->zone[z] -= k;
        if (m == NF_MARKET_SPOT)
            ta->spot[t][z] -= k;
        int nt, nz;
        if (m == NF_MARKET_SPOT && pick_spot(e, want, ta, now, &nt, &nz)) {
            /* the next spot pool */
        } else if (pick_on_demand(e, want, ta, now, &nt, &nz)) {
            if (m == NF_MARKET_SPOT)
                out->fell_back += k;
            m = NF_MARKET_ON_DEMAND;
        } else {
            return rc == NF_E_UNAVAILABLE ? nf_err_set(gerr, rc,
                                                       "every pool is backed off after "
                                                       "capacity errors")
                                          : rc;
        }
        t = nt;
        z = nz;
        ta->zone[z] += k;
        if (m == NF_MARKET_SPOT)
            ta->spot[t][z] += k;
    }
    return nf_err_set(gerr, NF_E_UNAVAILABLE, "every pool answered with a capacity error");
}

/* the pool's current workers: per zone, and spot per (type, zone); this intent's own */
static int count_pool(struct nf_ec2 *e, const char *intent, struct tally *ta,
                      struct nf_launch_outcome *out, struct nf_err *err)
{
    static struct nf_instance cur[NF_EC2_INSTANCES_MAX];
    size_t n = 0;
    int rc = nf_ec2_list(e, cur, NF_EC2_INSTANCES_MAX, &n, err);
    if (rc != NF_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        int t = e->typed ? nf_ec2_type_index(e, cur[i].type) : 0;
        for (int z = 0; z < e->nzones; z++)
            if (strcmp(cur[i].az, e->zones[z].az) == 0) {
                ta->zone[z]++;
                if (t >= 0 && cur[i].market == NF_MARKET_SPOT)
                    ta->spot[t][z]++;
            }
        /* instances this intent launched before (a retry after a crash or a timeout): they
         * count, whatever pool they ended up in - the ClientToken alone would not catch a
         * retry whose groups came out differently, nor an API that ignores it */
        if (strcmp(cur[i].intent, intent) == 0 && out->ninstances < NF_LAUNCH_OUTCOME_MAX) {
            out->instances[out->ninstances++] = cur[i];
            out->already++;
        }
    }
    return NF_OK;
}

int nf_ec2_launch(struct nf_ec2 *e, const char *intent, int count, const enum nf_market *markets,
                  const char *const *types, double now, struct nf_launch_outcome *out,
                  struct nf_err *err)
{
    memset(out, 0, sizeof *out);
    if (e->nzones == 0)
        return nf_err_set(err, NF_E_CONFIG, "aws.subnets is empty: no zone to launch in");
    if (e->template_[0] == '\0')
        return nf_err_set(err, NF_E_CONFIG, "aws.launch_template is empty");
    if (strlen(intent) > 40)
        return nf_err_set(err, NF_E_INTERNAL, "intent id too long");
    static struct tally ta;
    memset(&ta, 0, sizeof ta);
    int rc = count_pool(e, intent, &ta, out, err);
    if (rc != NF_OK || out->already >= count)
        return rc;
    /* each worker to a pool: spot spread, on-demand to its type's emptiest zone */
    for (int i = out->already; i < count; i++) {
        int t = types ? nf_ec2_type_index(e, types[i]) : 0, pt = 0, pz = 0;
        if (t < 0) { /* a replacement of a type no longer in the list; or the template's own */
            if (e->typed)
                nf_log(NF_LOG_WARN, "a type not in the pool's list: the pool's first instead",
                       NF_LF_STR("type", types[i]), NF_LF_STR("instead", e->types[0].name),
                       NF_LF_END);
            t = 0;
        }
        enum nf_market m = markets[i];
        if (m == NF_MARKET_SPOT && !pick_spot(e, t, &ta, now, &pt, &pz)) {
            m = NF_MARKET_ON_DEMAND; /* every spot pool rests: on-demand */
            out->fell_back++;
        }
        if (m == NF_MARKET_ON_DEMAND && !pick_on_demand(e, t, &ta, now, &pt, &pz)) {
            pick_soonest(e, t, &pt, &pz);
            ta.forced[pt][pz] = true;
            nf_log(NF_LOG_WARN, "every pool rests (capacity errors, workers that never joined): "
                   "trying the one whose rest ends first",
                   NF_LF_STR("zone", e->zones[pz].az),
                   NF_LF_STR("type", e->types[pt].name[0] ? e->types[pt].name : "(the template's)"),
                   NF_LF_NUM("rest_left_s", e->types[pt].until[pz][0] - now), NF_LF_END);
        }
        place(&ta, pt, pz, m, 1);
    }
    int first_rc = NF_OK;
    for (int t = 0; t < e->ntypes; t++)
        for (int z = 0; z < e->nzones; z++)
            for (int spot = 1; spot >= 0; spot--) {
                int k = ta.want[t][z][spot];
                if (k == 0)
                    continue;
                struct nf_aws_error ae;
                struct nf_err gerr = {0};
                rc = launch_group(e, intent, t, z, spot ? NF_MARKET_SPOT : NF_MARKET_ON_DEMAND, k,
                                  &ta, now, out, &ae, &gerr);
                if (rc == NF_OK || first_rc != NF_OK)
                    continue;
                first_rc = rc;
                if (err)
                    *err = gerr;
                if (rc == NF_E_AWS && quota_error(ae.code))
                    return nf_err_set(err, NF_E_AWS,
                                      "%s: the account's EC2 quota is reached (%s); not retried",
                                      ae.code, ae.message);
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
                       const char *const *types, double now, struct nf_launch_outcome *out,
                       struct nf_err *err)
{
    return nf_ec2_launch(ctx, intent, count, markets, types, now, out, err);
}

static int port_terminate(void *ctx, const char *const *ids, size_t n, struct nf_err *err)
{
    return nf_ec2_terminate(ctx, ids, n, err);
}

static void port_backoff(void *ctx, const char *az, const char *type, enum nf_market m, double now,
                         double until)
{
    struct nf_ec2 *e = ctx;
    if (!e->typed) /* one unnamed type (the template's): whatever the instance says it is */
        type = NULL;
    int only = type && type[0] ? nf_ec2_type_index(e, type) : -1;
    if (type && type[0] && only < 0)
        return; /* a type no longer in the pool's list */
    for (int z = 0; z < e->nzones; z++) {
        if (strcmp(e->zones[z].az, az) != 0)
            continue;
        for (int t = 0; t < e->ntypes; t++) {
            if (only >= 0 && t != only)
                continue;
            double *u = &e->types[t].until[z][m == NF_MARKET_SPOT];
            double to = until > 0 ? until : now + e->backoff_s;
            if (to > *u)
                *u = to;
        }
        if (until <= 0)
            nf_log(NF_LOG_WARN, "pool backed off (a worker there never joined, or was reclaimed)",
                   NF_LF_STR("zone", az), NF_LF_STR("type", only >= 0 ? type : "(every type)"),
                   NF_LF_STR("market", nf_market_name(m)), NF_LF_NUM("for_s", e->backoff_s),
                   NF_LF_END);
    }
}

static size_t port_backoffs(void *ctx, struct nf_backoff_rec *out, size_t cap, double now)
{
    struct nf_ec2 *e = ctx;
    size_t n = 0;
    for (int t = 0; t < e->ntypes; t++)
        for (int z = 0; z < e->nzones; z++)
            for (int spot = 0; spot < 2; spot++) {
                double u = e->types[t].until[z][spot];
                if (u <= now || n == cap)
                    continue;
                snprintf(out[n].az, sizeof out[n].az, "%s", e->zones[z].az);
                snprintf(out[n].type, sizeof out[n].type, "%s", e->types[t].name);
                snprintf(out[n].market, sizeof out[n].market, "%s",
                         nf_market_name(spot ? NF_MARKET_SPOT : NF_MARKET_ON_DEMAND));
                out[n++].until = u;
            }
    return n;
}

static int port_catalog(void *ctx, double now, struct nf_itype *out, size_t cap, size_t *n,
                        struct nf_err *err)
{
    return nf_ec2_catalog(ctx, now, out, cap, n, err);
}

static double port_hourly(void *ctx, const char *type, const char *az, enum nf_market m)
{
    struct nf_ec2 *e = ctx;
    int t = nf_ec2_type_index(e, type);
    if (t < 0 && !e->typed)
        t = 0;
    if (t < 0)
        return NAN;
    int z = -1;
    for (int k = 0; az && k < e->nzones; k++)
        if (strcmp(e->zones[k].az, az) == 0)
            z = k;
    return nf__ec2_price(e, t, z, m);
}

const struct nf_cloud_port nf_ec2_cloud_port = {.name = "ec2",
                                                .list = port_list,
                                                .launch = port_launch,
                                                .terminate = port_terminate,
                                                .backoff = port_backoff,
                                                .backoffs = port_backoffs,
                                                .catalog = port_catalog,
                                                .hourly = port_hourly};
