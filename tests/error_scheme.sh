#!/bin/sh
# error_scheme.sh - the library's one error scheme (internal.h, mmt__sys_diag): only
# src/lib/base/error.c reads errno or calls strerror; every other library file reports a failed
# system call through mmt__sys_diag right after it, and the MMT_E* code carries the reason.
: "${MMT_SRCDIR:?MMT_SRCDIR is not set (run through make check)}"
files=$(find "$MMT_SRCDIR/src/lib" -name '*.c' ! -name error.c | sort)
[ -n "$files" ] || { echo "FAIL: no library sources found" >&2; exit 1; }
# Comments may name errno; code may not: one-line /* ... */ and comment lines are blanked.
bad=$(for f in $files; do
    sed -e 's|/\*.*\*/||g' -e 's|^ *\*.*||' -e 's|^ */\*.*||' "$f" |
        grep -n '\berrno\b\|[^_]strerror *(' | sed "s|^|${f#"$MMT_SRCDIR"/}:|"
done)
if [ -n "$bad" ]; then
    echo "FAIL: errno or strerror outside src/lib/base/error.c (use mmt__sys_diag):" >&2
    echo "$bad" >&2
    exit 1
fi
echo "error_scheme.sh: $(echo $files | wc -w) library files leave errno to error.c"
