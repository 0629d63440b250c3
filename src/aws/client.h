/* client.h - calling AWS: endpoint, signing, the SDKs' standard retry mode, errors.
 *
 * Contract
 *   nf_aws_call() serialises the parameters for the service's protocol, signs with SigV4
 *   (credentials from the chain, refreshed as needed), sends, and parses the answer into a
 *   JSON result (a new reference), or fills `ae` with the service's error code and message.
 *   Endpoints: AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then
 *   https://<prefix>.<region>.amazonaws.com (AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips
 *   the overrides).
 *   Retries (standard mode): up to `max_attempts` (3; AWS_MAX_ATTEMPTS) on transport errors,
 *   HTTP 500/502/503/504, and throttling or transient error codes; the wait before attempt
 *   n is uniform in [0, min(cap, base * 2^(n-1))] (base 100 ms, cap 20 s); a retry quota
 *   (500 tokens, 5 per retry, 10 after a timeout, 1 back per success) stops retry storms.
 *   A clock-skew error (RequestTimeTooSkewed, RequestExpired, InvalidSignatureException
 *   about the time) corrects the signing clock from the response's Date and retries.
 *   Every request is re-signed per attempt. Nothing here logs a credential.
 *   Errors: NF_E_AWS for an error response from the service (code in `ae`), NF_E_UNAVAILABLE
 *   when the service could not be reached or kept failing, NF_E_INPUT for a response that
 *   does not parse, NF_E_CONFIG for missing credentials or region.
 */
#ifndef NF_AWS_CLIENT_H
#define NF_AWS_CLIENT_H

#include <jansson.h>
#include <stdint.h>

#include "../http/http.h"
#include "creds.h"
#include "services.h"
#include "sigv4.h"

/* An AWS response body bigger than this is refused (a DescribeInstances page of 1,000
 * instances is ~3 MB). */
#define NF_AWS_RESPONSE_MAX (16 * 1024 * 1024)

struct nf_aws_error {
    long http_status;
    char code[96];
    char message[512];
    char request_id[128];
    int attempts;
};

struct nf_aws_client {
    struct nf_http *http;
    struct nf_aws_creds_chain creds;
    char region[64];
    char *const *envp;
    int max_attempts;
    double retry_base_s, retry_cap_s;
    double connect_timeout_s, timeout_s;
    int quota;
    double skew_s; /* server clock minus ours */
    struct nf_sigv4_key_cache keys;
    uint64_t rng;
    /* injectable for tests and benchmarks */
    double (*now)(void);
    void (*sleep)(double seconds);
};

/* `region` may be empty (then the chain finds it). */
/* Check the AWS environment variables nodefleet reads (AWS_MAX_ATTEMPTS, AWS_ENDPOINT_URL*,
 * AWS_REGION, AWS_DEFAULT_REGION): NF_OK or NF_E_CONFIG naming the variable. Also done by
 * nf_aws_client_init and by check-config. */
int nf_aws_env_check(char *const *envp, struct nf_err *err);
int nf_aws_client_init(struct nf_aws_client *c, const char *region, char *const *envp,
                       struct nf_err *err);
void nf_aws_client_free(struct nf_aws_client *c);

int nf_aws_call(struct nf_aws_client *c, const struct nf_aws_service *svc,
                const struct nf_aws_op *op, const json_t *params, json_t **result,
                struct nf_aws_error *ae, struct nf_err *err);

/* The request nf_aws_call would send for these credentials and time, without sending it. */
struct nf_aws_request {
    char url[1024];
    struct nf_buf body;
    struct nf_sigv4_result sig;
    char host[512];
    char target[160];
    const char *headers[8]; /* "Name: value" lines for the HTTP client */
    char lines[6][NF_AWS_TOKEN_MAX + 64];
};

int nf_aws_build(struct nf_aws_client *c, const struct nf_aws_service *svc,
                 const struct nf_aws_op *op, const json_t *params,
                 const struct nf_aws_credentials *cr, time_t when, int attempt,
                 struct nf_aws_request *out, struct nf_err *err);
void nf_aws_request_free(struct nf_aws_request *r);

/* Parse a response as nf_aws_call does: NF_OK with `result`, NF_E_AWS with `ae`, or an
 * error for a body that does not parse. */
int nf_aws_parse(const struct nf_aws_service *svc, const struct nf_aws_op *op, long status,
                 const char *errortype_header, const char *body, size_t len, json_t **result,
                 struct nf_aws_error *ae, struct nf_err *err);

/* Is `code` one the standard retry mode retries? */
bool nf_aws_retryable_code(const char *code);

/* The endpoint for a service: an override from the environment or the regional default. */
void nf_aws_endpoint(const struct nf_aws_client *c, const struct nf_aws_service *svc, char *out,
                     size_t outlen);

#endif
