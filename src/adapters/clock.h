/* clock.h - the real clock as a port: Unix time (util/clock.h). ctx unused. */
#ifndef NF_ADAPTERS_CLOCK_H
#define NF_ADAPTERS_CLOCK_H

#include "../ports/ports.h"

extern const struct nf_clock_port nf_real_clock_port;

#endif
