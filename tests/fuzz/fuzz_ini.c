/* fuzz_ini.c - libFuzzer target: the AWS shared credentials/config file reader, looking up
 * the keys the credential chain asks for in a plain and a "profile" section. */
#include <stddef.h>
#include <stdint.h>

#include "aws/ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const sections[] = {"default", "profile ops"};
    static const char *const keys[] = {"aws_access_key_id", "aws_secret_access_key",
                                       "aws_session_token", "region"};
    char out[256];
    struct nf_err err;
    for (size_t s = 0; s < 2; s++)
        for (size_t k = 0; k < 4; k++)
            if (nf_ini_get((const char *)data, size, "fuzz", sections[s], keys[k], out, sizeof out,
                           &err) == NF_E_INPUT)
                return 0;
    return 0;
}
