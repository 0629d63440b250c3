/* fuzz_check.c - libFuzzer target: the value checks (check.h), the message escaping (err.h),
 * the path shortening (files.h) and the YAML depth limit: each on arbitrary bytes, and the
 * escaping checked to give one clean line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/check.h"
#include "util/err.h"
#include "util/files.h"
#include "util/yaml_depth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    const char *why;
    (void)nf_check_text(s, true, &why);
    (void)nf_check_url(s, &why);
    (void)nf_check_region(s, &why);
    (void)nf_check_dynamodb_table(s, &why);
    (void)nf_check_sns_arn(s, &why);
    (void)nf_check_template_version(s, &why);
    (void)nf_check_subnets(s, &why);
    (void)nf_check_cluster_id(s, &why);
    (void)nf_check_tag_filter(s, &why);
    char out[NF_ERR_MSG_MAX];
    nf_text_escape(s, out, sizeof out);
    if (!nf_text_is_clean(out) || nf_check_text(out, false, &why) != NF_OK)
        abort(); /* an escaped message must be one clean line */
    char shown[NF_PATH_SHOWN_MAX + 1];
    if (strlen(nf_path_shown(s, shown)) > NF_PATH_SHOWN_MAX)
        abort();
    struct nf_err e;
    nf_err_set(&e, NF_E_INPUT, "%s", s);
    if (!nf_text_is_clean(e.msg))
        abort();
    unsigned long line;
    char w[128];
    (void)nf_yaml_check_depth(s, size, NF_YAML_DEPTH_MAX, &line, w, sizeof w);
    free(s);
    return 0;
}
