#!/usr/bin/env bash
# deps.sh - install the Debian packages nodefleet needs, only those missing.
#
#   scripts/deps.sh build    compilers and libraries for `make`
#   scripts/deps.sh test     + what the tests run (valgrind, python3, prometheus, ...), and
#                            dynalite from npm into tests/aws/.npm; checks that moto_server
#                            the AWS CLI and kubectl (preinstalled on our CI machines) are
#                            there
#   scripts/deps.sh fuzz     + clang and its libFuzzer runtime
#   scripts/deps.sh bench    + hyperfine
#   scripts/deps.sh deb      + what `make deb` packs with (dpkg-dev, lintian)
#   scripts/deps.sh lambda   + what `make lambda-zip` packs with (patchelf, zip)
#
# Runs apt-get (as root, or through sudo) only when something is missing, and says what.
set -euo pipefail

group=${1:-build}
build_pkgs=(cmake make gcc pkg-config libc6-dev
            libjansson-dev libyaml-dev libssl-dev libsqlite3-dev
            libmicrohttpd-dev libcmocka-dev)
test_pkgs=(valgrind python3 prometheus prometheus-node-exporter openssl chromium
           groff-base man-db shellcheck dpkg-dev lintian yamllint binutils passwd curl python3-yaml
           patchelf zip unzip)
deb_pkgs=(dpkg-dev binutils lintian groff-base)
lambda_pkgs=(patchelf zip binutils)
fuzz_pkgs=(clang libclang-rt-14-dev)
bench_pkgs=(hyperfine wrk)

want=("${build_pkgs[@]}")
case "$group" in
build) ;;
test) want+=("${test_pkgs[@]}") ;;
fuzz) want+=("${fuzz_pkgs[@]}") ;;
bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
deb) want+=("${deb_pkgs[@]}") ;;
lambda) want+=("${lambda_pkgs[@]}") ;;
*) echo "deps.sh: unknown group '$group' (build, test, fuzz, bench, deb, lambda)" >&2; exit 2 ;;
esac

# The AWS tests' servers that are not Debian packages.
aws_test_tools() {
    local here dyn
    here=$(cd "$(dirname "$0")/.." && pwd)
    dyn="$here/tests/aws/.npm/node_modules/.bin/dynalite"
    if [[ ! -x "$dyn" ]]; then
        command -v npm >/dev/null 2>&1 || {
            echo "nodefleet: npm is missing (Node.js); the AWS tests need it for dynalite" >&2
            exit 1
        }
        echo "nodefleet: installing dynalite 4.0.0 from npm into tests/aws/.npm" >&2
        npm install --no-audit --no-fund --silent --prefix "$here/tests/aws/.npm" \
            dynalite@4.0.0 >/dev/null
    fi
    local km="$here/tests/deploy/.npm/node_modules/kubernetes-models/package.json"
    if [[ ! -f "$km" ]]; then
        echo "nodefleet: installing kubernetes-models (and js-yaml) from npm into tests/deploy/.npm" >&2
        npm install --no-audit --no-fund --silent --prefix "$here/tests/deploy/.npm" \
            kubernetes-models@5.1.0 @kubernetes-models/prometheus-operator@6.0.0 \
            @kubernetes-models/flux-cd@4.0.0 js-yaml@4.1.0 >/dev/null
    fi
    local t
    for t in moto_server aws kubectl; do
        command -v "$t" >/dev/null 2>&1 || {
            echo "nodefleet: '$t' is not on PATH; the AWS and Kubernetes tests need it" \
                "(moto_server comes from 'pip install \"moto[server]\"', aws from the AWS CLI" \
                "v2 installer, kubectl from the Kubernetes release; our CI machines have all" \
                "three)" >&2
            exit 1
        }
    done
}
if [[ "$group" == test || "$group" == bench ]]; then aws_test_tools; fi

missing=()
for p in "${want[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "nodefleet: installing missing Debian packages: ${missing[*]}" >&2
if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "nodefleet: not root and no sudo; run as root: apt-get install -y ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "nodefleet: installed ${missing[*]}" >&2
