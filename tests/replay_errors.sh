#!/bin/sh
# replay_errors.sh - mmtrace-replay on bad SRAM traces. Each directory under tests/bad/replay/
# holds files laid over a fresh mmtrace-gen output (config.cfg and topology.csv there: two GEMM
# layers on 8x8 os, USER bw 2), an optional `remove` list of files to delete first, and
# `expected`: the one line replay must print on stderr (RUN stands for OUTDIR/<run_name>).
# Replay must exit 1, print exactly that line, write no report and no DRAM trace, leave the
# SRAM traces as they were and leave no temporary file behind. Also checks usage errors (2).
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
BAD="$MMT_SRCDIR/tests/bad/replay"
need_built "$GEN" "$REPLAY"

# A listing of every file under a directory with its checksum, to prove nothing changed.
snapshot() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs cksum); }

for dir in "$BAD"/*/; do
    c=$(basename "$dir")
    [ -f "$dir/expected" ] || continue
    cases=$((cases + 1))
    out="$TMP/$c"
    mkdir "$out"
    if ! "$GEN" -c "$BAD/config.cfg" -t "$BAD/topology.csv" -p "$out" -i gemm >/dev/null 2>&1; then
        fail "$c: mmtrace-gen failed"
        continue
    fi
    run="$out/bad_replay"
    if [ -f "$dir/remove" ]; then
        while read -r f; do rm -f "$run/$f"; done <"$dir/remove"
    fi
    (cd "$dir" && find . -path ./expected -o -path ./remove -o -type f -print) |
        while read -r f; do cp "$dir/$f" "$run/$f"; done
    before=$(snapshot "$run")
    "$REPLAY" -c "$BAD/config.cfg" -t "$BAD/topology.csv" -p "$out" -i gemm -j 2 \
        >"$TMP/stdout" 2>"$TMP/stderr"
    rc=$?
    [ "$rc" -eq 1 ] || fail "$c: exit status $rc, expected 1"
    want=$(sed "s|RUN|$run|" "$dir/expected")
    got=$(cat "$TMP/stderr")
    [ "$got" = "$want" ] || fail "$c: stderr
  got:      $got
  expected: $want"
    [ -s "$TMP/stdout" ] && fail "$c: output on stdout although the run failed: $(head -n 1 "$TMP/stdout")"
    [ "$(snapshot "$run")" = "$before" ] ||
        fail "$c: the output directory changed (reports, traces or temporary files left)"
done

# Usage errors exit 2; --help and --version exit 0 on stdout.
usage() { # expected-status args...
    u_want=$1
    shift
    "$REPLAY" "$@" >"$TMP/stdout" 2>"$TMP/stderr"
    u_rc=$?
    [ "$u_rc" -eq "$u_want" ] || fail "mmtrace-replay $*: exit status $u_rc, expected $u_want"
}
usage 2
usage 2 -c "$BAD/config.cfg" -t "$BAD/topology.csv"
usage 2 -c "$BAD/config.cfg" -t "$BAD/topology.csv" -p "$TMP" -j 0
usage 2 -c "$BAD/config.cfg" -t "$BAD/topology.csv" -p "$TMP" --gzip-level 10
usage 2 -c "$BAD/config.cfg" -t "$BAD/topology.csv" -p "$TMP" -i mnk
usage 2 -c "$BAD/config.cfg" -t "$BAD/topology.csv" -p "$TMP" extra
usage 2 --compare "$TMP"
usage 2 --bogus
[ "$(cat "$TMP/stderr")" = "mmtrace-replay: unrecognized option '--bogus'
Try 'mmtrace-replay --help' for more information." ] || fail "--bogus: stderr '$(cat "$TMP/stderr")'"
# An empty path is a usage error, with a message naming the option.
usage_msg() { # option-name args...
    u_opt=$1
    shift
    usage 2 "$@"
    [ "$(head -n 1 "$TMP/stderr")" = "mmtrace-replay: $u_opt: the path is empty" ] ||
        fail "empty $u_opt: stderr '$(cat "$TMP/stderr")'"
    [ -s "$TMP/stdout" ] && fail "empty $u_opt: output on stdout"
}
usage_msg --path -c "$BAD/config.cfg" -t "$BAD/topology.csv" -p '' --no-traces
usage_msg --config -c '' -t "$BAD/topology.csv" -p "$TMP"
usage_msg --topology -c "$BAD/config.cfg" -t '' -p "$TMP"
usage_msg --compare -p "$TMP" --compare=
usage_msg --study --study=
usage_msg --fractions --fractions= "$TMP"
[ -e /bad_replay ] && fail "an empty path wrote at the filesystem root"
usage 0 --help
grep -q -- '--no-traces' "$TMP/stdout" || fail "--help does not list --no-traces"
usage 0 --version
grep -q '^mmtrace-replay ' "$TMP/stdout" || fail "--version prints '$(cat "$TMP/stdout")'"
usage 1 -c "$BAD/config.cfg" -t "$TMP/no-such.csv" -p "$TMP"

# Nothing on stdout when a run fails after every layer has been simulated: the reports cannot
# be renamed into place (a directory holds the name). Traces and the fused path alike.
out="$TMP/late"
"$GEN" -c "$BAD/config.cfg" -t "$BAD/topology.csv" -p "$out" -i gemm >/dev/null 2>&1 ||
    fail "late: mmtrace-gen failed"
mkdir -p "$out/bad_replay/BANDWIDTH_REPORT.csv"
for mode in fused traces; do # fused first: a failed publish of traces leaves the marker
    flag=""
    [ $mode = fused ] && flag=--no-traces
    "$REPLAY" -c "$BAD/config.cfg" -t "$BAD/topology.csv" -p "$out" -i gemm $flag \
        >"$TMP/stdout" 2>"$TMP/stderr"
    rc=$?
    [ "$rc" -eq 1 ] || fail "late $mode: exit status $rc, expected 1"
    [ "$(wc -l <"$TMP/stderr")" -eq 1 ] || fail "late $mode: stderr: $(cat "$TMP/stderr")"
    [ -s "$TMP/stdout" ] && fail "late $mode: output on stdout although the run failed: $(head -n 1 "$TMP/stdout")"
done
# --compare with a REFDIR that is not a directory: refused before the replay prints anything.
"$REPLAY" -c "$BAD/config.cfg" -t "$BAD/topology.csv" -p "$TMP/cmp" -i gemm --no-traces \
    --compare "$TMP/no-such-ref" >"$TMP/stdout" 2>"$TMP/stderr"
rc=$?
[ "$rc" -eq 1 ] || fail "compare-bad-ref: exit status $rc"
[ "$(cat "$TMP/stderr")" = "mmtrace-replay: $TMP/no-such-ref: not a directory" ] ||
    fail "compare-bad-ref: stderr '$(cat "$TMP/stderr")'"
[ -s "$TMP/stdout" ] && fail "compare-bad-ref: output on stdout: $(head -n 1 "$TMP/stdout")"
# stdout that cannot be written: exit 1 and a message.
if [ -w /dev/full ]; then
    "$REPLAY" -c "$BAD/config.cfg" -t "$BAD/topology.csv" -p "$TMP/full" -i gemm --no-traces \
        >/dev/full 2>"$TMP/stderr"
    rc=$?
    [ "$rc" -eq 1 ] || fail "stdout-full: exit status $rc, expected 1"
    [ "$(cat "$TMP/stderr")" = "mmtrace-replay: standard output: write error: No space left on device" ] ||
        fail "stdout-full: stderr '$(cat "$TMP/stderr")'"
fi
# --compare shows what it read from REFDIR escaped: a terminal escape sequence in a report
# field, or a control character in a trace line, comes out as \xNN text.
"$REPLAY" -c "$BAD/config.cfg" -t "$BAD/topology.csv" -p "$TMP/esc" -i gemm --no-traces \
    >/dev/null 2>&1 || fail "esc: replay failed"
cp -r "$TMP/esc/bad_replay" "$TMP/escref"
sed '2s/^0,/0\x1b[2J\x1b]0;owned\x07,/' "$TMP/esc/bad_replay/COMPUTE_REPORT.csv" >"$TMP/escref/COMPUTE_REPORT.csv"
"$REPLAY" -p "$TMP/esc/bad_replay" --compare "$TMP/escref" >"$TMP/stdout" 2>"$TMP/stderr"
rc=$?
[ "$rc" -eq 1 ] || fail "esc: exit status $rc, expected 1 (a difference)"
grep -q "$(printf '\033')" "$TMP/stdout" && fail "esc: a raw escape byte reached stdout"
grep -qF "'0\x1b[2J\x1b]0;owned\x07' in REFDIR" "$TMP/stdout" ||
    fail "esc: the field is not shown escaped: $(cat "$TMP/stdout")"
# --compare with a FIFO or /dev/zero as a REFDIR report: refused at once, never read forever.
cp -r "$TMP/esc/bad_replay" "$TMP/fiforef"
rm -f "$TMP/fiforef/COMPUTE_REPORT.csv" "$TMP/fiforef/BANDWIDTH_REPORT.csv"
mkfifo "$TMP/fiforef/COMPUTE_REPORT.csv"
ln -s /dev/zero "$TMP/fiforef/BANDWIDTH_REPORT.csv"
timeout 60 "$REPLAY" -p "$TMP/esc/bad_replay" --compare "$TMP/fiforef" >"$TMP/stdout" 2>"$TMP/stderr"
rc=$?
[ "$rc" -eq 1 ] || fail "compare-fifo: exit status $rc, expected 1 (124: it blocked)"
grep -q "not a regular file" "$TMP/stdout" "$TMP/stderr" ||
    fail "compare-fifo: the FIFO report is not named: $(cat "$TMP/stdout" "$TMP/stderr")"

if [ "$cases" -lt 10 ]; then
    echo "FAIL: only $cases bad-trace cases found under $BAD" >&2
    exit 1
fi
echo "replay_errors: $cases bad-trace cases, $failures failures"
[ "$failures" -eq 0 ]
