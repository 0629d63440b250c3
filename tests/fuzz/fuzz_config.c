/* fuzz_config.c - libFuzzer target: the YAML config file loader and the printers. */
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nf_config cfg;
    struct nf_buf problems, out;
    nf_buf_init(&problems, 1 << 16);
    nf_buf_init(&out, 1 << 20);
    struct nf_config_sources src = {
        .file = "fuzz.yaml", .file_text = (const char *)data, .file_len = size};
    struct nf_err err;
    if (nf_config_load(&cfg, &src, &problems, &err) == NF_OK)
        nf_config_write_effective(&cfg, &out);
    nf_buf_free(&problems);
    nf_buf_free(&out);
    return 0;
}
