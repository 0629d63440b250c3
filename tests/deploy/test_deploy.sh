# test_deploy.sh - what deploy/ ships parses as its tools read it (issue 17): yamllint
# (strict, the repo's .yamllint) on every YAML file, promtool on the alert rules.
source "$(dirname "$0")/../cli/lib.sh"
for t in yamllint promtool; do
    command -v "$t" >/dev/null || { echo "FAIL: '$t' is missing (scripts/deps.sh test installs it)" >&2; exit 1; }
done
cd "$SRC" || exit 1
files=$(find deploy -name '*.yaml' -o -name '*.yml' | sort)
[[ $(lines "$files") -ge 4 ]] || fail "only these YAML files in deploy/: $files"
# shellcheck disable=SC2086 # one argument per file
out=$(yamllint -s -c .yamllint $files 2>&1) || fail "yamllint: $out"
out=$(promtool check rules deploy/prometheus/nodefleet-rules.yaml 2>&1) || fail "promtool check rules: $out"
expect_in "$out" "SUCCESS: 11 rules found" "promtool check rules"
finish
