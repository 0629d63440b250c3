/* proto_internal.h - what the AWS protocol codecs share (proto_shapes.c): reading the service
 * model's shapes and writing scalars as the protocols want them. Internal to src/aws. */
#ifndef NF_AWS_PROTO_INTERNAL_H
#define NF_AWS_PROTO_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "../util/buf.h"
#include "../util/err.h"

/* Models nest; so may hostile responses. Recursion deeper than this is refused. */
#define NF_AWS_SHAPE_DEPTH_MAX 32

enum nf__aws_kind {
    K_OTHER,
    K_STRUCTURE,
    K_LIST,
    K_MAP,
    K_STRING,
    K_BOOLEAN,
    K_INT,
    K_FLOAT,
    K_TIMESTAMP,
    K_BLOB
};

const json_t *nf__aws_shape_of(const json_t *shapes, const json_t *ref);
const char *nf__aws_type_of(const json_t *shape);
enum nf__aws_kind nf__aws_kind_of(const json_t *shape);
bool nf__aws_flattened(const json_t *shape, const json_t *ref);
const char *nf__aws_ts_format(const json_t *shape, const char *dflt);
json_t *nf__aws_ts_json(const char *s, size_t n, const char *name, struct nf_err *err);
void nf__aws_number_text(struct nf_buf *out, double v);
void nf__aws_float_text(struct nf_buf *out, double v);
void nf__aws_iso8601(struct nf_buf *out, double t);
bool nf__aws_is_int_type(const char *t);

#endif
