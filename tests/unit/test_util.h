/* test_util.h - helpers shared by the cmocka unit tests. */
#ifndef NF_TEST_UTIL_H
#define NF_TEST_UTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/types.h"

/* `test_x NAME` runs only the tests whose names match NAME (cmocka's pattern: * and ?), so one
 * case can be run alone: build/tests/test_cycle a_failed_source_is_unknown_never_zero. glibc
 * hands a constructor the program's arguments, so every test binary gets this without a line
 * in its main(). */
__attribute__((constructor)) static void nf__test_filter(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
}

/* A sample at time t with every signal unknown. */
static inline struct nf_sample sample_at(double t)
{
    struct nf_sample s = {.t = t};
    for (int i = 0; i < NF_SAMPLE_VALUES; i++)
        s.v[i] = NAN;
    return s;
}

/* Fill `out` with samples from `from` to `to` inclusive every `step` s; cpu/memory/pending
 * set (NAN = unknown), the app signals unknown. Returns the count. */
static inline size_t fill_samples(struct nf_sample *out, size_t cap, double from, double to,
                                  double step, double cpu, double memory, double pending)
{
    size_t n = 0;
    for (double t = from; t <= to + 1e-9 && n < cap; t += step) {
        out[n] = sample_at(t);
        out[n].v[NF_SIG_CPU] = cpu;
        out[n].v[NF_SIG_MEMORY] = memory;
        out[n].v[NF_SIG_PENDING_PODS] = pending;
        n++;
    }
    return n;
}

#define assert_string_contains(hay, needle)                                                        \
    do {                                                                                           \
        if (strstr((hay), (needle)) == NULL)                                                       \
            fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));                           \
    } while (0)

#endif
