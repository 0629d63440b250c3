/* crypto.c - the two digests SigV4 needs, from libcrypto (OpenSSL 3: SHA256() and HMAC() are
 * the non-deprecated one-shot calls). */
#include "crypto.h"

#include "../util/dynlib.h"

static const char *const names[] = {"SHA256", "HMAC", "EVP_sha256", NULL};
static void *fns[sizeof names / sizeof names[0]];
static struct nf_dynlib lib = NF_DYNLIB_INIT("libcrypto.so.3", "libssl3", names, fns);

static unsigned char *(*p_sha256)(const unsigned char *, size_t, unsigned char *);
static unsigned char *(*p_hmac)(const void *md, const void *key, int keylen, const unsigned char *d,
                                size_t n, unsigned char *out, unsigned int *outlen);
static const void *(*p_evp_sha256)(void);

int nf_crypto_load(struct nf_err *err)
{
    int rc = nf_dynlib_load(&lib, err);
    if (rc != NF_OK)
        return rc;
    p_sha256 = (unsigned char *(*)(const unsigned char *, size_t, unsigned char *))fns[0];
    p_hmac = (unsigned char *(*)(const void *, const void *, int, const unsigned char *, size_t,
                                 unsigned char *, unsigned int *))fns[1];
    p_evp_sha256 = (const void *(*)(void))fns[2];
    return NF_OK;
}

void nf_sha256(const void *data, size_t len, unsigned char out[32])
{
    p_sha256(data, len, out);
}

void nf_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                    unsigned char out[32])
{
    unsigned int n = 32;
    p_hmac(p_evp_sha256(), key, (int)keylen, data, len, out, &n);
}

void nf_hex(const unsigned char *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}
