/* fuzz_decide.c - libFuzzer target: the decide input parser, then the seed policy and the
 * decision writer on whatever it accepts. */
#include <stddef.h>
#include <stdint.h>

#include "cli/decide_input.h"
#include "core/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nf_decide_input in;
    struct nf_err err;
    if (nf_decide_parse((const char *)data, size, NULL, &in, &err) != NF_OK)
        return 0;
    static struct nf_config cfg;
    static struct nf_policy seed, fixed;
    static int ready;
    if (!ready) {
        nf_config_defaults(&cfg);
        nf_config_policy(&seed, "seed", &cfg, NULL);
        nf_config_policy(&fixed, "static:5", &cfg, NULL);
        ready = 1;
    }
    struct nf_plan plan;
    struct nf_buf out;
    nf_buf_init(&out, 1 << 20);
    nf_policy_decide(&seed, &in.obs, &plan);
    nf_decide_write_plan(&plan, &out);
    nf_policy_decide(&fixed, &in.obs, &plan);
    nf_decide_write_plan(&plan, &out);
    nf_buf_free(&out);
    nf_decide_input_free(&in);
    return 0;
}
