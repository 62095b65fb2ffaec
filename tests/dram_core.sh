#!/bin/sh
# dram_core.sh - the DRAMsim3 behaviours the DRAM model's author recorded cases for
# (tests/dram/core-*/, recorded with the real dramsim3main 2981759, never typed in): the two
# end-of-trace rules, HBM's second command with two-entry command queues, one unified queue
# with self-refresh and simultaneous refresh, a negative ACT-to-READ delay. For every cycle
# count in a case's `cycles`, `mmtrace-replay --dram --dram-trace --cycles` must write
# dramsim3.N.json byte for byte (a stricter check than tests/dram_golden.sh's key by key).
# Then: without --dram nothing changes (the option is refused where it does not belong).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
need_built "$REPLAY"
DRAM="$MMT_SRCDIR/tests/dram"

for d in "$DRAM"/core-*/; do
    name=$(basename "$d")
    ini="$MMT_SRCDIR/$(cat "$d/ini")"
    for n in $(cat "$d/cycles"); do
        tests=$((tests + 1))
        out="$TMP/$name.$n"
        if ! "$REPLAY" --dram="$ini" --dram-trace="$d/trace.gz" --cycles="$n" -p "$out" \
            2>"$TMP/err"; then
            fail "$name -c $n: $(cat "$TMP/err")"
            continue
        fi
        gzip -dc "$d/dramsim3.$n.json.gz" >"$TMP/ref.json"
        cmp -s "$TMP/ref.json" "$out/dram_stats.json" || fail "$name -c $n: dram_stats.json differs"
    done
done
[ "$tests" -ge 10 ] || fail "only $tests runs (tests/dram/core-* missing?)"

# usage errors: exit 2, one line, nothing on stdout
usage() {
    tests=$((tests + 1))
    "$REPLAY" "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [ "$rc" -eq 2 ] && [ ! -s "$TMP/out" ] && [ "$(wc -l <"$TMP/err")" -ge 1 ] ||
        fail "mmtrace-replay $*: exit $rc, stdout '$(cat "$TMP/out")'"
}
ini="$DRAM/ini/core-ddr4.ini"
usage --dram-trace=x --cycles=5 -p "$TMP/u"
usage --dram="$ini" --dram-trace=x -p "$TMP/u"
usage --dram="$ini" --dram-trace=x --cycles=-1 -p "$TMP/u"
usage --dram="$ini" --dram-trace=x --cycles=5
usage --cycles=5 -p "$TMP/u"
# bad input: exit 1, PROG: FILE:LINE: message, no output file
printf '0x40 READ 0\n0x80 REED 4\n' >"$TMP/bad.trace"
tests=$((tests + 1))
"$REPLAY" --dram="$ini" --dram-trace="$TMP/bad.trace" --cycles=100 -p "$TMP/b" 2>"$TMP/err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "^mmtrace-replay: $TMP/bad.trace:2: request type 'REED'" "$TMP/err" &&
    [ ! -e "$TMP/b/dram_stats.json" ] || fail "bad trace: exit $rc, '$(cat "$TMP/err")'"

[ "$failures" -eq 0 ] || exit 1
echo "$TEST: $tests runs, every dram_stats.json byte-identical to dramsim3main's"
