#!/usr/bin/env bash
# run.sh [BUILD_DIR] - build and print every benchmark figure (see README "Performance").
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cmake --build "$build" --target nodefleet bench_core bench_aws bench_kube nfaws maxrss >/dev/null
python3 bench/bench.py "$build"
python3 bench/bench_prom.py "$build"
python3 bench/bench_aws.py "$build"
python3 bench/bench_kube.py "$build"
python3 bench/bench_e2e.py "$build"
python3 bench/bench_once.py "$build"
python3 bench/bench_watch.py "$build"
python3 bench/bench_interrupt.py "$build"
python3 bench/bench_spot_sim.py "$build"
python3 bench/bench_types_sim.py "$build"
