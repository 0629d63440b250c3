/* iam_policy.h - the IAM policy nodefleet needs, made from the effective configuration.
 *
 * Contract
 *   nf_iam_policy() appends a policy document (JSON) granting exactly the calls the
 *   configuration makes: EC2 launch, list and terminate (terminate only on instances that
 *   carry every tag of aws.pool_tags), the DynamoDB item of this cluster, the secrets, topic
 *   and namespace that are configured (not the interruption queue: it is not read yet). Unknown
 * account ids are `*`; an unset region `*`.
 */
#ifndef NF_CLI_IAM_POLICY_H
#define NF_CLI_IAM_POLICY_H

#include "../config/config.h"
#include "../util/buf.h"

int nf_iam_policy(const struct nf_config *cfg, struct nf_buf *out, struct nf_err *err);

#endif
