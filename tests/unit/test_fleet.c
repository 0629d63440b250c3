/* test_fleet.c - the core's pool model: label selectors, the scheduler's predicates (node
 * selectors, required node affinity with every operator, taints with and without tolerations,
 * anti-affinity, the pod limit) and the scale-down safety rules, each a table of cases. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/fleet.h"

#define GI (1024LL * 1024 * 1024)

static const struct nf_label zone_a[] = {{"zone", "a"}, {"disk", "ssd"}};
static const struct nf_label zone_b[] = {{"zone", "b"}};

static struct nf_fnode node(const char *name, const struct nf_label *ls, int nl)
{
    return (struct nf_fnode){.name = name,
                             .ready = true,
                             .alloc_cpu_m = 2000,
                             .alloc_mem = 4 * GI,
                             .alloc_pods = 110,
                             .labels = ls,
                             .nlabels = nl};
}

static struct nf_fpod pod(const char *name, long on, int64_t cpu_m)
{
    return (struct nf_fpod){.ns = "shop",
                            .name = name,
                            .node = on,
                            .req_cpu_m = cpu_m,
                            .req_mem = GI / 4,
                            .safe_to_evict = -1,
                            .owner = NF_FOWN_REPLICAS,
                            .owner_kind = "Deployment",
                            .owner_name = "web",
                            .replicas = 3,
                            .pdb = -1,
                            .pdb2 = -1};
}

/* a fleet over the arrays, prepared with a fresh workspace (freed by done()) */
static void *ws;
static struct nf_fleet fleet(struct nf_fnode *nodes, size_t nn, struct nf_fpod *pods, size_t np,
                             struct nf_fpdb *pdbs, size_t nb)
{
    struct nf_fleet f = {
        .nodes = nodes, .nnodes = nn, .pods = pods, .npods = np, .pdbs = pdbs, .npdbs = nb};
    free(ws);
    ws = malloc(nf_fleet_ws_bytes(nn, np));
    assert_non_null(ws);
    nf_fleet_prepare(&f, ws);
    return f;
}

static int teardown(void **state)
{
    (void)state;
    free(ws);
    ws = NULL;
    return 0;
}

static void selectors_evaluate_every_operator(void **state)
{
    (void)state;
    static const char *const ab[] = {"a", "b"};
    static const struct {
        struct nf_selreq req;
        bool on_a, on_b; /* holds on zone_a's labels, on zone_b's */
    } cases[] = {
        {{"zone", NF_SEL_IN, ab, 2}, true, true},
        {{"zone", NF_SEL_IN, ab, 1}, true, false},
        {{"zone", NF_SEL_NOT_IN, ab, 1}, false, true},
        {{"disk", NF_SEL_NOT_IN, ab, 1}, true, true}, /* absent is not in */
        {{"disk", NF_SEL_EXISTS, NULL, 0}, true, false},
        {{"disk", NF_SEL_DOES_NOT_EXIST, NULL, 0}, false, true},
        {{"gpu", NF_SEL_IN, ab, 2}, false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nf_selector s = {.exprs = &cases[i].req, .nexprs = 1};
        if (nf_selector_matches(&s, zone_a, 2) != cases[i].on_a ||
            nf_selector_matches(&s, zone_b, 1) != cases[i].on_b)
            fail_msg("case %zu (%s op %d)", i, cases[i].req.key, cases[i].req.op);
    }
    struct nf_selector all = {0}; /* empty: everything */
    assert_true(nf_selector_matches(&all, zone_b, 1));
    struct nf_selector ml = {.match = zone_a, .nmatch = 2};
    assert_true(nf_selector_matches(&ml, zone_a, 2));
    assert_false(nf_selector_matches(&ml, zone_b, 1));
}

static void taints_bar_pods_that_do_not_tolerate_them(void **state)
{
    (void)state;
    static const struct nf_taint gpu = {"dedicated", "gpu", NF_TAINT_NO_SCHEDULE};
    static const struct nf_taint soft = {"dedicated", "gpu", NF_TAINT_PREFER_NO_SCHEDULE};
    static const struct nf_taint evict = {"dedicated", "gpu", NF_TAINT_NO_EXECUTE};
    static const struct {
        const struct nf_taint *taint;
        struct nf_toleration tol;
        int ntol;
        bool fits;
    } cases[] = {
        {&gpu, {0}, 0, false},
        {&gpu, {"dedicated", "gpu", false, -1}, 1, true},                   /* Equal, any effect */
        {&gpu, {"dedicated", "cpu", false, -1}, 1, false},                  /* Equal, wrong value */
        {&gpu, {"dedicated", NULL, true, -1}, 1, true},                     /* Exists */
        {&gpu, {"", NULL, true, -1}, 1, true},                              /* Exists, every key */
        {&gpu, {"other", NULL, true, -1}, 1, false},                        /* another key */
        {&gpu, {"dedicated", "gpu", false, NF_TAINT_NO_EXECUTE}, 1, false}, /* another effect */
        {&gpu, {"dedicated", "gpu", false, NF_TAINT_NO_SCHEDULE}, 1, true},
        {&soft, {0}, 0, true}, /* PreferNoSchedule never bars */
        {&evict, {0}, 0, false},
        {&evict, {"dedicated", NULL, true, NF_TAINT_NO_EXECUTE}, 1, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nf_fnode n[1] = {node("a", zone_a, 2)};
        n[0].taints = cases[i].taint;
        n[0].ntaints = 1;
        struct nf_fpod p[1] = {pod("p", -1, 100)};
        p[0].tolerations = &cases[i].tol;
        p[0].ntolerations = cases[i].ntol;
        struct nf_fleet f = fleet(n, 1, p, 1, NULL, 0);
        const char *why = NULL;
        if (nf_pod_fits(&f, &p[0], 0, &why) != cases[i].fits)
            fail_msg("case %zu: fits should be %d (%s)", i, cases[i].fits, why ? why : "");
        if (!cases[i].fits)
            assert_string_equal(why, "it does not tolerate a taint");
        /* the template answers alike */
        assert_int_equal(nf_pod_fits_template(&p[0], &n[0], NULL), cases[i].fits);
    }
}

static void node_selectors_affinity_capacity_and_anti_affinity(void **state)
{
    (void)state;
    static const char *const ab[] = {"a", "b"};
    static const struct nf_label want_a[] = {{"zone", "a"}};
    static const struct nf_selreq in_b = {"zone", NF_SEL_IN, ab + 1, 1};
    static const struct nf_selreq no_disk = {"disk", NF_SEL_DOES_NOT_EXIST, NULL, 0};
    static const struct nf_selector term_b = {.exprs = &in_b, .nexprs = 1};
    static const struct nf_selector terms_b_or_nodisk[] = {{.exprs = &in_b, .nexprs = 1},
                                                           {.exprs = &no_disk, .nexprs = 1}};
    static const struct nf_label app_db[] = {{"app", "db"}};
    static const struct nf_selector shun_db = {.match = app_db, .nmatch = 1};
    enum { SEL, AFF_B, AFF_OR, BIG, MEM, ANTI, ANTI_BACK, NOTREADY, CORDONED, FULL, PLAIN };
    static const struct {
        int what;
        bool fits_a, fits_b;
        const char *why_a;
    } cases[] = {
        {SEL, true, false, NULL},
        {AFF_B, false, true, "its required node affinity does not match"},
        {AFF_OR, false, true, "its required node affinity does not match"},
        {BIG, false, false, "not enough CPU"},
        {MEM, false, false, "not enough memory"},
        {ANTI, false, true, "a pod there conflicts by anti-affinity"},
        {ANTI_BACK, false, true, "a pod there conflicts by anti-affinity"},
        {NOTREADY, false, true, "the node is not Ready and schedulable"},
        {CORDONED, false, true, "the node is not Ready and schedulable"},
        {FULL, false, true, "no pod slot"},
        {PLAIN, true, true, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nf_fnode n[2] = {node("a", zone_a, 2), node("b", zone_b, 1)};
        struct nf_fpod p[2] = {pod("new", -1, 500), pod("there", 0, 500)};
        switch (cases[i].what) {
        case SEL:
            p[0].node_selector = want_a;
            p[0].nnode_selector = 1;
            break;
        case AFF_B:
            p[0].affinity = &term_b;
            p[0].naffinity = 1;
            break;
        case AFF_OR: /* one term must hold: b's zone, or no disk label (b again) */
            p[0].affinity = terms_b_or_nodisk;
            p[0].naffinity = 2;
            break;
        case BIG:
            p[0].req_cpu_m = 2500;
            break;
        case MEM:
            p[0].req_mem = 5 * GI;
            break;
        case ANTI: /* the new pod shuns db pods, and one is on a */
            p[1].labels = app_db;
            p[1].nlabels = 1;
            p[0].anti = &shun_db;
            p[0].nanti = 1;
            break;
        case ANTI_BACK: /* the pod on a shuns db pods, and the new one is one */
            p[0].labels = app_db;
            p[0].nlabels = 1;
            p[1].anti = &shun_db;
            p[1].nanti = 1;
            break;
        case NOTREADY:
            n[0].ready = false;
            break;
        case CORDONED:
            n[0].unschedulable = true;
            break;
        case FULL:
            n[0].alloc_pods = 1;
            break;
        }
        struct nf_fleet f = fleet(n, 2, p, 2, NULL, 0);
        const char *why = NULL;
        bool a = nf_pod_fits(&f, &p[0], 0, &why);
        if (a != cases[i].fits_a)
            fail_msg("case %zu on a: fits %d (%s)", i, a, why ? why : "");
        if (!a && cases[i].why_a)
            assert_string_equal(why, cases[i].why_a);
        if (nf_pod_fits(&f, &p[0], 1, &why) != cases[i].fits_b)
            fail_msg("case %zu on b: should fit %d (%s)", i, cases[i].fits_b, why ? why : "");
    }
}

static void pending_pods_are_matched_to_the_template(void **state)
{
    (void)state;
    static const struct nf_label pool[] = {{"nodefleet.io/pool", "web"}};
    static const struct nf_label other[] = {{"nodefleet.io/pool", "gpu"}};
    struct nf_fnode t = node("template", pool, 1);
    struct nf_fpod p = pod("pending", -1, 500);
    assert_true(nf_pod_fits_template(&p, &t, NULL));
    p.node_selector = other;
    p.nnode_selector = 1;
    const char *why;
    assert_false(nf_pod_fits_template(&p, &t, &why));
    assert_string_equal(why, "its nodeSelector does not match");
    p.nnode_selector = 0;
    p.req_cpu_m = 4000;
    assert_false(nf_pod_fits_template(&p, &t, &why));
    assert_string_equal(why, "it requests more CPU than a new worker has");
}

/* Three nodes: a and b hold a web pod each (500m), c is empty; the case changes one thing. */
static void every_safety_rule_blocks_and_overrides_waive(void **state)
{
    (void)state;
    enum {
        OK,
        CP,
        ANNOTATED,
        DELETING,
        STE_FALSE,
        STE_TRUE_STS,
        KUBE_SYSTEM,
        NO_OWNER,
        STS,
        JOB,
        SINGLE,
        UNKNOWN,
        UNKNOWN_WHY,
        LOCAL,
        PDB_SHORT,
        PDB_ENOUGH,
        PDB_STALE,
        TWO_PDBS,
        NO_ROOM,
        LEFT_ALONE,
        DAEMONSET
    };
    static const struct {
        int what;
        enum nf_block want;
        const char *detail; /* a piece of the sentence */
    } cases[] = {
        {OK, NF_BLOCK_NONE, ""},
        {CP, NF_BLOCK_CONTROL_PLANE, "node a is a control-plane node"},
        {ANNOTATED, NF_BLOCK_NODE_ANNOTATED, "scale-down-disabled=true"},
        {DELETING, NF_BLOCK_NODE_DELETING, "already being deleted"},
        {STE_FALSE, NF_BLOCK_SAFE_TO_EVICT_FALSE, "safe-to-evict=false"},
        {STE_TRUE_STS, NF_BLOCK_NONE, ""},
        {KUBE_SYSTEM, NF_BLOCK_KUBE_SYSTEM, "kube-system pod"},
        {NO_OWNER, NF_BLOCK_NO_CONTROLLER, "nothing would recreate it"},
        {STS, NF_BLOCK_STATEFULSET, "belongs to StatefulSet db"},
        {JOB, NF_BLOCK_JOB, "running pod of Job report"},
        {SINGLE, NF_BLOCK_SINGLE_REPLICA, "the only replica of Deployment web"},
        {UNKNOWN, NF_BLOCK_UNKNOWN_CONTROLLER, "controller Rollout canary keeps a replica count"},
        {UNKNOWN_WHY, NF_BLOCK_UNKNOWN_CONTROLLER, "pod shop/w: its ReplicaSet x was not found"},
        {LOCAL, NF_BLOCK_LOCAL_STORAGE, "local storage (cache)"},
        {PDB_SHORT, NF_BLOCK_PDB, "allows 0 disruptions now; this node has 1"},
        {PDB_ENOUGH, NF_BLOCK_NONE, ""},
        {PDB_STALE, NF_BLOCK_PDB, "has not caught up"},
        {TWO_PDBS, NF_BLOCK_MULTIPLE_PDBS, "two PodDisruptionBudgets (web, web2)"},
        {NO_ROOM, NF_BLOCK_NO_ROOM, "pod shop/w (1900m CPU"},
        {LEFT_ALONE, NF_BLOCK_NONE, ""},
        {DAEMONSET, NF_BLOCK_NONE, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nf_fnode n[3] = {node("a", zone_a, 2), node("b", zone_b, 1), node("c", NULL, 0)};
        struct nf_fpod p[2] = {pod("w", 0, 500), pod("v", 1, 500)};
        struct nf_fpdb b[2] = {{"shop", "web", 1, true}, {"shop", "web2", 5, true}};
        switch (cases[i].what) {
        case CP:
            n[0].control_plane = true;
            break;
        case ANNOTATED:
            n[0].scale_down_disabled = true;
            break;
        case DELETING:
            n[0].deleting = true;
            break;
        case STE_FALSE:
            p[0].safe_to_evict = 0;
            break;
        case STE_TRUE_STS:
            p[0].safe_to_evict = 1;
            p[0].owner = NF_FOWN_STATEFULSET;
            break;
        case KUBE_SYSTEM:
            p[0].ns = "kube-system";
            break;
        case NO_OWNER:
            p[0].owner = NF_FOWN_NONE;
            break;
        case STS:
            p[0].owner = NF_FOWN_STATEFULSET;
            p[0].owner_name = "db";
            break;
        case JOB:
            p[0].owner = NF_FOWN_JOB;
            p[0].owner_name = "report";
            break;
        case SINGLE:
            p[0].replicas = 1;
            break;
        case UNKNOWN:
            p[0].owner = NF_FOWN_UNKNOWN;
            p[0].owner_kind = "Rollout";
            p[0].owner_name = "canary";
            break;
        case UNKNOWN_WHY:
            p[0].owner = NF_FOWN_UNKNOWN;
            p[0].unknown_why = "its ReplicaSet x was not found";
            break;
        case LOCAL:
            p[0].unsafe_volumes = "cache";
            break;
        case PDB_SHORT:
            b[0].disruptions_allowed = 0;
            p[0].pdb = 0;
            break;
        case PDB_ENOUGH:
            p[0].pdb = 0;
            break;
        case PDB_STALE:
            b[0].current = false;
            p[0].pdb = 0;
            break;
        case TWO_PDBS:
            p[0].pdb = 0;
            p[0].pdb2 = 1;
            break;
        case NO_ROOM: /* 1900m fits on no other node once b holds 500m and c is cordoned */
            p[0].req_cpu_m = 1900;
            n[2].unschedulable = true;
            break;
        case LEFT_ALONE:
            p[0].left_alone = true;
            p[0].owner = NF_FOWN_NONE;
            break;
        case DAEMONSET:
            p[0].left_alone = true;
            p[0].owner = NF_FOWN_DAEMONSET;
            break;
        }
        struct nf_fleet f = fleet(n, 3, p, 2, b, 2);
        struct nf_drain_verdict v;
        nf_fleet_drainable(&f, 0, NULL, &v);
        if (v.block != cases[i].want || strstr(v.detail, cases[i].detail) == NULL)
            fail_msg("case %zu: %s (%s), want %s (%s)", i, nf_block_id(v.block), v.detail,
                     nf_block_id(cases[i].want), cases[i].detail);
    }
}

/* Least used first, the preferred market first, each checked with those chosen before gone */
static void choosing_chains_the_checks(void **state)
{
    (void)state;
    struct nf_fnode n[3] = {node("a", NULL, 0), node("b", NULL, 0), node("c", NULL, 0)};
    struct nf_fpod p[3] = {pod("big", 0, 1800), pod("mid", 1, 500), pod("small", 2, 1500)};
    struct nf_fleet f = fleet(n, 3, p, 3, NULL, 0);
    size_t out[3];
    struct nf_drain_verdict v[3];
    /* b is least used (25 %): its pod fits on c; then c's 1500m fits nowhere (a 200m free, b
     * gone): b alone. a's 1800m fits nowhere at all. */
    assert_int_equal(nf_fleet_choose(&f, NULL, 3, -1, out, v), 1);
    assert_string_equal(n[out[0]].name, "b");
    assert_int_equal(v[0].block, NF_BLOCK_NO_ROOM);
    assert_int_equal(v[2].block, NF_BLOCK_NONE); /* alone, c could go (to b) */
    /* the choice leaves the fleet as it was: the same question, the same answer */
    assert_int_equal(nf_fleet_choose(&f, NULL, 3, -1, out, NULL), 1);
    /* spot preferred: c is spot, so it goes first, and then b's pod fits on nothing */
    n[2].market = NF_MARKET_SPOT;
    f = fleet(n, 3, p, 3, NULL, 0);
    assert_int_equal(nf_fleet_choose(&f, NULL, 3, NF_MARKET_SPOT, out, NULL), 1);
    assert_string_equal(n[out[0]].name, "c");
    /* only among the allowed */
    bool allowed[3] = {false, false, true};
    f = fleet(n, 3, p, 3, NULL, 0);
    assert_int_equal(nf_fleet_choose(&f, allowed, 3, -1, out, NULL), 1);
    assert_string_equal(n[out[0]].name, "c");
    /* among equally used, the zone with the most workers goes first: a is alone in zone-1, b
     * and c share zone-2 (by name alone a would go) */
    struct nf_fnode z[4] = {node("a", NULL, 0), node("b", NULL, 0), node("c", NULL, 0),
                            node("d", NULL, 0)};
    z[0].zone = "zone-1", z[1].zone = "zone-2", z[2].zone = "zone-2", z[3].zone = "zone-1";
    struct nf_fpod zp[1] = {pod("w", 3, 500)}; /* d holds a pod: a is zone-1's only empty one */
    f = fleet(z, 4, zp, 1, NULL, 0);
    assert_int_equal(nf_fleet_choose(&f, NULL, 1, -1, out, NULL), 1);
    assert_string_equal(z[out[0]].name, "a"); /* zones 2 and 2: by name */
    z[3].zone = "zone-2"; /* zone-2 has 3, zone-1 1: b, the first of zone-2's empty ones */
    f = fleet(z, 4, zp, 1, NULL, 0);
    assert_int_equal(nf_fleet_choose(&f, NULL, 1, -1, out, NULL), 1);
    assert_string_equal(z[out[0]].name, "b");
    /* anti-affinity moves too: two db pods that shun each other cannot share the last node */
    static const struct nf_label app_db[] = {{"app", "db"}};
    static const struct nf_selector shun_db = {.match = app_db, .nmatch = 1};
    struct nf_fpod q[2] = {pod("db-0", 0, 100), pod("db-1", 1, 100)};
    for (int i = 0; i < 2; i++) {
        q[i].labels = app_db;
        q[i].nlabels = 1;
        q[i].anti = &shun_db;
        q[i].nanti = 1;
    }
    struct nf_fnode m[2] = {node("a", NULL, 0), node("b", NULL, 0)};
    f = fleet(m, 2, q, 2, NULL, 0);
    nf_fleet_drainable(&f, 0, NULL, &v[0]);
    assert_int_equal(v[0].block, NF_BLOCK_NO_ROOM);
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, teardown)
    const struct CMUnitTest tests[] = {
        T(selectors_evaluate_every_operator),
        T(taints_bar_pods_that_do_not_tolerate_them),
        T(node_selectors_affinity_capacity_and_anti_affinity),
        T(pending_pods_are_matched_to_the_template),
        T(every_safety_rule_blocks_and_overrides_waive),
        T(choosing_chains_the_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
