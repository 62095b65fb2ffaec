# testlib.sh - shell helpers shared by the golden tests (sourced, not run).
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`); sets GOLDEN, TMP (removed on exit),
# the counters failures/cases/files, and defines sha256, fail and cfg_get.

: "${MMT_SRCDIR:?MMT_SRCDIR is not set (run through make check)}"
: "${MMT_BUILDDIR:?MMT_BUILDDIR is not set (run through make check)}"
GOLDEN="$MMT_SRCDIR/tests/golden"
[ -d "$GOLDEN" ] || { echo "$(basename "$0"): no fixtures at $GOLDEN" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mmt-test.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT HUP INT TERM

if command -v sha256sum >/dev/null 2>&1; then
    sha256() { sha256sum | cut -d' ' -f1; }
else
    sha256() { shasum -a 256 | cut -d' ' -f1; }
fi

failures=0
cases=0
files=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# Value of key $2 (case-insensitive, 'key = v' or 'key: v') in cfg $1.
cfg_get() {
    awk -v key="$2" '{
        line = $0; sub(/^[ \t]+/, "", line)
        if (match(line, /[=:]/) == 0) next
        k = substr(line, 1, RSTART - 1); sub(/[ \t]+$/, "", k)
        if (tolower(k) != tolower(key)) next
        v = substr(line, RSTART + 1); sub(/^[ \t]+/, "", v); sub(/[ \t\r]+$/, "", v)
        print v; exit
    }' "$1"
}
