# testlib.sh - shell helpers shared by the shell tests (sourced, not run).
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`); sets TEST (the script's name), GOLDEN,
# GEN and REPLAY (the built programs), TMP (a fresh directory, removed on exit), the counters
# failures/tests/cases/files, and defines need_built, sha256, fail and cfg_get.

: "${MMT_SRCDIR:?MMT_SRCDIR is not set (run through make check)}"
: "${MMT_BUILDDIR:?MMT_BUILDDIR is not set (run through make check)}"
TEST=$(basename "$0" .sh)
GOLDEN="$MMT_SRCDIR/tests/golden"
[ -d "$GOLDEN" ] || { echo "$TEST: no fixtures at $GOLDEN" >&2; exit 1; }
GEN="$MMT_BUILDDIR/mmtrace-gen"
REPLAY="$MMT_BUILDDIR/mmtrace-replay"

# need_built PROG...: a program that is not built fails the test (exit 1, not a skip: make
# check builds them first, so a missing one is a broken build).
need_built() {
    for p in "$@"; do
        [ -x "$p" ] || { echo "$TEST: $p is not built" >&2; exit 1; }
    done
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mmt-$TEST.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT HUP INT TERM

if command -v sha256sum >/dev/null 2>&1; then
    sha256() { sha256sum | cut -d' ' -f1; }
else
    sha256() { shasum -a 256 | cut -d' ' -f1; }
fi

failures=0
tests=0
cases=0
files=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# check_one_line NAME WANT STATUS ERRFILE GLOB: a refused run exited with WANT (its status is
# STATUS) and wrote exactly one line to stderr (in ERRFILE), matching GLOB.
check_one_line() {
    [ "$3" -eq "$2" ] || fail "$1: exit status $3, expected $2 (stderr: $(cat "$4"))"
    o_n=$(wc -l <"$4")
    [ "$o_n" -eq 1 ] || fail "$1: $o_n lines on stderr, expected 1: $(cat "$4")"
    # shellcheck disable=SC2254
    case $(head -n 1 "$4") in
    $5) ;;
    *) fail "$1: stderr '$(head -n 1 "$4")' does not match '$5'" ;;
    esac
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

# golden_case DIR: sets c (the case's name), cfg, itype (its -i: gemm where SCALE-Sim was run
# with -i gemm, else conv) and run (its run_name); returns 1 when DIR holds no case.
golden_case() {
    c=$(basename "$1")
    cfg="$1/config.cfg"
    [ -f "$cfg" ] || return 1
    itype=conv
    if grep -q -- '-i gemm' "$1/command.txt"; then itype=gemm; fi
    run=$(cfg_get "$cfg" run_name)
}

# run_gen NAME OUTDIR ARGS...: mmtrace-gen ARGS -p OUTDIR into a new OUTDIR, with stdout and
# stderr in $TMP/stdout and $TMP/stderr; a failed run is reported under NAME, with its stderr,
# and returns 1.
run_gen() {
    g_name=$1 g_out=$2
    shift 2
    mkdir "$g_out" || { fail "$g_name: cannot create $g_out"; return 1; }
    "$GEN" "$@" -p "$g_out" >"$TMP/stdout" 2>"$TMP/stderr" && return 0
    fail "$g_name: mmtrace-gen exited with status $?:"
    cat "$TMP/stderr" >&2
    return 1
}

# The reference file for report $2 of case dir $1 (COMPUTE: the Python 3.12 variant).
ref_report() {
    if [ "$2" = COMPUTE_REPORT.csv ] && [ -f "$1/COMPUTE_REPORT.py312sum.csv" ]; then
        echo "$1/COMPUTE_REPORT.py312sum.csv"
    else
        echo "$1/$2"
    fi
}

# Compares the three reports of run dir $2 with case dir $1; $3 names the run in messages,
# REF_NAME the reference (default SCALE-Sim).
check_reports() {
    for r in COMPUTE_REPORT.csv BANDWIDTH_REPORT.csv DETAILED_ACCESS_REPORT.csv; do
        if ! cmp -s "$(ref_report "$1" "$r")" "$2/$r"; then
            fail "$3: $r differs from ${REF_NAME:-SCALE-Sim} (< reference, > mmtrace):"
            diff "$(ref_report "$1" "$r")" "$2/$r" 2>&1 | head -n 6 >&2
        fi
    done
}
