/* log.h - the one logging API: JSON lines on stderr.
 *
 * Contract
 *   Every record is one line, one JSON object: {"ts": RFC 3339 UTC with milliseconds,
 *   "level": "debug"|"info"|"warn"|"error", "msg": ..., then the fields in call order}.
 *   Fields are typed (string, number, integer, bool); strings are JSON-escaped, non-finite
 *   numbers are written as null. A field list always ends with NF_LF_END:
 *
 *       nf_log(NF_LOG_INFO, "Step 3: Metrics collected", NF_LF_NUM("cpu", 74.3),
 *              NF_LF_INT("node_count", 3), NF_LF_END);
 *
 *   Records below the threshold level are dropped. The sink is stderr unless a test points it
 *   elsewhere. Never pass a credential as a field: the logger cannot tell one from other text.
 */
#ifndef NF_LOG_H
#define NF_LOG_H

#include <stdio.h>

enum nf_log_level { NF_LOG_DEBUG, NF_LOG_INFO, NF_LOG_WARN, NF_LOG_ERROR };

enum nf_log_ftype { NF__LF_END, NF__LF_STR, NF__LF_NUM, NF__LF_INT, NF__LF_BOOL };

struct nf_log_field {
    const char *key;
    enum nf_log_ftype type;
    const char *s;
    double d;
    long long i;
};

#define NF_LF_STR(k, v)  ((struct nf_log_field){.key = (k), .type = NF__LF_STR, .s = (v)})
#define NF_LF_NUM(k, v)  ((struct nf_log_field){.key = (k), .type = NF__LF_NUM, .d = (v)})
#define NF_LF_INT(k, v)  ((struct nf_log_field){.key = (k), .type = NF__LF_INT, .i = (v)})
#define NF_LF_BOOL(k, v) ((struct nf_log_field){.key = (k), .type = NF__LF_BOOL, .i = !!(v)})
#define NF_LF_END        ((struct nf_log_field){.key = NULL, .type = NF__LF_END})

#define nf_log(level, msg, ...)                                                                    \
    nf_log_fields((level), (msg), (const struct nf_log_field[]){__VA_ARGS__})

void nf_log_fields(enum nf_log_level level, const char *msg, const struct nf_log_field *fields);

void nf_log_set_level(enum nf_log_level level);
/* Parse "debug", "info", "warn", "error"; returns -1 when unknown. */
int nf_log_level_parse(const char *name);
void nf_log_set_sink(FILE *sink); /* NULL restores stderr */

#endif
