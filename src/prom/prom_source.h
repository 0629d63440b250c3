/* prom_source.h - reading nodefleet's signals from a real Prometheus (the `metrics` port).
 *
 * Contract
 *   Built once from the config (credentials read from their files here, at start-up).
 *   Every signal is one PromQL expression (prometheus.query_*, plus one per custom trigger)
 *   that must yield exactly one series. A timeout, a transport or HTTP error, a Prometheus
 *   error, an empty result, several series, or a non-finite value makes that signal
 *   *unknown* (NAN) - never 0 - with the reason kept in `status` and logged, and the error
 *   counter incremented. One signal failing never fails the others.
 *   nf_prom_history() reads each signal over [end - span, end] with range queries at `step`
 *   and merges them on one time grid ending exactly at `end`: this gives sustained
 *   conditions their full window from the first cycle after a restart.
 */
#ifndef NF_PROM_SOURCE_H
#define NF_PROM_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/types.h"
#include "../util/err.h"
#include "prom_api.h"

struct nf_prom_source;

struct nf_prom_status {
    bool known;
    char error[NF_ERR_MSG_MAX]; /* why unknown, when !known */
};

/* A Prometheus text (URL, query, path) is at most this long. */
#define NF_PROM_TEXT_MAX 1024

/* What the source needs to know, and nothing more (the CLI fills it from the configuration:
 * nf_cli_prom_opts). Strings are copied; they need not outlive nf_prom_source_new. */
struct nf_prom_opts {
    const char *url;
    const char *ca_file, *bearer_token_file; /* "" or NULL: none */
    const char *user, *password, *password_file;
    double connect_timeout_s, timeout_s; /* timeout_s: one query, all attempts in */
    size_t max_response_bytes;
    int attempts;
    double step;
    int server_nodes;
    const char *queries[NF_SIG__COUNT]; /* "" switches a signal off */
    const char *node_count_query;
    int ntriggers;
    const char *trigger_names[NF_TRIGGERS_MAX], *trigger_queries[NF_TRIGGERS_MAX];
};

int nf_prom_source_new(const struct nf_prom_opts *o, struct nf_prom_source **out,
                       struct nf_err *err);
void nf_prom_source_free(struct nf_prom_source *s);

/* Every signal over the last `span` seconds before `end`, merged by time. `status` (may be
 * NULL) gets one entry per signal (NF_SAMPLE_VALUES). Fails only when nothing at all could
 * be read or `cap` is too small. */
int nf_prom_history(struct nf_prom_source *s, double end, double span, struct nf_sample *out,
                    size_t cap, size_t *n, struct nf_prom_status *status, struct nf_err *err);

/* One query's values on the grid start + i*step, i < npoints (NAN where Prometheus has no
 * value), fetched in chunks under Prometheus' 11,000-points-per-query limit. More than one
 * series is an error. */
int nf_prom_range_grid(struct nf_prom_source *s, const char *query, double start, double step,
                       size_t npoints, double *out, struct nf_err *err);

/* The workers Prometheus sees: query_node_count minus server_nodes. */
int nf_prom_workers(struct nf_prom_source *s, double at, int *workers, struct nf_err *err);

/* Failed queries so far (for nodefleet_errors_total{component="prometheus"}). */
unsigned long nf_prom_errors(const struct nf_prom_source *s);
/* The name of signal `sig` (built-in or trigger). */
const char *nf_prom_signal_name(const struct nf_prom_source *s, int sig);
int nf_prom_signal_count(const struct nf_prom_source *s);

#endif
