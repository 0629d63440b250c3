/* prometheus.h - Prometheus as ports.
 *
 * Contract
 *   nf_prom_metrics_port (ctx: struct nf_prom_source): the history of every signal, unknown
 *   signals as NAN (prom_source.h). nf_prom_view_cluster_port (ctx: struct nf_prom_view): the
 *   workers Prometheus counts, as anonymous Ready nodes; nothing can be chosen, drained or
 *   removed through it.
 */
#ifndef NF_ADAPTERS_PROMETHEUS_H
#define NF_ADAPTERS_PROMETHEUS_H

#include "../ports/ports.h"
#include "../prom/prom_source.h"

extern const struct nf_metrics_port nf_prom_metrics_port;

struct nf_prom_view {
    struct nf_prom_source *prom;
    struct nf_node_info nodes[256];
};
extern const struct nf_cluster_port nf_prom_view_cluster_port;

#endif
