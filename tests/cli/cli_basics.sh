# cli_basics.sh - version, help, usage errors and exit statuses.
source "$(dirname "$0")/lib.sh"

run --version
expect_status 0 "--version"
[[ "$out" =~ ^nodefleet\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version printed [$out]"

run help
expect_status 0 "help"
for c in simulate decide check-config help; do expect_in "$out" "  $c" "help lists $c"; done

for c in simulate decide check-config; do
    run help "$c"
    expect_status 0 "help $c"
    expect_in "$out" "usage: nodefleet $c" "help $c"
    run "$c" --help
    expect_status 0 "$c --help"
    expect_in "$out" "usage: nodefleet $c" "$c --help"
done

run help settings
expect_status 0 "help settings"
for v in PROMETHEUS_URL DYNAMODB_TABLE CLUSTER_ID MIN_NODES MAX_NODES SCALE_UP_THRESHOLD_CPU \
         SCALE_DOWN_THRESHOLD_CPU COOLDOWN_SCALE_UP COOLDOWN_SCALE_DOWN ENABLE_PREDICTIVE_SCALING \
         SPOT_PERCENTAGE METRICS_HISTORY_TABLE AWS_REGION; do
    expect_in "$out" "$v" "help settings names $v"
done

run help nosuch
expect_status 2 "help nosuch"
run
expect_status 2 "no command"
run frobnicate
expect_status 2 "unknown command"
expect_in "$err" "unknown command 'frobnicate'" "unknown command message"
run simulate --bogus
expect_status 2 "unknown option"
expect_in "$err" "nodefleet simulate: unknown option --bogus" "unknown option message"
run decide --policy
expect_status 2 "option without value"
expect_in "$err" "--policy needs a value" "missing value message"

# --store: the state's place; reading commands never invent an empty state
run status --store
expect_status 2 "--store without value"
expect_in "$err" "--store needs a value" "--store missing value message"
run status --store=bogus
expect_status 2 "--store bogus"
expect_in "$err" '--set: store: must be sqlite:PATH, dynamodb, dynamodb:TABLE or mem: "bogus"' "--store bogus message"
for cmd in status explain unlock; do
    run $cmd --store "sqlite:$TMP/none.db"
    expect_status 1 "$cmd on a missing state file"
    expect_in "$err" "$TMP/none.db: no such file" "$cmd missing state file message"
    [[ ! -e "$TMP/none.db" ]] || fail "$cmd created $TMP/none.db"
done

# the interruption queue has an effect since issue 15: no warning, and the IAM policy lets
# nodefleet read and delete its messages, on that queue alone
run check-config --set aws.interruption_queue_url=https://sqs.us-east-1.amazonaws.com/123456789012/q
expect_status 0 "check-config with an interruption queue"
expect_not_in "$out" "no effect yet" "the interruption queue is not inert"
run check-config --iam-policy --set store=dynamodb --set cluster_id=shop \
    --set aws.interruption_queue_url=https://sqs.eu-west-1.amazonaws.com/123456789012/nf-events
expect_status 0 "iam policy with an interruption queue"
[[ $(json_get '[s["Resource"] for s in j["Statement"] if s["Sid"] == "Interruptions"][0]') == "arn:aws:sqs:eu-west-1:123456789012:nf-events" ]] ||
    fail "Interruptions statement: $out"
run check-config --iam-policy --set store=dynamodb --set cluster_id=shop \
    --set aws.instance_types=m5.large,c5.large
expect_status 0 "iam policy with instance types"
[[ $(json_get '[s["Action"] for s in j["Statement"] if s["Sid"] == "TypesAndSpotPrices"][0]') == "['ec2:DescribeInstanceTypes', 'ec2:DescribeSpotPriceHistory']" ]] ||
    fail "TypesAndSpotPrices statement: $out"
run check-config --iam-policy --set store=dynamodb --set cluster_id=shop
expect_not_in "$out" "TypesAndSpotPrices" "no instance types named: the template's, nothing to read"
run check-config
expect_not_in "$out" "no effect yet" "defaults warn of nothing"

# stores are found by name; the memory store has the others' semantics (test_cycle runs on it)
run status --store mem
expect_status 0 "status --store mem"
expect_in "$out" "(store mem)" "status names the memory store"
run status --store mem:x
expect_status 2 "mem takes no argument"

# the IAM policy: the seed's predictive layer writes and reads its own history table, keyed
# by the cluster; the default policy needs neither
run check-config --iam-policy --set store=dynamodb --set policy=seed --set cluster_id=shop
expect_status 0 "iam policy for the seed"
[[ $(json_get '[s["Action"] for s in j["Statement"] if s["Sid"] == "MetricsHistory"][0]') == "['dynamodb:PutItem', 'dynamodb:Query']" ]] ||
    fail "MetricsHistory statement: $out"
expect_in "$out" "table/k3s-metrics-history" "the history table named"
run check-config --iam-policy --set store=dynamodb --set cluster_id=shop
expect_not_in "$out" "MetricsHistory" "no history table for the default policy"

finish
