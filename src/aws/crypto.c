/* crypto.c - SHA-256 from libcrypto's EVP interface (fetched once, one reused context), and
 * HMAC-SHA256 built on it as RFC 2104 defines it. OpenSSL 3's one-shot SHA256() and HMAC()
 * fetch the algorithm on every call, which was most of a request's signing time. */
#include "crypto.h"

#include <pthread.h>

#include <string.h>

#include "../util/dynlib.h"

#define EVP_FNS(X)                                                                                 \
    X(md_fetch, "EVP_MD_fetch", void *, (void *libctx, const char *alg, const char *props))        \
    X(md_free, "EVP_MD_free", void, (void *md))                                                    \
    X(ctx_new, "EVP_MD_CTX_new", void *, (void))                                                   \
    X(ctx_free, "EVP_MD_CTX_free", void, (void *ctx))                                              \
    X(init, "EVP_DigestInit_ex", int, (void *ctx, const void *md, void *engine))                   \
    X(update, "EVP_DigestUpdate", int, (void *ctx, const void *d, size_t n))                       \
    X(final, "EVP_DigestFinal_ex", int, (void *ctx, unsigned char *out, unsigned int *n))

static const char *const names[] = {EVP_FNS(NF_DYNLIB_NAME) NULL};
static void *fns[sizeof names / sizeof names[0]];
static struct nf_dynlib lib = NF_DYNLIB_INIT("libcrypto.so.3", "libssl3", names, fns);
static struct {
    EVP_FNS(NF_DYNLIB_FIELD)
} E;

static void *sha256_md, *md_ctx;
/* the one digest context is shared: signing from two threads (the cycle observes in threads)
 * takes turns; a digest is a microsecond */
static pthread_mutex_t md_mu = PTHREAD_MUTEX_INITIALIZER;
static int load_locked(struct nf_err *err);

int nf_crypto_load(struct nf_err *err)
{
    pthread_mutex_lock(&md_mu);
    int rc = NF_OK;
    if (md_ctx == NULL)
        rc = load_locked(err);
    pthread_mutex_unlock(&md_mu);
    return rc;
}

static int load_locked(struct nf_err *err)
{
    int rc = nf_dynlib_bind(&lib, &E, sizeof E, err);
    if (rc != NF_OK)
        return rc;
    sha256_md = E.md_fetch(NULL, "SHA256", NULL);
    md_ctx = sha256_md ? E.ctx_new() : NULL;
    if (md_ctx == NULL) {
        if (sha256_md)
            E.md_free(sha256_md);
        sha256_md = NULL;
        return nf_err_set(err, NF_E_UNAVAILABLE, "libcrypto has no SHA256 implementation");
    }
    return NF_OK;
}

void nf_crypto_unload(void)
{
    if (md_ctx)
        E.ctx_free(md_ctx);
    if (sha256_md)
        E.md_free(sha256_md);
    md_ctx = sha256_md = NULL;
}

/* The digest of the concatenation of two pieces. */
static void sha256_2(const void *a, size_t alen, const void *b, size_t blen, unsigned char out[32])
{
    unsigned int n = 32;
    pthread_mutex_lock(&md_mu);
    E.init(md_ctx, sha256_md, NULL);
    E.update(md_ctx, a, alen);
    if (blen)
        E.update(md_ctx, b, blen);
    E.final(md_ctx, out, &n);
    pthread_mutex_unlock(&md_mu);
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
