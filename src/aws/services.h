/* services.h - the AWS services and operations nodefleet calls, with their wire details.
 *
 * Contract
 *   Each service names its endpoint prefix and signing name, its protocol, API version,
 *   and (JSON protocols) its target prefix; Query and EC2 services carry a shape model
 *   written for the operations used (botocore format, see proto.h). The endpoint override
 *   variable is AWS_ENDPOINT_URL_<ENV_ID> as the SDKs define it.
 */
#ifndef NF_AWS_SERVICES_H
#define NF_AWS_SERVICES_H

#include <jansson.h>

#include "proto.h"

struct nf_aws_service {
    const char *env_id;          /* EC2, DYNAMODB, SECRETS_MANAGER, ... */
    const char *endpoint_prefix; /* ec2, dynamodb, monitoring, ... */
    const char *signing_name;
    enum nf_aws_protocol protocol;
    const char *api_version;
    const char *content_type; /* JSON: application/x-amz-json-1.0 or -1.1 */
    const char *target_prefix;
    const char *model; /* shapes, JSON text; NULL for JSON services used without one */
};

struct nf_aws_op {
    const char *name;
    const char *input;  /* shape, or NULL */
    const char *output; /* shape, NULL (no output) or "*" (JSON without a model) */
};

extern const struct nf_aws_service nf_aws_ec2, nf_aws_dynamodb, nf_aws_secretsmanager, nf_aws_sns,
    nf_aws_cloudwatch, nf_aws_sqs, nf_aws_ssm;

/* The parsed model of a service (cached, owned by the module; NULL without one). */
const json_t *nf_aws_model(const struct nf_aws_service *svc);
/* Free the cached models and the digest context (at exit, for a clean teardown). */
void nf_aws_models_free(void);

#endif
