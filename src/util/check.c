/* check.c - one syntax check per kind of value (see check.h). */
#include "check.h"

#include <math.h>
#include <string.h>

#include "err.h"
#include "parse.h"

static int no(const char **why, const char *phrase)
{
    if (why != NULL)
        *why = phrase;
    return NF_E_INPUT;
}

static bool lower(char c)
{
    return c >= 'a' && c <= 'z';
}
static bool digit(char c)
{
    return c >= '0' && c <= '9';
}
static bool alnum(char c)
{
    return lower(c) || digit(c) || (c >= 'A' && c <= 'Z');
}
static bool hex(char c)
{
    return digit(c) || (c >= 'a' && c <= 'f');
}

int nf_check_text(const char *s, bool allow_newlines, const char **why)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = nf_utf8_len(p); /* 0: not UTF-8, or a C1 control character */
        if (n == 1 && (*p < 0x20 || *p == 0x7f) &&
            !(allow_newlines && (*p == '\n' || *p == '\t' || *p == '\r')))
            return no(why, "contains a control character");
        if (n == 0)
            return no(why, *p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f
                               ? "contains a control character"
                               : "is not valid UTF-8");
        p += n;
    }
    return NF_OK;
}

int nf_check_url(const char *s, const char **why)
{
    const char *p;
    if (strncmp(s, "http://", 7) == 0)
        p = s + 7;
    else if (strncmp(s, "https://", 8) == 0)
        p = s + 8;
    else
        return no(why, "must be an http:// or https:// URL");
    for (const char *q = s; *q; q++)
        if ((unsigned char)*q <= 0x20 || *q == 0x7f)
            return no(why, "must not contain blanks or control characters (encode them: %20)");
    /* userinfo, as in http://user:pass@host */
    const char *end = p + strcspn(p, "/?#");
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at != NULL)
        p = at + 1;
    const char *port = NULL;
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (close == NULL)
            return no(why, "has an IPv6 address without its closing ']'");
        if (close == p + 1)
            return no(why, "has no host");
        for (const char *q = p + 1; q < close; q++)
            if (!(hex(*q) || (*q >= 'A' && *q <= 'F') || *q == ':' || *q == '.'))
                return no(why, "has a malformed IPv6 address");
        if (close + 1 < end) {
            if (close[1] != ':')
                return no(why, "has something after the IPv6 address that is not :PORT");
            port = close + 2;
        }
    } else {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        const char *hend = colon ? colon : end;
        if (hend == p)
            return no(why, "has no host");
        for (const char *q = p; q < hend; q++)
            if (!(alnum(*q) || *q == '-' || *q == '.' || *q == '_'))
                return no(why, "has a host name with a character not allowed in one");
        if (colon != NULL)
            port = colon + 1;
    }
    if (port != NULL) {
        if (port == end)
            return no(why, "has an empty port");
        long v = 0;
        for (const char *q = port; q < end; q++) {
            if (!digit(*q) || v > 65535)
                return no(why, "has a port that is not a number from 1 to 65535");
            v = v * 10 + (*q - '0');
        }
        if (v < 1 || v > 65535)
            return no(why, "has a port that is not a number from 1 to 65535");
    }
    return NF_OK;
}

int nf_check_region(const char *s, const char **why)
{
    /* words of lower-case letters joined by '-', the last part a number: us-east-1 */
    size_t n = strlen(s);
    if (n < 4 || n > 32)
        return no(why, "is not an AWS region name (like us-east-1)");
    const char *p = s;
    int words = 0;
    for (;;) {
        const char *w = p;
        while (lower(*p))
            p++;
        if (p == w)
            break;
        words++;
        if (*p != '-')
            return no(why, "is not an AWS region name (like us-east-1)");
        p++;
    }
    const char *num = p;
    while (digit(*p))
        p++;
    if (words < 2 || p == num || *p != '\0')
        return no(why, "is not an AWS region name (like us-east-1)");
    return NF_OK;
}

int nf_check_dynamodb_table(const char *s, const char **why)
{
    size_t n = strlen(s);
    if (n < 3 || n > 255)
        return no(why, "a DynamoDB table name has 3 to 255 characters");
    for (const char *p = s; *p; p++)
        if (!(alnum(*p) || *p == '_' || *p == '.' || *p == '-'))
            return no(why, "a DynamoDB table name has only letters, digits, _ . and -");
    return NF_OK;
}

int nf_check_sns_arn(const char *s, const char **why)
{
    static const char bad[] = "is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)";
    if (strncmp(s, "arn:", 4) != 0)
        return no(why, bad);
    const char *part = s + 4;
    const char *c1 = strchr(part, ':');
    if (c1 == NULL || c1 == part || strncmp(c1 + 1, "sns:", 4) != 0)
        return no(why, bad);
    for (const char *q = part; q < c1; q++)
        if (!(lower(*q) || *q == '-'))
            return no(why, bad);
    const char *region = c1 + 5;
    const char *c3 = strchr(region, ':');
    if (c3 == NULL)
        return no(why, bad);
    char r[40];
    size_t rl = (size_t)(c3 - region);
    if (rl >= sizeof r)
        return no(why, bad);
    memcpy(r, region, rl);
    r[rl] = '\0';
    if (nf_check_region(r, NULL) != NF_OK)
        return no(why, bad);
    const char *acct = c3 + 1;
    for (int i = 0; i < 12; i++)
        if (!digit(acct[i]))
            return no(why, bad);
    if (acct[12] != ':')
        return no(why, bad);
    const char *name = acct + 13;
    size_t nl = strlen(name);
    if (nl < 1 || nl > 256)
        return no(why, bad);
    for (const char *q = name; *q; q++)
        if (!(alnum(*q) || *q == '_' || *q == '-' || (*q == '.' && strcmp(q, ".fifo") == 0)))
            return no(why, bad);
    return NF_OK;
}

int nf_check_template_version(const char *s, const char **why)
{
    if (strcmp(s, "$Default") == 0 || strcmp(s, "$Latest") == 0)
        return NF_OK;
    size_t n = strlen(s);
    if (n == 0 || n > 18 || s[0] == '0')
        return no(why, "must be $Default, $Latest or a version number");
    for (const char *p = s; *p; p++)
        if (!digit(*p))
            return no(why, "must be $Default, $Latest or a version number");
    return NF_OK;
}

int nf_kv_next(const char **pp, struct nf_kv *kv)
{
    const char *p = *pp;
    if (*p == '\0')
        return 0;
    if (kv->n > 0) /* the comma that ended the previous item */
        p++;
    size_t l = strcspn(p, ",");
    const char *eq = memchr(p, '=', l);
    kv->key = p;
    kv->key_len = eq ? (size_t)(eq - p) : l;
    kv->value = eq ? eq + 1 : p + l;
    kv->value_len = eq ? (size_t)(p + l - eq - 1) : 0;
    kv->n++;
    *pp = p + l;
    return eq ? 1 : -1;
}

/* a zone: a region name followed by one letter (us-east-1a) */
static bool zone_name(const char *s, size_t n)
{
    char region[40];
    if (n < 5 || n >= sizeof region || !lower(s[n - 1]))
        return false;
    memcpy(region, s, n - 1);
    region[n - 1] = '\0';
    return nf_check_region(region, NULL) == NF_OK;
}

int nf_check_subnets(const char *s, const char **why)
{
    static const char bad[] = "expected zone=subnet pairs separated by commas, like "
                              "us-east-1a=subnet-0abc,us-east-1b=subnet-0def";
    struct nf_kv kv = {0};
    int r;
    while ((r = nf_kv_next(&s, &kv)) != 0) {
        if (r < 0)
            return no(why, bad);
        if (!zone_name(kv.key, kv.key_len))
            return no(why, bad);
        if (kv.value_len < 15 || strncmp(kv.value, "subnet-", 7) != 0)
            return no(why, bad);
        for (size_t i = 7; i < kv.value_len; i++)
            if (!hex(kv.value[i]))
                return no(why, bad);
    }
    return NF_OK;
}

static bool type_name(const char *s, size_t n)
{
    if (n < 3 || n > 31 || memchr(s, '.', n) == NULL || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(lower(s[i]) || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-'))
            return false;
    return true;
}

int nf_check_instance_types(const char *s, const char **why)
{
    int n = 0;
    for (const char *p = s; *p;) {
        size_t l = strcspn(p, ",");
        if (!type_name(p, l))
            return no(why, "expected instance types separated by commas, like "
                           "m5.large,c5.large,m6i.large");
        for (const char *q = s; q < p; q += strcspn(q, ",") + 1)
            if (strcspn(q, ",") == l && memcmp(q, p, l) == 0)
                return no(why, "an instance type is named twice");
        if (++n > 16)
            return no(why, "at most 16 instance types");
        p += l;
        if (*p == ',' && *++p == '\0')
            return no(why, "a trailing comma");
    }
    return NF_OK;
}

int nf_check_prices(const char *s, bool zones, const char **why)
{
    const char *bad = zones ? "expected TYPE=PRICE or TYPE@ZONE=PRICE items separated by "
                              "commas, like m5.large=0.035,c5.large@us-east-1a=0.031"
                            : "expected TYPE=PRICE items separated by commas, like "
                              "m5.large=0.096,c5.large=0.085";
    struct nf_kv kv = {0};
    int r;
    while ((r = nf_kv_next(&s, &kv)) != 0) {
        if (r < 0)
            return no(why, bad);
        const char *at = memchr(kv.key, '@', kv.key_len);
        size_t tl = at ? (size_t)(at - kv.key) : kv.key_len;
        if (!type_name(kv.key, tl) || (at && !zones))
            return no(why, bad);
        if (at && !zone_name(at + 1, kv.key_len - tl - 1))
            return no(why, bad);
        double v;
        if (nf_parse_double(kv.value, kv.value_len, &v, NULL) != NF_OK || !(v > 0 && v < 1000))
            return no(why, "a price is dollars an hour, above 0 and below 1000");
    }
    return NF_OK;
}

int nf_check_cluster_id(const char *s, const char **why)
{
    size_t n = strlen(s);
    if (n < 1 || n > 128)
        return no(why, "must have 1 to 128 characters");
    for (const char *p = s; *p; p++)
        if (!(alnum(*p) || strchr("._:/=+@-", *p) != NULL))
            return no(why, "may hold only letters, digits and . _ : / = + @ -");
    return NF_OK;
}

int nf_check_tag_filter(const char *s, const char **why)
{
    static const char bad[] = "expected Key=Value tags separated by commas";
    if (*s == '\0')
        return no(why, "must name at least one tag (Key=Value)");
    struct nf_kv kv = {0};
    int r;
    while ((r = nf_kv_next(&s, &kv)) != 0) {
        if (r < 0 || kv.key_len == 0 || kv.key_len > 128)
            return no(why, bad);
        if (kv.value_len > 256)
            return no(why, "a tag value has at most 256 characters");
        for (const char *q = kv.key; q < kv.value + kv.value_len; q++)
            if (q != kv.key + kv.key_len && !(alnum(*q) || strchr(" ._:/=+@-{}", *q) != NULL))
                return no(why, "tags hold only letters, digits, spaces and . _ : / = + @ -");
    }
    return NF_OK;
}

int nf_pod_shapes_parse(const char *s, struct nf_pod_shape *out, int *n, const char **why)
{
    static const char bad[] = "expected CPU:MEMORY_MIB:SHARE shapes separated by commas, like "
                              "0.25:256:30,0.5:512:40,1:1024:30";
    int k = 0;
    double total = 0;
    for (const char *p = s;;) {
        size_t l = strcspn(p, ",");
        struct nf_pod_shape sh;
        double *f[3] = {&sh.cpu, &sh.memory_mib, &sh.share_pct};
        const char *q = p, *end = p + l;
        for (int i = 0; i < 3; i++) {
            const char *c = i < 2 ? memchr(q, ':', (size_t)(end - q)) : end;
            if (c == NULL || c == q || nf_parse_double(q, (size_t)(c - q), f[i], NULL) != NF_OK)
                return no(why, bad);
            q = c + 1;
        }
        if (!(sh.cpu >= 0.001 && sh.cpu <= 1024))
            return no(why, "a shape's CPU is from 0.001 to 1024 vCPU");
        if (!(sh.memory_mib >= 1 && sh.memory_mib <= 16777216))
            return no(why, "a shape's memory is from 1 to 16777216 MiB");
        if (!(sh.share_pct > 0 && sh.share_pct <= 100))
            return no(why, "a shape's share is above 0 and at most 100 (%)");
        if (k == NF_POD_SHAPES_MAX)
            return no(why, "at most 8 shapes");
        if (out)
            out[k] = sh;
        k++;
        total += sh.share_pct;
        if (p[l] == '\0')
            break;
        p += l + 1;
    }
    if (total < 99.999 || total > 100.001)
        return no(why, "the shapes' shares must add up to 100");
    if (n)
        *n = k;
    return NF_OK;
}

int nf_node_types_parse(const char *s, struct nf_node_type *out, int *n, const char **why)
{
    static const char bad[] = "expected NAME:VCPU:MEMORY_MIB:ON_DEMAND:SPOT[:PCT_MONTH] types "
                              "separated by commas, like "
                              "m5.large:2:8192:0.096:0.035,c5.xlarge:4:8192:0.17:0.065:10";
    int k = 0;
    char names[NF_NODE_TYPES_MAX][32];
    for (const char *p = s; *p;) {
        size_t l = strcspn(p, ",");
        const char *end = p + l, *c = memchr(p, ':', l);
        if (c == NULL || !type_name(p, (size_t)(c - p)))
            return no(why, bad);
        struct nf_node_type t;
        memset(&t, 0, sizeof t);
        memcpy(t.name, p, (size_t)(c - p));
        t.pct_month = NAN; /* the fifth number is optional */
        double *f[5] = {&t.vcpu, &t.memory_mib, &t.price_on_demand, &t.price_spot, &t.pct_month};
        const char *q = c + 1;
        for (int i = 0; i < 5; i++) {
            const char *e = memchr(q, ':', (size_t)(end - q));
            if ((e == NULL && i < 3) || (e != NULL && i == 4))
                return no(why, bad);
            if (e == NULL)
                e = end;
            if (e == q || nf_parse_double(q, (size_t)(e - q), f[i], NULL) != NF_OK)
                return no(why, bad);
            q = e + 1;
            if (e == end)
                break;
        }
        if (isnan(t.price_spot))
            return no(why, bad);
        if (!isnan(t.pct_month) && !(t.pct_month >= 0 && t.pct_month <= 100))
            return no(why, "a type's interruptions are 0 to 100 (% a month)");
        if (!(t.vcpu >= 0.1 && t.vcpu <= 1024))
            return no(why, "a type's vCPU is from 0.1 to 1024");
        if (!(t.memory_mib >= 128 && t.memory_mib <= 16777216))
            return no(why, "a type's memory is from 128 to 16777216 MiB");
        if (!(t.price_on_demand > 0 && t.price_on_demand < 1000 && t.price_spot > 0 &&
              t.price_spot < 1000))
            return no(why, "a price is dollars an hour, above 0 and below 1000");
        if (k == NF_NODE_TYPES_MAX)
            return no(why, "at most 16 types");
        for (int i = 0; i < k; i++)
            if (strcmp(names[i], t.name) == 0)
                return no(why, "a type is named twice");
        memcpy(names[k], t.name, sizeof t.name);
        if (out)
            out[k] = t;
        k++;
        p = end;
        if (*p == ',' && *++p == '\0')
            return no(why, bad);
    }
    if (n)
        *n = k;
    return NF_OK;
}
