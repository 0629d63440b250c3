/* fuzz_prom.c - libFuzzer target: the Prometheus API response parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "prom/prom_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nf_prom_result r;
    struct nf_err err;
    if (nf_prom_parse((const char *)data, size, &r, &err) != NF_OK)
        return 0;
    /* every accepted series must be walkable, in time order for a matrix */
    for (size_t i = 0; i < r.nseries; i++)
        for (size_t p = 1; p < r.series[i].n; p++)
            if (r.type == NF_PROM_MATRIX && !(r.series[i].pts[p].t > r.series[i].pts[p - 1].t))
                abort();
    if (r.nwarnings > NF_PROM_NOTES_MAX || r.ninfos > NF_PROM_NOTES_MAX)
        abort();
    nf_prom_result_free(&r);
    return 0;
}
