/* wire.c - HTTP/1.1 URLs and responses as bytes (see wire.h). */
#include "wire.h"

#include "../util/parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- URLs ---- */


/* percent-decode [p, e) into out[cap]; false when it does not fit or is malformed */
static bool pct_decode(const char *p, const char *e, char *out, size_t cap)
{
    size_t n = 0;
    for (; p < e; p++) {
        int c = (unsigned char)*p;
        if (c == '%') {
            if (e - p < 3 || nf_hex_digit(p[1]) < 0 || nf_hex_digit(p[2]) < 0)
                return false;
            c = nf_hex_digit(p[1]) * 16 + nf_hex_digit(p[2]);
            p += 2;
        }
        if (c == 0 || n + 1 >= cap)
            return false;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return true;
}

static int fail(char *why, size_t whylen, const char *msg)
{
    snprintf(why, whylen, "%s", msg);
    return -1;
}

static int parse_host(const char *h, const char *end, struct nf_url *u, char *why, size_t wl)
{
    const char *hend = end, *colon = NULL;
    if (*h == '[') {
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (rb == NULL)
            return fail(why, wl, "an IPv6 address without its ']'");
        u->ipv6 = true;
        if (rb + 1 < end && rb[1] != ':')
            return fail(why, wl, "characters after the IPv6 address");
        colon = rb + 1 < end ? rb + 1 : NULL;
        hend = rb + 1;
        h++;
        if ((size_t)(rb - h) >= sizeof u->host || rb == h)
            return fail(why, wl, "a bad IPv6 address");
        memcpy(u->host, h, (size_t)(rb - h));
        u->host[rb - h] = '\0';
        if (strspn(u->host, "0123456789abcdefABCDEF:.") != strlen(u->host))
            return fail(why, wl, "a bad IPv6 address");
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        hend = colon ? colon : end;
        if (hend == h)
            return fail(why, wl, "no host");
        if ((size_t)(hend - h) >= sizeof u->host)
            return fail(why, wl, "a host name over 255 characters");
        for (const char *p = h; p < hend; p++) {
            unsigned char c = (unsigned char)*p;
            if (c <= ' ' || c >= 0x7f || strchr("\"<>\\^`{|}%@[]", c))
                return fail(why, wl, "a character a host name cannot have");
        }
        memcpy(u->host, h, (size_t)(hend - h));
        u->host[hend - h] = '\0';
    }
    u->port = u->tls ? 443 : 80;
    if (colon) {
        const char *pp = colon + 1;
        long port = 0;
        if (pp == end)
            return fail(why, wl, "an empty port");
        for (; pp < end; pp++) {
            if (*pp < '0' || *pp > '9' || port > 65535)
                return fail(why, wl, "a port that is not a number from 1 to 65535");
            port = port * 10 + (*pp - '0');
        }
        if (port < 1 || port > 65535)
            return fail(why, wl, "a port that is not a number from 1 to 65535");
        u->port = (int)port;
    }
    (void)hend;
    bool dflt = u->port == (u->tls ? 443 : 80);
    snprintf(u->hostport, sizeof u->hostport, "%s%s%s%s%.0d", u->ipv6 ? "[" : "", u->host,
             u->ipv6 ? "]" : "", dflt ? "" : ":", dflt ? 0 : u->port);
    return 0;
}

int nf_url_parse(const char *url, struct nf_url *u, char *why, size_t wl)
{
    memset(u, 0, sizeof *u);
    const char *p;
    if (strncasecmp(url, "http://", 7) == 0) {
        p = url + 7;
    } else if (strncasecmp(url, "https://", 8) == 0) {
        u->tls = true;
        p = url + 8;
    } else {
        return fail(why, wl, "not an http:// or https:// URL");
    }
    const char *auth_end = p + strcspn(p, "/?#");
    for (const char *q = url; *q; q++)
        if ((unsigned char)*q <= ' ' || *q == 0x7f)
            return fail(why, wl, "a space or control character in the URL");
    const char *at = NULL;
    for (const char *q = p; q < auth_end; q++)
        if (*q == '@')
            at = q;
    if (at) {
        const char *c = memchr(p, ':', (size_t)(at - p));
        const char *ue = c ? c : at;
        if (!pct_decode(p, ue, u->user, sizeof u->user) ||
            !pct_decode(c ? c + 1 : at, at, u->password, sizeof u->password))
            return fail(why, wl, "bad or overlong user information");
        u->has_userinfo = true;
        p = at + 1;
    }
    if (parse_host(p, auth_end, u, why, wl) != 0)
        return -1;
    u->target = auth_end;
    u->target_len = strcspn(auth_end, "#");
    if (u->target_len == 0 || *auth_end != '/') {
        if (*auth_end == '?') { /* "http://h?q": the path is "/" and the query follows */
            u->target = auth_end;
        } else {
            u->target = "/";
            u->target_len = 1;
        }
    }
    return 0;
}

/* ---- responses ---- */

enum {
    S_STATUS,
    S_HEADER,
    S_BODY,       /* Content-Length */
    S_CLOSE,      /* until the connection closes */
    S_CHUNK_SIZE, /* the size line */
    S_CHUNK_DATA,
    S_CHUNK_END,  /* the CRLF after a chunk */
    S_TRAILER,
    S_DONE,
    S_FAILED
};

void nf_wire_resp_init(struct nf_wire_resp *r)
{
    r->status = 0;
    r->minor = 1;
    r->keep_alive = false;
    r->until_close = false;
    r->content_length = (unsigned long long)-1;
    r->error[0] = '\0';
    r->state = S_STATUS;
    r->chunked = r->has_length = r->close = false;
    r->left = 0;
    r->line_len = r->head_bytes = 0;
}

static int wfail(struct nf_wire_resp *r, const char *fmt, const char *arg)
{
    snprintf(r->error, sizeof r->error, fmt, arg);
    r->state = S_FAILED;
    return NF_WIRE_ERROR;
}

static int status_line(struct nf_wire_resp *r, const char *l, size_t n)
{
    /* HTTP/1.x SP 3DIGIT [SP reason] */
    if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') || l[8] != ' ' ||
        l[9] < '1' || l[9] > '5' || l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9' ||
        (n > 12 && l[12] != ' '))
        return wfail(r, "a malformed status line%s", "");
    r->minor = l[7] - '0';
    r->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
    r->chunked = r->has_length = false;
    r->close = r->minor == 0;
    r->content_length = (unsigned long long)-1;
    r->state = S_HEADER;
    return NF_WIRE_MORE;
}

static bool token_in(const char *v, size_t n, const char *tok)
{
    size_t tl = strlen(tok);
    for (size_t i = 0; i < n;) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
            return true;
    }
    return false;
}

static int framing_header(struct nf_wire_resp *r, const char *name, size_t nl, const char *v,
                          size_t vl)
{
    if (nl == 14 && strncasecmp(name, "content-length", 14) == 0) {
        unsigned long long len = 0;
        if (vl == 0 || vl > 18)
            return wfail(r, "a bad Content-Length%s", "");
        for (size_t i = 0; i < vl; i++) {
            if (v[i] < '0' || v[i] > '9')
                return wfail(r, "a bad Content-Length%s", "");
            len = len * 10 + (unsigned)(v[i] - '0');
        }
        if (r->has_length && len != r->content_length)
            return wfail(r, "two different Content-Lengths%s", "");
        r->has_length = true;
        r->content_length = len;
    } else if (nl == 17 && strncasecmp(name, "transfer-encoding", 17) == 0) {
        /* chunked must be the last coding; anything else we cannot decode */
        size_t e = vl;
        while (e > 0 && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        size_t s = e;
        while (s > 0 && v[s - 1] != ',' && v[s - 1] != ' ')
            s--;
        if (e - s == 7 && strncasecmp(v + s, "chunked", 7) == 0)
            r->chunked = true;
        else if (!(e - s == 8 && strncasecmp(v + s, "identity", 8) == 0))
            return wfail(r, "a Transfer-Encoding this client cannot read%s", "");
    } else if (nl == 10 && strncasecmp(name, "connection", 10) == 0) {
        if (token_in(v, vl, "close"))
            r->close = true;
        else if (r->minor == 0 && token_in(v, vl, "keep-alive"))
            r->close = false;
    }
    return NF_WIRE_MORE;
}

static int header_line(struct nf_wire_resp *r, const char *l, size_t n)
{
    if (l[0] == ' ' || l[0] == '\t')
        return wfail(r, "a folded header line (obsolete, not accepted)%s", "");
    const char *colon = memchr(l, ':', n);
    if (colon == NULL || colon == l)
        return wfail(r, "a header line without a name and ':'%s", "");
    for (const char *p = l; p < colon; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '"' || *p == '(' || *p == ')')
            return wfail(r, "a header name with a character a name cannot have%s", "");
    size_t nl = (size_t)(colon - l);
    const char *v = colon + 1, *e = l + n;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    for (const char *p = v; p < e; p++)
        if (*p == '\0')
            return wfail(r, "a NUL in a header value%s", "");
    int rc = framing_header(r, l, nl, v, (size_t)(e - v));
    if (rc != NF_WIRE_MORE)
        return rc;
    bool interim = r->status < 200 && r->status != 101;
    if (!interim && r->on_header && r->on_header(r->ctx, l, nl, v, (size_t)(e - v)) != 0)
        return NF_WIRE_STOPPED;
    return NF_WIRE_MORE;
}

/* the empty line after the headers: how the body is framed */
static int head_done(struct nf_wire_resp *r)
{
    if (r->status < 200 && r->status != 101) { /* interim: the real answer follows */
        r->state = S_STATUS;
        return NF_WIRE_MORE;
    }
    if (r->on_head && r->on_head(r->ctx, r->status) != 0)
        return NF_WIRE_STOPPED;
    bool none = r->head_request || r->status == 204 || r->status == 304 ||
                (r->connect && r->status >= 200 && r->status < 300) || r->status == 101;
    r->keep_alive = !r->close;
    if (none) {
        r->state = S_DONE;
        if (r->status == 101 || r->connect)
            r->keep_alive = false; /* the connection is not HTTP any more */
        return NF_WIRE_DONE;
    }
    if (r->chunked) {
        r->state = S_CHUNK_SIZE;
    } else if (r->has_length) {
        r->left = r->content_length;
        r->state = S_BODY;
        if (r->left == 0) {
            r->state = S_DONE;
            return NF_WIRE_DONE;
        }
    } else {
        r->state = S_CLOSE;
        r->until_close = true;
        r->keep_alive = false;
    }
    return NF_WIRE_MORE;
}

static int chunk_size_line(struct nf_wire_resp *r, const char *l, size_t n)
{
    unsigned long long size = 0;
    size_t i = 0;
    for (; i < n && nf_hex_digit((unsigned char)l[i]) >= 0; i++) {
        if (i >= 15)
            return wfail(r, "a chunk size over 2^60%s", "");
        size = size * 16 + (unsigned)nf_hex_digit((unsigned char)l[i]);
    }
    while (i < n && (l[i] == ' ' || l[i] == '\t'))
        i++;
    if (i == 0 || (i < n && l[i] != ';'))
        return wfail(r, "a malformed chunk size line%s", "");
    r->left = size;
    r->state = size == 0 ? S_TRAILER : S_CHUNK_DATA;
    return NF_WIRE_MORE;
}

/* one complete line (without its end) in the state it belongs to */
static int on_line(struct nf_wire_resp *r, const char *l, size_t n)
{
    switch (r->state) {
    case S_STATUS:
        if (n == 0 && r->head_bytes <= 2) /* a stray empty line before the answer */
            return NF_WIRE_MORE;
        return status_line(r, l, n);
    case S_HEADER:
        return n == 0 ? head_done(r) : header_line(r, l, n);
    case S_CHUNK_SIZE:
        return chunk_size_line(r, l, n);
    case S_CHUNK_END:
        if (n != 0)
            return wfail(r, "chunk data longer than its size%s", "");
        r->state = S_CHUNK_SIZE;
        return NF_WIRE_MORE;
    case S_TRAILER:
        if (n == 0) {
            r->state = S_DONE;
            return NF_WIRE_DONE;
        }
        return NF_WIRE_MORE; /* trailer fields are not kept */
    default:
        return wfail(r, "internal: a line in state %s", "?");
    }
}

static bool in_head(const struct nf_wire_resp *r)
{
    return r->state == S_STATUS || r->state == S_HEADER;
}

/* gather a line; returns a result when the line completes it or fails, else MORE */
static int take_line_byte(struct nf_wire_resp *r, char c)
{
    if (in_head(r) && ++r->head_bytes > NF_WIRE_HEAD_MAX)
        return wfail(r, "a response head over %s bytes", "65536");
    if (c == '\n') {
        size_t n = r->line_len;
        if (n > 0 && r->line[n - 1] == '\r')
            n--;
        r->line_len = 0;
        return on_line(r, r->line, n);
    }
    if (r->line_len + 1 >= sizeof r->line)
        return wfail(r, "a line of the response over %s bytes", "8192");
    r->line[r->line_len++] = c;
    return NF_WIRE_MORE;
}

static int body_bytes(struct nf_wire_resp *r, const char *p, size_t n)
{
    if (n > 0 && r->on_body && r->on_body(r->ctx, p, n) != 0)
        return NF_WIRE_STOPPED;
    return NF_WIRE_MORE;
}

int nf_wire_resp_feed(struct nf_wire_resp *r, const char *p, size_t n, size_t *used)
{
    size_t i = 0;
    int rc = NF_WIRE_MORE;
    if (r->state == S_FAILED)
        return NF_WIRE_ERROR;
    while (i < n && rc == NF_WIRE_MORE) {
        if (r->state == S_DONE) {
            rc = NF_WIRE_DONE;
            break;
        }
        if (r->state == S_BODY || r->state == S_CHUNK_DATA || r->state == S_CLOSE) {
            size_t take = n - i;
            if (r->state != S_CLOSE && take > r->left)
                take = (size_t)r->left;
            rc = body_bytes(r, p + i, take);
            i += take;
            if (r->state != S_CLOSE)
                r->left -= take;
            if (rc == NF_WIRE_MORE && r->state == S_BODY && r->left == 0) {
                r->state = S_DONE;
                rc = NF_WIRE_DONE;
            } else if (r->state == S_CHUNK_DATA && r->left == 0) {
                r->state = S_CHUNK_END;
            }
            continue;
        }
        rc = take_line_byte(r, p[i++]);
    }
    if (rc == NF_WIRE_MORE && r->state == S_DONE)
        rc = NF_WIRE_DONE;
    if (used)
        *used = i;
    return rc;
}

int nf_wire_resp_eof(struct nf_wire_resp *r)
{
    if (r->state == S_DONE)
        return NF_WIRE_DONE;
    if (r->state == S_CLOSE) {
        r->state = S_DONE;
        return NF_WIRE_DONE;
    }
    if (r->state == S_FAILED)
        return NF_WIRE_ERROR;
    if (r->state == S_STATUS && r->head_bytes == 0)
        return wfail(r, "the connection closed before an answer%s", "");
    if (in_head(r))
        return wfail(r, "the connection closed in the answer's head%s", "");
    return wfail(r, "the connection closed before the body's end%s", "");
}
