/* test_kube.c - the Kubernetes pieces that need no server: quantities, kubeconfig, the
 * object readers (on real objects from tests/vectors/kubernetes) and the safety rules. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "kube/drainable.h"
#include "kube/kcluster.h"
#include "kube/kubeconfig.h"
#include "kube/quantity.h"
#include "util/base64.h"
#include "util/buf.h"

static int64_t q(const char *s, int scale)
{
    int64_t v = -1;
    const char *why = NULL;
    if (nf_quantity_parse(s, strlen(s), scale, &v, &why) != NF_OK)
        fail_msg("%s: %s", s, why);
    return v;
}

static void quantities_are_exact_and_round_up(void **state)
{
    (void)state;
    assert_int_equal(q("500m", NF_QUANTITY_MILLI), 500);
    assert_int_equal(q("1.5", NF_QUANTITY_MILLI), 1500);
    assert_int_equal(q("2", NF_QUANTITY_MILLI), 2000);
    assert_int_equal(q(".5", NF_QUANTITY_MILLI), 500);
    assert_int_equal(q("1.", NF_QUANTITY_MILLI), 1000);
    assert_int_equal(q("+3", NF_QUANTITY_MILLI), 3000);
    assert_int_equal(q("0.1m", NF_QUANTITY_MILLI), 1); /* rounded up, as MilliValue() */
    assert_int_equal(q("100u", NF_QUANTITY_MILLI), 1);
    assert_int_equal(q("250000n", NF_QUANTITY_MILLI), 1);
    assert_int_equal(q("1e3", NF_QUANTITY_MILLI), 1000000);
    assert_int_equal(q("1E-3", NF_QUANTITY_MILLI), 1);
    assert_int_equal(q("2Gi", NF_QUANTITY_UNIT), 2147483648LL);
    assert_int_equal(q("512M", NF_QUANTITY_UNIT), 512000000);
    assert_int_equal(q("7901344Ki", NF_QUANTITY_UNIT), 7901344LL * 1024);
    assert_int_equal(q("1.5Gi", NF_QUANTITY_UNIT), 1610612736LL);
    assert_int_equal(q("0.5Ki", NF_QUANTITY_UNIT), 512);
    assert_int_equal(q("1k", NF_QUANTITY_UNIT), 1000);
    assert_int_equal(q("3E", NF_QUANTITY_UNIT), 3000000000000000000LL);
    assert_int_equal(q("0", NF_QUANTITY_UNIT), 0);
    assert_int_equal(q("0.000", NF_QUANTITY_MILLI), 0);
    static const struct {
        const char *s, *why;
    } bad[] = {{"", "empty quantity"},
               {"-1", "negative quantity"},
               {"12x", "unknown suffix"},
               {"1Ki2", "unknown suffix"},
               {"1.2.3", "two decimal points"},
               {"m", "no digits"},
               {"1e", "exponent without digits"},
               {"1e9999", "exponent out of range"},
               {"16Ei", "quantity too large"},
               {"1234567890123456789", "more than 18 significant digits"},
               {" 1", "no digits"},
               {"1 ", "unknown suffix"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v;
        const char *why = NULL;
        assert_int_equal(nf_quantity_parse(bad[i].s, strlen(bad[i].s), 3, &v, &why), NF_E_INPUT);
        assert_string_equal(why, bad[i].why);
    }
}

static char *b64(const char *s)
{
    struct nf_buf b;
    nf_buf_init(&b, 1 << 20);
    nf_base64_encode(&b, s, strlen(s));
    return b.data;
}

static void kubeconfig_resolves_the_context(void **state)
{
    (void)state;
    char *ca = b64("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    char text[4096];
    snprintf(text, sizeof text,
             "apiVersion: v1\nkind: Config\ncurrent-context: default\n"
             "clusters:\n- name: default\n  cluster:\n    server: https://127.0.0.1:6443/\n"
             "    certificate-authority-data: %s\n"
             "- name: other\n  cluster:\n    server: http://10.0.0.1:8080\n"
             "    insecure-skip-tls-verify: true\n"
             "contexts:\n- name: default\n  context: {cluster: default, user: default}\n"
             "- name: ops\n  context: {cluster: other, user: ops}\n"
             "users:\n- name: default\n  user:\n    token: s3cret\n"
             "- name: ops\n  user: {}\n",
             ca);
    free(ca);
    struct nf_kube_auth a;
    struct nf_err e;
    assert_int_equal(nf_kubeconfig_parse(text, strlen(text), "/etc/k3s.yaml", NULL, &a, &e), NF_OK);
    assert_string_equal(a.server, "https://127.0.0.1:6443");
    assert_string_equal(a.token, "s3cret");
    assert_non_null(strstr(a.ca_pem, "BEGIN CERTIFICATE"));
    assert_false(a.insecure);
    assert_string_equal(a.source, "kubeconfig /etc/k3s.yaml, context default");
    nf_kube_auth_free(&a);
    assert_null(a.token);
    assert_int_equal(nf_kubeconfig_parse(text, strlen(text), "k.yaml", "ops", &a, &e), NF_OK);
    assert_string_equal(a.server, "http://10.0.0.1:8080");
    assert_true(a.insecure);
    assert_null(a.token);
    nf_kube_auth_free(&a);
    assert_int_equal(nf_kubeconfig_parse(text, strlen(text), "k.yaml", "nope", &a, &e),
                     NF_E_CONFIG);
    assert_string_equal(e.msg, "k.yaml:14: no context named \"nope\"");
    assert_null(strstr(e.msg, "s3cret"));
    static const char half[] =
        "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n"
        "clusters:\n- name: k\n  cluster: {server: 'https://h'}\n"
        "users:\n- name: u\n  user: {client-certificate-data: QUJD}\n";
    assert_int_equal(nf_kubeconfig_parse(half, strlen(half), "k.yaml", NULL, &a, &e), NF_E_CONFIG);
    assert_non_null(strstr(e.msg, "needs its key"));
    static const char tokfile[] =
        "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n"
        "clusters:\n- name: k\n  cluster: {server: 'https://h'}\n"
        "users:\n- name: u\n  user: {tokenFile: no-such-token}\n";
    assert_int_equal(nf_kubeconfig_parse(tokfile, strlen(tokfile), "/tmp/x/k.yaml", NULL, &a, &e),
                     NF_E_CONFIG);
    if (strstr(e.msg, "/tmp/x/no-such-token") == NULL) /* relative to the kubeconfig */
        fail_msg("%s", e.msg);
}

static json_t *vector(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/kubernetes/examples/%s", getenv("NF_VECTORS"), name);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (j == NULL)
        fail_msg("%s: %s", path, je.text);
    return j;
}

static void readers_take_real_objects(void **state)
{
    (void)state;
    struct nf_kcluster c;
    nf_kcluster_init(&c, "node.kubernetes.io/lifecycle", "spot");
    struct nf_err e;
    json_t *j = vector("node.k9s-minikube.json");
    assert_int_equal(nf_kread_node(&c, j, &e), NF_OK);
    json_decref(j);
    assert_string_equal(c.nodes[0].name, "minikube");
    assert_true(c.nodes[0].ready);
    assert_true(c.nodes[0].control_plane); /* node-role.kubernetes.io/master */
    assert_int_equal(c.nodes[0].alloc_cpu_m, 4000);
    assert_int_equal(c.nodes[0].alloc_mem, 8063156LL * 1024);
    j = vector("pod-replicaset-owned.k9s-gke.json");
    assert_int_equal(nf_kread_pod(&c, j, &e), NF_OK);
    json_decref(j);
    const struct nf_kpod *p = &c.pods[0];
    assert_string_equal(p->ns, "default");
    assert_string_equal(p->node, "gke-k9s-default-pool-0fa2fb89-lbtf");
    assert_int_equal(p->owner, NF_OWN_REPLICASET);
    assert_string_equal(p->owner_name, "nginx-7fb78fb6d8");
    assert_int_equal(p->req_cpu_m, 200);
    assert_int_equal(p->req_mem, 20 << 20);
    assert_null(p->local_volumes); /* a secret volume is not local storage */
    j = vector("pod-bare-no-controller.k9s-minikube.json");
    assert_int_equal(nf_kread_pod(&c, j, &e), NF_OK);
    json_decref(j);
    assert_int_equal(c.pods[1].owner, NF_OWN_NONE);
    assert_int_equal(c.pods[1].req_mem, 70 << 20);
    j = vector("pdb-policy-v1.k9s.json");
    assert_int_equal(nf_kread_pdb(&c, j, &e), NF_OK);
    json_decref(j);
    assert_int_equal(c.pdbs[0].sel.nmatch, 1);
    assert_int_equal(c.pdbs[0].disruptions_allowed, 0);
    /* a whole list: the assembled NodeList's item */
    j = vector("nodelist.assembled-from-k9s.json");
    assert_int_equal(nf_kread_node(&c, json_array_get(json_object_get(j, "items"), 0), &e), NF_OK);
    json_decref(j);
    assert_int_equal(c.nnodes, 2);
    /* damaged objects name the object and the field */
    static const struct {
        const char *json, *msg;
    } bad[] = {
        {"{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"},\"spec\":{\"containers\":[{"
         "\"resources\":{\"requests\":{\"cpu\":\"1x\"}}}]}}",
         "pod n/a: spec.containers[0].resources.requests.cpu: \"1x\": unknown suffix"},
        {"{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"labels\":[1]}}",
         "pod n/a: metadata.labels: expected an object"},
        {"{\"metadata\":{}}", "pod (unnamed): metadata.name: missing"},
        {"[]", "pod (item): item: expected an object"},
        {"{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"},\"spec\":{\"containers\":{}}}",
         "pod n/a: spec.containers: expected a list"},
    };
    size_t before = c.npods;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = json_loads(bad[i].json, JSON_DECODE_ANY, NULL);
        assert_int_equal(nf_kread_pod(&c, j, &e), NF_E_INPUT);
        assert_string_equal(e.msg, bad[i].msg);
        json_decref(j);
    }
    assert_int_equal(c.npods, before); /* nothing half-read is kept */
    nf_kcluster_free(&c);
}

static void requests_follow_the_scheduler(void **state)
{
    (void)state;
    struct nf_kcluster c;
    nf_kcluster_init(&c, NULL, NULL);
    struct nf_err e;
    /* app 300m+200m, a sidecar 100m, an init container 1 CPU, overhead 50m:
     * max(300+200+100, 1000+0) + 50 = 1050 (the init runs before the sidecar starts) */
    json_t *j = json_loads(
        "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},\"spec\":{"
        "\"initContainers\":[{\"name\":\"init\",\"resources\":{\"requests\":{\"cpu\":\"1\"}}},"
        "{\"name\":\"side\",\"restartPolicy\":\"Always\",\"resources\":{\"requests\":{"
        "\"cpu\":\"100m\",\"memory\":\"64Mi\"}}}],"
        "\"containers\":[{\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":\"300m\","
        "\"memory\":\"1Gi\"}}},{\"name\":\"b\",\"resources\":{\"requests\":{\"cpu\":\"200m\"}}}],"
        "\"overhead\":{\"cpu\":\"50m\"}},\"status\":{\"phase\":\"Pending\",\"conditions\":[{"
        "\"type\":\"PodScheduled\",\"status\":\"False\",\"reason\":\"Unschedulable\"}]}}",
        0, NULL);
    assert_int_equal(nf_kread_pod(&c, j, &e), NF_OK);
    json_decref(j);
    assert_int_equal(c.pods[0].req_cpu_m, 1050);
    assert_int_equal(c.pods[0].req_mem, (1LL << 30) + (64 << 20));
    assert_true(c.pods[0].unschedulable);
    struct nf_pending pd;
    nf_kube_pending(&c, &pd);
    assert_int_equal(pd.pods, 1);
    assert_int_equal(pd.cpu_m, 1050);
    nf_kcluster_free(&c);
}

/* ---- the rules, on a small cluster built in code ------------------------------------- */

static void add(struct nf_kcluster *c,
                int (*rd)(struct nf_kcluster *, const json_t *, struct nf_err *), const char *fmt,
                ...) __attribute__((format(printf, 3, 4)));

static void add(struct nf_kcluster *c,
                int (*rd)(struct nf_kcluster *, const json_t *, struct nf_err *), const char *fmt,
                ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (j == NULL)
        fail_msg("%s: %s", text, je.text);
    struct nf_err e;
    if (rd(c, j, &e) != NF_OK)
        fail_msg("%s", e.msg);
    json_decref(j);
}

#define NODE(name, cpu, extra)                                                                     \
    "{\"metadata\":{\"name\":\"" name "\"" extra "},\"status\":{\"allocatable\":{\"cpu\":\"" cpu   \
    "\",\"memory\":\"8Gi\"},\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}"
#define POD(name, node, owner_kind, owner, meta, cpu)                                              \
    "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"shop\",\"labels\":{\"app\":\"web\"},"    \
    "\"ownerReferences\":[{\"kind\":\"" owner_kind "\",\"name\":\"" owner                          \
    "\",\"controller\":true}]" meta "},\"spec\":{\"nodeName\":\"" node "\",\"containers\":[{"      \
    "\"resources\":{\"requests\":{\"cpu\":\"" cpu "\"}}}]},\"status\":{\"phase\":\"Running\"}}"

static void build(struct nf_kcluster *c)
{
    nf_kcluster_init(c, NULL, NULL);
    add(c, nf_kread_node, NODE("a", "2", ""));
    add(c, nf_kread_node, NODE("b", "2", ""));
    add(c, nf_kread_node, NODE("c", "1", ""));
    add(c, nf_kread_deployment,
        "{\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\"},\"spec\":{\"replicas\":3}}");
    add(c, nf_kread_replicaset,
        "{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"shop\",\"ownerReferences\":[{"
        "\"kind\":\"Deployment\",\"name\":\"web\",\"controller\":true}]},\"spec\":{"
        "\"replicas\":3}}");
    add(c, nf_kread_pod, POD("w1", "a", "ReplicaSet", "web-1", "", "500m"));
    add(c, nf_kread_pod, POD("w2", "b", "ReplicaSet", "web-1", "", "500m"));
    add(c, nf_kread_pod, POD("w3", "c", "ReplicaSet", "web-1", "", "500m"));
}

static enum nf_block verdict_of(struct nf_kcluster *c, size_t node, char *why, size_t n)
{
    struct nf_kindex *ix;
    struct nf_err e;
    assert_int_equal(nf_kindex_build(c, &ix, &e), NF_OK);
    struct nf_drain_verdict v;
    nf_drainable(c, ix, node, NULL, &v);
    nf_kindex_free(ix);
    snprintf(why, n, "%s", v.detail);
    return v.block;
}

static void rules_block_and_overrides_waive(void **state)
{
    (void)state;
    char why[400];
    struct nf_kcluster c;
    build(&c);
    assert_int_equal(verdict_of(&c, 0, why, sizeof why), NF_BLOCK_NONE);
    /* the same node with each kind of unsafe pod */
    static const struct {
        const char *pod;
        enum nf_block want;
    } cases[] = {
        {POD("s", "a", "StatefulSet", "db", "", "10m"), NF_BLOCK_STATEFULSET},
        {POD("j", "a", "Job", "report", "", "10m"), NF_BLOCK_JOB},
        {POD("r", "a", "ReplicaSet", "gone", "", "10m"), NF_BLOCK_UNKNOWN_CONTROLLER},
        {POD("x", "a", "Rollout", "canary", "", "10m"), NF_BLOCK_UNKNOWN_CONTROLLER},
        {POD("f", "a", "ReplicaSet", "web-1",
             ",\"annotations\":{\"cluster-autoscaler.kubernetes.io/safe-to-evict\":\"false\"}",
             "10m"),
         NF_BLOCK_SAFE_TO_EVICT_FALSE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nf_kcluster_free(&c);
        build(&c);
        add(&c, nf_kread_pod, "%s", cases[i].pod);
        assert_int_equal(verdict_of(&c, 0, why, sizeof why), cases[i].want);
    }
    /* safe-to-evict=true waives the controller rules */
    nf_kcluster_free(&c);
    build(&c);
    add(&c, nf_kread_pod, "%s",
        POD("s", "a", "StatefulSet", "db",
            ",\"annotations\":{\"cluster-autoscaler.kubernetes.io/safe-to-evict\":\"true\"}",
            "10m"));
    assert_int_equal(verdict_of(&c, 0, why, sizeof why), NF_BLOCK_NONE);
    /* a budget covering two of the node's pods but allowing one blocks */
    add(&c, nf_kread_pod, "%s", POD("w4", "a", "ReplicaSet", "web-1", "", "10m"));
    add(&c, nf_kread_pdb,
        "{\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\",\"generation\":1},\"spec\":{"
        "\"selector\":{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\",\"values\":"
        "[\"web\",\"api\"]}]}},\"status\":{\"disruptionsAllowed\":1,\"observedGeneration\":1}}");
    assert_int_equal(verdict_of(&c, 0, why, sizeof why), NF_BLOCK_PDB);
    if (strstr(why, "allows 1 disruption now; this node has 3") == NULL)
        fail_msg("%s", why);
    /* node b: one pod, one allowed: fine; a second budget on the same pods: refused */
    assert_int_equal(verdict_of(&c, 1, why, sizeof why), NF_BLOCK_NONE);
    add(&c, nf_kread_pdb,
        "{\"metadata\":{\"name\":\"web2\",\"namespace\":\"shop\"},\"spec\":{\"selector\":{"
        "\"matchLabels\":{\"app\":\"web\"}}},\"status\":{\"disruptionsAllowed\":5}}");
    assert_int_equal(verdict_of(&c, 1, why, sizeof why), NF_BLOCK_MULTIPLE_PDBS);
    nf_kcluster_free(&c);
}

static void the_fit_check_counts_requests(void **state)
{
    (void)state;
    char why[400];
    struct nf_kcluster c;
    build(&c);
    /* a 1800m pod on a: b has 1500m free, c 500m - it fits nowhere */
    add(&c, nf_kread_pod, "%s", POD("big", "a", "ReplicaSet", "web-1", "", "1800m"));
    assert_int_equal(verdict_of(&c, 0, why, sizeof why), NF_BLOCK_NO_ROOM);
    assert_non_null(strstr(why, "shop/big (1800m CPU"));
    /* node c (500m) can go: its pod fits on b */
    assert_int_equal(verdict_of(&c, 2, why, sizeof why), NF_BLOCK_NONE);
    struct nf_kindex *ix;
    struct nf_err e;
    assert_int_equal(nf_kindex_build(&c, &ix, &e), NF_OK);
    size_t out[3];
    /* b is least used (25%) but then c's pod must fit on a (200m free): no; so b alone */
    assert_int_equal(nf_drain_choose(&c, ix, 3, -1, out, NULL), 1);
    assert_string_equal(c.nodes[out[0]].name, "b");
    nf_kindex_free(ix);
    struct nf_workers w;
    nf_kube_workers(&c, &w);
    assert_int_equal(w.ready, 3);
    nf_kcluster_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quantities_are_exact_and_round_up),
        cmocka_unit_test(kubeconfig_resolves_the_context),
        cmocka_unit_test(readers_take_real_objects),
        cmocka_unit_test(requests_follow_the_scheduler),
        cmocka_unit_test(rules_block_and_overrides_waive),
        cmocka_unit_test(the_fit_check_counts_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
