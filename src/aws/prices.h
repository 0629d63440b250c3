/* prices.h - EC2 on-demand list prices for common worker types, compiled in.
 *
 * Contract
 *   Linux, shared tenancy, USD an hour, as AWS's "Amazon EC2 On-Demand Pricing" page lists
 *   them (aws.amazon.com/ec2/pricing/on-demand/), read for this table on 2026-11-30, for
 *   us-east-1, us-east-2, us-west-2 (the same list there) and eu-west-1. A price AWS has
 *   changed since, a region or a type not listed: aws.prices overrides or adds it. Spot
 *   prices are never here: they move, and come from DescribeSpotPriceHistory.
 */
#ifndef NF_AWS_PRICES_H
#define NF_AWS_PRICES_H

/* The listed price, or NAN when the table has none for this region and type. */
double nf_price_on_demand(const char *region, const char *type);

/* The date the table was read (YYYY-MM-DD), for status and the docs. */
extern const char nf_price_table_date[];

#endif
