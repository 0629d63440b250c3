/* support.c - Secrets Manager, SNS, CloudWatch, SQS and SSM calls. */
#define _POSIX_C_SOURCE 200809L
#include "support.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *sv(const json_t *j)
{
    const char *v = json_string_value(j);
    return v ? v : "";
}

static int call(struct nf_aws_client *c, const struct nf_aws_service *svc, const char *op,
                const char *in, const char *outshape, json_t *params, json_t **res,
                struct nf_err *err)
{
    struct nf_aws_op o = {op, in, outshape};
    struct nf_aws_error ae;
    int rc = nf_aws_call(c, svc, &o, params, res, &ae, err);
    json_decref(params);
    return rc;
}

int nf_secret_get(struct nf_aws_client *c, const char *id, char *out, size_t outlen,
                  struct nf_err *err)
{
    json_t *res = NULL;
    int rc = call(c, &nf_aws_secretsmanager, "GetSecretValue", NULL, "*",
                  json_pack("{s:s}", "SecretId", id), &res, err);
    if (rc != NF_OK)
        return nf_err_prefix(err, "secret %s", id);
    const json_t *s = json_object_get(res, "SecretString");
    if (!json_is_string(s)) {
        json_decref(res);
        return nf_err_set(err, NF_E_CONFIG, "secret %s has no SecretString", id);
    }
    if (json_string_length(s) >= outlen) {
        json_decref(res);
        return nf_err_set(err, NF_E_TOO_BIG, "secret %s is longer than %zu bytes", id, outlen - 1);
    }
    memcpy(out, json_string_value(s), json_string_length(s) + 1);
    json_decref(res); /* jansson frees it; the string was not logged */
    return NF_OK;
}

int nf_sns_publish(struct nf_aws_client *c, const char *topic_arn, const char *subject,
                   const char *message, char *message_id, size_t idlen, struct nf_err *err)
{
    json_t *p = json_pack("{s:s, s:s}", "TopicArn", topic_arn, "Message", message);
    if (subject && subject[0])
        json_object_set_new(p, "Subject", json_string(subject));
    json_t *res = NULL;
    int rc = call(c, &nf_aws_sns, "Publish", "PublishInput", "PublishResponse", p, &res, err);
    if (rc == NF_OK && message_id)
        snprintf(message_id, idlen, "%s", sv(json_object_get(res, "MessageId")));
    json_decref(res);
    return rc;
}

int nf_cw_put_metrics(struct nf_aws_client *c, const char *ns, const struct nf_metric_datum *d,
                      size_t n, struct nf_err *err)
{
    for (size_t first = 0; first < n; first += NF_CW_BATCH_MAX) {
        size_t k = n - first < NF_CW_BATCH_MAX ? n - first : NF_CW_BATCH_MAX;
        json_t *data = json_array();
        for (size_t i = first; i < first + k; i++) {
            json_t *m = json_pack("{s:s, s:f, s:s}", "MetricName", d[i].name, "Value", d[i].value,
                                  "Unit", d[i].unit ? d[i].unit : "None");
            if (d[i].dim_name)
                json_object_set_new(m, "Dimensions",
                                    json_pack("[{s:s, s:s}]", "Name", d[i].dim_name, "Value",
                                              d[i].dim_value ? d[i].dim_value : ""));
            if (d[i].timestamp > 0)
                json_object_set_new(m, "Timestamp", json_real(d[i].timestamp));
            json_array_append_new(data, m);
        }
        json_t *res = NULL;
        int rc = call(c, &nf_aws_cloudwatch, "PutMetricData", "PutMetricDataInput", NULL,
                      json_pack("{s:s, s:o}", "Namespace", ns, "MetricData", data), &res, err);
        json_decref(res);
        if (rc != NF_OK)
            return rc;
    }
    return NF_OK;
}

int nf_sqs_receive(struct nf_aws_client *c, const char *queue_url, int max, int wait_s,
                   struct nf_sqs_message *out, int *n, struct nf_err *err)
{
    *n = 0;
    if (max > NF_SQS_MESSAGES_MAX)
        max = NF_SQS_MESSAGES_MAX;
    json_t *res = NULL;
    int rc = call(c, &nf_aws_sqs, "ReceiveMessage", NULL, "*",
                  json_pack("{s:s, s:i, s:i}", "QueueUrl", queue_url, "MaxNumberOfMessages", max,
                            "WaitTimeSeconds", wait_s),
                  &res, err);
    if (rc != NF_OK)
        return rc;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(res, "Messages"), i, m)
    {
        if (*n == max)
            break;
        struct nf_sqs_message *o = &out[(*n)++];
        snprintf(o->id, sizeof o->id, "%s", sv(json_object_get(m, "MessageId")));
        snprintf(o->receipt, sizeof o->receipt, "%s", sv(json_object_get(m, "ReceiptHandle")));
        const char *body = sv(json_object_get(m, "Body"));
        o->too_big = strlen(body) >= sizeof o->body;
        snprintf(o->body, sizeof o->body, "%s", o->too_big ? "" : body);
    }
    json_decref(res);
    return NF_OK;
}

int nf_sqs_delete(struct nf_aws_client *c, const char *queue_url, const char *receipt,
                  struct nf_err *err)
{
    json_t *res = NULL;
    int rc =
        call(c, &nf_aws_sqs, "DeleteMessage", NULL, "*",
             json_pack("{s:s, s:s}", "QueueUrl", queue_url, "ReceiptHandle", receipt), &res, err);
    json_decref(res);
    return rc;
}

int nf_ssm_send_command(struct nf_aws_client *c, const char *instance_id, const char *command,
                        char *command_id, size_t idlen, struct nf_err *err)
{
    json_t *res = NULL;
    int rc = call(c, &nf_aws_ssm, "SendCommand", NULL, "*",
                  json_pack("{s:[s], s:s, s:{s:[s]}, s:i}", "InstanceIds", instance_id,
                            "DocumentName", "AWS-RunShellScript", "Parameters", "commands", command,
                            "TimeoutSeconds", 300),
                  &res, err);
    if (rc == NF_OK)
        snprintf(command_id, idlen, "%s",
                 sv(json_object_get(json_object_get(res, "Command"), "CommandId")));
    json_decref(res);
    return rc;
}

int nf_ssm_get_invocation(struct nf_aws_client *c, const char *command_id, const char *instance_id,
                          struct nf_ssm_invocation *out, struct nf_err *err)
{
    memset(out, 0, sizeof *out);
    json_t *res = NULL;
    int rc = call(c, &nf_aws_ssm, "GetCommandInvocation", NULL, "*",
                  json_pack("{s:s, s:s}", "CommandId", command_id, "InstanceId", instance_id), &res,
                  err);
    if (rc != NF_OK)
        return rc;
    snprintf(out->status, sizeof out->status, "%s", sv(json_object_get(res, "Status")));
    out->exit_code = (int)json_integer_value(json_object_get(res, "ResponseCode"));
    snprintf(out->output, sizeof out->output, "%s",
             sv(json_object_get(res, "StandardOutputContent")));
    json_decref(res);
    return NF_OK;
}
