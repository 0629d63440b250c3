/* trace.h - demand traces: CSV "t_seconds,value", one value per interval.
 *
 * Contract
 *   The reader is strict and bounded: header exactly `t_seconds,value` (a UTF-8 BOM and CRLF
 *   line ends are accepted), then rows of two finite numbers, time strictly increasing and
 *   not negative, values not negative, at least two rows, at most NF_TRACE_ROWS_MAX rows and
 *   NF_TRACE_FILE_MAX bytes. Any breach fails with NF_E_INPUT and "FILE:LINE: what" in the
 *   error; nothing is half-loaded. A row's value holds from its time until the next row's;
 *   the last row lasts as long as the gap before it, so the trace ends at `end`.
 */
#ifndef NF_SIM_TRACE_H
#define NF_SIM_TRACE_H

#include <stddef.h>

#include "../util/err.h"

#define NF_TRACE_FILE_MAX ((size_t)256 * 1024 * 1024)
#define NF_TRACE_ROWS_MAX ((size_t)10 * 1000 * 1000)

struct nf_trace {
    char file[256]; /* as given, for messages and reports */
    double *t;
    double *v;
    size_t n;
    double end; /* the time the last row's interval ends */
};

int nf_trace_parse(const char *data, size_t len, const char *file, struct nf_trace *out,
                   struct nf_err *err);
int nf_trace_load(const char *path, struct nf_trace *out, struct nf_err *err);
void nf_trace_free(struct nf_trace *tr);

/* The value in force at time t (step function). `*cursor` speeds up calls with
 * non-decreasing t: start it at 0. Before the first row: the first value. */
double nf_trace_value_at(const struct nf_trace *tr, size_t *cursor, double t);

/* Nearest-rank percentile of the values (pct in (0, 100]). */
int nf_trace_percentile(const struct nf_trace *tr, double pct, double *out, struct nf_err *err);

#endif
