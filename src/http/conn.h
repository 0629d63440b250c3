/* conn.h - one client connection: a name resolved (in a thread, bounded by the connect
 * timeout; answers kept 60 s), a TCP connection made without blocking past a deadline,
 * through an HTTP proxy when the environment names one, TLS on top when the URL says so.
 *
 * Contract
 *   - Every wait ends at its deadline (CLOCK_MONOTONIC seconds; INFINITY = none) and, when
 *     `cancel` is set, within a second of *cancel turning nonzero. Errors are NF_E_UNAVAILABLE
 *     with a message naming the host and port (never a URL's credentials or query).
 *   - Proxies as curl reads them: http_proxy for http:// URLs (not HTTP_PROXY: a CGI's
 *     request header could set that), https_proxy/HTTPS_PROXY for https:// ones (a CONNECT
 *     tunnel), ALL_PROXY/all_proxy for both; NO_PROXY/no_proxy lists hosts and domains that go
 *     direct ("*" = all). A proxy is an http:// URL; its userinfo becomes Proxy-Authorization.
 *   - SIGPIPE is never raised by a write on a closed connection (the thread blocks it
 *     around its writes and takes back one it caused).
 */
#ifndef NF_CONN_H
#define NF_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/err.h"
#include "tls.h"
#include "wire.h"

struct nf_conn_wait {
    double connect_deadline; /* the TCP connection and the TLS handshake */
    double deadline;         /* everything */
    const volatile int *cancel;
    double start; /* when the request began (for "timed out after N ms") */
};

struct nf_conn {
    int fd;
    void *ssl;
    bool via_proxy;      /* plain HTTP through a proxy: requests carry the absolute URL */
    char proxy_auth[400]; /* "Basic ..." for a proxy with credentials, or "" */
    char key[400];        /* what may reuse it: scheme, host, port, proxy, TLS settings */
};

/* The proxy for `u` from the environment `envp` (NULL = the process's): its URL, or ""
 * for none. */
void nf_conn_proxy_for(const struct nf_url *u, char *const *envp, char *out, size_t outlen);

int nf_conn_open(struct nf_conn *c, const struct nf_url *u, const char *proxy,
                 struct nf_tls_ctx *tls, void *session, bool keepalive,
                 const struct nf_conn_wait *w, struct nf_err *err);
/* Write all of p[n]. */
int nf_conn_write(struct nf_conn *c, const void *p, size_t n, const struct nf_conn_wait *w,
                  struct nf_err *err);
/* Read what is there (at least a byte): *got bytes, 0 at the connection's end. */
int nf_conn_read(struct nf_conn *c, void *buf, size_t cap, size_t *got,
                 const struct nf_conn_wait *w, struct nf_err *err);
/* Is an idle connection still good for another request (not closed, nothing unread)? */
bool nf_conn_alive(struct nf_conn *c);
void nf_conn_close(struct nf_conn *c);

#endif
