#!/bin/bash
# k3s-server.sh - the K3s server's user data (issue 18): install the K3s server, give nodefleet
# its Kubernetes identity, and in daemon mode start nodefleet beside it. The CloudFormation
# template (deploy/aws/nodefleet.yaml) puts it in the server's user data with its settings in
# front; it also works on its own (Amazon Linux 2023, Ubuntu 24.04).
#
#   - instance metadata through IMDSv2 only;
#   - the join token from Secrets Manager (the stack generates it: it exists before the
#     server, so a worker never waits on a token the server has not written yet, and the
#     server needs no permission to write it);
#   - K3s at a pinned version, registered like the workers (provider id aws:///ZONE/ID, the
#     zone label) and tainted CriticalAddonsOnly so workloads land on workers only;
#   - nodefleet's ServiceAccount and ClusterRole (the same rules as
#     deploy/kubernetes/rbac/rbac.yaml - a test checks), and a kubeconfig with that account's
#     token and the cluster's CA put into Secrets Manager (aws.kubeconfig_secret): what a
#     nodefleet Lambda in the VPC reaches the API server with;
#   - daemon mode: nodefleet from the package zip in S3 (the same zip Lambda runs: it needs
#     only glibc, so one artifact serves Amazon Linux, which has no dpkg, and Ubuntu), its
#     settings in /etc/nodefleet/nodefleet.env (root's alone), a systemd unit, started;
#   - everything logged to standard error; no token is ever logged.
#
# Settings (environment):
#   NODEFLEET_CLUSTER_ID          the pool                                        (required)
#   NODEFLEET_TOKEN_SECRET        Secrets Manager id of the K3s join token        (required)
#   NODEFLEET_KUBECONFIG_SECRET   Secrets Manager id the kubeconfig goes to       (required)
#   NODEFLEET_MODE                daemon or lambda                          (default daemon)
#   NODEFLEET_PACKAGE             s3://BUCKET/KEY of nodefleet-lambda.zip   (daemon: required)
#   NODEFLEET_SETTINGS            nodefleet's settings, NAME=VALUE lines      (daemon mode)
#   NODEFLEET_WIREGUARD           true: flannel over WireGuard             (default false)
#   K3S_VERSION                   the K3s release                   (default v1.31.4+k3s1)
#   NODEFLEET_WAIT_MAX            longest wait between attempts, seconds     (default 60)
#   NODEFLEET_IMDS, NODEFLEET_AWS_ENDPOINT, NODEFLEET_K3S_INSTALLER: as k3s-worker.sh
#   NODEFLEET_KUBECTL             the kubectl command            (default: k3s kubectl)
#   NODEFLEET_ROOT                prefix of /etc, /opt and systemctl's paths (tests; "")
set -euo pipefail

log() { printf 'nodefleet-server: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# Ubuntu's AMIs have no AWS CLI: snap has it (Amazon Linux 2023 ships it)
if ! command -v aws >/dev/null 2>&1 && command -v snap >/dev/null 2>&1; then
    log "installing the AWS CLI with snap"
    snap install aws-cli --classic >&2 || die "snap could not install the AWS CLI"
    PATH=$PATH:/snap/bin
fi
for tool in curl aws base64; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing (the AMI needs curl, base64 and the AWS CLI)"
done
CLUSTER=${NODEFLEET_CLUSTER_ID:-}
SECRET=${NODEFLEET_TOKEN_SECRET:-}
KSECRET=${NODEFLEET_KUBECONFIG_SECRET:-}
MODE=${NODEFLEET_MODE:-daemon}
[[ -n "$CLUSTER" ]] || die "NODEFLEET_CLUSTER_ID is not set"
[[ -n "$SECRET" ]] || die "NODEFLEET_TOKEN_SECRET is not set"
[[ -n "$KSECRET" ]] || die "NODEFLEET_KUBECONFIG_SECRET is not set"
[[ "$MODE" == daemon || "$MODE" == lambda ]] || die "NODEFLEET_MODE '$MODE' is neither daemon nor lambda"
if [[ "$MODE" == daemon ]]; then
    [[ "${NODEFLEET_PACKAGE:-}" =~ ^s3://[^/]+/.+ ]] || die "NODEFLEET_PACKAGE '${NODEFLEET_PACKAGE:-}' is not s3://BUCKET/KEY"
    command -v unzip >/dev/null 2>&1 || command -v python3 >/dev/null 2>&1 ||
        die "neither 'unzip' nor 'python3' is here (daemon mode unpacks the package)"
fi
K3S_VERSION=${K3S_VERSION:-v1.31.4+k3s1}
[[ "$K3S_VERSION" =~ ^v[0-9]+\.[0-9]+\.[0-9]+\+k3s[0-9]+$ ]] || die "K3S_VERSION '$K3S_VERSION' is not a K3s release (v1.31.4+k3s1)"
WIREGUARD=${NODEFLEET_WIREGUARD:-false}
[[ "$WIREGUARD" == true || "$WIREGUARD" == false ]] || die "NODEFLEET_WIREGUARD '$WIREGUARD' is neither true nor false"
WAIT_MAX=${NODEFLEET_WAIT_MAX:-60}
[[ "$WAIT_MAX" =~ ^[1-9][0-9]*$ ]] || die "NODEFLEET_WAIT_MAX must be a whole number above 0"
IMDS=${NODEFLEET_IMDS:-http://169.254.169.254}
ROOT=${NODEFLEET_ROOT:-}
read -r -a KUBECTL <<<"${NODEFLEET_KUBECTL:-k3s kubectl}"

# retry N WHAT COMMAND...: COMMAND until it succeeds (its output printed), N attempts, the wait
# doubling from 1 s to WAIT_MAX
retry() {
    local n=$1 what=$2 i=1 wait=1 out
    shift 2
    while :; do
        if out=$("$@"); then
            printf '%s' "$out"
            return 0
        fi
        if ((i >= n)); then
            log "error: $what: gave up after $n attempts"
            return 1
        fi
        log "$what: not yet (attempt $i of $n), again in ${wait}s"
        sleep "$wait"
        i=$((i + 1))
        wait=$((wait * 2 > WAIT_MAX ? WAIT_MAX : wait * 2))
    done
}

imds_token() {
    curl -sf --max-time 5 -X PUT "$IMDS/latest/api/token" \
        -H "X-aws-ec2-metadata-token-ttl-seconds: 21600"
}
TOKEN_IMDS=$(retry 10 "the IMDSv2 session token" imds_token) || die "no instance metadata"
meta() { curl -sf --max-time 5 -H "X-aws-ec2-metadata-token: $TOKEN_IMDS" "$IMDS/latest/meta-data/$1"; }
ID=$(retry 5 "instance-id" meta instance-id) || die "no instance id"
ZONE=$(retry 5 "availability zone" meta placement/availability-zone) || die "no zone"
REGION=$(retry 5 "region" meta placement/region) || die "no region"
IP=$(retry 5 "private address" meta local-ipv4) || die "no private address"
log "instance $ID in $ZONE, $IP"

awsc() {
    aws --region "$REGION" ${NODEFLEET_AWS_ENDPOINT:+--endpoint-url "$NODEFLEET_AWS_ENDPOINT"} \
        --output text "$@"
}
JOIN=$(retry 10 "the join token ($SECRET)" awsc secretsmanager get-secret-value \
    --secret-id "$SECRET" --query SecretString) || die "cannot read the join token from Secrets Manager"
[[ -n "$JOIN" ]] || die "the join token ($SECRET) is empty"

if [[ -n "${NODEFLEET_K3S_INSTALLER:-}" ]]; then
    read -r -a INSTALLER <<<"$NODEFLEET_K3S_INSTALLER"
else
    installer=$(mktemp)
    retry 5 "the K3s installer" curl -sfL --max-time 60 -o "$installer" https://get.k3s.io ||
        die "cannot download the K3s installer"
    INSTALLER=(sh "$installer")
fi
FLANNEL=()
[[ "$WIREGUARD" == true ]] && FLANNEL=(--flannel-backend=wireguard-native)
install_server() {
    INSTALL_K3S_VERSION="$K3S_VERSION" K3S_TOKEN="$JOIN" "${INSTALLER[@]}" server \
        --kubelet-arg="provider-id=aws:///$ZONE/$ID" \
        --node-label "topology.kubernetes.io/zone=$ZONE" \
        --node-taint "CriticalAddonsOnly=true:NoExecute" \
        --tls-san "$IP" "${FLANNEL[@]}" >&2
}
retry 3 "the K3s server install" install_server || die "the K3s server did not install"
retry 30 "the API server" "${KUBECTL[@]}" get --raw /readyz >/dev/null || die "the API server never became ready"
log "K3s $K3S_VERSION server ready"

# nodefleet's identity: the objects of deploy/kubernetes/rbac/rbac.yaml and a token for it
rbac() {
    "${KUBECTL[@]}" apply -f - >&2 <<'EOF'
apiVersion: v1
kind: ServiceAccount
metadata:
  name: nodefleet
  namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: nodefleet
rules:
  - apiGroups: [""]
    resources: ["nodes"]
    verbs: ["get", "list", "watch", "patch", "delete"]
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["list", "watch", "delete"]
  - apiGroups: [""]
    resources: ["pods/eviction"]
    verbs: ["create"]
  - apiGroups: ["apps"]
    resources: ["replicasets", "deployments"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["policy"]
    resources: ["poddisruptionbudgets"]
    verbs: ["list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: nodefleet
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: nodefleet
subjects:
  - kind: ServiceAccount
    name: nodefleet
    namespace: kube-system
---
apiVersion: v1
kind: Secret
type: kubernetes.io/service-account-token
metadata:
  name: nodefleet-token
  namespace: kube-system
  annotations:
    kubernetes.io/service-account.name: nodefleet
EOF
}
retry 5 "nodefleet's ServiceAccount and ClusterRole" rbac || die "cannot create nodefleet's RBAC objects"
sa_token() {
    local t
    t=$("${KUBECTL[@]}" -n kube-system get secret nodefleet-token -o 'jsonpath={.data.token}') || return 1
    [[ -n "$t" ]] || return 1
    printf '%s' "$t" | base64 -d
}
SATOKEN=$(retry 20 "nodefleet's token" sa_token) || die "no token for nodefleet's ServiceAccount"
CA=$(retry 5 "the cluster's CA" "${KUBECTL[@]}" config view --raw \
    -o 'jsonpath={.clusters[0].cluster.certificate-authority-data}') || die "no CA in the admin kubeconfig"
[[ -n "$CA" ]] || die "the admin kubeconfig has no certificate-authority-data"
KUBECONFIG_TEXT="apiVersion: v1
kind: Config
clusters:
  - name: $CLUSTER
    cluster:
      server: https://$IP:6443
      certificate-authority-data: $CA
users:
  - name: nodefleet
    user:
      token: $SATOKEN
contexts:
  - name: nodefleet
    context: {cluster: $CLUSTER, user: nodefleet}
current-context: nodefleet
"
retry 5 "the kubeconfig secret ($KSECRET)" awsc secretsmanager put-secret-value \
    --secret-id "$KSECRET" --secret-string "$KUBECONFIG_TEXT" >/dev/null ||
    die "cannot put nodefleet's kubeconfig into Secrets Manager"
log "nodefleet's kubeconfig is in $KSECRET (API server https://$IP:6443)"

if [[ "$MODE" == lambda ]]; then
    log "done: nodefleet runs as the stack's Lambda function"
    exit 0
fi

# daemon mode: nodefleet beside K3s, as a systemd service
pkg=$(mktemp)
retry 5 "the package $NODEFLEET_PACKAGE" awsc s3 cp "$NODEFLEET_PACKAGE" "$pkg" >/dev/null ||
    die "cannot download $NODEFLEET_PACKAGE"
rm -rf "$ROOT/opt/nodefleet"
mkdir -p "$ROOT/opt/nodefleet" "$ROOT/etc/nodefleet" "$ROOT/etc/systemd/system"
if command -v unzip >/dev/null 2>&1; then
    unzip -q "$pkg" -d "$ROOT/opt/nodefleet" || die "$NODEFLEET_PACKAGE is not a zip"
else # Python's zipfile keeps no modes
    python3 -m zipfile -e "$pkg" "$ROOT/opt/nodefleet" || die "$NODEFLEET_PACKAGE is not a zip"
    chmod 755 "$ROOT/opt/nodefleet/bootstrap"
fi
rm -f "$pkg"
[[ -x "$ROOT/opt/nodefleet/bootstrap" ]] || die "$NODEFLEET_PACKAGE has no bootstrap"
# the settings (the kubeconfig among them: aws.kubeconfig_secret, as the Lambda reads it)
(umask 077 && printf '%s\n' "${NODEFLEET_SETTINGS:-}" >"$ROOT/etc/nodefleet/nodefleet.env")
# `nodefleet explain`, `status`... on the server, with the service's settings
mkdir -p "$ROOT/usr/local/bin"
cat >"$ROOT/usr/local/bin/nodefleet" <<'EOF'
#!/bin/sh
# nodefleet with the settings of nodefleet.service (written by the stack's user data)
set -a
. /etc/nodefleet/nodefleet.env
set +a
exec /opt/nodefleet/bootstrap "$@"
EOF
chmod 755 "$ROOT/usr/local/bin/nodefleet"
cat >"$ROOT/etc/systemd/system/nodefleet.service" <<'EOF'
[Unit]
Description=nodefleet: autoscaler of the K3s worker pool
After=network-online.target k3s.service
Wants=network-online.target

[Service]
Type=simple
EnvironmentFile=/etc/nodefleet/nodefleet.env
ExecStart=/opt/nodefleet/bootstrap run
ExecReload=/bin/kill -HUP $MAINPID
Restart=always
RestartSec=5s
TimeoutStopSec=60s
StateDirectory=nodefleet
WorkingDirectory=/var/lib/nodefleet
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
MemoryMax=128M

[Install]
WantedBy=multi-user.target
EOF
systemctl daemon-reload
systemctl enable --now nodefleet.service
log "done: nodefleet runs as nodefleet.service"
