/* expo.h - the Prometheus text exposition format (version 0.0.4) writer.
 *
 * Contract
 *   Byte-compatible with the reference writer (prometheus/common expfmt text_create.go):
 *   HELP text escapes \ and newline; label values escape \, newline and "; floats are
 *   written like Go's strconv 'g' with shortest precision ("1.7560473e+06", "0.23",
 *   "3.14e+42"), with NaN, +Inf, -Inf spelled so. A metric or label name that is not a
 *   legacy name ([a-zA-Z_:][a-zA-Z0-9_:]*, labels without ':') is written quoted, in braces.
 *   Appends to a caller's buffer; check its status once at the end.
 */
#ifndef NF_EXPO_H
#define NF_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/buf.h"

#define NF_EXPO_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct nf_label {
    const char *name;
    const char *value;
};

/* "# HELP name text" (when help is not NULL) and "# TYPE name type". */
void nf_expo_family(struct nf_buf *b, const char *name, const char *help, const char *type);

/* One sample line: name+suffix, labels (in order), value, and a timestamp in ms if given. */
void nf_expo_sample(struct nf_buf *b, const char *name, const char *suffix,
                    const struct nf_label *labels, size_t nlabels, double value, bool has_ts,
                    int64_t ts_ms);

/* A histogram's lines: cumulative buckets (an le="+Inf" bucket equal to `count` is added
 * when the bounds do not end with +Inf), then _sum and _count. The le label goes last. */
void nf_expo_histogram(struct nf_buf *b, const char *name, const struct nf_label *labels,
                       size_t nlabels, const double *bounds, const double *cumulative,
                       size_t nbuckets, double sum, double count);

/* A float the way Go's strconv.FormatFloat(v, 'g', -1, 64) writes it (NaN, +Inf, -Inf).
 * `out` needs 32 bytes. */
void nf_expo_float(double v, char *out);

#endif
