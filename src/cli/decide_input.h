/* decide_input.h - the `nodefleet decide` input contract: one JSON observation.
 *
 * Contract
 *   {"now": T, "workers": {"ready": R, "joining": J, "draining": D},
 *    "samples": [{"t": T, "cpu": ..., "memory": ..., "pending_pods": ..., "queue_depth": ...,
 *                 "latency_p95_ms": ..., "error_rate_pct": ...,
 *                 "custom": {"TRIGGER": ...}}, ...],
 *    "last_scale_up": T|null, "last_scale_down": T|null}
 *   `now` and `workers.ready` are required; joining/draining default to 0; samples oldest
 *   first, strictly increasing in t, none later than now; a metric absent or null is unknown.
 *   Anything else - invalid JSON, unknown fields, wrong types, negative counts or values,
 *   times out of order, more than NF_DECIDE_SAMPLES_MAX samples, input over
 *   NF_DECIDE_INPUT_MAX bytes - fails with NF_E_INPUT and "field: problem" in the error.
 *   On success the caller owns out->samples (nf_decide_input_free).
 */
#ifndef NF_CLI_DECIDE_INPUT_H
#define NF_CLI_DECIDE_INPUT_H

#include <stddef.h>

#include "../config/config.h"
#include "../core/types.h"
#include "../util/buf.h"
#include "../util/err.h"

#define NF_DECIDE_INPUT_MAX   ((size_t)16 * 1024 * 1024)
#define NF_DECIDE_SAMPLES_MAX ((size_t)100000)
#define NF_DECIDE_COUNT_MAX   1000000

struct nf_decide_input {
    struct nf_observation obs;
    struct nf_sample *samples; /* owned; obs.samples points here */
};

/* `cfg` (may be NULL) supplies the configured custom triggers, whose values a sample may
 * carry as "custom": {"NAME": number|null}. */
int nf_decide_parse(const char *data, size_t len, const struct nf_config *cfg,
                    struct nf_decide_input *out, struct nf_err *err);
void nf_decide_input_free(struct nf_decide_input *in);

/* The decision as one JSON object line: {"action","nodes","reason","trail"}. */
void nf_decide_write_plan(const struct nf_plan *plan, struct nf_buf *out);

#endif
