/* placement.h - which market (spot or on-demand) each new worker uses, and which market a
 * scale-down takes from, so the pool keeps the configured spot share.
 *
 * Contract
 *   Pure. The spot share is a ceiling: a launch is spot only while the pool's spot count
 *   stays at or under floor(spot_pct% of the pool) after the launch.
 */
#ifndef NF_CORE_PLACEMENT_H
#define NF_CORE_PLACEMENT_H

enum nf_market { NF_MARKET_ON_DEMAND, NF_MARKET_SPOT };

const char *nf_market_name(enum nf_market m);

/* Markets for `n` new workers joining a pool of `total` workers of which `spot` are spot. */
void nf_place_markets(int spot, int total, int n, double spot_pct, enum nf_market *out);

/* The market to remove one worker from. `spot` <= `total`, `total` >= 1. */
enum nf_market nf_place_remove_market(int spot, int total, double spot_pct);

#endif
