/* creds.h - where AWS credentials and the region come from, in the SDKs' order.
 *
 * Contract
 *   Credentials: (1) the environment - AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *   AWS_SESSION_TOKEN (also how Lambda hands them over); (2) the shared files - the profile
 *   AWS_PROFILE (default "default") in AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials),
 *   then in AWS_CONFIG_FILE (~/.aws/config, section "profile NAME"); (3) the container
 *   endpoint - AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI (ECS, EKS Pod Identity),
 *   with AWS_CONTAINER_AUTHORIZATION_TOKEN; (4) the instance profile over IMDSv2 - a token
 *   PUT, then the role's credentials (AWS_EC2_METADATA_SERVICE_ENDPOINT overrides the
 *   address, AWS_EC2_METADATA_DISABLED=true turns it off; 1 s timeout, as the SDKs).
 *   Credentials that expire are refreshed when less than 5 minutes remain. Nothing here
 *   ever logs or prints a key, secret or token; errors say which source failed and why.
 *   Region: the configured one (aws_region / AWS_REGION), AWS_DEFAULT_REGION, the
 *   profile's `region`, then IMDS placement/region.
 */
#ifndef NF_AWS_CREDS_H
#define NF_AWS_CREDS_H

#include <stdbool.h>

#include "../http/http.h"
#include "sigv4.h"

#define NF_AWS_REFRESH_BEFORE_S 300.0

struct nf_aws_creds_chain {
    char *const *envp;
    struct nf_http *http; /* for the container and IMDS endpoints; owned by the caller */
    double metadata_timeout_s;
    struct nf_aws_credentials cached;
    bool have;
    /* the IMDSv2 session token, reused until shortly before its 6 h lifetime ends */
    char imds_token[1024];
    bool imds_v1; /* the service refused a token: IMDSv1, asked again when the time is up */
    double imds_token_until;
    double now; /* the time of the current nf_aws_creds_get, for the token's age */
};

void nf_aws_creds_init(struct nf_aws_creds_chain *c, char *const *envp, struct nf_http *http);
int nf_aws_creds_get(struct nf_aws_creds_chain *c, double now, struct nf_aws_credentials *out,
                     struct nf_err *err);
void nf_aws_creds_forget(struct nf_aws_creds_chain *c); /* e.g. after an expired-token error */

int nf_aws_region(struct nf_aws_creds_chain *c, const char *configured, char *out, size_t outlen,
                  struct nf_err *err);

/* The credentials JSON of the container and IMDS endpoints ({"AccessKeyId", "SecretAccessKey",
 * "Token", "Expiration", optional "Code"}) into `cr`, as from `source`. */
int nf_aws_creds_parse(const char *body, size_t len, const char *source,
                       struct nf_aws_credentials *cr, struct nf_err *err);

/* The value of NAME in envp, or NULL. */
const char *nf_env(char *const *envp, const char *name);

#endif
