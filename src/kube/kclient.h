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
 *   each page before fetching the next.
 */
#ifndef NF_KUBE_KCLIENT_H
#define NF_KUBE_KCLIENT_H

#include <jansson.h>

#include "../http/http.h"
#include "kubeconfig.h"

#define NF_KUBE_BODY_MAX (64u * 1024 * 1024)

struct nf_kube {
    struct nf_http *http;
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

#endif
