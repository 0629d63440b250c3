/* config_internal.h - shared between config.c, config_yaml.c and config_print.c only. */
#ifndef NF_CONFIG_INTERNAL_H
#define NF_CONFIG_INTERNAL_H

#include <stddef.h>

#include "config.h"

/* "default", "FILE:LINE", "env NAME" or "--set" for setting `id`. */
void nf__config_origin_text(const struct nf_config *c, const char *file, int id, char *out,
                            size_t outlen);
/* A bound as text: "100", "86400s". */
void nf__config_fmt_bound(double v, enum nf_ctype type, char *out, size_t outlen);

/* One load in progress: the config being built and the problems found. */
struct loader {
    struct nf_config *c;
    struct nf_buf *problems;
    int nproblems;
    const char *file;
    int file_line[NF_CFG__COUNT]; /* line where the file set each setting, 0 = not set */
    int triggers_line;
};

void nf__config_problem(struct loader *L, const char *where, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool nf__config_is_section(const char *name, size_t len);
size_t nf__config_edit_distance(const char *a, size_t la, const char *b, size_t lb);
void nf__config_unknown_setting(struct loader *L, const char *where, const char *name, size_t len);
void nf__config_shown_value(const struct nf_setting *st, const char *s, size_t n, char *out,
                            size_t outlen);
void nf__config_set_from(struct loader *L, int id, const char *where, const char *s, size_t n,
                         enum nf_config_source source, int line);
int nf__config_load_file(struct loader *L, const char *path, const char *text, size_t len,
                         struct nf_err *err);

#endif
