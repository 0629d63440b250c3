# cli_check_config.sh - golden tests (configs in, effective config or error text out), the
# example config, the generated docs, and the environment layer.
source "$(dirname "$0")/lib.sh"
GOLDEN=$SRC/tests/golden/config

# Each NAME.yaml runs `check-config --config NAME.yaml` (with NAME.env's lines as the
# environment, if present); NAME.out holds "status N" then stdout then stderr, with the
# file's path written as FILE. NF_UPDATE_GOLDEN=1 rewrites the .out files.
n=0
for y in "$GOLDEN"/*.yaml; do
    name=$(basename "$y" .yaml)
    ENV=()
    if [[ -f "$GOLDEN/$name.env" ]]; then mapfile -t ENV <"$GOLDEN/$name.env"; fi
    run check-config --config "$y"
    got=$(printf 'status %d\n%s\n%s\n' "$status" "$out" "$err" | sed "s|$y|FILE|g")
    if [[ "${NF_UPDATE_GOLDEN:-}" == 1 ]]; then
        printf '%s\n' "$got" >"$GOLDEN/$name.out"
    elif ! diff -u "$GOLDEN/$name.out" <(printf '%s\n' "$got") >"$TMP/diff"; then
        fail "golden $name differs:"
        cat "$TMP/diff" >&2
    fi
    n=$((n + 1))
done
[[ $n -ge 10 ]] || fail "only $n golden cases found in $GOLDEN"
ENV=()

# the production configuration the README walks through is valid as shipped
run check-config --config "$SRC/deploy/nodefleet.yaml"
expect_status 0 "deploy/nodefleet.yaml"
expect_in "$out" 'store: "dynamodb"  # ' "deploy/nodefleet.yaml store"
expect_in "$out" 'launch_template: "k3s-workers"  # ' "deploy/nodefleet.yaml template"

# the example config is complete and loads to the defaults
run check-config --example
expect_status 0 "--example"
cp "$TMP/out" "$TMP/example.yaml"
run check-config --config "$TMP/example.yaml"
expect_status 0 "example loads"
expect_in "$out" "configuration OK" "example loads"
run check-config
defaults=$(printf '%s\n' "$out" | sed 's/  # .*//')
run check-config --config "$TMP/example.yaml"
from_example=$(printf '%s\n' "$out" | sed 's/  # .*//')
[[ "$defaults" == "$from_example" ]] || fail "example config does not load to the defaults"

# docs/configuration.md is generated from the table and must not drift
run check-config --docs
expect_status 0 "--docs"
diff -u "$SRC/docs/configuration.md" "$TMP/out" >"$TMP/diff" ||
    { fail "docs/configuration.md is stale (regenerate: nodefleet check-config --docs)"; cat "$TMP/diff" >&2; }

# environment beats the file, --set beats the environment; NODEFLEET_CONFIG names the file
printf 'min_nodes: 3\n' >"$TMP/c.yaml"
ENV=(MIN_NODES=4)
run check-config --config "$TMP/c.yaml"
expect_in "$out" "min_nodes: 4  # env MIN_NODES" "env over file"
run check-config --config "$TMP/c.yaml" --set min_nodes=5
expect_in "$out" "min_nodes: 5  # --set" "--set over env"
ENV=("NODEFLEET_CONFIG=$TMP/c.yaml")
run check-config
expect_in "$out" "min_nodes: 3  # $TMP/c.yaml:1" "NODEFLEET_CONFIG"

# secrets: masked in the output, never in any message
ENV=(SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX)
run check-config
expect_status 0 "secret from env"
expect_in "$out" 'slack_webhook_url: "********"  # env SLACK_WEBHOOK_URL' "secret masked"
expect_not_in "$out$err" "secretXXXX" "secret leaked"
ENV=()

run check-config --example --docs
expect_status 2 "--example with --docs"

finish
