/* dynlib.c - dlopen once, resolve a table of functions. */
#define _POSIX_C_SOURCE 200809L
#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int nf_dynlib_load(struct nf_dynlib *lib, struct nf_err *err)
{
    pthread_mutex_lock(&lib->mu);
    if (!lib->done) {
        lib->done = 1;
        lib->rc = NF_OK;
        void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
        if (h == NULL) {
            const char *e = dlerror();
            snprintf(lib->error, sizeof lib->error,
                     "cannot load %s (install the Debian package %s): %s", lib->soname,
                     lib->package, e ? e : "unknown error");
            lib->rc = NF_E_UNAVAILABLE;
        } else {
            for (size_t i = 0; lib->names[i] != NULL; i++) {
                dlerror();
                void *f = dlsym(h, lib->names[i]);
                if (f == NULL) {
                    snprintf(lib->error, sizeof lib->error, "%s has no %s (too old?)", lib->soname,
                             lib->names[i]);
                    lib->rc = NF_E_UNAVAILABLE;
                    break;
                }
                lib->fns[i] = f;
            }
        }
    }
    int rc = lib->rc;
    if (rc != NF_OK)
        nf_err_set(err, rc, "%s", lib->error);
    pthread_mutex_unlock(&lib->mu);
    return rc;
}

int nf_dynlib_bind(struct nf_dynlib *lib, void *table, size_t size, struct nf_err *err)
{
    size_t n = 0;
    while (lib->names[n] != NULL)
        n++;
    if (size != n * sizeof(void *))
        return nf_err_set(err, NF_E_INTERNAL, "%s: a table of %zu bytes for %zu functions",
                          lib->soname, size, n);
    int rc = nf_dynlib_load(lib, err);
    if (rc == NF_OK)
        memcpy(table, lib->fns, size);
    return rc;
}
