/* check.h - syntax checks of names and addresses, shared by the settings table, the AWS client
 * and the CLI, so each kind of value is validated by one function wherever it comes from.
 *
 * Contract
 *   Each function takes a NUL-terminated text and returns NF_OK, or NF_E_INPUT with `*why`
 *   pointing at a static phrase that says what is wrong (never echoing the text). Pure: no
 *   I/O, no allocation, no name resolution.
 */
#ifndef NF_CHECK_H
#define NF_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* Valid UTF-8 with no control characters (C0, DEL, C1); `allow_newlines` lets \n and \t
 * through (multi-line PromQL). */
int nf_check_text(const char *s, bool allow_newlines, const char **why);
/* An http:// or https:// URL: a host (name, IPv4 or [IPv6]), an optional port 1-65535, an
 * optional path; no blanks or control characters. */
int nf_check_url(const char *s, const char **why);
/* An AWS region name: "us-east-1", "us-gov-west-1", "cn-north-1" (lower-case words joined by
 * '-', ending in a number); it becomes part of a host name, so nothing else passes. */
int nf_check_region(const char *s, const char **why);
/* A DynamoDB table name: 3-255 of [A-Za-z0-9_.-]. */
int nf_check_dynamodb_table(const char *s, const char **why);
/* An SNS topic ARN: arn:PARTITION:sns:REGION:ACCOUNT(12 digits):NAME. */
int nf_check_sns_arn(const char *s, const char **why);
/* A launch template version: $Default, $Latest or a whole number from 1. */
int nf_check_template_version(const char *s, const char **why);
/* One item of a comma-separated "key=value,key=value" list (aws.subnets, aws.pool_tags).
 * Start with kv = {0} and *p at the text; each call reads the next item and moves *p past it:
 * 1 with kv filled, 0 at the end, -1 for an item with no '=' (an empty item included, so a
 * leading, doubled or trailing comma is refused). The value runs to the next comma; it may
 * hold '='. Nothing is copied: key and value point into the text. */
struct nf_kv {
    const char *key, *value;
    size_t key_len, value_len;
    int n; /* items read so far */
};
int nf_kv_next(const char **p, struct nf_kv *kv);

/* "zone=subnet-id,zone=subnet-id": zones like us-east-1a, subnets subnet- and hex. */
int nf_check_subnets(const char *s, const char **why);
/* aws.instance_types: instance type names ("m5.large", 3-31 of [a-z0-9.-] with a '.'),
 * comma-separated, at most 16, none twice; empty is fine (the launch template's type). */
int nf_check_instance_types(const char *s, const char **why);
/* aws.prices and aws.spot_prices: "TYPE=PRICE" items, or "TYPE@ZONE=PRICE" when `zones`,
 * comma-separated; a price is a decimal number of dollars an hour above 0 and below 1000. */
int nf_check_prices(const char *s, bool zones, const char **why);
/* The pool's name: 1-128 of [A-Za-z0-9._:/=+@-] (an EC2 tag value and a store key). */
int nf_check_cluster_id(const char *s, const char **why);
/* "Key=Value" EC2 tag filters separated by ',' (keys 1-128, values 0-256 characters). */
int nf_check_tag_filter(const char *s, const char **why);

/* The simulator's pod shapes: "CPU:MEMORY_MIB:SHARE,..." (vCPU 0.001-1024, MiB 1-16777216,
 * share of the demand in % above 0), at most NF_POD_SHAPES_MAX, shares adding up to 100.
 * `out` may be NULL (a check only). */
#define NF_POD_SHAPES_MAX 8
struct nf_pod_shape {
    double cpu, memory_mib, share_pct;
};
int nf_pod_shapes_parse(const char *s, struct nf_pod_shape *out, int *n, const char **why);

/* The simulator's worker types: "NAME:VCPU:MEMORY_MIB:ON_DEMAND:SPOT[:PCT_MONTH],..." (a type
 * name as aws.instance_types has them, vCPU 0.1-1024, MiB 128-16777216, dollars an hour above
 * 0 and below 1000, and optionally the share of its spot workers reclaimed a month, 0-100 -
 * NAN when not given), at most NF_NODE_TYPES_MAX, none named twice; "" is none. `out` may
 * be NULL. */
#define NF_NODE_TYPES_MAX 16
struct nf_node_type {
    char name[32];
    double vcpu, memory_mib, price_on_demand, price_spot;
    double pct_month; /* spot interruptions of this type's pool; NAN: the simulator's rate */
};
int nf_node_types_parse(const char *s, struct nf_node_type *out, int *n, const char **why);

#endif
