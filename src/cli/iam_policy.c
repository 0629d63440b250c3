/* iam_policy.c - the least-privilege IAM policy for the effective configuration
 * (`nodefleet check-config --iam-policy`): what the README's policy says, with this pool's
 * tags, table, topic, queue, secrets and template filled in, so that the policy always
 * follows the configuration (a pool found by node-fleet's tags is terminable by them). */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../adapters/ec2.h"
#include "cli.h"
#include "iam_policy.h"

/* https://sqs.REGION.amazonaws.com/ACCOUNT/NAME -> arn:aws:sqs:REGION:ACCOUNT:NAME ("*" for
 * a URL of another form, e.g. a local endpoint). Not thread-safe (a static answer). */
static const char *queue_arn(const char *url, const char *region)
{
    static char arn[600];
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    const char *slash = strchr(p, '/');
    char acct[32], name[96];
    if (slash == NULL || sscanf(slash, "/%31[0-9]/%95[A-Za-z0-9_.-]", acct, name) != 2 ||
        strncmp(p, "sqs.", 4) != 0)
        return "*";
    char reg[64];
    if (sscanf(p + 4, "%63[a-z0-9-]", reg) != 1 || strstr(p, ".amazonaws.com") == NULL)
        snprintf(reg, sizeof reg, "%.63s", region);
    snprintf(arn, sizeof arn, "arn:aws:sqs:%s:%s:%s", reg, acct, name);
    return arn;
}

static json_t *statement(const char *sid, json_t *action, json_t *resource)
{
    return json_pack("{s:s, s:s, s:o, s:o}", "Sid", sid, "Effect", "Allow", "Action", action,
                     "Resource", resource);
}

static json_t *arn(const char *fmt, const char *a, const char *b)
    __attribute__((format(printf, 1, 0)));
static json_t *arn(const char *fmt, const char *a, const char *b)
{
    struct nf_buf buf;
    nf_buf_init(&buf, 8192);
    nf_buf_printf(&buf, fmt, a, b);
    json_t *j = json_string(buf.data ? buf.data : "");
    nf_buf_free(&buf);
    return j;
}

/* A Secrets Manager id as a resource: an ARN as it is, a name with the random suffix AWS adds. */
static json_t *secret_arn(const char *region, const char *id)
{
    if (strncmp(id, "arn:", 4) == 0)
        return json_string(id);
    return arn("arn:aws:secretsmanager:%s:*:secret:%s-*", region, id);
}

/* cloud: ec2 - launch from the template (and only tag what the launch creates), pass the
 * worker role, list, and terminate only instances that carry every pool tag */
static void ec2_statements(const struct nf_config *cfg, const struct nf_ec2 *e, const char *region,
                           json_t *st)
{
    json_t *tmpl;
    if (strncmp(cfg->aws_launch_template, "lt-", 3) == 0)
        tmpl = arn("arn:aws:ec2:%s:*:launch-template/%s", region, cfg->aws_launch_template);
    else
        tmpl = arn("arn:aws:ec2:%s:*:launch-template/%s", region, "*");
    json_array_append_new(
        st, statement("LaunchFromTheTemplate", json_string("ec2:RunInstances"), tmpl));
    json_t *res = json_array();
    static const char *const kinds[] = {
        "instance/*",       "volume/*",   "network-interface/*",     "subnet/*",
        "security-group/*", "key-pair/*", "spot-instances-request/*"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        json_array_append_new(res, arn("arn:aws:ec2:%s:*:%s", region, kinds[i]));
    json_array_append_new(res, arn("arn:aws:ec2:%s::%s", region, "image/*"));
    json_array_append_new(st, statement("LaunchResources", json_string("ec2:RunInstances"), res));
    json_t *tag =
        statement("TagOnLaunchOnly", json_string("ec2:CreateTags"),
                  json_pack("[o, o, o]", arn("arn:aws:ec2:%s:*:%s", region, "instance/*"),
                            arn("arn:aws:ec2:%s:*:%s", region, "volume/*"),
                            arn("arn:aws:ec2:%s:*:%s", region, "spot-instances-request/*")));
    json_object_set_new(tag, "Condition",
                        json_pack("{s:{s:s}}", "StringEquals", "ec2:CreateAction", "RunInstances"));
    json_array_append_new(st, tag);
    json_array_append_new(st, statement("PassTheWorkerRole", json_string("iam:PassRole"),
                                        arn("arn:aws:iam::*:role/%s%s", cfg->aws_worker_role, "")));
    json_array_append_new(
        st, statement("ListInstances", json_string("ec2:DescribeInstances"), json_string("*")));
    if (cfg->aws_instance_types[0] || cfg->aws_instance_type[0]) /* their shapes, spot prices */
        json_array_append_new(st, statement("TypesAndSpotPrices",
                                            json_pack("[s, s]", "ec2:DescribeInstanceTypes",
                                                      "ec2:DescribeSpotPriceHistory"),
                                            json_string("*")));
    /* termination follows the pool's tags: every one of them must be on the instance */
    json_t *eq = json_object();
    for (int i = 0; i < e->ntags; i++) {
        char k[200];
        snprintf(k, sizeof k, "aws:ResourceTag/%s", e->tags[i].key);
        json_object_set_new(eq, k, json_string(e->tags[i].value));
    }
    json_t *term = statement("TerminatePoolWorkers", json_string("ec2:TerminateInstances"),
                             arn("arn:aws:ec2:%s:*:%s", region, "instance/*"));
    json_object_set_new(term, "Condition", json_pack("{s:o}", "StringEquals", eq));
    json_array_append_new(st, term);
}

int nf_iam_policy(const struct nf_config *cfg, struct nf_buf *out, struct nf_err *err)
{
    const char *region = cfg->aws_region[0] ? cfg->aws_region : "*";
    struct nf_ec2 e;
    memset(&e, 0, sizeof e);
    int rc = nf_ec2_parse_pool_tags(cfg->aws_pool_tags, cfg->cluster_id, &e, err);
    if (rc != NF_OK)
        return rc;
    json_t *st = json_array();
    if (strcmp(cfg->cloud, "ec2") == 0)
        ec2_statements(cfg, &e, region, st);
    if (strncmp(cfg->store, "dynamodb", 8) == 0) {
        const char *table = cfg->store[8] == ':' ? cfg->store + 9 : cfg->dynamodb_table;
        json_t *s =
            statement("PoolState", json_pack("[s, s]", "dynamodb:GetItem", "dynamodb:UpdateItem"),
                      arn("arn:aws:dynamodb:%s:*:table/%s", region, table));
        json_object_set_new(s, "Condition",
                            json_pack("{s:{s:[s]}}", "ForAllValues:StringEquals",
                                      "dynamodb:LeadingKeys", cfg->cluster_id));
        json_array_append_new(st, s);
        /* the seed's predictive layer keeps its readings in a table of its own */
        struct nf_policy pol;
        bool history = nf_config_policy(&pol, cfg->policy, cfg, NULL) == NF_OK &&
                       nf_policy_reads_history(&pol);
        if (history) {
            s = statement(
                "MetricsHistory", json_pack("[s, s]", "dynamodb:PutItem", "dynamodb:Query"),
                arn("arn:aws:dynamodb:%s:*:table/%s", region, cfg->metrics_history_table));
            json_object_set_new(s, "Condition",
                                json_pack("{s:{s:[s]}}", "ForAllValues:StringEquals",
                                          "dynamodb:LeadingKeys", cfg->cluster_id));
            json_array_append_new(st, s);
        }
    }
    if (cfg->aws_prometheus_secret[0] || cfg->aws_slack_webhook_secret[0] ||
        cfg->aws_kubeconfig_secret[0]) {
        json_t *res = json_array();
        if (cfg->aws_kubeconfig_secret[0])
            json_array_append_new(res, secret_arn(region, cfg->aws_kubeconfig_secret));
        if (cfg->aws_prometheus_secret[0])
            json_array_append_new(res, secret_arn(region, cfg->aws_prometheus_secret));
        if (cfg->aws_slack_webhook_secret[0])
            json_array_append_new(res, secret_arn(region, cfg->aws_slack_webhook_secret));
        json_array_append_new(
            st, statement("Secrets", json_string("secretsmanager:GetSecretValue"), res));
    }
    if (cfg->aws_sns_topic_arn[0])
        json_array_append_new(st, statement("Notify", json_string("sns:Publish"),
                                            json_string(cfg->aws_sns_topic_arn)));
    if (cfg->aws_interruption_queue_url[0])
        json_array_append_new(
            st, statement("Interruptions",
                          json_pack("[s, s]", "sqs:ReceiveMessage", "sqs:DeleteMessage"),
                          json_string(queue_arn(cfg->aws_interruption_queue_url, region))));
    if (cfg->aws_cloudwatch_namespace[0]) {
        json_t *s = statement("Metrics", json_string("cloudwatch:PutMetricData"), json_string("*"));
        json_object_set_new(s, "Condition",
                            json_pack("{s:{s:s}}", "StringEquals", "cloudwatch:namespace",
                                      cfg->aws_cloudwatch_namespace));
        json_array_append_new(st, s);
    }
    json_t *doc = json_pack("{s:s, s:o}", "Version", "2012-10-17", "Statement", st);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (text == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    nf_buf_puts(out, text);
    nf_buf_puts(out, "\n");
    free(text);
    return NF_OK;
}
