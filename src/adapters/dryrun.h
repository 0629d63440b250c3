/* dryrun.h - the real clock, and a cluster that is only Prometheus' count of workers
 * (cluster = prometheus): observe-only, for trying nodefleet on a cluster it may not touch.
 */
#ifndef NF_ADAPTERS_DRYRUN_H
#define NF_ADAPTERS_DRYRUN_H

#include "../ports/ports.h"

extern const struct nf_clock_port nf_real_clock_port; /* ctx unused */

struct nf_prom_source;

/* ctx: struct nf_prom_view */
struct nf_prom_view {
    struct nf_prom_source *prom;
    struct nf_node_info nodes[256];
};
extern const struct nf_cluster_port nf_prom_view_cluster_port;


#endif
