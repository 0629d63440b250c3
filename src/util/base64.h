/* base64.h - RFC 4648 base64 (standard alphabet, padded), bounded by the caller's buffer. */
#ifndef NF_BASE64_H
#define NF_BASE64_H

#include <stddef.h>

#include "buf.h"

void nf_base64_encode(struct nf_buf *out, const void *data, size_t len);
/* NF_OK, or NF_E_INPUT for characters outside the alphabet or bad padding. */
int nf_base64_decode(struct nf_buf *out, const char *s, size_t len);

#endif
