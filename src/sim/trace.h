/* trace.h - demand traces: CSV "t_seconds,value", one value per interval.
 *
 * Contract
 *   The reader is strict and bounded: header exactly `t_seconds,value` (a UTF-8 BOM and CRLF
 *   line ends are accepted), then rows of two finite numbers, time strictly increasing and
 *   not negative, values not negative. Limits, each refused with NF_E_INPUT or NF_E_TOO_BIG
 *   and "FILE:LINE: what" (exit status 2), nothing half-loaded:
 *     file size    NF_TRACE_FILE_MAX (checked by size before reading), lines NF_TRACE_LINE_MAX
 *     rows         2 to NF_TRACE_ROWS_MAX (a year at 1-minute steps is 525,600)
 *     step         1 s to 1 day between rows; span at most 800 days; t_seconds at most 1e10
 *     values       at most 1e12
 *   A file is read in chunks and only its rows are kept (16 bytes a row), so memory follows
 *   the rows, not the bytes. A row's value holds from its time until the next row's; the last
 *   row lasts as long as the gap before it, so the trace ends at `end`.
 */
#ifndef NF_SIM_TRACE_H
#define NF_SIM_TRACE_H

#include <stddef.h>

#include "../util/err.h"

#define NF_TRACE_FILE_MAX   ((size_t)64 * 1024 * 1024)
#define NF_TRACE_ROWS_MAX   ((size_t)2 * 1000 * 1000)
#define NF_TRACE_LINE_MAX   1024
#define NF_TRACE_STEP_MIN_S 1.0
#define NF_TRACE_STEP_MAX_S 86400.0
#define NF_TRACE_SPAN_MAX_S (800.0 * 86400)
#define NF_TRACE_T_MAX      1e10
#define NF_TRACE_VALUE_MAX  1e12

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
