/* fuzz_check.c - libFuzzer target: the value checks (check.h), the key=value list splitter and
 * the pod shapes parser, the message escaping (err.h), the path shortening (files.h) and the
 * YAML depth limit: each on arbitrary bytes; the escaping checked to give one clean line, the
 * splitter to stay inside its text, accepted shapes to be in range and add up to 100. */
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
    (void)nf_check_instance_types(s, &why);
    (void)nf_node_types_parse(s, NULL, NULL, &why);
    (void)nf_check_prices(s, true, &why);
    (void)nf_check_prices(s, false, &why);
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
    /* the splitter: every item inside the text, and it ends */
    const char *p = s;
    struct nf_kv kv = {0};
    int r;
    size_t items = 0;
    while ((r = nf_kv_next(&p, &kv)) > 0) {
        if (kv.key < s || kv.value + kv.value_len > s + size || ++items > size + 1)
            abort();
    }
    /* the shapes: what is accepted is in range */
    struct nf_pod_shape sh[NF_POD_SHAPES_MAX];
    int n = 0;
    if (nf_pod_shapes_parse(s, sh, &n, &why) == NF_OK) {
        double total = 0;
        if (n < 1 || n > NF_POD_SHAPES_MAX)
            abort();
        for (int k = 0; k < n; k++) {
            if (!(sh[k].cpu >= 0.001 && sh[k].cpu <= 1024 && sh[k].memory_mib >= 1 &&
                  sh[k].share_pct > 0))
                abort();
            total += sh[k].share_pct;
        }
        if (total < 99.999 || total > 100.001)
            abort();
    }
    unsigned long line;
    char w[128];
    (void)nf_yaml_check_depth(s, size, NF_YAML_DEPTH_MAX, &line, w, sizeof w);
    free(s);
    return 0;
}
