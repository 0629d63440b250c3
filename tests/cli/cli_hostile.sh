# cli_hostile.sh - the bad-input contract, one table per class of defect (issue 10), each row
# run against every command it applies to, so that a new command or setting is checked by
# adding a row, not a test: output paths, unknown read as zero, read-only commands, unbounded
# work, one validation per setting, one clean line per message, exit codes and messages.
source "$(dirname "$0")/lib.sh"
need() { command -v "$1" >/dev/null || { echo "FAIL: $1 is needed (scripts/deps.sh installs it)" >&2; exit 1; }; }
need python3
need timeout
need md5sum

CSV="$TMP/day.csv"
python3 - "$CSV" <<'EOF'
import math, sys
with open(sys.argv[1], "w") as f:
    f.write("t_seconds,value\n")
    for i in range(24 * 60):
        f.write("%d,%.1f\n" % (i * 60, 100 + 80 * math.sin(i / 1440 * 2 * math.pi)))
EOF
REPLAY=(replay --start 2026-01-01T00:00:00Z --end 2026-01-01T01:00:00Z --set prometheus_url=http://127.0.0.1:1)

# ---- 1. output paths: refused, exit 2, the target untouched, before any work ------------------
# A character device to aim at: a private one made here when we are root, since a product
# that regressed would replace the device it is given (as root it once replaced /dev/null);
# without root, /dev/null itself is safe, as nobody but root can replace it.
if [[ $(id -u) == 0 ]]; then
    mknod -m 666 "$TMP/chardev" c 1 3 || { echo "FAIL: mknod" >&2; exit 1; }
    CHARDEV=$TMP/chardev
else
    CHARDEV=/dev/null
fi
mkfifo "$TMP/fifo"
echo "keep" >"$TMP/target"
ln -s "$TMP/target" "$TMP/link"
mkdir "$TMP/dir"
# target | what the message says
OUT_ROWS=(
    "$CHARDEV|is a character device, not a regular file"
    "$TMP/fifo|is a FIFO"
    "$TMP/link|is a symbolic link"
    "$TMP/dir|is a directory, not a regular file"
    "$TMP/dir/|ends in '/'"
    "$TMP/no/such/dir/r.html|directory $TMP/no/such/dir does not exist"
    "/proc/version|cannot create a file in /proc"
)
fingerprint() { stat -c '%F %s %i' "$CHARDEV" "$TMP/fifo" "$TMP/target" "$TMP/dir"; readlink "$TMP/link"; }
before=$(fingerprint)
for cmd in "simulate --trace $CSV" "${REPLAY[*]}"; do
    for row in "${OUT_ROWS[@]}"; do
        target=${row%%|*} want=${row#*|}
        # shellcheck disable=SC2086
        started=$(date +%s%N)
        run $cmd --html "$target"
        took_ms=$(( ($(date +%s%N) - started) / 1000000 ))
        expect_status 2 "$cmd --html $target"
        expect_in "$err" "$want" "$cmd --html $target"
        [[ $took_ms -lt 2000 ]] || fail "$cmd --html $target took ${took_ms} ms: checked after the work?"
    done
done
[[ "$(fingerprint)" == "$before" ]] || fail "an output path changed what it named: $(fingerprint)"
[[ -c "$CHARDEV" ]] || fail "$CHARDEV is no longer a character device"
[[ "$(cat "$TMP/target")" == keep ]] || fail "the link's target was written through"
# "-" is standard output; a regular file is replaced whole and keeps its mode
run simulate --trace "$CSV" --html -
expect_status 0 "--html -"
expect_in "$out" "<svg" "--html - writes the report to standard output"
chmod 640 "$TMP/target"
run simulate --trace "$CSV" --html "$TMP/target"
expect_status 0 "--html to an existing file"
[[ "$(stat -c %a "$TMP/target")" == 640 ]] || fail "the report did not keep the file's mode"
run simulate --trace "$CSV" --json --html -
expect_status 2 "--json with --html -"

# ---- 2. unknown is never zero: every source unreachable -> exit 1, nothing decided ----------
cat >"$TMP/kc.yaml" <<'EOF'
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
EOF
DEAD=(AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y AWS_ENDPOINT_URL=http://127.0.0.1:1
      AWS_MAX_ATTEMPTS=1 KUBECONFIG="$TMP/kc.yaml" PROMETHEUS_URL=http://127.0.0.1:1
      NODEFLEET_SUBNETS=us-east-1a=subnet-0123456789abcdef0 NODEFLEET_LAUNCH_TEMPLATE=lt-0123456789abcdef0
      NODEFLEET_KUBE_TIMEOUT=2)
ENV=("${DEAD[@]}")
run once --store "sqlite:$TMP/state.db"
expect_status 1 "once with nothing reachable"
expect_in "$err" "the worker count is unknown" "once says the count is unknown"
expect_in "$err" "cloud: " "once names the cloud"
expect_not_in "$err" "Decision=scale_up" "once decided on an unknown count"
run explain --store "sqlite:$TMP/state.db"
expect_status 1 "explain with nothing reachable"
expect_in "$err" "the worker count is unknown" "explain says the count is unknown"
ENV=()
run status --store "sqlite:$TMP/state.db" --json
expect_status 0 "status after the failed cycles"
[[ "$(json_get 'len(j["state"].get("decisions", []))')" == 0 ]] || fail "a decision on an unknown count was recorded: $out"
run check-config --set cluster=prometheus --set cloud=ec2
expect_status 2 "cluster: prometheus with cloud: ec2"
expect_in "$err" "provision_timeout" "says why prometheus+ec2 is refused"

# ---- 3. read-only commands change nothing and refuse files that are not nodefleet's ---------
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("create table t(x)"); c.commit()' "$TMP/other.db"
echo "hello" >"$TMP/text.db"
: >"$TMP/empty.db"
for f in other.db text.db empty.db; do
    sum=$(md5sum <"$TMP/$f")
    for cmd in status explain unlock; do
        run $cmd --store "sqlite:$TMP/$f"
        expect_status 2 "$cmd on $f"
        expect_in "$err" "not" "$cmd on $f says it is not a nodefleet state database"
        [[ "$(md5sum <"$TMP/$f")" == "$sum" ]] || fail "$cmd changed $f"
        [[ ! -e "$TMP/$f-wal" ]] || fail "$cmd switched $f to WAL"
    done
done
sum=$(md5sum <"$TMP/state.db")
for cmd in status "status --json"; do
    run $cmd --store "sqlite:$TMP/state.db"
    expect_status 0 "$cmd on the state"
    [[ "$(md5sum <"$TMP/state.db")" == "$sum" ]] || fail "$cmd wrote to the state"
done
ENV=("${DEAD[@]}")
run once --dry-run --store "sqlite:$TMP/fresh.db"
[[ ! -e "$TMP/fresh.db" ]] || fail "a dry run created its state file"
ENV=()

# ---- 4. bounded work: each refused, exit 2, in well under the 10 s allowed -------------------
python3 -c 'import sys; open(sys.argv[1],"w").write("["*1000000)' "$TMP/deep.yaml"
python3 -c 'import sys; open(sys.argv[1],"w").write("a:\n" + "".join("  "*i + "b%d:\n" % i for i in range(1, 60)))' "$TMP/deep2.yaml"
printf 't_seconds,value\n0,1\n9223372036854775807,2\n' >"$TMP/jump.csv"
printf 't_seconds,value\n0,1\n315360000,2\n' >"$TMP/decade.csv"
printf 't_seconds,value\n0,1\n1e300,2\n' >"$TMP/e300.csv"
printf 't_seconds,value\n0,1e308\n60,2\n' >"$TMP/v308.csv"
printf 't_seconds,value\n0,1\n0.5,2\n' >"$TMP/halfsec.csv"
truncate -s 100M "$TMP/huge.csv"
# args | what the message says
BOUND_ROWS=(
    "check-config --config $TMP/deep.yaml|nested more than"
    "check-config --config $TMP/deep2.yaml|nested more than"
    "nodes --set kube.kubeconfig=$TMP/deep.yaml|nested more than"
    "check-config --config $TMP/fifo|FIFO"
    "simulate --trace $TMP/jump.csv|jump.csv:3:"
    "simulate --trace $TMP/decade.csv|more than a day after"
    "simulate --trace $TMP/e300.csv|e300.csv:3:"
    "simulate --trace $TMP/v308.csv|larger than the limit"
    "simulate --trace $TMP/halfsec.csv|less than 1 s after"
    "simulate --trace /dev/zero|character device"
    "simulate --trace $TMP/huge.csv|larger than the"
)
for row in "${BOUND_ROWS[@]}"; do
    args=${row%%|*} want=${row#*|}
    started=$(date +%s%N)
    # shellcheck disable=SC2086
    env -i PATH="$PATH" HOME="$TMP" timeout 10 "$NF" $args >"$TMP/out" 2>"$TMP/err" </dev/null
    status=$? err=$(cat "$TMP/err")
    took_ms=$(( ($(date +%s%N) - started) / 1000000 ))
    expect_status 2 "$args"
    expect_in "$err" "$want" "$args"
    [[ $took_ms -lt 3000 ]] || fail "$args took ${took_ms} ms"
done

# ---- 5. one validation per setting, the same for every command -----------------------------
# name=value | what the message says
SET_ROWS=(
    "store=nope|store: must be sqlite:PATH"
    "store=sqlite:|store: sqlite: needs a file"
    "aws.subnets=garbage|aws.subnets: expected zone=subnet pairs"
    "aws.instance_types=m5.large,M5.LARGE|aws.instance_types: expected instance types"
    "aws.instance_types=m5.large,m5.large|aws.instance_types: an instance type is named twice"
    "aws.instance_types=m5.large,|aws.instance_types: a trailing comma"
    "aws.prices=m5.large=free|aws.prices: a price is dollars an hour"
    "aws.prices=m5.large@us-east-1a=0.1|aws.prices: expected TYPE=PRICE items"
    "aws.spot_prices=m5.large@mars=0.1|aws.spot_prices: expected TYPE=PRICE or TYPE@ZONE=PRICE"
    "aws.spot_prices=m5.large=0|aws.spot_prices: a price is dollars an hour"
    "dynamodb_table=a b|dynamodb_table: a DynamoDB table name"
    "dynamodb_table=ab|dynamodb_table: a DynamoDB table name has 3 to 255"
    "dynamodb_table=$(printf 'x%.0s' {1..300})|dynamodb_table: a DynamoDB table name has 3 to 255"
    "aws.launch_template_version=banana|aws.launch_template_version: must be \$Default"
    "aws.sns_topic_arn=arn:aws:sns:nowhere|aws.sns_topic_arn: is not an SNS topic ARN"
    "aws.interruption_queue_url=ftp://q|aws.interruption_queue_url: must be an http:// or https:// URL"
    "lease_ttl=10|lease_ttl: lease_ttl (10s) must be longer than interval"
    "prometheus.ca_file=$TMP/no-ca.pem|prometheus.ca_file: no such file"
    "prometheus_url=http://|prometheus_url: has no host"
    "prometheus_url=http://127.0.0.1:99999|prometheus_url: has a port"
    "prometheus_url=http://[::1|prometheus_url: has an IPv6 address without"
    "prometheus_url=http://h/a b|prometheus_url: must not contain blanks"
    "aws_region=x@127.0.0.1:1/#|aws_region: is not an AWS region name"
    "interval=5m5m|interval: units must come largest first"
    "cluster_id=a b|cluster_id: may hold only"
    "aws.pool_tags=Role|aws.pool_tags: expected Key=Value"
    "kube.node_labels=gpu|kube.node_labels: expected key=value labels"
    "kube.node_labels=a b=c|kube.node_labels: expected key=value labels"
    "kube.node_taints=dedicated=gpu:Sometimes|kube.node_taints: expected key=value:Effect taints"
    "kube.node_taints=dedicated=gpu:NoSchedule,|kube.node_taints: expected key=value:Effect taints"
    "sim.pod_shapes=0.5:256:60|sim.pod_shapes: the shapes' shares must add up to 100"
    "sim.pod_shapes=0.5:256|sim.pod_shapes: expected CPU:MEMORY_MIB:SHARE shapes"
    "sim.pod_shapes=4:256:100|sim.pod_shapes: a pod of 4 vCPU and 256 MiB does not fit"
    "policy=seed@30s|policy: NAME@INTERVAL is for simulate and replay"
)
CONFIG_CMDS=("check-config" "simulate --trace $CSV" "decide" "run" "once" "lambda" "status"
             "explain" "unlock" "observe" "${REPLAY[*]}" "nodes" "drain w1")
for row in "${SET_ROWS[@]}"; do
    set_arg=${row%%|*} want=${row#*|}
    for cmd in "${CONFIG_CMDS[@]}"; do
        ENV=(AWS_LAMBDA_RUNTIME_API=127.0.0.1:1)
        # shellcheck disable=SC2086
        run $cmd --set "$set_arg"
        expect_status 2 "$cmd --set $set_arg"
        expect_in "$err" "$want" "$cmd --set $set_arg"
    done
done
# the environment layer and the AWS variables that are not settings
# VAR=value | what the message says
ENV_ROWS=(
    "DYNAMODB_TABLE=|dynamodb_table: must not be empty"
    "CLUSTER_ID=$(printf '\xff\n\033[')|cluster_id: is not valid UTF-8"
    "AWS_MAX_ATTEMPTS=abc|AWS_MAX_ATTEMPTS: expected a whole number from 1 to 10"
    "AWS_MAX_ATTEMPTS=0|AWS_MAX_ATTEMPTS: expected a whole number from 1 to 10"
    "AWS_MAX_ATTEMPTS=1000000|AWS_MAX_ATTEMPTS: expected a whole number from 1 to 10"
    "AWS_ENDPOINT_URL=not a url|AWS_ENDPOINT_URL: must be an http:// or https:// URL"
    "AWS_REGION=x@127.0.0.1:1/#|is not an AWS region name"
    "AWS_DEFAULT_REGION=x@127.0.0.1:1/#|AWS_DEFAULT_REGION: is not an AWS region name"
)
for row in "${ENV_ROWS[@]}"; do
    var=${row%%|*} want=${row#*|}
    for cmd in check-config once; do
        ENV=("$var" KUBECONFIG="$TMP/kc.yaml")
        run $cmd --store "sqlite:$TMP/env.db"
        expect_status 2 "$var $cmd"
        expect_in "$err" "$want" "$var $cmd"
    done
done
ENV=()
for url in "" "http://" "http://127.0.0.1:99999" "http://[::1" "http://h/a b"; do
    run replay --start 2026-01-01T00:00:00Z --end 2026-01-01T01:00:00Z --prometheus "$url"
    expect_status 2 "replay --prometheus '$url'"
done

# ---- 6. one clean line per message: control bytes and broken UTF-8 never reach a terminal ----
ENV=("CLUSTER_ID=$(printf 'ok\033[31m\nsecond')")
run check-config
[[ "$(lines "$err")" == 1 ]] || fail "a control byte split a message: [$err]"
[[ "$err" != *$'\033'* ]] || fail "an escape sequence reached stderr"
ENV=()
run check-config --config "$(printf '%s/bad\033[31m\nname.yaml' "$TMP")"
[[ "$(lines "$err")" == 1 ]] || fail "a path with a newline split a message: [$err]"
[[ "$err" != *$'\033'* ]] || fail "an escape sequence in a path reached stderr"
# a Prometheus whose error text holds a newline, an escape and a byte that is not UTF-8
port_file="$TMP/prom.port"
python3 - "$port_file" <<'EOF' &
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"status":"error","errorType":"bad_data","error":"line one\\nline two \\u001b[31mred\xff"}'
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.timeout = 20
for _ in range(40):
    s.handle_request()
EOF
srv=$!
for _ in $(seq 50); do [[ -s "$port_file" ]] && break; sleep 0.1; done
port=$(cat "$port_file")
run observe --set "prometheus_url=http://127.0.0.1:$port" --set prometheus.attempts=1
[[ "$err" != *$'\033'* ]] || fail "a server's escape sequence reached stderr"
python3 -c '
import json, sys
raw = open(sys.argv[1], "rb").read()
text = raw.decode("utf-8")  # strict: raises on a byte that is not UTF-8
for line in text.splitlines():
    if line.startswith("{"):
        json.loads(line)
    elif "line two" in line and "line one" not in line:
        sys.exit("a server error was split over two lines")
' "$TMP/err" || fail "stderr is not one clean line per message (see above)"
kill $srv 2>/dev/null
wait $srv 2>/dev/null

# ---- 7. exit codes and messages that say what is wrong --------------------------------------
d100=$(printf 'd%.0s' {1..100})
long=$TMP/$d100/$d100/$d100/x.csv
# args | exit | what the message says
EXIT_ROWS=(
    "--version extra|2|takes no arguments"
    "simulate --trace $TMP/dir|2|is a directory"
    "decide --input $TMP/dir|2|is a directory"
    "simulate --trace $long|2|no such file or directory"
    "check-config --config $long|2|no such file or directory"
    "simulate --trace $CSV --trace $CSV|2|--trace given twice"
    "simulate --seed 1 --seed 2|2|--seed given twice"
    "simulate --seed abc|2|--seed needs a whole number"
    "check-config --config a --config b|2|--config given twice"
    "status --store sqlite:$TMP/a --store sqlite:$TMP/b|2|--store given twice"
    "decide --input - --input -|2|--input given twice"
    "status --store sqlite:|2|sqlite: needs a file"
)
for row in "${EXIT_ROWS[@]}"; do
    IFS='|' read -r args want_status want <<<"$row"
    # shellcheck disable=SC2086
    run $args
    expect_status "$want_status" "$args"
    expect_in "$err" "$want" "$args"
done
# empty values name the option, not a file called ""
for opt in "simulate --trace" "simulate --html" "check-config --config" "run --store" "decide --input" "replay --prometheus"; do
    # shellcheck disable=SC2086
    run $opt ""
    expect_status 2 "$opt ''"
    expect_in "$err" "${opt#* } needs a value, got an empty one" "$opt ''"
done
run drain ""
expect_status 2 "drain ''"
expect_in "$err" "is not a node name" "drain '' names the node, not the kubeconfig"

finish
