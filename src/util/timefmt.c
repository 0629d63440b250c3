/* timefmt.c - RFC 3339 and Unix-seconds times, without the C library's time zone state. */
#include "timefmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "parse.h"

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm) */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int nf_parse_time(const char *s, double *unix_s, const char **why)
{
    size_t n = strlen(s);
    if (nf_parse_double(s, n, unix_s, NULL) == NF_OK)
        return NF_OK;
    int y, mo, d, h, mi, se;
    if (n < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &se)) {
        *why = "expected Unix seconds or RFC 3339 (2026-11-22T00:00:00Z)";
        return NF_E_INPUT;
    }
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60) {
        *why = "date or time out of range";
        return NF_E_INPUT;
    }
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        *why = "date or time out of range";
        return NF_E_INPUT;
    }
    const char *p = s + 19;
    double frac = 0;
    if (*p == '.') {
        const char *q = ++p;
        /* digits as one integer over a power of ten: one rounding, as a strtod would do */
        double digits = 0, scale = 1;
        while (*p >= '0' && *p <= '9') {
            if (scale < 1e15) {
                digits = digits * 10 + (*p - '0');
                scale *= 10;
            }
            p++;
        }
        if (p == q) {
            *why = "expected digits after the decimal point";
            return NF_E_INPUT;
        }
        frac = digits / scale;
    }
    int offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59) {
            *why = "bad time zone offset (use Z or +HH:MM)";
            return NF_E_INPUT;
        }
        offset = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        *why = "missing time zone (Z or +HH:MM)";
        return NF_E_INPUT;
    }
    if (*p != '\0') {
        *why = "unexpected text after the time";
        return NF_E_INPUT;
    }
    long long days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *unix_s = (double)(days * 86400 + h * 3600 + mi * 60 + se - offset) + frac;
    return NF_OK;
}

void nf_format_time(double unix_s, char *out)
{
    long long t = (long long)floor(unix_s);
    long long days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    long long secs = t - days * 86400;
    /* civil_from_days */
    long long z = days + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long y = (long long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    char tmp[96]; /* room for any year the types allow; dates we print fit in 32 */
    snprintf(tmp, sizeof tmp, "%04lld-%02u-%02uT%02d:%02d:%02dZ", y, m, d, (int)(secs / 3600),
             (int)((secs / 60) % 60), (int)(secs % 60));
    snprintf(out, 32, "%.31s", tmp);
}

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const wdays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};

int nf_parse_http_date(const char *s, double *unix_s)
{
    /* "Sun, 02 Jan 2000 20:34:56 GMT" */
    if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
        s[16] != ' ' || s[19] != ':' || s[22] != ':' || strcmp(s + 25, " GMT") != 0)
        return NF_E_INPUT;
    int d, y, h, mi, se, mo = -1;
    if (digits(s + 5, 2, &d) || digits(s + 12, 4, &y) || digits(s + 17, 2, &h) ||
        digits(s + 20, 2, &mi) || digits(s + 23, 2, &se))
        return NF_E_INPUT;
    for (int i = 0; i < 12; i++)
        if (memcmp(s + 8, months[i], 3) == 0)
            mo = i + 1;
    if (mo < 0 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return NF_E_INPUT;
    *unix_s =
        (double)(days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se);
    return NF_OK;
}

void nf_format_http_date(double unix_s, char *out)
{
    long long t = (long long)floor(unix_s);
    long long days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    char iso[32];
    nf_format_time(unix_s, iso); /* YYYY-MM-DDTHH:MM:SSZ */
    int mo = (iso[5] - '0') * 10 + (iso[6] - '0');
    snprintf(out, 32, "%s, %.2s %s %.4s %.8s GMT", wdays[((days % 7) + 7) % 7], iso + 8,
             months[mo - 1], iso, iso + 11);
}
