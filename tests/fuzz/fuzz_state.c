/* fuzz_state.c - libFuzzer target: the pool state's JSON (the SQLite store's column, the
 * DynamoDB item's nodefleet_state); what decodes must encode and decode again the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ports/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nf_state a, b;
    struct nf_err err;
    if (nf_state_from_json((const char *)data, size, &a, &err) != NF_OK)
        return 0;
    struct nf_buf j;
    nf_buf_init(&j, 8u << 20);
    if (nf_state_to_json(&a, &j) != NF_OK || nf_state_from_json(j.data, j.len, &b, &err) != NF_OK)
        abort();
    if (a.nlaunches != b.nlaunches || a.ndrains != b.ndrains || a.ndecisions != b.ndecisions ||
        a.node_count != b.node_count)
        abort();
    nf_buf_free(&j);
    return 0;
}
