/* fuzz_trace.c - libFuzzer target: the CSV trace reader - in memory, and streamed from a file
 * in chunks (the two must agree) - then the queries made on a trace. */
#define _GNU_SOURCE /* memfd_create */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sim/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The streamed reader on the same bytes: a memory file, read through its /proc path. */
static int load_streamed(const uint8_t *data, size_t size, struct nf_trace *tr, struct nf_err *err)
{
    int fd = memfd_create("fuzz.csv", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = -1;
    if (size == 0 || write(fd, data, size) == (ssize_t)size) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        rc = nf_trace_load(path, tr, err);
    }
    close(fd);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nf_trace tr, st;
    struct nf_err err, serr;
    int rc = nf_trace_parse((const char *)data, size, "fuzz.csv", &tr, &err);
    int src = load_streamed(data, size, &st, &serr);
    if (src >= 0) {
        if ((rc == NF_OK) != (src == NF_OK))
            abort(); /* the two readers disagree */
        if (src == NF_OK) {
            if (st.n != tr.n || st.end != tr.end)
                abort();
            nf_trace_free(&st);
        }
    }
    if (rc != NF_OK)
        return 0;
    double p;
    nf_trace_percentile(&tr, 99, &p, &err);
    size_t cur = 0;
    for (size_t i = 0; i < tr.n; i++)
        (void)nf_trace_value_at(&tr, &cur, tr.t[i] + 0.5);
    (void)nf_trace_value_at(&tr, &cur, tr.end);
    nf_trace_free(&tr);
    return 0;
}
