/* server.h - the daemon's HTTP endpoints (libmicrohttpd, one internal thread).
 *
 * Contract
 *   GET /metrics  nodefleet's metrics, text exposition format 0.0.4;
 *   GET /healthz  200 "ok" while the process runs;
 *   GET /readyz   200 "ok" when a cycle finished within 2 intervals, else 503 and why;
 *   GET /         the status page, when one is set (HTML from `render`, called on the
 *                 server's thread: it must be thread-safe).
 *   Other paths 404, other methods 405. Bodies of requests are not read. Binding is done in
 *   nf_server_start, so a taken port is an error at start-up; port 0 picks a free port and
 *   nf_server_port() tells which.
 */
#ifndef NF_SERVER_H
#define NF_SERVER_H

#include "../metrics/registry.h"
#include "../util/addr.h"
#include "../util/err.h"

struct nf_server;

struct nf_server *nf_server_start(const struct nf_addr *addr, struct nf_registry *reg,
                                  double interval_s, struct nf_err *err);
int nf_server_port(const struct nf_server *s);
void nf_server_set_page(struct nf_server *s, void (*render)(void *ctx, struct nf_buf *out),
                        void *ctx);
void nf_server_stop(struct nf_server *s);

#endif
