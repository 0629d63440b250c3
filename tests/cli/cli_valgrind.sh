# cli_valgrind.sh - valgrind-clean runs: no invalid access, no leak of any kind at exit.
source "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || { echo "FAIL: valgrind is not installed (scripts/deps.sh test)" >&2; exit 1; }

VG=(valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all
    --suppressions="$SRC/tests/valgrind.supp"
    --errors-for-leak-kinds=all)
vg() { # expected-status args...
    local want=$1; shift
    "${VG[@]}" "$NF" "$@" >"$TMP/out" 2>"$TMP/err" <"${STDIN:-/dev/null}"
    local st=$?
    [[ $st -eq $want ]] || { fail "valgrind nodefleet $* exited $st (want $want)"; cat "$TMP/err" >&2; }
}

printf 't_seconds,value\n' >"$TMP/t.csv"
for i in $(seq 0 2000); do printf '%d,%d\n' $((i * 60)) $(( (i * 37) % 200 )) >>"$TMP/t.csv"; done
vg 0 simulate --trace "$TMP/t.csv" --policy seed --policy static:3 --html "$TMP/r.html"
vg 0 simulate --trace "$TMP/t.csv" --json
printf 't_seconds,value\n0,1\n60,x\n' >"$TMP/bad.csv"
vg 2 simulate --trace "$TMP/bad.csv"
printf '{"now": 1000, "workers": {"ready": 4, "joining": 0, "draining": 0}, "samples": [{"t": 100, "cpu": 10, "memory": 10, "pending_pods": 0}, {"t": 1000, "cpu": 10, "memory": 10, "pending_pods": 0}]}' >"$TMP/in.json"
STDIN=$TMP/in.json vg 0 decide
printf '{"now": 1000, "workers": {"ready": 4, "joining": 0, "draining": 0}, "samples": [{"t": 2000}]}' >"$TMP/bad.json"
STDIN=$TMP/bad.json vg 2 decide
printf 'min_nodes: 3\nsim:\n  boot_s: 1m\nbogus: [1]\n' >"$TMP/c.yaml"
vg 2 check-config --config "$TMP/c.yaml"
vg 0 check-config --set min_nodes=3
vg 0 check-config --example
# the daemon and the Prometheus clients, against a port nothing listens on: the HTTP client,
# libmicrohttpd and every error path torn down cleanly
dead=http://127.0.0.1:9
vg 0 run --cycles 2 --set interval=1s --set server.listen=127.0.0.1:0 --set "prometheus_url=$dead" \
    --set cluster=prometheus --set cloud=none --set "store=sqlite:$TMP/state.db"
vg 2 once --set "prometheus_url=$dead" --set aws_region= --set "store=sqlite:$TMP/state.db"
vg 1 observe --set "prometheus_url=$dead"
vg 1 replay --prometheus $dead --start 0 --end 600
vg 2 replay --start 0

finish
