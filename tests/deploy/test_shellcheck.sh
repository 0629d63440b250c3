# test_shellcheck.sh - shellcheck on every shell script in the repository (issue 18): the
# tracked *.sh files and every tracked file whose first line is a sh or bash shebang; sourced
# files are followed from each script's directory.
source "$(dirname "$0")/../cli/lib.sh"
command -v shellcheck >/dev/null || { echo "FAIL: 'shellcheck' is missing (scripts/deps.sh test installs it)" >&2; exit 1; }
command -v git >/dev/null || { echo "FAIL: 'git' is missing" >&2; exit 1; }
cd "$SRC" || exit 1
scripts=()
while IFS= read -r f; do
    [[ -f "$f" ]] || continue
    if [[ "$f" == *.sh ]] || head -n 1 "$f" | grep -qE '^#!(/usr)?/bin/(env )?(ba)?sh'; then
        scripts+=("$f")
    fi
done < <(git ls-files)
[[ ${#scripts[@]} -ge 15 ]] || fail "only ${#scripts[@]} shell scripts found: ${scripts[*]}"
out=$(shellcheck -s bash -x -P SCRIPTDIR "${scripts[@]}" 2>&1) || fail "shellcheck: $out"
expect_in " ${scripts[*]} " " deploy/aws/k3s-worker.sh " "the worker user data is checked"
expect_in " ${scripts[*]} " " .ci/run " "the CI script is checked"
finish
