/* crypto.c - SHA-256 from libcrypto's EVP interface (fetched once, one reused context), and
 * HMAC-SHA256 built on it as RFC 2104 defines it. OpenSSL 3's one-shot SHA256() and HMAC()
 * fetch the algorithm on every call, which was most of a request's signing time. */
#include "crypto.h"

#include <string.h>

#include "../util/dynlib.h"

static const char *const names[] = {
    "EVP_MD_fetch",      "EVP_MD_free",      "EVP_MD_CTX_new",     "EVP_MD_CTX_free",
    "EVP_DigestInit_ex", "EVP_DigestUpdate", "EVP_DigestFinal_ex", NULL};
static void *fns[sizeof names / sizeof names[0]];
static struct nf_dynlib lib = NF_DYNLIB_INIT("libcrypto.so.3", "libssl3", names, fns);

static void *(*p_md_fetch)(void *libctx, const char *alg, const char *props);
static void (*p_md_free)(void *md);
static void *(*p_ctx_new)(void);
static void (*p_ctx_free)(void *ctx);
static int (*p_init)(void *ctx, const void *md, void *engine);
static int (*p_update)(void *ctx, const void *d, size_t n);
static int (*p_final)(void *ctx, unsigned char *out, unsigned int *n);

static void *sha256_md, *md_ctx;

int nf_crypto_load(struct nf_err *err)
{
    if (md_ctx != NULL)
        return NF_OK;
    int rc = nf_dynlib_load(&lib, err);
    if (rc != NF_OK)
        return rc;
    p_md_fetch = (void *(*)(void *, const char *, const char *))fns[0];
    p_md_free = (void (*)(void *))fns[1];
    p_ctx_new = (void *(*)(void))fns[2];
    p_ctx_free = (void (*)(void *))fns[3];
    p_init = (int (*)(void *, const void *, void *))fns[4];
    p_update = (int (*)(void *, const void *, size_t))fns[5];
    p_final = (int (*)(void *, unsigned char *, unsigned int *))fns[6];
    sha256_md = p_md_fetch(NULL, "SHA256", NULL);
    md_ctx = sha256_md ? p_ctx_new() : NULL;
    if (md_ctx == NULL) {
        if (sha256_md)
            p_md_free(sha256_md);
        sha256_md = NULL;
        return nf_err_set(err, NF_E_UNAVAILABLE, "libcrypto has no SHA256 implementation");
    }
    return NF_OK;
}

void nf_crypto_unload(void)
{
    if (md_ctx)
        p_ctx_free(md_ctx);
    if (sha256_md)
        p_md_free(sha256_md);
    md_ctx = sha256_md = NULL;
}

/* The digest of the concatenation of two pieces. */
static void sha256_2(const void *a, size_t alen, const void *b, size_t blen, unsigned char out[32])
{
    unsigned int n = 32;
    p_init(md_ctx, sha256_md, NULL);
    p_update(md_ctx, a, alen);
    if (blen)
        p_update(md_ctx, b, blen);
    p_final(md_ctx, out, &n);
}

void nf_sha256(const void *data, size_t len, unsigned char out[32])
{
    sha256_2(data, len, NULL, 0, out);
}

void nf_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                    unsigned char out[32])
{
    enum { B = 64 }; /* SHA-256's block size */
    unsigned char k[B] = {0}, pad[B], inner[32];
    if (keylen > B)
        nf_sha256(key, keylen, k);
    else
        memcpy(k, key, keylen);
    for (int i = 0; i < B; i++)
        pad[i] = k[i] ^ 0x36;
    sha256_2(pad, B, data, len, inner);
    for (int i = 0; i < B; i++)
        pad[i] = k[i] ^ 0x5c;
    sha256_2(pad, B, inner, 32, out);
    memset(k, 0, sizeof k);
    memset(pad, 0, sizeof pad);
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
