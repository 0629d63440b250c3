/* fuzz_quantity.c - libFuzzer target: resource quantities, at both scales; a parsed value
 * is never negative. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kube/quantity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t v;
    const char *why;
    if (nf_quantity_parse((const char *)data, size, NF_QUANTITY_MILLI, &v, &why) == NF_OK && v < 0)
        abort();
    if (nf_quantity_parse((const char *)data, size, NF_QUANTITY_UNIT, &v, &why) == NF_OK && v < 0)
        abort();
    return 0;
}
