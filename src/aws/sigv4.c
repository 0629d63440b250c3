/* sigv4.c - AWS Signature Version 4: canonical request, string to sign, signature. */
#define _POSIX_C_SOURCE 200809L
#include "sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "../util/parse.h"

/* A canonical request larger than this is refused (bodies are hashed, not copied). */
#define NF_SIGV4_CANONICAL_MAX     (256 * 1024)
#define NF_SIGV4_PATH_SEGMENTS_MAX 256
#define NF_SIGV4_QUERY_PARAMS_MAX  512

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

static void nf_aws_uri_encode(struct nf_buf *out, const char *s, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            nf_buf_putc(out, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            nf_buf_append(out, e, 3);
        }
    }
}


/* percent-decode s[0..n) into out (a malformed escape is kept as is) */
static void uri_decode(struct nf_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && nf_hex_digit((unsigned char)s[i + 1]) >= 0 && nf_hex_digit((unsigned char)s[i + 2]) >= 0) {
            nf_buf_putc(out, (char)(nf_hex_digit((unsigned char)s[i + 1]) * 16 + nf_hex_digit((unsigned char)s[i + 2])));
            i += 2;
        } else {
            nf_buf_putc(out, s[i]);
        }
    }
}

static void canonical_path(struct nf_buf *out, const char *path, bool normalize)
{
    if (path == NULL || path[0] == '\0') {
        nf_buf_putc(out, '/');
        return;
    }
    if (!normalize) {
        nf_aws_uri_encode(out, path, strlen(path), true);
        return;
    }
    /* RFC 3986 dot-segment removal, and empty segments (//) dropped */
    const char *seg[NF_SIGV4_PATH_SEGMENTS_MAX];
    size_t len[NF_SIGV4_PATH_SEGMENTS_MAX];
    size_t n = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *s = p;
        while (*p && *p != '/')
            p++;
        size_t l = (size_t)(p - s);
        if (l == 0 || (l == 1 && s[0] == '.'))
            continue;
        if (l == 2 && s[0] == '.' && s[1] == '.') {
            if (n > 0)
                n--;
            continue;
        }
        if (n < NF_SIGV4_PATH_SEGMENTS_MAX) {
            seg[n] = s;
            len[n] = l;
            n++;
        }
    }
    size_t pl = strlen(path);
    bool trailing = pl > 0 && path[pl - 1] == '/';
    for (size_t i = 0; i < n; i++) {
        nf_buf_putc(out, '/');
        nf_aws_uri_encode(out, seg[i], len[i], false);
    }
    if (n == 0 || trailing)
        nf_buf_putc(out, '/');
}

struct qparam {
    char *key, *value; /* encoded */
};

static int cmp_qparam(const void *a, const void *b)
{
    const struct qparam *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

static int canonical_query(struct nf_buf *out, const char *query, struct nf_err *err)
{
    if (query == NULL || query[0] == '\0')
        return NF_OK;
    struct qparam *ps = calloc(NF_SIGV4_QUERY_PARAMS_MAX, sizeof *ps);
    if (ps == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    size_t n = 0;
    int rc = NF_OK;
    const char *p = query;
    while (*p && rc == NF_OK) {
        const char *amp = strchr(p, '&');
        size_t l = amp ? (size_t)(amp - p) : strlen(p);
        if (l > 0) {
            if (n == NF_SIGV4_QUERY_PARAMS_MAX) {
                rc = nf_err_set(err, NF_E_INPUT, "more than %d query parameters",
                                NF_SIGV4_QUERY_PARAMS_MAX);
                break;
            }
            const char *eq = memchr(p, '=', l);
            size_t kl = eq ? (size_t)(eq - p) : l;
            struct nf_buf raw, enc;
            for (int part = 0; part < 2; part++) {
                nf_buf_init(&raw, 64 * 1024);
                nf_buf_init(&enc, 3 * 64 * 1024);
                if (part == 0)
                    uri_decode(&raw, p, kl);
                else if (eq)
                    uri_decode(&raw, eq + 1, l - kl - 1);
                nf_aws_uri_encode(&enc, raw.data ? raw.data : "", raw.len, false);
                nf_buf_putc(&enc, '\0'); /* also makes an empty value a real string */
                nf_buf_free(&raw);
                if (enc.status != NF_OK) {
                    nf_buf_free(&enc);
                    rc = nf_err_set(err, NF_E_INPUT, "query parameter too long");
                    break;
                }
                if (part == 0)
                    ps[n].key = enc.data;
                else
                    ps[n].value = enc.data;
            }
            n++;
        }
        p += l + (amp ? 1 : 0);
    }
    if (rc == NF_OK) {
        qsort(ps, n, sizeof *ps, cmp_qparam);
        for (size_t i = 0; i < n; i++)
            nf_buf_putv(out, i ? "&" : "", ps[i].key, "=", ps[i].value, (const char *)NULL);
    }
    for (size_t i = 0; i < n; i++) {
        free(ps[i].key);
        free(ps[i].value);
    }
    free(ps);
    return rc;
}

struct chdr {
    char name[128];
    struct nf_buf value; /* trimmed, runs of blanks folded; duplicates joined with ',' */
};

static void fold_value(struct nf_buf *out, const char *v)
{
    bool space = false, any = false;
    for (const char *p = v; *p; p++) {
        bool blank = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
        if (blank) {
            space = any;
            continue;
        }
        if (space)
            nf_buf_putc(out, ' ');
        space = false;
        any = true;
        nf_buf_putc(out, *p);
    }
}

static int cmp_chdr(const void *a, const void *b)
{
    return strcmp(((const struct chdr *)a)->name, ((const struct chdr *)b)->name);
}

/* YYYYMMDDTHHMMSSZ */
static void amz_date(const struct tm *tm, char out[17])
{
    int v[6] = {tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday,
                tm->tm_hour,        tm->tm_min,     tm->tm_sec};
    int y = v[0] % 10000;
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    char *p = out + 4;
    for (int i = 1; i < 6; i++) {
        if (i == 3)
            *p++ = 'T';
        *p++ = (char)('0' + v[i] / 10);
        *p++ = (char)('0' + v[i] % 10);
    }
    *p++ = 'Z';
    *p = '\0';
}

void nf_sigv4_keys_clear(struct nf_sigv4_key_cache *k)
{
    memset(k, 0, sizeof *k);
}

/* The signing key: the HMAC chain from "AWS4" + secret over date, region, service and
 * "aws4_request", or the cached result of it. */
static void signing_key(const struct nf_sigv4_request *req, const struct nf_aws_credentials *cr,
                        const char *date, unsigned char key[32])
{
    char scope[96];
    unsigned char digest[32];
    struct nf_sigv4_key_cache *kc = req->keys;
    bool cacheable = kc != NULL && nf_strjoin(scope, sizeof scope, date, "/", req->region, "/",
                                              req->service, (const char *)NULL) == NF_OK;
    size_t sl = strlen(scope);
    if (cacheable) {
        nf_sha256(cr->secret_access_key, strlen(cr->secret_access_key), digest);
        for (int i = 0; i < NF_SIGV4_KEYS_CACHED; i++)
            if (kc->e[i].used && strcmp(kc->e[i].scope, scope) == 0 &&
                memcmp(kc->e[i].secret_digest, digest, 32) == 0) {
                memcpy(key, kc->e[i].key, 32);
                return;
            }
    }
    char k0[NF_AWS_SECRET_MAX + 8];
    int kl = snprintf(k0, sizeof k0, "AWS4%s", cr->secret_access_key);
    unsigned char k1[32], k2[32], k3[32];
    nf_hmac_sha256(k0, (size_t)kl, date, strlen(date), k1);
    nf_hmac_sha256(k1, 32, req->region, strlen(req->region), k2);
    nf_hmac_sha256(k2, 32, req->service, strlen(req->service), k3);
    nf_hmac_sha256(k3, 32, "aws4_request", 12, key);
    memset(k0, 0, sizeof k0);
    memset(k1, 0, sizeof k1);
    memset(k2, 0, sizeof k2);
    memset(k3, 0, sizeof k3);
    if (cacheable) {
        int i = kc->next;
        kc->next = (kc->next + 1) % NF_SIGV4_KEYS_CACHED;
        memcpy(kc->e[i].secret_digest, digest, 32);
        memcpy(kc->e[i].scope, scope, sl + 1);
        memcpy(kc->e[i].key, key, 32);
        kc->e[i].used = 1;
    }
}

/* AWS's four steps in their documented order - canonical request, string to sign, signing
 * key, signature - kept in one function so that it reads against the specification line by
 * line (the official test suites check it to the byte). */
int nf_sigv4_sign(const struct nf_sigv4_request *req, const struct nf_aws_credentials *cr,
                  struct nf_sigv4_result *out, struct nf_err *err)
{
    /* field by field: the token storage is large and written only when used */
    nf_buf_init(&out->canonical, NF_SIGV4_CANONICAL_MAX);
    nf_buf_init(&out->string_to_sign, 1024);
    out->authorization[0] = out->token_storage[0] = '\0';
    out->nadd = 0;
    struct tm tm;
    gmtime_r(&req->when, &tm);
    amz_date(&tm, out->amz_date);
    char date[9];
    memcpy(date, out->amz_date, 8);
    date[8] = '\0';
    unsigned char hash[32];
    nf_sha256(req->body ? req->body : "", req->body ? req->body_len : 0, hash);
    nf_hex(hash, 32, out->payload_hash);

    /* the headers to sign: the request's, plus what signing itself adds */
    struct nf_header all[NF_SIGV4_HEADERS_MAX + 3];
    size_t na = 0;
    bool has_date = false, has_token = false, has_sha = false;
    if (req->nheaders > NF_SIGV4_HEADERS_MAX)
        return nf_err_set(err, NF_E_INPUT, "more than %d headers to sign", NF_SIGV4_HEADERS_MAX);
    for (size_t i = 0; i < req->nheaders; i++) {
        all[na++] = req->headers[i];
        has_date |= strcasecmp(req->headers[i].name, "x-amz-date") == 0;
        has_token |= strcasecmp(req->headers[i].name, "x-amz-security-token") == 0;
        has_sha |= strcasecmp(req->headers[i].name, "x-amz-content-sha256") == 0;
    }
    if (!has_date) {
        out->add[out->nadd++] = (struct nf_header){"X-Amz-Date", out->amz_date};
        all[na++] = out->add[out->nadd - 1];
    }
    if (cr->session_token[0] != '\0' && !has_token) {
        snprintf(out->token_storage, sizeof out->token_storage, "%s", cr->session_token);
        out->add[out->nadd++] = (struct nf_header){"X-Amz-Security-Token", out->token_storage};
        if (!req->omit_session_token)
            all[na++] = out->add[out->nadd - 1];
    }
    if (req->sign_body && !has_sha) {
        out->add[out->nadd++] = (struct nf_header){"X-Amz-Content-Sha256", out->payload_hash};
        all[na++] = out->add[out->nadd - 1];
    }

    /* canonical headers: lower-case names, folded values, duplicates joined, sorted */
    struct chdr *h = calloc(na ? na : 1, sizeof *h);
    if (h == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    size_t nh = 0;
    int rc = NF_OK;
    for (size_t i = 0; i < na; i++) {
        char lower[128];
        size_t l = strlen(all[i].name);
        if (l == 0 || l >= sizeof lower) {
            rc = nf_err_set(err, NF_E_INPUT, "header name empty or too long");
            goto done;
        }
        for (size_t k = 0; k <= l; k++)
            lower[k] = (char)((all[i].name[k] >= 'A' && all[i].name[k] <= 'Z') ? all[i].name[k] + 32
                                                                               : all[i].name[k]);
        size_t j = 0;
        while (j < nh && strcmp(h[j].name, lower) != 0)
            j++;
        if (j == nh) {
            memcpy(h[nh].name, lower, l + 1);
            nf_buf_init(&h[nh].value, 64 * 1024);
            nh++;
        } else {
            nf_buf_putc(&h[j].value, ',');
        }
        fold_value(&h[j].value, all[i].value);
    }
    qsort(h, nh, sizeof *h, cmp_chdr);

    struct nf_buf *c = &out->canonical;
    nf_buf_putv(c, req->method, "\n", (const char *)NULL);
    canonical_path(c, req->path, req->normalize);
    nf_buf_putc(c, '\n');
    rc = canonical_query(c, req->query, err);
    if (rc != NF_OK)
        goto done;
    nf_buf_putc(c, '\n');
    for (size_t i = 0; i < nh; i++)
        nf_buf_putv(c, h[i].name, ":", h[i].value.data ? h[i].value.data : "", "\n",
                    (const char *)NULL);
    nf_buf_putc(c, '\n');
    char signed_headers[2048];
    size_t so = 0;
    for (size_t i = 0; i < nh; i++) {
        if (nf_strjoin(signed_headers + so, sizeof signed_headers - so, i ? ";" : "", h[i].name,
                       (const char *)NULL) != NF_OK) {
            rc = nf_err_set(err, NF_E_INPUT, "too many signed headers");
            goto done;
        }
        so += strlen(signed_headers + so);
    }
    nf_buf_putv(c, signed_headers, "\n", out->payload_hash, (const char *)NULL);
    if (c->status != NF_OK) {
        rc = nf_err_set(err, c->status, "canonical request too large");
        goto done;
    }

    char scope[256];
    nf_strjoin(scope, sizeof scope, date, "/", req->region, "/", req->service, "/aws4_request",
               (const char *)NULL);
    nf_sha256(c->data, c->len, hash);
    char creq_hex[65];
    nf_hex(hash, 32, creq_hex);
    nf_buf_putv(&out->string_to_sign, "AWS4-HMAC-SHA256\n", out->amz_date, "\n", scope, "\n",
                creq_hex, (const char *)NULL);

    unsigned char key[32], sig[32];
    signing_key(req, cr, date, key);
    nf_hmac_sha256(key, 32, out->string_to_sign.data, out->string_to_sign.len, sig);
    memset(key, 0, sizeof key);
    char sig_hex[65];
    nf_hex(sig, 32, sig_hex);
    if (nf_strjoin(out->authorization, sizeof out->authorization, "AWS4-HMAC-SHA256 Credential=",
                   cr->access_key_id, "/", scope, ", SignedHeaders=", signed_headers,
                   ", Signature=", sig_hex, (const char *)NULL) != NF_OK)
        rc = nf_err_set(err, NF_E_INPUT, "Authorization header too long");
done:
    for (size_t i = 0; i < nh; i++)
        nf_buf_free(&h[i].value);
    free(h);
    if (rc != NF_OK)
        nf_sigv4_result_free(out);
    return rc;
}

void nf_sigv4_result_free(struct nf_sigv4_result *out)
{
    nf_buf_free(&out->canonical);
    nf_buf_free(&out->string_to_sign);
    memset(out->token_storage, 0, strnlen(out->token_storage, sizeof out->token_storage));
}
