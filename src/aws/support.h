/* support.h - the supporting AWS services: Secrets Manager, SNS, CloudWatch, SQS, SSM.
 *
 * Contract
 *   Thin, typed wrappers over nf_aws_call, each naming its failure. Secret values are
 *   copied into the caller's buffer and never logged. PutMetricData is batched (at most
 *   NF_CW_BATCH_MAX data per call). SQS messages are returned with their receipt handles
 *   for deletion after handling.
 */
#ifndef NF_AWS_SUPPORT_H
#define NF_AWS_SUPPORT_H

#include "client.h"

#define NF_CW_BATCH_MAX     1000
#define NF_SQS_MESSAGES_MAX 10

int nf_secret_get(struct nf_aws_client *c, const char *id, char *out, size_t outlen,
                  struct nf_err *err);

int nf_sns_publish(struct nf_aws_client *c, const char *topic_arn, const char *subject,
                   const char *message, char *message_id, size_t idlen, struct nf_err *err);

struct nf_metric_datum {
    const char *name;
    double value;
    const char *unit;     /* Count, Seconds, Percent, None, ... */
    const char *dim_name; /* may be NULL */
    const char *dim_value;
    double timestamp; /* Unix s; 0 = now (the service's) */
};
int nf_cw_put_metrics(struct nf_aws_client *c, const char *ns, const struct nf_metric_datum *d,
                      size_t n, struct nf_err *err);

struct nf_sqs_message {
    char id[128];
    char receipt[2048];
    char body[16384];
    bool too_big; /* the body did not fit: `body` is empty, never a cut-off part */
};
int nf_sqs_receive(struct nf_aws_client *c, const char *queue_url, int max, int wait_s,
                   struct nf_sqs_message *out, int *n, struct nf_err *err);
int nf_sqs_delete(struct nf_aws_client *c, const char *queue_url, const char *receipt,
                  struct nf_err *err);

int nf_ssm_send_command(struct nf_aws_client *c, const char *instance_id, const char *command,
                        char *command_id, size_t idlen, struct nf_err *err);
struct nf_ssm_invocation {
    char status[32]; /* Pending, InProgress, Success, Failed, ... */
    int exit_code;
    char output[4096];
};
int nf_ssm_get_invocation(struct nf_aws_client *c, const char *command_id, const char *instance_id,
                          struct nf_ssm_invocation *out, struct nf_err *err);

#endif
