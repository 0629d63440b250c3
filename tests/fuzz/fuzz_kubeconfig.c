/* fuzz_kubeconfig.c - libFuzzer target: the kubeconfig reader (file references resolved
 * against a directory that does not exist, so nothing outside is read). */
#include <stddef.h>
#include <stdint.h>

#include "kube/kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nf_kube_auth a;
    struct nf_err err;
    if (nf_kubeconfig_parse((const char *)data, size, "/nonexistent-nf-fuzz/config", NULL, &a,
                            &err) == NF_OK)
        nf_kube_auth_free(&a);
    return 0;
}
