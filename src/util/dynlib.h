/* dynlib.h - load a shared library and its functions on first use.
 *
 * Why: linking OpenSSL's libssl costs every nodefleet process ~4 ms of start-up (libcurl, which
 * nodefleet used before its own client, cost 15 ms with its chain: Kerberos, LDAP, SSH...), and
 * libmicrohttpd ~1.6 ms (GnuTLS). `decide`, `simulate` and `check-config` need neither, and
 * `decide` has a 5 ms budget per call. So the network libraries are opened only by the
 * commands that use them.
 *
 * Contract
 *   nf_dynlib_load() opens `soname` and resolves every name in `names` into `fns` (same
 *   order), once; later calls return the first result. Thread-safe. A missing library or
 *   symbol is NF_E_UNAVAILABLE with a message naming it and the Debian package to install.
 *   Libraries stay loaded until the process ends (unloading libssl would pull OpenSSL's
 *   exit handlers from under it).
 */
#ifndef NF_DYNLIB_H
#define NF_DYNLIB_H

#include <pthread.h>

#include "err.h"

struct nf_dynlib {
    const char *soname;
    const char *package; /* for the error message */
    const char *const *names;
    void **fns;
    /* state */
    pthread_mutex_t mu;
    int done;
    int rc;
    char error[NF_ERR_MSG_MAX];
};

#define NF_DYNLIB_INIT(soname_, package_, names_, fns_)                                            \
    {                                                                                              \
        .soname = (soname_), .package = (package_), .names = (names_), .fns = (fns_),              \
        .mu = PTHREAD_MUTEX_INITIALIZER                                                            \
    }

int nf_dynlib_load(struct nf_dynlib *lib, struct nf_err *err);

/* Load `lib` and copy its resolved functions into `table`, a struct of `size` bytes made of
 * exactly one function pointer per name, in the names' order (POSIX: a dlsym() result has a
 * function pointer's representation). A size that does not match the names is
 * NF_E_INTERNAL. */
int nf_dynlib_bind(struct nf_dynlib *lib, void *table, size_t size, struct nf_err *err);

/* A library's functions are listed once, as X(field, "symbol", return type, (arguments)), and
 * these expand the one list into the struct of typed pointers and the symbol names in the same
 * order, so the two can never drift apart:
 *   #define SSL_FNS(X) X(ssl_new, "SSL_new", SSL *, (SSL_CTX *)) ...
 *   static struct { SSL_FNS(NF_DYNLIB_FIELD) } S;
 *   static const char *const names[] = {SSL_FNS(NF_DYNLIB_NAME) NULL};
 *   ... nf_dynlib_bind(&lib, &S, sizeof S, err) */
#define NF_DYNLIB_FIELD(field, sym, ret, args) ret(*field) args;
#define NF_DYNLIB_NAME(field, sym, ret, args)  sym,

#endif
