# cli_decide.sh - the decide contract end to end through the binary.
source "$(dirname "$0")/lib.sh"

cat >"$TMP/up.json" <<'JSON'
{"now": 1700000000,
 "workers": {"ready": 3, "joining": 0, "draining": 0},
 "samples": [{"t": 1699999760, "cpu": 75.0, "memory": 40.0, "pending_pods": 0,
              "queue_depth": 12, "latency_p95_ms": 180, "error_rate_pct": 0.2}],
 "last_scale_up": 1699990000, "last_scale_down": null}
JSON
STDIN=$TMP/up.json run decide
expect_status 0 "decide scale-up"
[[ $(lines "$out") -eq 1 ]] || fail "decide prints one line, got [$out]"
[[ $(json_get 'j["action"]') == scale_up ]] || fail "action: $out"
[[ $(json_get 'j["nodes"]') == 1 ]] || fail "nodes: $out"
[[ $(json_get '[t["status"] for t in j["trail"] if t["rule"]=="cpu_high"][0]') == held ]] || fail "trail: $out"
expect_in "$(json_get 'j["reason"]')" "cpu > 70 for 180s" "reason"
[[ -z "$err" ]] || fail "decide wrote to stderr: $err"

# the same observation within the scale-up cooldown: none, and the trail says why
sed 's/"last_scale_up": 1699990000/"last_scale_up": 1699999800/' "$TMP/up.json" >"$TMP/cool.json"
STDIN=$TMP/cool.json run decide
expect_status 0 "decide cooldown"
[[ $(json_get 'j["action"]') == none ]] || fail "cooldown action: $out"
[[ $(json_get 'j["nodes"]') == 0 ]] || fail "cooldown nodes: $out"
[[ $(json_get '[t["status"] for t in j["trail"] if t["rule"]=="cooldown_scale_up"][0]') == blocked ]] || fail "cooldown trail: $out"

# --policy, --set and the environment reach the core
STDIN=$TMP/up.json run decide --policy static:3
[[ $(json_get 'j["action"]') == none ]] || fail "static:3 at 3 workers: $out"
STDIN=$TMP/up.json run decide --set scale_up_threshold_cpu=80
[[ $(json_get 'j["action"]') == none ]] || fail "threshold 80 via --set: $out"
ENV=(SCALE_UP_THRESHOLD_CPU=80)
STDIN=$TMP/up.json run decide
[[ $(json_get 'j["action"]') == none ]] || fail "threshold 80 via env: $out"
ENV=()
STDIN=$TMP/up.json run decide --input "$TMP/up.json" --policy static:5
[[ $(json_get 'j["nodes"]') == 2 ]] || fail "--input with static:5: $out"

# bad input: exit 2, nothing on stdout, one line on stderr naming the field
check_bad() { # json field-and-problem
    printf '%s' "$1" >"$TMP/bad.json"
    STDIN=$TMP/bad.json run decide
    expect_status 2 "bad input [$1]"
    [[ -z "$out" ]] || fail "bad input [$1] printed on stdout: $out"
    [[ $(lines "$err") -eq 1 ]] || fail "bad input [$1]: stderr not one line: $err"
    expect_in "$err" "$2" "bad input [$1]"
}
check_bad 'not json' 'input: invalid JSON'
check_bad '' 'input: invalid JSON'
check_bad '{"workers": {"ready": 1, "joining": 0, "draining": 0}}' 'now: missing'
check_bad '{"now": "x", "workers": {"ready": 1, "joining": 0, "draining": 0}}' 'now: expected a number'
check_bad '{"now": 5}' 'workers: missing'
check_bad '{"now": 5, "workers": []}' 'workers: expected an object'
check_bad '{"now": 5, "workers": {"ready": -1}}' 'workers.ready: must not be negative'
check_bad '{"now": 5, "workers": {"ready": 1, "joining": -3}}' 'workers.joining: must not be negative'
check_bad '{"now": 50, "workers": {"ready": 1, "joining": 0, "draining": 0}, "samples": [{"t": 40}, {"t": 30}]}' 'samples[1].t: samples out of time order'
check_bad '{"now": 50, "workers": {"ready": 1, "joining": 0, "draining": 0}, "samples": [{"t": 60}]}' 'samples[0].t: later than now'
check_bad '{"now": 50, "workers": {"ready": 1, "joining": 0, "draining": 0}, "samples": [{"t": 40, "memory": "lots"}]}' 'samples[0].memory: expected a number'
check_bad '{"now": 50, "workers": {"ready": 1, "joining": 0, "draining": 0}, "samples": [{"t": 40, "cpu": [1]}]}' 'samples[0].cpu: expected a number, got an array'

# the pool (optional): each node's removal verdict by the core's rules, and the pending pods no
# new worker could host; the seed's answer is the same with it or without it
cat >"$TMP/pool.json" <<'JSON'
{"now": 1000, "workers": {"ready": 3, "joining": 0, "draining": 0},
 "samples": [{"t": 900, "cpu": 20, "pending_pods": 1}, {"t": 1000, "cpu": 20, "pending_pods": 1}],
 "nodes": [
  {"name": "a", "cpu_m": 2000, "memory_mib": 4096, "labels": {"zone": "a"},
   "pods": [{"name": "web-1", "namespace": "shop", "cpu_m": 500, "memory_mib": 256},
            {"name": "db-0", "namespace": "shop", "cpu_m": 200, "owner": "StatefulSet", "owner_name": "db"}]},
  {"name": "b", "cpu_m": 2000, "memory_mib": 4096, "market": "spot",
   "taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}],
   "pods": [{"name": "web-2", "namespace": "shop", "cpu_m": 1900, "tolerations": [{"key": "dedicated", "operator": "Exists"}]}]},
  {"name": "c", "cpu_m": 2000, "memory_mib": 4096, "pods": [{"name": "web-3", "namespace": "shop", "cpu_m": 1000}]}],
 "pending_pods": [{"name": "web", "namespace": "shop", "cpu_m": 500, "count": 3},
                  {"name": "train", "namespace": "ml", "cpu_m": 500, "node_selector": {"accel": "gpu"}}]}
JSON
STDIN=$TMP/pool.json run decide --policy seed
expect_status 0 "decide with a pool"
with_pool=$out
[[ $(json_get '[n["rule"] for n in j["pool"]["nodes"]]') == "['statefulset', 'no_room', 'drainable']" ]] ||
    fail "pool verdicts: $(json_get 'j["pool"]["nodes"]')"
expect_in "$(json_get 'j["pool"]["nodes"][0]["why"]')" "pod shop/db-0 belongs to StatefulSet db" "pool: the rule's sentence"
[[ $(json_get 'j["pool"]["pending_pods"]') == 4 ]] || fail "pool: pending pods counted with count"
[[ $(json_get 'j["pool"]["unhostable_pods"]') == 1 ]] || fail "pool: the gpu pod fits no new worker"
expect_in "$(json_get 'j["pool"]["unhostable_why"]')" "pod ml/train: its nodeSelector does not match" "pool: why unhostable"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["nodes"], d["pending_pods"]; json.dump(d, open(sys.argv[2], "w"))' "$TMP/pool.json" "$TMP/nopool.json"
STDIN=$TMP/nopool.json run decide --policy seed
[[ $(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); del a["pool"]; print(a == json.loads(sys.argv[2]))' "$with_pool" "$out") == True ]] ||
    fail "the seed answers differently with a pool"
# a new worker with the gpu label hosts it
STDIN=$TMP/pool.json run decide --policy seed --set kube.node_labels=accel=gpu
[[ $(json_get 'j["pool"]["unhostable_pods"]') == 0 ]] || fail "kube.node_labels not used for the template"
check_bad '{"now": 5, "workers": {"ready": 1, "joining": 0, "draining": 0}, "nodes": {}}' 'nodes: expected an array'
check_bad '{"now": 5, "workers": {"ready": 1, "joining": 0, "draining": 0}, "nodes": [{"cpu_m": 1}]}' 'nodes[0].name: missing'
check_bad '{"now": 5, "workers": {"ready": 1, "joining": 0, "draining": 0}, "nodes": [{"name": "a", "size": 1}]}' 'nodes[0].size: unknown field'
check_bad '{"now": 5, "workers": {"ready": 1, "joining": 0, "draining": 0}, "nodes": [{"name": "a", "taints": [{"key": "k", "effect": "Sometimes"}]}]}' 'nodes[0].taints: a taint needs a key and an effect'
check_bad '{"now": 5, "workers": {"ready": 1, "joining": 0, "draining": 0}, "pending_pods": [{"cpu_m": -1}]}' 'pending_pods[0].cpu_m: expected a whole number'
check_bad '{"now": 5, "workers": {"ready": 1, "joining": 0, "draining": 0}, "nodes": [{"name": "a", "pods": [{"count": 2}]}]}' 'nodes[0].pods[0]: count is for pending_pods only'
check_bad '{"now": 5, "workers": {"ready": 1, "joining": 0, "draining": 0}, "pending_pods": [{"owner": "Rollout"}]}' 'pending_pods[0].owner: expected Deployment'

# node-fleet's predictive layer: with a metrics history the seed predicts the next hour when its
# reactive rules decide nothing (Monday 2026-11-30 10:00 UTC; 3 readings at 11:xx on each of
# the last 7 days at 80 % CPU: confidence 1, target floor(80/60 x 4) + 1 = 6)
python3 - "$TMP/hist.json" <<'PY'
import json, sys
now = 1796032800
h = [{"t": now - d * 86400 + 3600 + 60 * m, "cpu": 80, "memory": 50, "pending_pods": 0, "nodes": 4}
     for d in range(1, 8) for m in range(3)]
json.dump({"now": now, "workers": {"ready": 4, "joining": 0, "draining": 0},
           "samples": [{"t": now - 60, "cpu": 50, "memory": 55}, {"t": now, "cpu": 50, "memory": 55}],
           "metrics_history": h}, open(sys.argv[1], "w"))
PY
STDIN=$TMP/hist.json run decide --policy seed
expect_status 0 "decide with a metrics history"
[[ $(json_get 'j["action"]') == scale_up && $(json_get 'j["nodes"]') == 2 ]] || fail "predictive: $out"
expect_in "$(json_get 'j["reason"]')" "predicted for 11:00 UTC" "predictive reason"
STDIN=$TMP/hist.json run decide --policy seed --set enable_predictive_scaling=false
[[ $(json_get 'j["action"]') == none ]] || fail "predictive layer disabled: $out"
check_bad '{"now": 10, "workers": {"ready": 2, "joining": 0, "draining": 0}, "metrics_history": [{"t": 11, "nodes": 2}]}' 'metrics_history[0].t: later than now'
check_bad '{"now": 10, "workers": {"ready": 2, "joining": 0, "draining": 0}, "metrics_history": [{"t": 1, "cpu": "high", "nodes": 2}]}' 'metrics_history[0].cpu: expected a number'
check_bad '{"now": 10, "workers": {"ready": 2, "joining": 0, "draining": 0}, "metrics_history": [{"t": 1, "nodes": -1}]}' 'metrics_history[0].nodes:'
check_bad '{"now": 10, "workers": {"ready": 2, "joining": 0, "draining": 0}, "metrics_history": {}}' 'metrics_history: expected an array'

# bad usage and bad config are exit 2 too
STDIN=$TMP/up.json run decide --policy nonsense
expect_status 2 "bad policy"
expect_in "$err" "unknown policy" "bad policy message"
STDIN=$TMP/up.json run decide --set min_nodes=20
expect_status 2 "min above max"
expect_in "$err" "--set: min_nodes: min_nodes (20) is greater than max_nodes (10)" "config problem"
[[ -z "$out" ]] || fail "config problem printed on stdout"

finish
