/* clock.c - the real clock as a port (the simulator has its virtual one). */
#include "clock.h"

#include "../util/clock.h"

static double real_now(void *ctx)
{
    (void)ctx;
    return nf_wall_now();
}

const struct nf_clock_port nf_real_clock_port = {.name = "real", .now = real_now};
