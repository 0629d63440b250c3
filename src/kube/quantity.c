/* quantity.c - resource quantities to scaled integers, rounded up. */
#include "quantity.h"

#include <stdbool.h>
#include <string.h>

#include "../util/err.h"

static int bad(const char **why, const char *what)
{
    if (why)
        *why = what;
    return NF_E_INPUT;
}

/* Kubernetes' quantity grammar (sign, digits, fraction, decimal or binary suffix, exponent) in
 * one pass, as the API reference states it; long because the grammar is, and each part is a
 * commented block with its own bound. */
int nf_quantity_parse(const char *s, size_t n, int scale10, int64_t *out, const char **why)
{
    size_t i = 0;
    if (n == 0)
        return bad(why, "empty quantity");
    if (s[0] == '+' || s[0] == '-') {
        if (s[0] == '-')
            return bad(why, "negative quantity");
        i++;
    }
    /* the number: significant digits into m, the decimal point moving exponent e */
    uint64_t m = 0;
    int e = 0, sig = 0, digits = 0;
    bool point = false;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (point)
                return bad(why, "two decimal points");
            point = true;
            continue;
        }
        if (c < '0' || c > '9')
            break;
        digits++;
        if (point)
            e--;
        if (m == 0 && c == '0')
            continue; /* leading zeros are not significant */
        if (++sig > 18)
            return bad(why, "more than 18 significant digits");
        m = m * 10 + (uint64_t)(c - '0');
    }
    if (digits == 0)
        return bad(why, "no digits");
    /* the suffix */
    int b = 0; /* power of two */
    const char *suf = s + i;
    size_t sl = n - i;
    if (sl == 0) {
        /* none */
    } else if (sl == 2 && suf[1] == 'i') {
        static const char bin[] = "KMGTPE";
        const char *p = memchr(bin, suf[0], 6);
        if (p == NULL)
            return bad(why, "unknown binary suffix");
        b = 10 * (int)(p - bin + 1);
    } else if (sl == 1 && strchr("numkMGTPE", suf[0]) != NULL) {
        switch (suf[0]) {
        case 'n':
            e -= 9;
            break;
        case 'u':
            e -= 6;
            break;
        case 'm':
            e -= 3;
            break;
        case 'k':
            e += 3;
            break;
        case 'M':
            e += 6;
            break;
        case 'G':
            e += 9;
            break;
        case 'T':
            e += 12;
            break;
        case 'P':
            e += 15;
            break;
        default:
            e += 18;
            break; /* E */
        }
    } else if (suf[0] == 'e' || suf[0] == 'E') {
        size_t k = 1;
        bool neg = false;
        if (k < sl && (suf[k] == '+' || suf[k] == '-'))
            neg = suf[k++] == '-';
        if (k == sl)
            return bad(why, "exponent without digits");
        int x = 0;
        for (; k < sl; k++) {
            if (suf[k] < '0' || suf[k] > '9')
                return bad(why, "malformed exponent");
            x = x * 10 + (suf[k] - '0');
            if (x > 1000)
                return bad(why, "exponent out of range");
        }
        e += neg ? -x : x;
    } else {
        return bad(why, "unknown suffix");
    }
    if (m == 0) {
        *out = 0;
        return NF_OK;
    }
    /* value = m * 2^b * 10^(e + scale10), rounded up */
    for (int k = 0; k < b; k++) {
        if (m > UINT64_MAX / 2)
            return bad(why, "quantity too large");
        m *= 2;
    }
    int p10 = e + scale10;
    for (; p10 > 0; p10--) {
        if (m > UINT64_MAX / 10)
            return bad(why, "quantity too large");
        m *= 10;
    }
    bool rest = false;
    for (; p10 < 0 && m > 0; p10++) {
        rest |= m % 10 != 0;
        m /= 10;
    }
    if (p10 < 0) /* every digit shifted out: a tiny positive value */
        m = 0, rest = true;
    if (rest)
        m++;
    if (m > (uint64_t)INT64_MAX)
        return bad(why, "quantity too large");
    *out = (int64_t)m;
    return NF_OK;
}
