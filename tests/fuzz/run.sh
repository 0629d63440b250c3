#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS - run every libFuzzer target for SECONDS each, starting from the
# committed corpus (copied, so the repository does not grow). A crash fails the run and is
# left in fuzz-artifacts/; fix it and commit the input to tests/fuzz/corpus/<target>/.
set -euo pipefail
build=$1
secs=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p fuzz-artifacts
status=0
for t in fuzz_trace fuzz_decide fuzz_config fuzz_prom fuzz_expo fuzz_xml fuzz_awsjson fuzz_ini fuzz_kubeconfig fuzz_quantity fuzz_klist fuzz_kwatch fuzz_ec2_events fuzz_state fuzz_check fuzz_http_wire; do
    work=$(mktemp -d)
    cp "$here/corpus/$t/"* "$work/"
    echo "== $t for ${secs}s"
    if ! "$build/tests/fuzz/$t" -max_total_time="$secs" -max_len=65536 -timeout=10 \
            -artifact_prefix="fuzz-artifacts/$t-" -print_final_stats=1 "$work" 2>"fuzz-artifacts/$t.log"; then
        echo "!! $t found a failure; see fuzz-artifacts/$t.log and fuzz-artifacts/$t-*" >&2
        status=1
    fi
    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "fuzz-artifacts/$t.log" | tail -1 || true
    rm -rf "$work"
done
exit $status
