/* prom_api.h - parse Prometheus HTTP API query responses (/api/v1/query, /query_range).
 *
 * Contract
 *   Follows the documented envelope: {"status": "success"|"error", "data": ...,
 *   "errorType": ..., "error": ..., "warnings": [...], "infos": [...]}. An error response is
 *   parsed successfully (NF_OK) with `ok` false and errorType/error kept (it may carry data,
 *   which is ignored); warnings and infos are kept on both (at most NF_PROM_NOTES_MAX each).
 *   Results: vector, matrix, scalar, string. Sample values are JSON strings, including "NaN",
 *   "+Inf" and "-Inf", and come out as doubles (non-finite values kept as such: deciding what
 *   they mean is the caller's job). A native-histogram sample has no float value: NAN, with
 *   `histogram` set. Anything malformed - not JSON, missing or mistyped fields, a value that
 *   is not a number - fails with NF_E_INPUT naming where. Bounded: at most NF_PROM_SERIES_MAX
 *   series and NF_PROM_POINTS_MAX points in all; the caller caps the body size.
 */
#ifndef NF_PROM_API_H
#define NF_PROM_API_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/err.h"

#define NF_PROM_SERIES_MAX 10000
#define NF_PROM_POINTS_MAX 1000000
#define NF_PROM_NOTES_MAX  10
#define NF_PROM_NOTE_LEN   256
#define NF_PROM_LABELS_LEN 512

enum nf_prom_type { NF_PROM_NONE, NF_PROM_VECTOR, NF_PROM_MATRIX, NF_PROM_SCALAR, NF_PROM_STRING };

struct nf_prom_point {
    double t;
    double v;
};

struct nf_prom_series {
    char labels[NF_PROM_LABELS_LEN]; /* {a="b",c="d"}, cut with "..." if longer */
    bool histogram;
    struct nf_prom_point *pts;
    size_t n;
};

struct nf_prom_result {
    bool ok;
    char error_type[32];
    char error[NF_PROM_NOTE_LEN];
    char warnings[NF_PROM_NOTES_MAX][NF_PROM_NOTE_LEN];
    size_t nwarnings;
    char infos[NF_PROM_NOTES_MAX][NF_PROM_NOTE_LEN];
    size_t ninfos;
    enum nf_prom_type type;
    struct nf_prom_series *series; /* vector: one point each; scalar: one series, no labels */
    size_t nseries;
    char string_value[NF_PROM_NOTE_LEN];
    double string_t;
};

int nf_prom_parse(const char *data, size_t len, struct nf_prom_result *out, struct nf_err *err);
void nf_prom_result_free(struct nf_prom_result *r);

/* Parse one Prometheus sample value string: a decimal number, "NaN", "+Inf", "-Inf" (also
 * "Inf"). */
int nf_prom_parse_value(const char *s, size_t n, double *out);

const char *nf_prom_type_name(enum nf_prom_type t);

#endif
