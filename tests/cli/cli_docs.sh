# cli_docs.sh - the manual pages and the bash completion, generated from the code's tables
# (issue 17): they render without a warning through groff and man, name every command and
# every setting, and the completion passes shellcheck and completes what it should.
source "$(dirname "$0")/lib.sh"
for t in groff man shellcheck; do
    command -v "$t" >/dev/null || { echo "FAIL: '$t' is missing (scripts/deps.sh test installs it)" >&2; exit 1; }
done

run help --man 1
expect_status 0 "help --man 1"
printf '%s\n' "$out" >"$TMP/nodefleet.1"
run help --man 5
expect_status 0 "help --man 5"
printf '%s\n' "$out" >"$TMP/nodefleet.yaml.5"
run help --man 7
expect_status 2 "help --man 7"
expect_in "$err" "help --man 1|5" "help --man 7"

# groff's warnings (all of them: -ww) and man's are failures; then the text as a reader sees it
for page in nodefleet.1 nodefleet.yaml.5; do
    w=$(groff -man -ww -z -Tutf8 "$TMP/$page" 2>&1)
    [[ -z "$w" ]] || fail "groff warns on $page: $w"
    MANWIDTH=100 man --warnings=w -l "$TMP/$page" >"$TMP/$page.txt" 2>"$TMP/$page.err" </dev/null
    [[ -s "$TMP/$page.err" ]] && fail "man warns on $page: $(cat "$TMP/$page.err")"
done
text1=$(cat "$TMP/nodefleet.1.txt")
text5=$(cat "$TMP/nodefleet.yaml.5.txt")
expect_in "$text1" "NODEFLEET(1)" "man 1 title"
expect_in "$text5" "NODEFLEET.YAML(5)" "man 5 title"

# every command in `nodefleet help`, with its synopsis and its options
run help
commands=$(printf '%s\n' "$out" | awk '/^commands:/{c=1;next} c && /^  [a-z]/{print $1} /^$/{c=0}')
[[ $(lines "$commands") -ge 12 ]] || fail "help lists only: $commands"
for c in $commands; do
    [[ $c == help ]] && continue
    expect_in "$text1" "   nodefleet $c"$'\n' "man 1 section of $c"
    run help "$c"
    for opt in $(printf '%s\n' "$out" | grep -oE '(^|[ [|])--[a-z-]+' | tr -d ' [|' | sort -u); do
        expect_in "$text1" "$opt" "man 1: $c's option $opt"
    done
done
expect_in "$text1" "--deadline D"$'\n'"              finish within D of the start" "an option is a tagged paragraph"
expect_in "$text1" "EXIT STATUS" "man 1 exit status"

# every setting, with its variable, type, default and range, as `help settings` has them
run help settings
settings=$(printf '%s\n' "$out" | awk '/^  [a-z]/{print $1}')
[[ $(lines "$settings") -ge 100 ]] || fail "only $(lines "$settings") settings in help settings"
for s in $settings; do
    expect_in "$text5" "       $s (" "man 5: setting $s"
done
expect_in "$text5" "kube.timeout (NODEFLEET_KUBE_TIMEOUT)"$'\n'"              duration, default 10s; 1s to 600s" "man 5 kube.timeout"
expect_in "$text5" "(a secret)" "man 5 marks secrets"
expect_in "$text5" "TRIGGERS" "man 5 triggers"

# the completion: shellcheck, then what bash offers
run help --bash-completion
expect_status 0 "help --bash-completion"
printf '%s\n' "$out" >"$TMP/nodefleet.bash"
shellcheck -s bash "$TMP/nodefleet.bash" || fail "shellcheck on the completion"
complete_words() { # WORDS... : what bash completes for the last one
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _nodefleet; printf "%s\n" "${COMPREPLY[@]}"' _ "$TMP/nodefleet.bash" "$@"
}
[[ $(complete_words nodefleet ru) == run ]] || fail "completion: ru -> $(complete_words nodefleet ru)"
[[ $(complete_words nodefleet che) == check-config ]] || fail "completion: che"
[[ $(complete_words nodefleet once --dea) == --deadline ]] || fail "completion: once --dea"
[[ $(complete_words nodefleet run --set kube.ti) == kube.timeout= ]] || fail "completion: --set kube.ti"
[[ $(complete_words nodefleet simulate --policy s | tr '\n' ' ') == "seed static: " ]] || fail "completion: --policy s"
[[ -z $(complete_words nodefleet run --dea) ]] || fail "completion: run has no --deadline"
n=$(complete_words nodefleet run --set "" | wc -l)
[[ $n -eq $(lines "$settings") ]] || fail "completion offers $n settings, help settings lists $(lines "$settings")"
finish
