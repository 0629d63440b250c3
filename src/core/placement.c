/* placement.c - spot/on-demand mix for launches and removals. */
#include "placement.h"

#include <math.h>

const char *nf_market_name(enum nf_market m)
{
    return m == NF_MARKET_SPOT ? "spot" : "on-demand";
}

static int spot_allowed(int total, double spot_pct)
{
    /* the small epsilon keeps 70% of 10 at 7, not 6.999... */
    return (int)floor(spot_pct / 100.0 * total + 1e-9);
}

void nf_place_markets(int spot, int total, int n, double spot_pct, enum nf_market *out)
{
    for (int i = 0; i < n; i++) {
        total++;
        if (spot + 1 <= spot_allowed(total, spot_pct)) {
            spot++;
            out[i] = NF_MARKET_SPOT;
        } else {
            out[i] = NF_MARKET_ON_DEMAND;
        }
    }
}

enum nf_market nf_place_remove_market(int spot, int total, double spot_pct)
{
    int on_demand = total - spot;
    if (spot > spot_allowed(total - 1, spot_pct) || on_demand == 0)
        return NF_MARKET_SPOT;
    return NF_MARKET_ON_DEMAND;
}
