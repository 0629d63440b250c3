/* crypto.h - SHA-256 and HMAC-SHA256 from OpenSSL's libcrypto, opened on first use.
 *
 * Contract
 *   nf_crypto_load() must succeed once before the other calls (it is cheap after the
 *   first time); NF_E_UNAVAILABLE when libcrypto.so.3 is missing. One digest context is
 *   reused: call from one thread (nodefleet signs only on its cycle thread).
 *   nf_crypto_unload() frees it (at exit, for a clean teardown).
 */
#ifndef NF_AWS_CRYPTO_H
#define NF_AWS_CRYPTO_H

#include <stddef.h>

#include "../util/err.h"

int nf_crypto_load(struct nf_err *err);
void nf_crypto_unload(void);
void nf_sha256(const void *data, size_t len, unsigned char out[32]);
void nf_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                    unsigned char out[32]);
/* 64 lower-case hex digits and a NUL. */
void nf_hex(const unsigned char *bytes, size_t n, char *out);

#endif
