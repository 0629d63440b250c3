/* timefmt.h - times as the Prometheus API accepts them: RFC 3339 or Unix seconds.
 *
 * Contract
 *   "1732800000", "1732800000.5", "2026-11-22T00:00:00Z", "2026-11-22T09:30:00.250+05:30".
 *   Pure; returns NF_OK or NF_E_INPUT with `*why` set.
 */
#ifndef NF_TIMEFMT_H
#define NF_TIMEFMT_H

#include <stddef.h>

int nf_parse_time(const char *s, double *unix_s, const char **why);
/* An HTTP date (RFC 7231 IMF-fixdate): "Sun, 02 Jan 2000 20:34:56 GMT". */
int nf_parse_http_date(const char *s, double *unix_s);
/* Write an HTTP date. `out` needs 32 bytes. */
void nf_format_http_date(double unix_s, char *out);

/* RFC 3339 UTC with seconds: "2026-11-22T00:00:00Z". `out` needs 32 bytes. */
void nf_format_time(double unix_s, char *out);

#endif
