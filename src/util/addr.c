/* addr.c - parse listen addresses without touching the network. */
#define _POSIX_C_SOURCE 200809L
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "err.h"
#include "parse.h"

int nf_addr_parse(const char *text, struct nf_addr *out, const char **why)
{
    memset(out, 0, sizeof *out);
    char host[64];
    const char *port;
    bool v6 = false;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':') {
            *why = "expected [IPV6]:PORT";
            return NF_E_INPUT;
        }
        size_t hl = (size_t)(close - text - 1);
        if (hl == 0 || hl >= sizeof host) {
            *why = "bad IPv6 address";
            return NF_E_INPUT;
        }
        memcpy(host, text + 1, hl);
        host[hl] = '\0';
        port = close + 2;
        v6 = true;
    } else {
        const char *colon = strrchr(text, ':');
        if (colon == NULL) {
            *why = "expected HOST:PORT, [IPV6]:PORT or :PORT";
            return NF_E_INPUT;
        }
        if (strchr(text, ':') != colon) {
            *why = "an IPv6 address needs brackets: [IPV6]:PORT";
            return NF_E_INPUT;
        }
        size_t hl = (size_t)(colon - text);
        if (hl >= sizeof host) {
            *why = "host too long";
            return NF_E_INPUT;
        }
        memcpy(host, text, hl);
        host[hl] = '\0';
        port = colon + 1;
    }
    long long p;
    if (nf_parse_ll(port, strlen(port), &p, NULL) != NF_OK || p < 0 || p > 65535) {
        *why = "port must be a number from 0 (any free port) to 65535";
        return NF_E_INPUT;
    }
    out->port = (int)p;
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)p);
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) {
            *why = "bad IPv6 address";
            return NF_E_INPUT;
        }
        out->len = sizeof *a;
        return NF_OK;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)&out->ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)p);
    if (host[0] == '\0') {
        a->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (strcmp(host, "localhost") == 0) {
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
        *why = "host must be an IP address, localhost, or empty for all interfaces";
        return NF_E_INPUT;
    }
    out->len = sizeof *a;
    return NF_OK;
}
