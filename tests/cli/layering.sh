# layering.sh - imports point one way (DESIGN.md, issue 11): the core includes nothing of ours
# but the core and util; util includes only util; no adapter or client (adapters/, prom/,
# kube/, aws/, http/) includes the cycle or the CLI; the cycle does not include the CLI.
source "$(dirname "$0")/lib.sh"
cd "$SRC/src" || exit 1
check() { # DIR PATTERN-OF-ALLOWED-INCLUDES WHY
    local dir=$1 allowed=$2 why=$3 f line target
    for f in "$dir"/*.[ch]; do
        while IFS= read -r line; do
            target=${line#*\"}
            target=${target%\"*}
            [[ "$target" =~ $allowed ]] || fail "$f includes $target: $why"
        done < <(grep -h '^#include "' "$f")
    done
}
check core '^(\.\./core/|\.\./util/(err|parse)\.h$|[a-z_0-9]+\.h$)' "the core depends on nothing of ours but itself and util"
check util '^[a-z_0-9]+\.h$' "util is the bottom layer"
for d in adapters prom kube aws http; do
    check "$d" '^(\.\./(adapters|prom|kube|aws|http|ports|core|util|config)/|[a-z_0-9]+\.h$)' \
        "an adapter or client never reaches up into the cycle or the CLI"
done
check cycle '^(\.\./(ports|core|util)/|[a-z_0-9]+\.h$)' "the cycle talks to ports only"
n=$(grep -l '^#include' core/*.[ch] util/*.[ch] | wc -l)
[[ $n -gt 10 ]] || fail "only $n files checked: is the tree where this test thinks?"
finish
