#!/usr/bin/env bash
# mklambdazip.sh - build nodefleet-lambda.zip, the function package for the provided.al2023
# runtime (issue 18), from a built tree:
#
#   scripts/mklambdazip.sh BUILD_DIR [OUT_DIR]        (make lambda-zip runs it on build/)
#
# The zip holds `bootstrap` (the binary, run by Lambda as `bootstrap`; it runs `lambda` when
# called so) and lib/: every shared library it loads - what it links and what it opens with
# dlopen (the sonames it names), and everything those load in turn - except glibc's own
# libraries and the loader, which Amazon Linux 2023 has. bootstrap finds lib/ through a
# RUNPATH of $ORIGIN/lib, each library its neighbours through $ORIGIN: nothing depends on
# LD_LIBRARY_PATH. AL2023 has glibc 2.34: a file needing a newer GLIBC_ symbol version fails
# the build, as does a zip over Lambda's 50 MB limit.
set -euo pipefail

build=${1:?usage: mklambdazip.sh BUILD_DIR [OUT_DIR]}
out=${2:-$build}
bin="$build/nodefleet"
# shellcheck source=scripts/libs.sh
source "$(dirname "$0")/libs.sh"
[[ -x "$bin" ]] || { echo "mklambdazip: $bin is not built" >&2; exit 1; }
for t in patchelf zip objdump ldd ldconfig strings strip; do
    command -v "$t" >/dev/null || { echo "mklambdazip: '$t' is missing (scripts/deps.sh lambda)" >&2; exit 1; }
done
GLIBC_MAX=2.34 # Amazon Linux 2023
# glibc's own libraries and the loader: the runtime's, never shipped
glibc='^(libc|libm|libpthread|libdl|librt|libresolv|libutil|libanl|libnsl|ld-linux-x86-64)\.so'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/pkg/lib"
install -m 0755 "$bin" "$work/pkg/bootstrap"
strip --strip-unneeded --remove-section=.comment "$work/pkg/bootstrap"

# the libraries to ship: each linked or opened soname, and everything ldd says those load
declare -A ship=()
add() { # PATH
    local so
    so=$(basename "$1")
    [[ "$so" =~ $glibc || -n "${ship[$so]:-}" ]] && return 0
    ship[$so]=$1
}
roots=()
while IFS= read -r so; do
    roots+=("$so")
done < <({ linked "$bin"; opened "$bin"; } | sort -u)
for so in "${roots[@]}"; do
    [[ "$so" =~ $glibc ]] && continue
    path=$(soname_path "$so")
    [[ -n "$path" ]] || { echo "mklambdazip: $so is not installed here" >&2; exit 1; }
    add "$path"
    while IFS= read -r dep; do
        add "$dep"
    done < <(ldd "$path" | awk '$2 == "=>" && $3 ~ /^\// {print $3}')
done
for so in "${!ship[@]}"; do
    cp -L "${ship[$so]}" "$work/pkg/lib/$so"
    chmod 0644 "$work/pkg/lib/$so"
    # shellcheck disable=SC2016 # $ORIGIN is the loader's, not the shell's
    patchelf --set-rpath '$ORIGIN' "$work/pkg/lib/$so"
done
# shellcheck disable=SC2016 # $ORIGIN is the loader's
patchelf --set-rpath '$ORIGIN/lib' "$work/pkg/bootstrap"

# no file may need a glibc newer than the runtime's
bad=()
for f in "$work/pkg/bootstrap" "$work"/pkg/lib/*; do
    need=$(objdump -T "$f" | grep -oE 'GLIBC_[0-9]+\.[0-9]+' | sed 's/GLIBC_//' | sort -t. -k1,1n -k2,2n -u | tail -1)
    if [[ -n "$need" && "$(printf '%s\n%s\n' "$need" "$GLIBC_MAX" | sort -t. -k1,1n -k2,2n | tail -1)" != "$GLIBC_MAX" ]]; then
        bad+=("$(basename "$f") needs GLIBC_$need")
    fi
done
[[ ${#bad[@]} -eq 0 ]] || { echo "mklambdazip: newer than Amazon Linux 2023's glibc $GLIBC_MAX: ${bad[*]}" >&2; exit 1; }

mkdir -p "$out"
zipfile="$(cd "$out" && pwd)/nodefleet-lambda.zip"
rm -f "$zipfile"
(cd "$work/pkg" && TZ=UTC zip -q -9 -X -r "$zipfile" bootstrap lib)
size=$(stat -c %s "$zipfile")
((size < 50 * 1024 * 1024)) || { echo "mklambdazip: $zipfile is $size bytes, over Lambda's 50 MB" >&2; exit 1; }
echo "$zipfile"
