/* test_itypes.c - choosing instance types: the cheapest combination that hosts the pods. */
#include "test_util.h"

#include <stdlib.h>

#include "core/itypes.h"

#define GI (1024LL * 1024 * 1024)

static struct nf_itypes_ws ws;

static struct nf_itype ty(const char *name, int64_t cpu_m, double mem_gi, double od, double spot)
{
    struct nf_itype t = {
        .cpu_m = cpu_m, .mem = (int64_t)(mem_gi * GI), .od_price = od, .spot_price = spot};
    snprintf(t.name, sizeof t.name, "%s", name);
    return t;
}

/* us-east-1 list prices of the kind aws.instance_types names */
static void catalog(struct nf_itype *t)
{
    t[0] = ty("m5.large", 2000, 8, 0.096, NAN);
    t[1] = ty("m5.xlarge", 4000, 16, 0.192, NAN);
    t[2] = ty("c5.xlarge", 4000, 8, 0.170, NAN);
    t[3] = ty("r5.large", 2000, 16, 0.126, NAN);
}

static void pods_of(struct nf_demand_pod *p, size_t *n, int count, int64_t cpu_m, double mem_gi)
{
    for (int i = 0; i < count; i++)
        p[(*n)++] = (struct nf_demand_pod){cpu_m, (int64_t)(mem_gi * GI)};
}

static void cpu_bound_pods_go_to_the_cheapest_cpu(void **state)
{
    (void)state;
    struct nf_itype t[4];
    catalog(t);
    struct nf_demand_pod p[64];
    size_t n = 0;
    pods_of(p, &n, 16, 1000, 1); /* 16 cores, 16 GiB: c5.xlarge packs 4 a worker */
    struct nf_type_choice c;
    assert_int_equal(nf_itypes_choose(t, 4, p, n, 0, 0, 0, 100, &ws, &c), 0);
    assert_int_equal(c.count[2], 4);
    assert_int_equal(c.total, 4);
    assert_float_equal(c.cost, 4 * 0.170, 1e-9);
    assert_int_equal(c.unhostable, 0);
}

static void memory_bound_pods_go_to_memory(void **state)
{
    (void)state;
    struct nf_itype t[4];
    catalog(t);
    struct nf_demand_pod p[64];
    size_t n = 0;
    pods_of(p, &n, 10, 250, 3.5); /* 35 GiB, little CPU: r5.large holds 4 (14 GiB) */
    struct nf_type_choice c;
    nf_itypes_choose(t, 4, p, n, 0, 0, 0, 100, &ws, &c);
    /* r5.large x3 = $0.378; m5.xlarge x3 (4 a worker) = $0.576; m5.large (2 a worker) x5 =
     * $0.48; two r5.large then the last 2 pods on one m5.large = $0.348 */
    assert_int_equal(c.count[3], 2);
    assert_int_equal(c.count[0], 1);
    assert_int_equal(c.total, 3);
    assert_float_equal(c.cost, 2 * 0.126 + 0.096, 1e-9);
}

static void the_tail_goes_to_a_smaller_type(void **state)
{
    (void)state;
    struct nf_itype t[2] = {ty("m5.xlarge", 4000, 16, 0.192, NAN),
                            ty("m5.large", 2000, 8, 0.096, NAN)};
    struct nf_demand_pod p[64];
    size_t n = 0;
    pods_of(p, &n, 9, 1000, 1); /* 9 cores: two xlarge and one large, or five large (same
                                   price): the fewer workers wins the tie */
    struct nf_type_choice c;
    nf_itypes_choose(t, 2, p, n, 0, 0, 0, 100, &ws, &c);
    assert_float_equal(c.cost, 0.192 * 2 + 0.096, 1e-9);
    assert_int_equal(c.total, 3);
    assert_int_equal(c.count[0], 2);
    assert_int_equal(c.count[1], 1);
}

static void spot_prices_move_the_choice(void **state)
{
    (void)state;
    struct nf_itype t[2] = {ty("c5.xlarge", 4000, 8, 0.170, 0.080),
                            ty("m5.xlarge", 4000, 16, 0.192, 0.040)};
    struct nf_demand_pod p[8];
    size_t n = 0;
    pods_of(p, &n, 4, 1000, 1);
    struct nf_type_choice c;
    nf_itypes_choose(t, 2, p, n, 0, 0, 0, 100, &ws, &c); /* all on-demand: c5 */
    assert_int_equal(c.count[0], 1);
    nf_itypes_choose(t, 2, p, n, 0, 0, 1, 100, &ws, &c); /* all spot: m5 is cheaper there */
    assert_int_equal(c.count[1], 1);
    assert_float_equal(c.cost, 0.040, 1e-9);
    assert_float_equal(nf_itype_price(&t[0], 0.5), 0.125, 1e-9);
    t[0].spot_price = NAN; /* unknown spot price: priced on-demand */
    assert_float_equal(nf_itype_price(&t[0], 1), 0.170, 1e-9);
}

static void the_floor_and_the_limit_hold(void **state)
{
    (void)state;
    struct nf_itype t[2] = {ty("t3.small", 2000, 2, 0.0208, NAN),
                            ty("t3.xlarge", 4000, 16, 0.1664, NAN)};
    struct nf_type_choice c;
    /* no pods, a floor of 3 small workers' CPU: three t3.small */
    nf_itypes_choose(t, 2, NULL, 0, 6000, 0, 0, 100, &ws, &c);
    assert_int_equal(c.count[0], 3);
    assert_int_equal(c.total, 3);
    /* the floor holds with pods too: one pod, but room for 8 cores asked */
    struct nf_demand_pod p[1] = {{500, GI / 2}};
    nf_itypes_choose(t, 2, p, 1, 8000, 0, 0, 100, &ws, &c);
    assert_int_equal(c.count[0], 4);
    /* at most 2 workers: the cheapest way to 8 cores in 2 is two t3.xlarge */
    nf_itypes_choose(t, 2, p, 1, 8000, 0, 0, 2, &ws, &c);
    assert_int_equal(c.count[1], 2);
    assert_int_equal(c.total, 2);
    /* no answer within 1: the fewest workers is taken (two t3.xlarge) */
    nf_itypes_choose(t, 2, p, 1, 8000, 0, 0, 1, &ws, &c);
    assert_int_equal(c.total, 2);
}

static void a_pod_no_type_hosts_is_left_out(void **state)
{
    (void)state;
    struct nf_itype t[4];
    catalog(t);
    struct nf_demand_pod p[8];
    size_t n = 0;
    pods_of(p, &n, 2, 1000, 1);
    pods_of(p, &n, 1, 8000, 1);  /* 8 cores: more than any type */
    pods_of(p, &n, 1, 3000, 12); /* only m5.xlarge hosts it */
    pods_of(p, &n, 3, 0, 0);     /* ask nothing: need no room */
    struct nf_type_choice c;
    nf_itypes_choose(t, 4, p, n, 0, 0, 0, 100, &ws, &c);
    assert_int_equal(c.unhostable, 1);
    assert_int_equal(c.count[1], 1); /* the 3-core pod and one 1-core pod */
    assert_int_equal(c.total, 2);    /* the last 1-core pod on the cheapest that holds it */
    assert_int_equal(c.count[0], 1);
    assert_int_equal(nf_itypes_choose(t, 0, p, n, 0, 0, 0, 100, &ws, &c), -1);
}

/* Do the workers named host every pod? Placed again, largest pod first, into the first worker
 * with room, the workers taken type by type in the order `order`. */
static bool hosts_in(const struct nf_itype *t, const size_t *order, size_t nt,
                     const struct nf_type_choice *c, const struct nf_demand_pod *p, size_t n)
{
    static int64_t cpu[4096], mem[4096];
    size_t nb = 0;
    for (size_t o = 0; o < nt; o++) {
        size_t k = order[o];
        for (int i = 0; i < c->count[k] && nb < 4096; i++, nb++) {
            cpu[nb] = t[k].cpu_m;
            mem[nb] = t[k].mem;
        }
    }
    /* largest first, as the packing does */
    static struct nf_demand_pod s[4096];
    memcpy(s, p, n * sizeof *p);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && (s[j - 1].cpu_m < s[j].cpu_m ||
                                     (s[j - 1].cpu_m == s[j].cpu_m && s[j - 1].mem < s[j].mem));
             j--) {
            struct nf_demand_pod x = s[j];
            s[j] = s[j - 1];
            s[j - 1] = x;
        }
    for (size_t i = 0; i < n; i++) {
        size_t b = 0;
        while (b < nb && !(cpu[b] >= s[i].cpu_m && mem[b] >= s[i].mem))
            b++;
        if (b == nb)
            return false;
        cpu[b] -= s[i].cpu_m;
        mem[b] -= s[i].mem;
    }
    return true;
}

/* the answer hosts every pod: the chooser fills one type's workers before the other's, so
 * some order of the types must place them all (4 types: every one of the 24 orders) */
static bool hosts(const struct nf_itype *t, size_t nt, const struct nf_type_choice *c,
                  const struct nf_demand_pod *p, size_t n)
{
    size_t o[4];
    for (o[0] = 0; o[0] < nt; o[0]++)
        for (o[1] = 0; o[1] < nt; o[1]++)
            for (o[2] = 0; o[2] < nt; o[2]++)
                for (o[3] = 0; o[3] < nt; o[3]++) {
                    bool perm = nt == 4 && o[0] != o[1] && o[0] != o[2] && o[0] != o[3] &&
                                o[1] != o[2] && o[1] != o[3] && o[2] != o[3];
                    if (perm && hosts_in(t, o, nt, c, p, n))
                        return true;
                }
    return false;
}

static void random_demands_are_hosted_and_never_dearer_than_one_type(void **state)
{
    (void)state;
    struct nf_itype t[4];
    catalog(t);
    static struct nf_demand_pod p[600];
    srand(7);
    for (int round = 0; round < 300; round++) {
        size_t n = (size_t)(rand() % 600);
        int shapes = 1 + rand() % 6;
        for (size_t i = 0; i < n; i++) {
            int s = (int)(i % (size_t)shapes);
            p[i] = (struct nf_demand_pod){100 + 250 * ((s * 7 + round) % 8),
                                          GI / 4 * (1 + (s * 5 + round) % 14)};
        }
        double sf = (rand() % 3) / 2.0;
        struct nf_type_choice c;
        nf_itypes_choose(t, 4, p, n, 0, 0, sf, 100000, &ws, &c);
        assert_int_equal(c.unhostable, 0);
        assert_true(hosts(t, 4, &c, p, n));
        /* never dearer than the best single type's own first-fit packing */
        for (size_t k = 0; k < 4; k++) {
            struct nf_type_choice one;
            nf_itypes_choose(&t[k], 1, p, n, 0, 0, sf, 100000, &ws, &one);
            assert_true(c.cost <= one.cost + 1e-9);
        }
    }
}

static void many_shapes_are_rounded_up_never_down(void **state)
{
    (void)state;
    struct nf_itype t[4];
    catalog(t);
    static struct nf_demand_pod p[3000];
    for (size_t i = 0; i < 3000; i++) /* 3,000 distinct shapes: past the cap */
        p[i] = (struct nf_demand_pod){100 + (int64_t)i, GI / 8 + (int64_t)i * 4096};
    struct nf_type_choice c;
    nf_itypes_choose(t, 4, p, 3000, 0, 0, 0, 100000, &ws, &c);
    assert_true(hosts(t, 4, &c, p, 3000));
    assert_int_equal(c.unhostable, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cpu_bound_pods_go_to_the_cheapest_cpu),
        cmocka_unit_test(memory_bound_pods_go_to_memory),
        cmocka_unit_test(the_tail_goes_to_a_smaller_type),
        cmocka_unit_test(spot_prices_move_the_choice),
        cmocka_unit_test(the_floor_and_the_limit_hold),
        cmocka_unit_test(a_pod_no_type_hosts_is_left_out),
        cmocka_unit_test(random_demands_are_hosted_and_never_dearer_than_one_type),
        cmocka_unit_test(many_shapes_are_rounded_up_never_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
