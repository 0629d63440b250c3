# lib.sh - helpers for the CLI tests. Sourced; $1 = the nodefleet binary, $2 = source tree.
# shellcheck disable=SC2034 # NF, SRC, out, err, status: for the scripts that source this
set -uo pipefail
NF=$1
SRC=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run ARGS... : runs nodefleet with a clean environment; sets $out, $err, $status.
# Extra environment goes in the ENV array: ENV=(MIN_NODES=3) run check-config
ENV=()
run() {
    env -i PATH="$PATH" HOME="$TMP" "${ENV[@]}" "$NF" "$@" >"$TMP/out" 2>"$TMP/err" <"${STDIN:-/dev/null}"
    status=$?
    out=$(cat "$TMP/out")
    err=$(cat "$TMP/err")
}

expect_status() {
    [[ $status -eq $1 ]] || fail "${2:-}: exit status $status, expected $1 (stderr: $err)"
}

expect_in() { # haystack needle what
    [[ "$1" == *"$2"* ]] || fail "${3:-}: expected to find [$2] in [$1]"
}

expect_not_in() {
    [[ "$1" != *"$2"* ]] || fail "${3:-}: did not expect [$2] in [$1]"
}

lines() { # number of lines in $1 (0 for empty)
    if [[ -z "$1" ]]; then echo 0; else printf '%s\n' "$1" | wc -l; fi
}

# json_get EXPR : evaluate a Python expression on the JSON in $out (as j)
json_get() {
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$TMP/out" "$1"
}

finish() {
    if [[ $failures -gt 0 ]]; then
        echo "$failures failure(s)" >&2
        exit 1
    fi
    echo "ok"
    exit 0
}
