/* fuzz_trace.c - libFuzzer target: the CSV trace reader, then the queries made on a trace. */
#include <stddef.h>
#include <stdint.h>

#include "sim/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nf_trace tr;
    struct nf_err err;
    if (nf_trace_parse((const char *)data, size, "fuzz.csv", &tr, &err) != NF_OK)
        return 0;
    double p;
    nf_trace_percentile(&tr, 99, &p, &err);
    size_t cur = 0;
    for (size_t i = 0; i < tr.n; i++)
        (void)nf_trace_value_at(&tr, &cur, tr.t[i] + 0.5);
    (void)nf_trace_value_at(&tr, &cur, tr.end);
    nf_trace_free(&tr);
    return 0;
}
