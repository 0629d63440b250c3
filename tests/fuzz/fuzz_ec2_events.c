/* fuzz_ec2_events.c - libFuzzer target: an SQS message body through the EC2 event reader
 * (aws/ec2_events.h), with room for only three instances so the bound is exercised. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aws/ec2_events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nf_ec2_event ev[3];
    size_t n = 0;
    struct nf_err err;
    if (nf_ec2_events_parse((const char *)data, size, ev, 3, &n, &err) == NF_OK) {
        for (size_t i = 0; i < n; i++) /* every field a terminated string */
            if (strlen(ev[i].id) >= sizeof ev[i].id || strlen(ev[i].instance) >= 24 ||
                strlen(ev[i].detail) >= sizeof ev[i].detail)
                __builtin_trap();
    } else if (n != 0) {
        __builtin_trap(); /* a refusal leaves nothing behind */
    }
    return 0;
}
