/* tls.c - TLS client connections on OpenSSL, opened with dlopen (see tls.h, util/dynlib.h).
 * OpenSSL's headers give the constants; the functions come from the table below. */
#define _POSIX_C_SOURCE 200809L
#include "tls.h"

#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/dynlib.h"

#define SSL_FNS(X)                                                                                 \
    X(client_method, "TLS_client_method", const SSL_METHOD *, (void))                              \
    X(ctx_new, "SSL_CTX_new", SSL_CTX *, (const SSL_METHOD *))                                     \
    X(ctx_free, "SSL_CTX_free", void, (SSL_CTX *))                                                 \
    X(ctx_ctrl, "SSL_CTX_ctrl", long, (SSL_CTX *, int, long, void *))                              \
    X(ctx_set_options, "SSL_CTX_set_options", uint64_t, (SSL_CTX *, uint64_t))                     \
    X(ctx_set_verify, "SSL_CTX_set_verify", void, (SSL_CTX *, int, SSL_verify_cb))                 \
    X(ctx_load_locations, "SSL_CTX_load_verify_locations", int,                                    \
      (SSL_CTX *, const char *, const char *))                                                     \
    X(ctx_default_paths, "SSL_CTX_set_default_verify_paths", int, (SSL_CTX *))                     \
    X(ctx_get_store, "SSL_CTX_get_cert_store", X509_STORE *, (const SSL_CTX *))                    \
    X(ctx_use_cert, "SSL_CTX_use_certificate", int, (SSL_CTX *, X509 *))                           \
    X(ctx_use_key, "SSL_CTX_use_PrivateKey", int, (SSL_CTX *, EVP_PKEY *))                         \
    X(ctx_check_key, "SSL_CTX_check_private_key", int, (const SSL_CTX *))                          \
    X(ssl_new, "SSL_new", SSL *, (SSL_CTX *))                                                      \
    X(ssl_free, "SSL_free", void, (SSL *))                                                         \
    X(set_fd, "SSL_set_fd", int, (SSL *, int))                                                     \
    X(ssl_ctrl, "SSL_ctrl", long, (SSL *, int, long, void *))                                      \
    X(get0_param, "SSL_get0_param", X509_VERIFY_PARAM *, (SSL *))                                  \
    X(connect, "SSL_connect", int, (SSL *))                                                        \
    X(read_ex, "SSL_read_ex", int, (SSL *, void *, size_t, size_t *))                              \
    X(write_ex, "SSL_write_ex", int, (SSL *, const void *, size_t, size_t *))                      \
    X(shutdown, "SSL_shutdown", int, (SSL *))                                                      \
    X(get_error, "SSL_get_error", int, (const SSL *, int))                                         \
    X(verify_result, "SSL_get_verify_result", long, (const SSL *))                                 \
    X(pending, "SSL_pending", int, (const SSL *))                                                  \
    X(get1_session, "SSL_get1_session", SSL_SESSION *, (SSL *))                                    \
    X(set_session, "SSL_set_session", int, (SSL *, SSL_SESSION *))                                 \
    X(session_free, "SSL_SESSION_free", void, (SSL_SESSION *))                                     \
    X(bio_mem, "BIO_new_mem_buf", BIO *, (const void *, int))                                      \
    X(bio_free, "BIO_free", int, (BIO *))                                                          \
    X(pem_x509, "PEM_read_bio_X509", X509 *, (BIO *, X509 **, pem_password_cb *, void *))          \
    X(pem_key, "PEM_read_bio_PrivateKey", EVP_PKEY *,                                              \
      (BIO *, EVP_PKEY **, pem_password_cb *, void *))                                             \
    X(x509_free, "X509_free", void, (X509 *))                                                      \
    X(pkey_free, "EVP_PKEY_free", void, (EVP_PKEY *))                                              \
    X(store_add, "X509_STORE_add_cert", int, (X509_STORE *, X509 *))                              \
    X(param_host, "X509_VERIFY_PARAM_set1_host", int, (X509_VERIFY_PARAM *, const char *, size_t)) \
    X(param_ip, "X509_VERIFY_PARAM_set1_ip_asc", int, (X509_VERIFY_PARAM *, const char *))         \
    X(verify_text, "X509_verify_cert_error_string", const char *, (long))                          \
    X(err_get, "ERR_get_error", unsigned long, (void))                                             \
    X(err_text, "ERR_error_string_n", void, (unsigned long, char *, size_t))                       \
    X(err_clear, "ERR_clear_error", void, (void))

static const char *const names[] = {SSL_FNS(NF_DYNLIB_NAME) NULL};
static void *fns[sizeof names / sizeof names[0]];
static struct nf_dynlib lib = NF_DYNLIB_INIT("libssl.so.3", "libssl3", names, fns);
static struct {
    SSL_FNS(NF_DYNLIB_FIELD)
} S;

struct nf_tls_ctx {
    SSL_CTX *ctx;
    char *id; /* the settings (cfg_id) */
    size_t id_len;
    int refs;
    struct nf_tls_ctx *next;
};

static pthread_mutex_t ctx_mu = PTHREAD_MUTEX_INITIALIZER;
static struct nf_tls_ctx *contexts;

/* OpenSSL's first queued reason, or `fallback` */
static void ossl_reason(char *why, size_t wl, const char *fallback)
{
    unsigned long e = S.err_get();
    if (e == 0) {
        snprintf(why, wl, "%s", fallback);
    } else {
        char t[256];
        S.err_text(e, t, sizeof t);
        snprintf(why, wl, "%s (%s)", fallback, t);
    }
    S.err_clear();
}

static int pem_certs(SSL_CTX *ctx, const char *pem, bool trust, struct nf_err *err)
{
    BIO *b = S.bio_mem(pem, -1);
    if (b == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    int n = 0, rc = NF_OK;
    X509 *x;
    while ((x = S.pem_x509(b, NULL, NULL, NULL)) != NULL) {
        int ok;
        if (trust)
            ok = S.store_add(S.ctx_get_store(ctx), x);
        else if (n == 0)
            ok = S.ctx_use_cert(ctx, x);
        else /* the chain after the leaf: the context takes the reference */
            ok = S.ctx_ctrl(ctx, SSL_CTRL_EXTRA_CHAIN_CERT, 0, x) == 1;
        if (trust || n == 0 || !ok)
            S.x509_free(x);
        n++;
        if (!ok) {
            char why[300];
            ossl_reason(why, sizeof why, "cannot use a certificate");
            rc = nf_err_set(err, NF_E_CONFIG, "TLS: %s", why);
            break;
        }
    }
    S.err_clear(); /* the end of the text is reported as an error: it is not one */
    S.bio_free(b);
    if (rc == NF_OK && n == 0)
        rc = nf_err_set(err, NF_E_CONFIG, "TLS: no PEM certificate in the %s",
                        trust ? "certificate authority data" : "client certificate");
    return rc;
}

static int client_key(SSL_CTX *ctx, const char *pem, struct nf_err *err)
{
    BIO *b = S.bio_mem(pem, -1);
    if (b == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    EVP_PKEY *k = S.pem_key(b, NULL, NULL, NULL);
    S.bio_free(b);
    int ok = k != NULL && S.ctx_use_key(ctx, k) == 1 && S.ctx_check_key(ctx) == 1;
    if (k)
        S.pkey_free(k);
    if (!ok) {
        char why[300];
        ossl_reason(why, sizeof why, "the client key is not a PEM private key for the certificate");
        return nf_err_set(err, NF_E_CONFIG, "TLS: %s", why);
    }
    return NF_OK;
}

static int make_ctx(const struct nf_tls_cfg *cfg, SSL_CTX **out, struct nf_err *err)
{
    SSL_CTX *ctx = S.ctx_new(S.client_method());
    if (ctx == NULL)
        return nf_err_set(err, NF_E_NOMEM, "TLS: cannot create a context");
    S.ctx_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, NULL);
    /* a server that closes without close_notify ends a close-delimited body; the HTTP framing
     * still catches a body cut short */
    S.ctx_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    S.ctx_set_verify(ctx, cfg->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    int rc = NF_OK;
    if (cfg->ca_pem) {
        rc = pem_certs(ctx, cfg->ca_pem, true, err);
    } else if (cfg->ca_file && cfg->ca_file[0]) {
        if (S.ctx_load_locations(ctx, cfg->ca_file, NULL) != 1) {
            char why[300];
            ossl_reason(why, sizeof why, "cannot read the CA file");
            rc = nf_err_set(err, NF_E_CONFIG, "TLS: %s %s", why, cfg->ca_file);
        }
    } else {
        S.ctx_default_paths(ctx);
        S.err_clear();
    }
    if (rc == NF_OK && cfg->cert_pem)
        rc = pem_certs(ctx, cfg->cert_pem, false, err);
    if (rc == NF_OK && cfg->key_pem)
        rc = client_key(ctx, cfg->key_pem, err);
    if (rc != NF_OK) {
        S.ctx_free(ctx);
        return rc;
    }
    *out = ctx;
    return NF_OK;
}

/* the settings as one string, each field with its length so no two run together alike */
static char *cfg_id(const struct nf_tls_cfg *cfg, size_t *len)
{
    const char *f[4] = {cfg->ca_file, cfg->ca_pem, cfg->cert_pem, cfg->key_pem};
    size_t total = 2;
    for (int i = 0; i < 4; i++)
        total += 24 + (f[i] ? strlen(f[i]) : 0);
    char *b = malloc(total);
    if (b == NULL)
        return NULL;
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        size_t l = f[i] ? strlen(f[i]) : 0;
        n += (size_t)snprintf(b + n, 24, "%c%zu:", f[i] ? 'y' : 'n', l);
        memcpy(b + n, f[i] ? f[i] : "", l);
        n += l;
    }
    b[n++] = cfg->insecure ? 'i' : 'v';
    b[n] = '\0';
    *len = n;
    return b;
}

static void id_free(char *id, size_t len)
{
    if (id) {
        memset(id, 0, len); /* it holds the client key */
        free(id);
    }
}

int nf_tls_ctx_get(const struct nf_tls_cfg *cfg, struct nf_tls_ctx **out, struct nf_err *err)
{
    int rc = nf_dynlib_bind(&lib, &S, sizeof S, err);
    if (rc != NF_OK)
        return rc;
    size_t id_len = 0;
    char *id = cfg_id(cfg, &id_len);
    if (id == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    pthread_mutex_lock(&ctx_mu);
    struct nf_tls_ctx *c = contexts;
    while (c && (c->id_len != id_len || memcmp(c->id, id, id_len) != 0))
        c = c->next;
    if (c == NULL) {
        c = calloc(1, sizeof *c);
        if (c == NULL)
            rc = nf_err_set(err, NF_E_NOMEM, "out of memory");
        else if ((rc = make_ctx(cfg, &c->ctx, err)) != NF_OK) {
            free(c);
            c = NULL;
        } else {
            c->id = id;
            c->id_len = id_len;
            id = NULL;
            c->next = contexts;
            contexts = c;
        }
    }
    if (c)
        c->refs++;
    pthread_mutex_unlock(&ctx_mu);
    id_free(id, id_len);
    *out = c;
    return rc;
}

void nf_tls_ctx_put(struct nf_tls_ctx *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&ctx_mu);
    if (--c->refs == 0) {
        struct nf_tls_ctx **p = &contexts;
        while (*p != c)
            p = &(*p)->next;
        *p = c->next;
        S.ctx_free(c->ctx);
        id_free(c->id, c->id_len);
        free(c);
    }
    pthread_mutex_unlock(&ctx_mu);
}

int nf_tls_new(struct nf_tls_ctx *c, int fd, const char *host, bool is_ip, void *session,
               void **out, struct nf_err *err)
{
    SSL *s = S.ssl_new(c->ctx);
    if (s == NULL)
        return nf_err_set(err, NF_E_NOMEM, "TLS: cannot create a connection");
    bool ok = S.set_fd(s, fd) == 1;
    X509_VERIFY_PARAM *p = S.get0_param(s);
    if (is_ip)
        ok = ok && S.param_ip(p, host) == 1;
    else /* the name to check, and the name to send (SNI) */
        ok = ok && S.param_host(p, host, 0) == 1 &&
             S.ssl_ctrl(s, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                        (void *)host) == 1;
    if (ok && session)
        S.set_session(s, session);
    if (!ok) {
        S.ssl_free(s);
        S.err_clear();
        return nf_err_set(err, NF_E_CONFIG, "TLS: cannot set up a connection to %s", host);
    }
    *out = s;
    return NF_OK;
}

void nf_tls_free(void *ssl)
{
    if (ssl)
        S.ssl_free(ssl);
}

void *nf_tls_session(void *ssl)
{
    return ssl ? S.get1_session(ssl) : NULL;
}

void nf_tls_session_free(void *session)
{
    if (session)
        S.session_free(session);
}

bool nf_tls_pending(void *ssl)
{
    return S.pending(ssl) > 0;
}

static int failed(SSL *s, enum nf_tls_op op, int e, char *why, size_t wl)
{
    long v = op == NF_TLS_HANDSHAKE ? S.verify_result(s) : X509_V_OK;
    if (v != X509_V_OK) {
        snprintf(why, wl, "TLS: certificate verify failed: %s", S.verify_text(v));
        S.err_clear();
    } else if (e == SSL_ERROR_SYSCALL) {
        S.err_clear();
        snprintf(why, wl, "TLS: the connection broke%s",
                 op == NF_TLS_HANDSHAKE ? " during the handshake" : "");
    } else {
        ossl_reason(why, wl, op == NF_TLS_HANDSHAKE ? "TLS: handshake failed" : "TLS: error");
    }
    return NF_TLS_FAILED;
}

int nf_tls_step(void *ssl, enum nf_tls_op op, void *buf, size_t n, size_t *done, char *why,
                size_t wl)
{
    SSL *s = ssl;
    size_t moved = 0;
    int r;
    S.err_clear();
    switch (op) {
    case NF_TLS_HANDSHAKE:
        r = S.connect(s);
        break;
    case NF_TLS_READ:
        r = S.read_ex(s, buf, n, &moved);
        break;
    case NF_TLS_WRITE:
        r = S.write_ex(s, buf, n, &moved);
        break;
    default:
        r = S.shutdown(s);
        if (r >= 0) /* sent (and maybe seen back): nothing more to wait for */
            return NF_TLS_OK;
        break;
    }
    if (done)
        *done = moved;
    if (r == 1)
        return NF_TLS_OK;
    int e = S.get_error(s, r);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        return NF_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return NF_TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return NF_TLS_EOF;
    default:
        if (op == NF_TLS_READ && e == SSL_ERROR_SYSCALL && S.err_get() == 0) {
            S.err_clear();
            return NF_TLS_EOF; /* closed without a word */
        }
        return failed(s, op, e, why, wl);
    }
}
