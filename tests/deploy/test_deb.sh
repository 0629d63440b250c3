# test_deb.sh - the Debian package (issue 17): scripts/mkdeb.sh builds it from this build;
# lintian finds no error or warning; Depends names what the binary links and every library
# it opens with dlopen; installed by dpkg into a throwaway root (never this machine), the
# binary runs, the man pages render, the unit passes systemd-analyze verify and the system
# user exists; removal keeps the edited conffile, purge removes it.
source "$(dirname "$0")/../cli/lib.sh"
for t in dpkg dpkg-deb dpkg-shlibdeps lintian systemd-analyze man useradd strings; do
    command -v "$t" >/dev/null || { echo "FAIL: '$t' is missing (scripts/deps.sh test installs it)" >&2; exit 1; }
done
version=$("$NF" --version | awk '{print $2}')
deb=$("$SRC/scripts/mkdeb.sh" "$(dirname "$NF")" "$TMP/out") || { echo "FAIL: mkdeb.sh" >&2; exit 1; }
[[ "$deb" == "$TMP/out/nodefleet_${version}_$(dpkg --print-architecture).deb" && -s "$deb" ]] ||
    fail "package named $deb"

# lintian: no error, no warning (as root it says it would rather not be: that is stderr)
lint=$(lintian --fail-on error,warning "$deb" 2>/dev/null)
lint_status=$?
[[ $lint_status -eq 0 ]] || fail "lintian ($lint_status): $lint"
[[ "$lint" != *"E: "* && "$lint" != *"W: "* ]] || fail "lintian says: $lint"

# Depends: the linked libraries, and each library the binary opens with dlopen
depends=$(dpkg-deb -f "$deb" Depends)
for p in libc6 libjansson4 libyaml-0-2; do
    expect_in "$depends" "$p" "Depends (linked)"
done
opened=$(strings -a "$NF" | grep -E '^lib[a-z0-9_+-]+\.so\.[0-9]+$' | grep -v '^libc\.so' | sort -u)
[[ $(lines "$opened") -ge 4 ]] || fail "the binary names only these libraries for dlopen: $opened"
for so in $opened; do
    path=$(ldconfig -p | awk -v so="$so" '$1 == so && !found {print $NF; found = 1}')
    pkg=""
    for f in "$path" "/usr$path" "$(readlink -f "$path")"; do # merged /usr: either name
        [[ -n "$pkg" ]] || pkg=$(dpkg -S "$f" 2>/dev/null | head -1 | cut -d: -f1)
    done
    [[ -n "$pkg" ]] || fail "no package owns $so ($path)"
    [[ ", $depends," =~ ", $pkg"[\ ,] ]] || fail "Depends lacks $pkg, which has $so (opened with dlopen): $depends"
done
expect_in "$(dpkg-deb -f "$deb" Section) $(dpkg-deb -c "$deb")" "./etc/nodefleet/nodefleet.yaml" "the config is shipped"
expect_in "$(dpkg-deb -I "$deb" conffiles)" "/etc/nodefleet/nodefleet.yaml" "the config is a conffile"

# a throwaway root: an empty dpkg database and the account files useradd --prefix edits
R=$TMP/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers" "$R/etc"
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
printf 'root:*:19000:0:99999:7:::\n' >"$R/etc/shadow"
printf 'root:*::\n' >"$R/etc/gshadow"
chmod 600 "$R/etc/shadow" "$R/etc/gshadow"
dpkgr() { dpkg --root="$R" --force-script-chrootless --force-depends --force-not-root --log=/dev/null "$@"; }
dpkgr -i "$deb" >"$TMP/dpkg.out" 2>&1 || fail "dpkg -i: $(cat "$TMP/dpkg.out")"
[[ $(dpkg-query --root="$R" -W -f='${Status}' nodefleet) == "install ok installed" ]] || fail "not installed"
[[ $("$R/usr/bin/nodefleet" --version) == "nodefleet $version" ]] || fail "the installed binary's --version"
grep -q '^nodefleet:x:[0-9]*:[0-9]*:.*:/var/lib/nodefleet:/usr/sbin/nologin$' "$R/etc/passwd" ||
    fail "no system user: $(cat "$R/etc/passwd")"
grep -q '^nodefleet:' "$R/etc/group" || fail "no group"
for page in man1/nodefleet.1.gz man5/nodefleet.yaml.5.gz; do
    MANWIDTH=100 man --warnings=w -l "$R/usr/share/man/$page" >"$TMP/page" 2>"$TMP/page.err" </dev/null
    [[ -s "$TMP/page" && ! -s "$TMP/page.err" ]] || fail "man -l $page: $(cat "$TMP/page.err")"
done
expect_in "$(cat "$R/lib/systemd/system/nodefleet.service")" "ExecStart=/usr/bin/nodefleet run --config /etc/nodefleet/nodefleet.yaml" "the unit runs the packaged binary"
# the unit, as systemd reads it, in that root (its targets and /bin/kill copied in)
mkdir -p "$R/bin" && cp /bin/kill "$R/bin/" && cp -an /lib/systemd/system/. "$R/lib/systemd/system/"
systemd-analyze verify --man=no --root="$R" /lib/systemd/system/nodefleet.service >"$TMP/verify" 2>&1 ||
    fail "systemd-analyze verify: $(cat "$TMP/verify")"
[[ $(bash -c 'source "$1"; COMP_WORDS=(nodefleet lam); COMP_CWORD=1; _nodefleet; echo "${COMPREPLY[*]}"' _ \
    "$R/usr/share/bash-completion/completions/nodefleet") == lambda ]] || fail "the installed completion"

# removal keeps the edited conffile (Debian policy 10.7.3); purge removes it
echo "# edited" >>"$R/etc/nodefleet/nodefleet.yaml"
dpkgr -r nodefleet >"$TMP/dpkg.out" 2>&1 || fail "dpkg -r: $(cat "$TMP/dpkg.out")"
[[ ! -e "$R/usr/bin/nodefleet" ]] || fail "the binary stays after removal"
[[ $(tail -1 "$R/etc/nodefleet/nodefleet.yaml" 2>/dev/null) == "# edited" ]] || fail "removal lost the edited conffile"
[[ $(dpkg-query --root="$R" -W -f='${Status}' nodefleet) == "deinstall ok config-files" ]] || fail "state after removal"
# installed again over the kept conffile and the existing user, then purged
dpkgr -i "$deb" >"$TMP/dpkg.out" 2>&1 || fail "dpkg -i again: $(cat "$TMP/dpkg.out")"
[[ $(tail -1 "$R/etc/nodefleet/nodefleet.yaml") == "# edited" ]] || fail "reinstall replaced the edited conffile"
[[ $(grep -c '^nodefleet:' "$R/etc/passwd") -eq 1 ]] || fail "reinstall made a second user"
dpkgr -P nodefleet >"$TMP/dpkg.out" 2>&1 || fail "dpkg -P: $(cat "$TMP/dpkg.out")"
[[ ! -e "$R/etc/nodefleet/nodefleet.yaml" ]] || fail "purge kept the conffile"
[[ -z $(dpkg-query --root="$R" -W -f='${Status}' nodefleet 2>/dev/null) ]] || fail "purge left the package known"
finish
