/* sigv4.h - AWS Signature Version 4, header signing.
 *
 * Contract
 *   Pure but for the digests: the signing time is an argument, never the clock. Given the
 *   request as it will be sent (method, path, query, headers, body), the credentials, the
 *   region and service, it produces the canonical request, the string to sign and the
 *   Authorization header, byte for byte as the AWS test suites expect. It adds X-Amz-Date
 *   when the request lacks it, X-Amz-Security-Token when the credentials carry a token
 *   (unless `omit_session_token`: some services want it added after signing), and
 *   X-Amz-Content-Sha256 when `sign_body` is set; `out->add` lists the headers the caller
 *   must send besides its own. The path is taken raw and URI-encoded here; with `normalize`
 *   (every service but S3) dot segments and repeated slashes are removed first. The query is
 *   taken as sent (percent-encoded or not) and canonicalised.
 *   nf_crypto_load() must have succeeded.
 */
#ifndef NF_AWS_SIGV4_H
#define NF_AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../util/buf.h"
#include "../util/err.h"

#define NF_AWS_KEY_ID_MAX 128
#define NF_AWS_SECRET_MAX 128
#define NF_AWS_TOKEN_MAX  4096

struct nf_aws_credentials {
    char access_key_id[NF_AWS_KEY_ID_MAX];
    char secret_access_key[NF_AWS_SECRET_MAX];
    char session_token[NF_AWS_TOKEN_MAX]; /* "" when none */
    double expiration;                    /* Unix s; 0 = does not expire */
    char source[32];                      /* env, file, imds, container, ... (never secret) */
};

struct nf_header {
    const char *name;
    const char *value;
};

#define NF_SIGV4_HEADERS_MAX 32

/* Derived signing keys, reused while the secret, date, region and service stay the same
 * (as the SDKs do): four of a request's five HMACs. The secret is kept only as a digest. */
#define NF_SIGV4_KEYS_CACHED 4
struct nf_sigv4_key_cache {
    struct {
        unsigned char secret_digest[32];
        char scope[96]; /* 20150830/us-east-1/ec2 */
        unsigned char key[32];
        int used;
    } e[NF_SIGV4_KEYS_CACHED];
    int next;
};

struct nf_sigv4_request {
    const char *method;
    const char *path;  /* raw, e.g. "/" */
    const char *query; /* after '?', may be NULL */
    const struct nf_header *headers;
    size_t nheaders;
    const void *body;
    size_t body_len;
    const char *region;
    const char *service;
    time_t when;
    bool normalize;
    bool sign_body;
    bool omit_session_token;
    struct nf_sigv4_key_cache *keys; /* optional */
};

struct nf_sigv4_result {
    struct nf_buf canonical; /* the canonical request */
    struct nf_buf string_to_sign;
    char authorization[1024];
    char amz_date[17]; /* 20150830T123600Z */
    char payload_hash[65];
    struct nf_header add[3]; /* headers to send as well (values point into this struct) */
    size_t nadd;
    char token_storage[NF_AWS_TOKEN_MAX];
};

int nf_sigv4_sign(const struct nf_sigv4_request *req, const struct nf_aws_credentials *cr,
                  struct nf_sigv4_result *out, struct nf_err *err);
void nf_sigv4_result_free(struct nf_sigv4_result *out);
/* Forget cached keys (zeroed), e.g. when credentials change or at teardown. */
void nf_sigv4_keys_clear(struct nf_sigv4_key_cache *k);

#endif
