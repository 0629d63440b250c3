/* tls.h - TLS client connections on OpenSSL (libssl.so.3, opened on first use).
 *
 * Contract
 *   - A context holds the trust (a CA file, or CA certificates in PEM - then those alone),
 *     and an optional client certificate and key. Contexts are shared: nf_tls_ctx_get()
 *     returns the one already made for the same settings (its copy of them is wiped when
 *     freed), counted; each nf_tls_ctx_put() releases one. A CA bundle is
 *     parsed once per process, not once per connection.
 *   - Verification is on unless `insecure`: the chain against the trust, and the name (or
 *     IP address) the caller connects to against the certificate. TLS 1.2 at least.
 *   - nf_tls_step() makes one non-blocking step of a handshake, read, write or shutdown;
 *     the caller waits on the socket for what it says it wants. Messages name the failure
 *     (OpenSSL's reason, the certificate check that failed), never a key.
 */
#ifndef NF_TLS_H
#define NF_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/err.h"

struct nf_tls_cfg {
    const char *ca_file;                     /* NULL: the system's bundle */
    const char *ca_pem, *cert_pem, *key_pem; /* NUL-terminated PEM, or NULL */
    bool insecure;
};

struct nf_tls_ctx;

int nf_tls_ctx_get(const struct nf_tls_cfg *cfg, struct nf_tls_ctx **out, struct nf_err *err);
void nf_tls_ctx_put(struct nf_tls_ctx *c);

/* A new connection over socket `fd` to `host` (a name, or an address when `is_ip`);
 * `session` (may be NULL) is offered for resumption. */
int nf_tls_new(struct nf_tls_ctx *c, int fd, const char *host, bool is_ip, void *session,
               void **ssl, struct nf_err *err);
void nf_tls_free(void *ssl);
/* The session to offer next time (a reference the caller frees with nf_tls_session_free),
 * or NULL. */
void *nf_tls_session(void *ssl);
void nf_tls_session_free(void *session);

enum nf_tls_op { NF_TLS_HANDSHAKE, NF_TLS_READ, NF_TLS_WRITE, NF_TLS_SHUTDOWN };
enum { NF_TLS_OK = 0, NF_TLS_WANT_READ = 1, NF_TLS_WANT_WRITE = 2, NF_TLS_EOF = 3,
       NF_TLS_FAILED = -1 };
/* One step of `op` with buf[n] (read/write); *done says how many bytes moved. */
int nf_tls_step(void *ssl, enum nf_tls_op op, void *buf, size_t n, size_t *done, char *why,
                size_t whylen);
/* Bytes already decrypted and waiting in the connection. */
bool nf_tls_pending(void *ssl);

#endif
