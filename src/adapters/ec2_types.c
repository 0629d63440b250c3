/* ec2_types.c - the pool's instance types: their shapes, their prices, the catalog the cycle
 * chooses from (ec2.h's contract). */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../aws/prices.h"
#include "../util/check.h"
#include "../util/log.h"
#include "../util/parse.h"
#include "ec2.h"

static const struct nf_aws_op op_types = {"DescribeInstanceTypes", "DescribeInstanceTypesRequest",
                                          "DescribeInstanceTypesResult"};
static const struct nf_aws_op op_spot = {"DescribeSpotPriceHistory",
                                         "DescribeSpotPriceHistoryRequest",
                                         "DescribeSpotPriceHistoryResult"};

#define DESCRIBE_EVERY_S (24 * 3600.0)
#define PRICE_EVERY_S    3600.0

int nf_ec2_type_index(const struct nf_ec2 *e, const char *name)
{
    if (name == NULL || name[0] == '\0')
        return 0;
    for (int t = 0; t < e->ntypes; t++)
        if (strcmp(e->types[t].name, name) == 0)
            return t;
    return -1;
}

static int zone_index(const struct nf_ec2 *e, const char *az, size_t len)
{
    for (int z = 0; z < e->nzones; z++)
        if (strlen(e->zones[z].az) == len && strncmp(e->zones[z].az, az, len) == 0)
            return z;
    return -1;
}

/* aws.prices (on-demand) or aws.spot_prices (spot): over what the table or history say */
static void apply_prices(struct nf_ec2 *e, const char *text, bool spot)
{
    struct nf_kv kv = {0};
    while (nf_kv_next(&text, &kv) > 0) { /* checked by the settings */
        const char *at = memchr(kv.key, '@', kv.key_len);
        size_t tl = at ? (size_t)(at - kv.key) : kv.key_len;
        char name[NF_ITYPE_NAME_MAX];
        snprintf(name, sizeof name, "%.*s", (int)tl, kv.key);
        int t = nf_ec2_type_index(e, name);
        double v;
        if (t < 0 || !e->typed || nf_parse_double(kv.value, kv.value_len, &v, NULL) != NF_OK)
            continue;
        if (!spot) {
            e->types[t].od_price = v;
        } else if (at == NULL) {
            e->types[t].spot_all = v;
        } else {
            int z = zone_index(e, at + 1, kv.key_len - tl - 1);
            if (z >= 0) {
                e->types[t].spot[z] = v;
                e->types[t].spot_pinned[z] = true;
            }
        }
    }
}

int nf__ec2_types_init(struct nf_ec2 *e, const struct nf_config *cfg, struct nf_err *err)
{
    const char *list =
        cfg->aws_instance_types[0] ? cfg->aws_instance_types : cfg->aws_instance_type;
    const char *why = NULL;
    if (nf_check_instance_types(list, &why) != NF_OK)
        return nf_err_set(err, NF_E_CONFIG, "aws.instance_types: %s", why);
    e->ntypes = 0;
    e->typed = list[0] != '\0';
    for (const char *p = list; e->ntypes == 0 || *p;) {
        size_t l = strcspn(p, ",");
        struct nf_ec2_type *t = &e->types[e->ntypes++];
        memset(t, 0, sizeof *t);
        snprintf(t->name, sizeof t->name, "%.*s", (int)l, p);
        t->od_price = e->typed ? nf_price_on_demand(e->region, t->name) : NAN;
        t->spot_all = NAN;
        for (int z = 0; z < NF_EC2_ZONES_MAX; z++)
            t->spot[z] = NAN;
        p += l + (p[l] == ',');
        if (e->ntypes == NF_ITYPES_MAX)
            break;
    }
    apply_prices(e, cfg->aws_prices, false);
    apply_prices(e, cfg->aws_spot_prices, true);
    return NF_OK;
}

double nf__ec2_price(const struct nf_ec2 *e, int t, int z, enum nf_market m)
{
    const struct nf_ec2_type *ty = &e->types[t];
    if (m == NF_MARKET_ON_DEMAND)
        return ty->od_price;
    if (z >= 0)
        return isfinite(ty->spot[z]) ? ty->spot[z] : ty->spot_all;
    double best = NAN;
    for (int k = 0; k < e->nzones; k++) {
        double p = nf__ec2_price(e, t, k, m);
        if (isfinite(p) && !(p >= best))
            best = p;
    }
    return best;
}

static json_t *type_names(const struct nf_ec2 *e)
{
    json_t *a = json_array();
    for (int t = 0; t < e->ntypes; t++)
        json_array_append_new(a, json_string(e->types[t].name));
    return a;
}

/* DescribeInstanceTypes for the pool's types (at most 16: one page) */
static int describe_types(struct nf_ec2 *e, struct nf_err *err)
{
    json_t *p = json_pack("{s:o}", "InstanceTypes", type_names(e));
    json_t *res = NULL;
    struct nf_aws_error ae;
    int rc = nf_aws_call(e->aws, &nf_aws_ec2, &op_types, p, &res, &ae, err);
    json_decref(p);
    if (rc == NF_E_AWS && strcmp(ae.code, "InvalidInstanceType") == 0)
        return nf_err_set(err, NF_E_CONFIG, "aws.instance_types: %s", ae.message);
    if (rc != NF_OK)
        return rc;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(res, "InstanceTypes"), i, it)
    {
        int t = nf_ec2_type_index(e, json_string_value(json_object_get(it, "InstanceType")));
        json_int_t v =
            json_integer_value(json_object_get(json_object_get(it, "VCpuInfo"), "DefaultVCpus"));
        json_int_t m =
            json_integer_value(json_object_get(json_object_get(it, "MemoryInfo"), "SizeInMiB"));
        if (t < 0 || v <= 0 || v > 4096 || m <= 0 || m > (1LL << 34))
            continue;
        e->types[t].vcpu = (int)v;
        e->types[t].mem_mib = m;
    }
    json_decref(res);
    for (int t = 0; t < e->ntypes; t++)
        if (e->types[t].vcpu == 0)
            return nf_err_set(err, NF_E_CONFIG,
                              "aws.instance_types: %s is not an instance type this region offers "
                              "(DescribeInstanceTypes does not know it)",
                              e->types[t].name);
    return NF_OK;
}

/* DescribeSpotPriceHistory from now: the price in force in every (type, zone), newest kept */
static int read_spot_prices(struct nf_ec2 *e, double now, struct nf_err *err)
{
    char next[2048] = "";
    double seen[NF_ITYPES_MAX][NF_EC2_ZONES_MAX] = {{0}};
    for (int page = 0; page < 20; page++) {
        json_t *p = json_pack("{s:o, s:[s], s:f, s:i}", "InstanceTypes", type_names(e),
                              "ProductDescriptions", "Linux/UNIX", "StartTime", floor(now),
                              "MaxResults", 1000);
        if (next[0])
            json_object_set_new(p, "NextToken", json_string(next));
        json_t *res = NULL;
        struct nf_aws_error ae;
        int rc = nf_aws_call(e->aws, &nf_aws_ec2, &op_spot, p, &res, &ae, err);
        json_decref(p);
        if (rc != NF_OK)
            return rc;
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(res, "SpotPriceHistory"), i, it)
        {
            const char *az = json_string_value(json_object_get(it, "AvailabilityZone"));
            const char *pr = json_string_value(json_object_get(it, "SpotPrice"));
            int t = nf_ec2_type_index(e, json_string_value(json_object_get(it, "InstanceType")));
            int z = az ? zone_index(e, az, strlen(az)) : -1;
            double v, ts = json_number_value(json_object_get(it, "Timestamp"));
            if (t < 0 || z < 0 || pr == NULL || e->types[t].spot_pinned[z] ||
                nf_parse_double(pr, strlen(pr), &v, NULL) != NF_OK || !(v > 0 && v < 1000) ||
                ts < seen[t][z])
                continue;
            seen[t][z] = ts;
            e->types[t].spot[z] = v;
        }
        const char *nt = json_string_value(json_object_get(res, "NextToken"));
        snprintf(next, sizeof next, "%s", nt ? nt : "");
        json_decref(res);
        if (!next[0])
            break;
    }
    return NF_OK;
}

int nf_ec2_catalog(struct nf_ec2 *e, double now, struct nf_itype *out, size_t cap, size_t *n,
                   struct nf_err *err)
{
    *n = 0;
    if (!e->typed)
        return nf_err_set(err, NF_E_UNAVAILABLE,
                          "no instance types named: the launch template's type is used");
    if (e->described_at == 0 || now - e->described_at >= DESCRIBE_EVERY_S) {
        int rc = describe_types(e, err);
        if (rc != NF_OK)
            return rc;
        e->described_at = now;
    }
    if (e->priced_at == 0 || now - e->priced_at >= PRICE_EVERY_S) {
        struct nf_err perr = {0};
        if (read_spot_prices(e, now, &perr) != NF_OK)
            nf_log(NF_LOG_WARN, "spot prices not read; the last ones are kept",
                   NF_LF_STR("error", perr.msg), NF_LF_END);
        e->priced_at = now; /* either way: not again within the hour */
    }
    for (int t = 0; t < e->ntypes && *n < cap; t++) {
        const struct nf_ec2_type *ty = &e->types[t];
        struct nf_itype *o = &out[(*n)++];
        memset(o, 0, sizeof *o);
        snprintf(o->name, sizeof o->name, "%s", ty->name);
        o->cpu_m = (int64_t)ty->vcpu * 1000;
        o->mem = (int64_t)((double)ty->mem_mib * 0.95 - 100) << 20;
        o->od_price = ty->od_price;
        o->spot_price = nf__ec2_price(e, t, -1, NF_MARKET_SPOT);
    }
    return NF_OK;
}
