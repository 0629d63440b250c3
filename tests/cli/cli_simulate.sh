# cli_simulate.sh - the simulator through the binary: trace errors, JSON, HTML, determinism,
# and the embedded NASA default.
source "$(dirname "$0")/lib.sh"

# trace damage: exit 2, FILE:LINE: on stderr
check_trace() { # content expected-message
    # shellcheck disable=SC2059 # the case is a printf format (with \n)
    printf "$1" >"$TMP/t.csv"
    run simulate --trace "$TMP/t.csv" --policy seed
    expect_status 2 "trace [$1]"
    expect_in "$err" "$TMP/t.csv:$2" "trace [$1]"
    [[ -z "$out" ]] || fail "trace [$1]: printed a report"
}
check_trace 'time,value\n0,1\n60,2\n' '1: bad header'
check_trace 't_seconds,value\n0,1\n60,x\n' '3: value "x" is not numeric'
check_trace 't_seconds,value\n0,1\n60,2\n30,3\n' '4: time "30" goes backwards'
check_trace 't_seconds,value\n0,1\n60,-2\n' '3: value "-2" is negative'
check_trace '' '1: empty file'
run simulate --trace "$TMP/nonexistent.csv"
expect_status 2 "missing trace"
expect_in "$err" "nonexistent.csv: cannot open" "missing trace message"
run simulate --policy nope
expect_status 2 "bad policy"

# a small trace: 2 days, a daily swing
python3 - "$TMP/day.csv" <<'PY'
import math, sys
with open(sys.argv[1], "w") as f:
    f.write("t_seconds,value\n")
    for i in range(2 * 1440):
        f.write("%d,%.3f\n" % (i * 60, 50 + 45 * math.sin(i / 1440 * 2 * math.pi)))
PY
run simulate --trace "$TMP/day.csv" --policy seed --policy static:5 --json --seed 7
expect_status 0 "simulate --json"
[[ $(json_get 'sorted(j.keys())') == "['oracle', 'params', 'policies', 'trace']" ]] || fail "json keys: $(head -c 300 "$TMP/out")"
[[ $(json_get '[p["name"] for p in j["policies"]]') == "['seed', 'static:5']" ]] || fail "policy names"
[[ $(json_get 'j["params"]["seed"]') == 7 ]] || fail "seed recorded"
[[ $(json_get 'j["params"]["boot_s"]') == 90 ]] || fail "params recorded"
[[ $(json_get 'j["trace"]["rows"]') == 2880 ]] || fail "trace rows"
for k in cost_usd cost_vs_oracle node_hours overload_minutes unserved_fraction pending_pod_seconds \
         scale_ups scale_downs time_to_capacity_p95_s accuracy_u accuracy_o timeshare_u timeshare_o; do
    [[ $(json_get "'$k' in j['policies'][0] and '$k' in j['oracle']") == True ]] || fail "metric $k missing"
done
[[ $(json_get 'j["policies"][1]["cost_usd"] > j["oracle"]["cost_usd"]') == True ]] || fail "static costs more than the oracle"
first=$(cat "$TMP/out")
run simulate --trace "$TMP/day.csv" --policy seed --policy static:5 --json --seed 7
[[ "$out" == "$first" ]] || fail "same seed, different report"

# HTML: a complete, self-contained page with charts
run simulate --trace "$TMP/day.csv" --policy seed --html "$TMP/r.html"
expect_status 0 "simulate --html"
expect_in "$out" "HTML report written to $TMP/r.html" "html message"
html=$(cat "$TMP/r.html")
expect_in "$html" "<!DOCTYPE html>" "html doctype"
expect_in "$html" "</html>" "html end"
[[ $(grep -o "<svg" "$TMP/r.html" | wc -l) -ge 4 ]] || fail "html has fewer than 4 charts"
expect_not_in "$html" "<script" "html has scripts"
expect_not_in "$html" "http://" "html loads something"
expect_not_in "$html" "https://" "html loads something"
run simulate --trace "$TMP/day.csv" --html "$TMP/no/such/dir/r.html"
expect_status 2 "unwritable html (a bad output path is bad usage, found before the work)"
expect_in "$err" "does not exist" "unwritable html names the missing directory"

# the embedded default: the seed's 5 static workers are overloaded at peak; the seed's rules are
# overloaded far less (and pay for it: against the fair oracle it costs more than static:5)
run simulate --policy static:5 --policy seed --json
expect_status 0 "embedded default"
expect_in "$(json_get 'j["trace"]["file"]')" "nasa_jul95_1min.csv (embedded)" "embedded trace"
[[ $(json_get 'j["trace"]["rows"]') == 39692 ]] || fail "embedded trace rows"
[[ $(json_get 'j["policies"][0]["overload_minutes"] > 0') == True ]] || fail "static:5 never overloaded"
[[ $(json_get 'j["policies"][1]["overload_minutes"] * 3 < j["policies"][0]["overload_minutes"]') == True ]] ||
    fail "seed not far less overloaded than static:5"
[[ $(json_get 'j["policies"][1]["interval_s"]') == 120 ]] || fail "seed does not run at its own 120 s"
[[ $(json_get 'j["oracle"]["node_hours_vs_oracle"]') == 1 ]] || fail "oracle node-hours ratio"
# and the file in the repository is the same trace: same report but for the name
embedded=$(json_get 'j["policies"]')
run simulate --trace "$SRC/data/traces/nasa_jul95_1min.csv" --policy static:5 --policy seed --json
expect_status 0 "repository trace"
[[ $(json_get 'j["policies"]') == "$embedded" ]] || fail "embedded trace differs from data/traces"

# --sweep: the first policy once per value, scores and the cost/overload frontier
run simulate --trace "$TMP/day.csv" --policy seed --policy static:5 --sweep scale_up_threshold_cpu=35,50,80 --json
expect_status 0 "sweep"
[[ $(json_get 'j["sweep"]["setting"]') == scale_up_threshold_cpu ]] || fail "sweep setting"
[[ $(json_get 'j["sweep"]["policy"]') == seed ]] || fail "sweep policy is the first"
[[ $(json_get 'len(j["sweep"]["points"])') == 3 ]] || fail "sweep points"
[[ $(json_get '[p["value"] for p in j["sweep"]["points"]] == ["35", "50", "80"]') == True ]] || fail "sweep values"
# the frontier is exactly the points no other beats on both cost and overload
[[ $(json_get 'all(p["frontier"] == (not any(q is not p and q["cost_usd"] <= p["cost_usd"] and q["overload_minutes"] <= p["overload_minutes"] and (q["cost_usd"] < p["cost_usd"] or q["overload_minutes"] < p["overload_minutes"]) for q in j["sweep"]["points"])) for p in j["sweep"]["points"])') == True ]] ||
    fail "sweep frontier"
[[ $(json_get 'len(j["sweep"]["frontier"]) >= 1') == True ]] || fail "sweep frontier empty"
# a lower CPU threshold buys capacity: more node-hours
[[ $(json_get 'j["sweep"]["points"][0]["node_hours_vs_oracle"] >= j["sweep"]["points"][2]["node_hours_vs_oracle"]') == True ]] ||
    fail "sweep: a lower threshold did not cost more"
run simulate --trace "$TMP/day.csv" --policy seed --sweep sim.boot_s=30s,300s --html "$TMP/sw.html"
expect_status 0 "sweep html"
expect_in "$(cat "$TMP/sw.html")" "What headroom costs: sim.boot_s for seed" "sweep chart"
for bad in "x" "=1" "scale_up_threshold_cpu=" "scale_up_threshold_cpu=1,,2" "no_such_setting=1"; do
    run simulate --trace "$TMP/day.csv" --sweep "$bad"
    expect_status 2 "bad sweep [$bad]"
done
run simulate --trace "$TMP/day.csv" --sweep scale_up_threshold_cpu=500
expect_status 2 "sweep value out of range"
expect_in "$err" "scale_up_threshold_cpu" "sweep value error names the setting"

# the synthetic traces are what their script writes, 14 days at 1-minute steps, and each runs
(cd "$SRC" && python3 scripts/make_traces.py --check) || fail "synthetic traces differ from their script"
for name in diurnal_weekly flash_crowd step sawtooth noisy_flat; do
    run simulate --trace "$SRC/data/traces/synthetic/$name.csv" --policy seed --policy static:5 --json
    expect_status 0 "synthetic $name"
    [[ $(json_get 'j["trace"]["rows"]') == 20160 ]] || fail "synthetic $name: not 14 days of minutes"
    [[ $(json_get 'j["policies"][0]["unsafe_removals"]') == 0 ]] || fail "synthetic $name: seed removed a node unsafely"
done
# the flash crowd: 10x within 5 minutes at 14:00 for 2 hours
python3 - "$SRC/data/traces/synthetic/flash_crowd.csv" "$SRC/data/traces/synthetic/diurnal_weekly.csv" <<'PY' ||
import sys
f = [float(l.split(",")[1]) for l in open(sys.argv[1]).read().split()[1:]]
d = [float(l.split(",")[1]) for l in open(sys.argv[2]).read().split()[1:]]
day = 1440
for k in range(14):
    at = k * day + 14 * 60
    assert abs(f[at + 5] / d[at + 5] - 10) < 1e-2, (k, f[at + 5], d[at + 5])
    assert abs(f[at + 119] / d[at + 119] - 10) < 1e-2
    assert abs(f[at - 1] / d[at - 1] - 1) < 1e-2 and abs(f[at + 131] / d[at + 131] - 1) < 1e-2
PY
    fail "flash_crowd is not a daily 10x crowd of 2 hours"

finish
