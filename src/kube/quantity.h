/* quantity.h - Kubernetes resource quantities ("500m", "1.5", "2Gi", "512M", "1e3"), exactly.
 *
 * Contract
 *   The grammar of k8s.io/apimachinery resource.Quantity: an optional sign, a decimal number
 *   ("1", "1.5", "1.", ".5"), and one optional suffix - binary (Ki Mi Gi Ti Pi Ei), decimal
 *   (n u m k M G T P E) or an exponent (e3, E-2). The value is returned scaled by 10^scale10
 *   (3 for millicores, 0 for bytes) and rounded up to a whole number, as Kubernetes' own
 *   MilliValue()/Value() round. Integer arithmetic only: no float rounding anywhere.
 *   Refused (NF_E_INPUT, `why` set): anything outside the grammar, blanks, negative values,
 *   more than 18 significant digits, results beyond 2^63-1.
 */
#ifndef NF_KUBE_QUANTITY_H
#define NF_KUBE_QUANTITY_H

#include <stddef.h>
#include <stdint.h>

#include "../util/err.h"

#define NF_QUANTITY_MILLI 3
#define NF_QUANTITY_UNIT  0

int nf_quantity_parse(const char *s, size_t n, int scale10, int64_t *out, const char **why);

#endif
