/* kubeconfig.h - how nodefleet reaches the API server: a kubeconfig, or in-cluster.
 *
 * Contract
 *   nf_kubeconfig_parse reads kubeconfig YAML (clusters, users, contexts, current-context)
 *   and resolves one context (the given one, else current-context): the cluster's server,
 *   certificate-authority-data (base64 PEM) or certificate-authority (a file),
 *   insecure-skip-tls-verify; the user's token or tokenFile,
 *   client-certificate(-data) and client-key(-data). Relative file paths are relative to
 *   the kubeconfig's directory. exec and auth-provider plugins, username/password,
 *   tls-server-name, proxy-url and a missing or unknown context are errors. Every error reads
 * "FILE:LINE: what" or "FILE: what", and never contains a secret. Bounded: files over 1 MiB are
 * refused. nf_kube_in_cluster uses the pod's service account: DIR/token, DIR/ca.crt and the
 *   KUBERNETES_SERVICE_HOST / _PORT environment.
 *   nf_kube_auth_find picks, in order: the configured kubeconfig (kube.kubeconfig, which
 *   KUBECONFIG sets; the first existing file of a colon-separated list), ~/.kube/config,
 *   in-cluster when KUBERNETES_SERVICE_HOST is set, then K3s' /etc/rancher/k3s/k3s.yaml.
 *   Secrets (token, key, CA) are heap copies wiped by nf_kube_auth_free.
 */
#ifndef NF_KUBE_KUBECONFIG_H
#define NF_KUBE_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/err.h"

#define NF_KUBECONFIG_MAX (1024 * 1024)

struct nf_kube_auth {
    char server[512];                          /* https://host:port, no trailing slash */
    char *ca_pem, *cert_pem, *key_pem, *token; /* NUL-terminated, or NULL */
    bool insecure;
    char context[256];
    char source[640]; /* "kubeconfig /root/.kube/config, context default", for messages */
};

int nf_kubeconfig_parse(const char *text, size_t len, const char *file, const char *context,
                        struct nf_kube_auth *out, struct nf_err *err);
int nf_kube_auth_find(const char *kubeconfig, const char *context, const char *sa_dir,
                      char *const *envp, struct nf_kube_auth *out, struct nf_err *err);
void nf_kube_auth_free(struct nf_kube_auth *a);

#endif
