#!/bin/sh
# progress.sh - progress of long mmtrace-gen and mmtrace-replay runs off a terminal (issue 10
# item 6): one plain line "PROG: [0m02.5s] DONE/TOTAL UNIT, RATE/s, ETA 1m05s" (with the run's
# elapsed time, issue 19 item 7) per interval on stderr,
# a last line "..., took 0m01s" with DONE = TOTAL, no carriage return, and stdout byte-identical
# to a run without progress. MMTRACE_PROGRESS_INTERVAL (seconds, tests only; 10 by default)
# shortens the interval; a run shorter than the interval prints nothing on stderr.
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u
. "$MMT_SRCDIR/tests/testlib.sh"
need_built "$GEN" "$REPLAY"
CFG="$MMT_SRCDIR/topologies/examples/gemm_8x8_os.cfg"
# One layer of about 1.2 million demand rows: over a second of work on each program on an idle
# machine, so the pool's watcher (a tick every 100 ms) sees it running several times.
printf 'Layer, M, N, K,\nbig, 4096, 128, 128,\n' >"$TMP/big.csv"

# check_lines PROG UNIT FILE: every line a progress line, at least one before the last, the
# last one the end (done = total).
check_lines() {
    prog=$1 unit=$2 f=$3
    n=$(wc -l <"$f")
    [ "$n" -ge 2 ] || { fail "$prog: $n progress lines, want at least 2: $(cat "$f")"; return; }
    if tr -d '\n' <"$f" | grep -q "$(printf '\r')"; then
        fail "$prog: carriage return off a terminal"
    fi
    bad=$(grep -Ev "^$prog: \[[0-9]+m[0-9]{2}\.[0-9]s\] [0-9]+/[0-9]+ $unit, [0-9]+\.[0-9]/s, (ETA|took) ([0-9]+m[0-9]{2}s|\?)\$" "$f")
    [ -z "$bad" ] || fail "$prog: not a progress line: $bad"
    head -n $((n - 1)) "$f" | grep -q ' took ' && fail "$prog: 'took' before the last line"
    last=$(tail -n 1 "$f")
    echo "$last" | grep -Eq "^$prog: \[[^]]*\] ([0-9]+)/\\1 $unit, .*, took " ||
        fail "$prog: last line is not the end: $last"
}

# run NAME EXPECTED-EXIT CMD...: stdout and stderr to $TMP/NAME.out and .err.
run() {
    name=$1
    shift
    "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || fail "$name: exit $?: $(cat "$TMP/$name.err")"
    cases=$((cases + 1))
}

run gen-quiet "$GEN" -c "$CFG" -t "$TMP/big.csv" -i gemm -p "$TMP/q"
[ -s "$TMP/gen-quiet.err" ] && fail "gen: stderr of a short run: $(cat "$TMP/gen-quiet.err")"
MMTRACE_PROGRESS_INTERVAL=0.05 run gen "$GEN" -c "$CFG" -t "$TMP/big.csv" -i gemm -p "$TMP/p"
cmp -s "$TMP/gen.out" "$TMP/gen-quiet.out" || fail "gen: stdout differs with progress"
check_lines mmtrace-gen "trace rows" "$TMP/gen.err"

run replay-quiet "$REPLAY" -c "$CFG" -t "$TMP/big.csv" -i gemm -p "$TMP/q"
[ -s "$TMP/replay-quiet.err" ] && fail "replay: stderr of a short run: $(cat "$TMP/replay-quiet.err")"
MMTRACE_PROGRESS_INTERVAL=0.05 run replay "$REPLAY" -c "$CFG" -t "$TMP/big.csv" -i gemm -p "$TMP/p"
cmp -s "$TMP/replay.out" "$TMP/replay-quiet.out" || fail "replay: stdout differs with progress"
check_lines mmtrace-replay "demand rows" "$TMP/replay.err"
for f in COMPUTE_REPORT.csv BANDWIDTH_REPORT.csv DETAILED_ACCESS_REPORT.csv; do
    cmp -s "$TMP/p/gemm_8x8_os/$f" "$TMP/q/gemm_8x8_os/$f" || fail "replay: $f differs"
done

echo "progress: $cases runs, $failures failures"
[ "$failures" = 0 ]
