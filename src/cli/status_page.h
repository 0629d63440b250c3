/* status_page.h - the daemon's page at `/`: the pool, its in-flight work, the last
 * decisions and a 24-hour chart, as one self-contained HTML page (no script, no external
 * resource).
 *
 * Contract
 *   nf_status_page_update renders the page on the cycle's thread after each cycle and keeps
 *   a point (time, workers, CPU, pending pods) per cycle for the last 24 h;
 *   nf_status_page_render copies the newest page on the HTTP server's thread. Thread-safe.
 *   Every text from the cluster or the config is HTML-escaped.
 */
#ifndef NF_CLI_STATUS_PAGE_H
#define NF_CLI_STATUS_PAGE_H

#include "../util/buf.h"

struct nf_controller;
struct nf_status_page;

struct nf_status_page *nf_status_page_new(void);
void nf_status_page_free(struct nf_status_page *p);
void nf_status_page_update(struct nf_status_page *p, const struct nf_controller *c, int rc);
void nf_status_page_render(void *p, struct nf_buf *out);

#endif
