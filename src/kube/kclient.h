/* kclient.h - the Kubernetes API client: authenticated JSON requests and paged lists.
 *
 * Contract
 *   nf_kube_open finds credentials (kubeconfig.h) and prepares the HTTP client: TLS
 *   verified against the kubeconfig's CA (or the system's), a client certificate or bearer
 *   token; insecure-skip-tls-verify only when the kubeconfig says so, with a warning.
 *   nf_kube_call makes one request. A 2xx answer is NF_OK with its JSON (NULL for an empty
 *   body); any other status is NF_E_KUBE with the API's Status (code, reason, message,
 *   retryAfterSeconds or the Retry-After header) in `st` and a message naming the call:
 *   401 says the credentials are invalid or expired, 403 points at RBAC. Transport failures
 *   are NF_E_UNAVAILABLE; a body that is not JSON, or over the size cap, NF_E_INPUT /
 *   NF_E_TOO_BIG. Reads are retried on transport errors, 429 and 5xx; writes never (an
 *   eviction or a patch is the caller's to repeat). No secret is ever in a message or log.
 *   nf_kube_list follows `limit`/`continue` pages, handing each item to `fn` and freeing
 *   each page before fetching the next. nf_kube_watch streams one watch (below).
 */
#ifndef NF_KUBE_KCLIENT_H
#define NF_KUBE_KCLIENT_H

#include <jansson.h>

#include "../http/http.h"
#include "kubeconfig.h"

#define NF_KUBE_BODY_MAX (64u * 1024 * 1024)

#define NF_KUBE_LISTS 5 /* nf_kube_snapshot's lists, fetched at once */

struct nf_kube {
    struct nf_http *http;
    struct nf_http *more[NF_KUBE_LISTS - 1]; /* the other lists' connections, made on need */
    struct nf_kube_auth auth;
    double timeout_s;
    int page_size;
    long requests; /* made so far, for tests and benchmarks */
};

struct nf_kube_status {
    long code;
    char reason[64];
    char message[512];
    double retry_after_s; /* 0 when the server gave none */
};

/* What the client needs (the CLI fills it from the configuration: nf_cli_kube_opts). */
struct nf_kube_opts {
    const char *kubeconfig;         /* a colon-separated list; "" or NULL: the usual places */
    const char *kubeconfig_text;    /* a kubeconfig itself (e.g. from a secret): over the rest */
    const char *context;            /* "" or NULL: the current context */
    const char *serviceaccount_dir; /* in a pod */
    double timeout_s;               /* one request */
    int page_size;                  /* list pages */
};

int nf_kube_open(struct nf_kube *k, const struct nf_kube_opts *o, char *const *envp,
                 struct nf_err *err);
void nf_kube_close(struct nf_kube *k);

int nf_kube_call(struct nf_kube *k, const char *method, const char *path, const char *body,
                 const char *content_type, json_t **out, struct nf_kube_status *st,
                 struct nf_err *err);

typedef int (*nf_kube_item_fn)(void *ctx, const json_t *item, struct nf_err *err);

/* `query` (may be NULL): extra parameters, already encoded ("fieldSelector=..."). */
int nf_kube_list(struct nf_kube *k, const char *path, const char *query, nf_kube_item_fn fn,
                 void *ctx, struct nf_err *err);

/* The same, also giving the list's metadata.resourceVersion (where a watch starts). */
int nf_kube_list_rv(struct nf_kube *k, const char *path, const char *query, nf_kube_item_fn fn,
                    void *ctx, char *rv, size_t rvlen, struct nf_err *err);

/* One watch request from resourceVersion `rv`, bookmarks asked for, that the server ends after
 * `timeout_s`: each event (a line of JSON) goes to `fn` with its type (ADDED, MODIFIED,
 * DELETED, BOOKMARK, ERROR) and object - and once, first, with NULL for both when the server
 * answered 200 and the stream is open. NF_OK when the server ended the stream; `fn`'s error
 * when it returned one (the stream is dropped); a transport error, or NF_E_UNAVAILABLE when
 * *cancel became nonzero; a non-2xx answer is NF_E_KUBE with its Status in `st` (410: the
 * version is too old). Never retried: the caller resumes from its last version. */
typedef int (*nf_kube_event_fn)(void *ctx, const char *type, const json_t *object,
                                struct nf_err *err);

/* The stream's reader nf_kube_watch feeds (and the fuzz target): bytes in pieces of any size,
 * one event per line to `fn`; a line that is not an event, or over NF_KUBE_BODY_MAX, stops
 * it with NF_E_INPUT / NF_E_TOO_BIG in `err`; feeding NULL says the stream opened. */
struct nf_kube_wstream {
    struct nf_buf line;
    nf_kube_event_fn fn;
    void *ctx;
    const char *path;
    long events;
    int rc;
    struct nf_err err;
};
void nf_kube_wstream_init(struct nf_kube_wstream *w, const char *path, nf_kube_event_fn fn,
                          void *ctx);
int nf_kube_wstream_feed(struct nf_kube_wstream *w, const char *p, size_t n);
void nf_kube_wstream_free(struct nf_kube_wstream *w);

int nf_kube_watch(struct nf_kube *k, const char *path, const char *rv, int timeout_s,
                  const volatile int *cancel, nf_kube_event_fn fn, void *ctx,
                  struct nf_kube_status *st, struct nf_err *err);

#endif
