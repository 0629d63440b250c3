/* addr.h - listen addresses: "HOST:PORT", "[IPV6]:PORT", ":PORT".
 *
 * Contract
 *   Numeric hosts only, plus "localhost" (127.0.0.1); an empty host means every interface
 *   (IPv4 0.0.0.0). Port 0-65535 (0: any free port). Pure parsing, no name resolution, no I/O.
 */
#ifndef NF_ADDR_H
#define NF_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

struct nf_addr {
    struct sockaddr_storage ss;
    socklen_t len;
    int port;
};

/* NF_OK, or NF_E_INPUT with `*why` set to a static phrase. */
int nf_addr_parse(const char *text, struct nf_addr *out, const char **why);

#endif
