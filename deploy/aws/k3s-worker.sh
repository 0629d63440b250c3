#!/bin/bash
# k3s-worker.sh - a nodefleet worker's user data: join this EC2 instance to the K3s cluster as
# an agent, registered the way nodefleet reads it (issue 18). The CloudFormation template puts
# it in the workers' launch template; it also works on its own (Amazon Linux 2023, Ubuntu 24.04).
#
#   - instance metadata through IMDSv2 only (a session token on every request);
#   - the join token from Secrets Manager; the server found by its tags
#     (nodefleet:cluster=CLUSTER, nodefleet:role=k3s-server), waited for with back-off;
#   - the K3s agent at a pinned version, with --kubelet-arg=provider-id=aws:///ZONE/ID (how
#     nodefleet matches a Node to its instance) and the labels of zone, instance type and
#     market (node.kubernetes.io/lifecycle: spot or on-demand, kube.market_label's default).
#     K3s' built-in cloud controller leaves a node whose provider id is not k3s:// alone
#     (k3s-io/k3s#9280, in every release since spring 2024), so it does not fight these.
#   - everything logged to standard error (cloud-init copies it to the console); the join
#     token never.
#
# Settings (environment; the template writes the first two in front of this script):
#   NODEFLEET_CLUSTER_ID     the pool                                     (required)
#   NODEFLEET_TOKEN_SECRET   Secrets Manager id of the K3s join token     (required)
#   K3S_VERSION              the K3s release                     (default v1.31.4+k3s1)
#   NODEFLEET_SERVER_WAIT    attempts to find the server               (default 40)
#   NODEFLEET_WAIT_MAX       longest wait between attempts, seconds     (default 60)
#   NODEFLEET_IMDS           metadata endpoint            (default http://169.254.169.254)
#   NODEFLEET_AWS_ENDPOINT   an AWS endpoint URL instead of AWS's own (tests)
#   NODEFLEET_K3S_INSTALLER  the installer command (default: https://get.k3s.io, downloaded)
set -euo pipefail

log() { printf 'nodefleet-join: %s\n' "$*" >&2; }
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
for tool in curl aws; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing (the AMI needs curl and the AWS CLI)"
done
CLUSTER=${NODEFLEET_CLUSTER_ID:-}
SECRET=${NODEFLEET_TOKEN_SECRET:-}
[[ -n "$CLUSTER" ]] || die "NODEFLEET_CLUSTER_ID is not set"
[[ -n "$SECRET" ]] || die "NODEFLEET_TOKEN_SECRET is not set"
K3S_VERSION=${K3S_VERSION:-v1.31.4+k3s1}
[[ "$K3S_VERSION" =~ ^v[0-9]+\.[0-9]+\.[0-9]+\+k3s[0-9]+$ ]] || die "K3S_VERSION '$K3S_VERSION' is not a K3s release (v1.31.4+k3s1)"
SERVER_WAIT=${NODEFLEET_SERVER_WAIT:-40}
WAIT_MAX=${NODEFLEET_WAIT_MAX:-60}
[[ "$SERVER_WAIT" =~ ^[1-9][0-9]*$ && "$WAIT_MAX" =~ ^[1-9][0-9]*$ ]] ||
    die "NODEFLEET_SERVER_WAIT and NODEFLEET_WAIT_MAX must be whole numbers above 0"
IMDS=${NODEFLEET_IMDS:-http://169.254.169.254}

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
TYPE=$(retry 5 "instance type" meta instance-type) || die "no instance type"
LIFE=$(meta instance-life-cycle || true)
MARKET=on-demand
[[ "$LIFE" == spot ]] && MARKET=spot
log "instance $ID ($TYPE, $MARKET) in $ZONE"

awsc() {
    aws --region "$REGION" ${NODEFLEET_AWS_ENDPOINT:+--endpoint-url "$NODEFLEET_AWS_ENDPOINT"} \
        --output text "$@"
}
JOIN=$(retry 10 "the join token ($SECRET)" awsc secretsmanager get-secret-value \
    --secret-id "$SECRET" --query SecretString) || die "cannot read the join token from Secrets Manager"
[[ -n "$JOIN" ]] || die "the join token ($SECRET) is empty"

find_server() {
    local ip
    ip=$(awsc ec2 describe-instances --filters "Name=tag:nodefleet:cluster,Values=$CLUSTER" \
        "Name=tag:nodefleet:role,Values=k3s-server" "Name=instance-state-name,Values=running" \
        --query 'Reservations[].Instances[].PrivateIpAddress') || return 1
    ip=${ip%%[[:space:]]*}
    [[ -n "$ip" && "$ip" != None ]] || return 1
    printf '%s' "$ip"
}
SERVER=$(retry "$SERVER_WAIT" "the K3s server of $CLUSTER (tags nodefleet:cluster, nodefleet:role=k3s-server)" \
    find_server) || die "no K3s server found"
log "K3s server at $SERVER"

if [[ -n "${NODEFLEET_K3S_INSTALLER:-}" ]]; then
    read -r -a INSTALLER <<<"$NODEFLEET_K3S_INSTALLER"
else
    installer=$(mktemp)
    retry 5 "the K3s installer" curl -sfL --max-time 60 -o "$installer" https://get.k3s.io ||
        die "cannot download the K3s installer"
    INSTALLER=(sh "$installer")
fi
install_agent() {
    INSTALL_K3S_VERSION="$K3S_VERSION" K3S_URL="https://$SERVER:6443" K3S_TOKEN="$JOIN" \
        "${INSTALLER[@]}" agent \
        --kubelet-arg="provider-id=aws:///$ZONE/$ID" \
        --node-label "topology.kubernetes.io/zone=$ZONE" \
        --node-label "node.kubernetes.io/instance-type=$TYPE" \
        --node-label "node.kubernetes.io/lifecycle=$MARKET" >&2
}
retry 3 "the K3s agent install" install_agent || die "the K3s agent did not install"
log "joined: K3s $K3S_VERSION agent, provider id aws:///$ZONE/$ID"
