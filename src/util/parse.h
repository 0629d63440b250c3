/* parse.h - strict scalar parsers shared by config, CLI flags and data readers.
 *
 * Contract
 *   Each parser takes a pointer and a length (the text need not be NUL-terminated), accepts
 *   the whole text or nothing, never reads past `n`, and returns NF_OK or NF_E_INPUT. On
 *   failure `*out` is untouched and, when `why` is not NULL, it points at a static phrase
 *   saying what was wrong ("not a number", "out of range", ...). No leading or trailing
 *   blanks are accepted; callers trim where their format allows blanks.
 */
#ifndef NF_PARSE_H
#define NF_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* A decimal integer with optional sign. */
int nf_parse_ll(const char *s, size_t n, long long *out, const char **why);
/* A finite decimal number (no hex, no inf/nan). */
int nf_parse_double(const char *s, size_t n, double *out, const char **why);
/* true/false/yes/no/on/off/1/0, any case. */
int nf_parse_bool(const char *s, size_t n, bool *out, const char **why);
/* A non-negative duration: a plain number of seconds ("300", "2.5"), or one or more
 * number+unit parts with units ms, s, m, h, d ("90s", "5m", "1h30m"). */
int nf_parse_duration(const char *s, size_t n, double *out_seconds, const char **why);

/* Trim ASCII blanks from both ends of [*s, *s + *n). */
void nf_trim(const char **s, size_t *n);

/* The value of one hexadecimal digit, or -1. */
int nf_hex_digit(int c);

#endif
