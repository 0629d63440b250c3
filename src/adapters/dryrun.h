/* dryrun.h - adapters for running the real cycle before (or instead of) acting: a real
 * clock, a cluster view that counts workers through Prometheus and only logs drains, and a
 * cloud that only logs launches. `nodefleet run` and `observe` use them until the
 * Kubernetes and EC2 adapters land; `--dry-run` keeps using them afterwards.
 */
#ifndef NF_ADAPTERS_DRYRUN_H
#define NF_ADAPTERS_DRYRUN_H

#include "../ports/ports.h"

extern const struct nf_clock_port nf_real_clock_port; /* ctx unused */

/* ctx: struct nf_prom_source * */
extern const struct nf_cluster_port nf_prom_view_cluster_port;

/* ctx: struct nf_dryrun_cloud * */
struct nf_dryrun_cloud {
    int launched; /* what it would have launched so far */
};
extern const struct nf_cloud_port nf_dryrun_cloud_port;

double nf_mono_now(void);

#endif
