/* base64.c - encode and strictly decode base64. */
#include "base64.h"

#include <stdbool.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void nf_base64_encode(struct nf_buf *out, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        char q[4] = {alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63],
                     i + 1 < len ? alphabet[(v >> 6) & 63] : '=',
                     i + 2 < len ? alphabet[v & 63] : '='};
        nf_buf_append(out, q, 4);
    }
}

static int val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int nf_base64_decode(struct nf_buf *out, const char *s, size_t len)
{
    if (len % 4 != 0)
        return NF_E_INPUT;
    for (size_t i = 0; i < len; i += 4) {
        int a = val(s[i]), b = val(s[i + 1]);
        bool last = i + 4 == len;
        int c = s[i + 2] == '=' && last ? -2 : val(s[i + 2]);
        int d = s[i + 3] == '=' && last ? -2 : val(s[i + 3]);
        if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2))
            return NF_E_INPUT;
        unsigned v = ((unsigned)a << 18) | ((unsigned)b << 12) | ((c >= 0 ? (unsigned)c : 0) << 6) |
                     (d >= 0 ? (unsigned)d : 0);
        char bytes[3] = {(char)(v >> 16), (char)(v >> 8), (char)v};
        nf_buf_append(out, bytes, c < 0 ? 1 : d < 0 ? 2 : 3);
    }
    return out->status == NF_OK || len == 0 ? NF_OK : out->status;
}
