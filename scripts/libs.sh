# shellcheck shell=bash
# libs.sh - sourced by mkdeb.sh and mklambdazip.sh: the libraries nodefleet loads.
#
#   opened BINARY    the sonames it opens with dlopen, one a line: the strings of its
#                    NF_DYNLIB_INIT tables (libssl.so.3, ...), which no ELF tool sees
#   linked BINARY    the sonames it links (DT_NEEDED)
#   soname_path SO   where this machine's loader finds SO ("" when it does not)

opened() {
    strings -a "$1" | grep -E '^lib[a-z0-9_+-]+\.so\.[0-9]+$' | sort -u
}

linked() {
    objdump -p "$1" | awk '$1 == "NEEDED" {print $2}'
}

soname_path() { # awk reads to the end: an early exit would kill ldconfig with SIGPIPE, which
    # pipefail turns into a failure (it did, now and then)
    ldconfig -p | awk -v so="$1" '$1 == so && !found {print $NF; found = 1}'
}
