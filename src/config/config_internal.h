/* config_internal.h - shared between config.c and config_print.c only. */
#ifndef NF_CONFIG_INTERNAL_H
#define NF_CONFIG_INTERNAL_H

#include <stddef.h>

#include "config.h"

/* "default", "FILE:LINE", "env NAME" or "--set" for setting `id`. */
void nf__config_origin_text(const struct nf_config *c, const char *file, int id, char *out,
                            size_t outlen);
/* A bound as text: "100", "86400s". */
void nf__config_fmt_bound(double v, enum nf_ctype type, char *out, size_t outlen);

#endif
