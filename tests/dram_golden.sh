#!/bin/sh
# dram_golden.sh - the DRAM model against the real DRAMsim3 (commit 2981759), on every case of
# the golden corpus tests/dram/<case>/ (recorded by tools/dram-golden.sh, never typed in):
#   * the comparer itself: a recorded dramsim3.json against itself passes, against a copy with
#     one number, one histogram bucket or one key changed fails, and a declared tolerance
#     absorbs exactly what it declares;
#   * for every case and every cycle count N in its `cycles`, `mmtrace-replay --dram=INI
#     --dram-trace=trace.gz --cycles=N -p DIR` writes DIR/dram_stats.json, which must equal
#     dramsim3main's dramsim3.N.json key by key (tests/dram_cmp.c: integers exactly, floats
#     exactly), except the differences tests/dram/tolerance.txt declares.
# Prints, per protocol, the runs compared, how many match every key exactly, and the worst
# relative difference (doc/dram.md quotes this table).
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
DRAM="$MMT_SRCDIR/tests/dram"
CMP="$MMT_BUILDDIR/tests/dram_cmp"
TOL="$DRAM/tolerance.txt"

need_built "$REPLAY" "$CMP"

# The comparer fails on a change and passes on none (a test that cannot fail is a defect).
ref="$DRAM/DDR4-random/dramsim3.10000.json.gz"
[ -f "$ref" ] || ref=$(ls "$DRAM"/*/dramsim3.*.json.gz | head -n 1)
gzip -dc "$ref" >"$TMP/ref.json"
"$CMP" -n self "$ref" "$TMP/ref.json" >"$TMP/out" || fail "dram_cmp: a file differs from itself"
grep -q "self: [0-9]* keys, exact, worst 0$" "$TMP/out" || fail "dram_cmp: '$(cat "$TMP/out")'"
# perturb NAME SED-SCRIPT: a copy of the reference edited by SED-SCRIPT must fail.
perturb() {
    sed "$2" "$TMP/ref.json" >"$TMP/bad.json"
    cmp -s "$TMP/ref.json" "$TMP/bad.json" && { fail "dram_cmp: perturbation $1 edits nothing"; return; }
    if "$CMP" -n "$1" "$ref" "$TMP/bad.json" >"$TMP/out"; then
        fail "dram_cmp: perturbation $1 passes: $(cat "$TMP/out")"
    fi
}
perturb count 's/"num_reads_done":\([0-9]*\)/"num_reads_done":1\1/'
perturb float 's/"average_read_latency":\([0-9]*\)\./"average_read_latency":\1.0000001/'
perturb bucket 's/"read_latency":{"\([0-9]*\)":/"read_latency":{"1\1":/'
perturb missing 's/"num_act_cmds":[0-9]*,//'
perturb extra 's/"num_act_cmds"/"num_bogus_cmds":0,"num_act_cmds"/'
perturb null 's/"write_latency":null/"write_latency":{}/;s/"write_latency":{[^}]*}/"write_latency":null/'
printf '* average_read_latency 1e-3\n* num_act_cmds absent\n' >"$TMP/tol"
sed 's/"average_read_latency":\([0-9]*\)\./"average_read_latency":\1.0000001/; s/"num_act_cmds":[0-9]*,//' \
    "$TMP/ref.json" >"$TMP/bad.json"
"$CMP" -t "$TMP/tol" -n tol "$ref" "$TMP/bad.json" >"$TMP/out" ||
    fail "dram_cmp: declared tolerances do not absorb their keys: $(cat "$TMP/out")"
grep -q "tol: .*, within, " "$TMP/out" || fail "dram_cmp: a tolerated difference is not 'within'"
printf 'nomatch* average_read_latency 1e-3\n' >"$TMP/tol"
"$CMP" -t "$TMP/tol" -n tol "$ref" "$TMP/bad.json" >/dev/null &&
    fail "dram_cmp: a tolerance for another case applies"

# Every case at every count.
: >"$TMP/results"
for d in "$DRAM"/*/; do
    d=${d%/}
    [ -f "$d/cycles" ] || continue
    c=$(basename "$d")
    ini="$MMT_SRCDIR/$(cat "$d/ini")"
    proto=$(sed -n 's/^[[:space:]]*protocol[[:space:]]*=[[:space:]]*\([A-Za-z0-9]*\).*/\1/p' "$ini")
    cases=$((cases + 1))
    for n in $(cat "$d/cycles"); do
        rm -rf "$TMP/o"
        if ! "$REPLAY" --dram="$ini" --dram-trace="$d/trace.gz" --cycles="$n" -p "$TMP/o" \
            >/dev/null 2>"$TMP/stderr"; then
            fail "$c@$n: mmtrace-replay failed: $(head -n 3 "$TMP/stderr")"
            echo "$proto $c@$n differ inf" >>"$TMP/results"
            continue
        fi
        files=$((files + 1))
        if ! "$CMP" -t "$TOL" -n "$c@$n" "$d/dramsim3.$n.json.gz" "$TMP/o/dram_stats.json" \
            >"$TMP/out" 2>&1; then
            fail "$c@$n: dram_stats.json differs from DRAMsim3's:"
            head -n 8 "$TMP/out" | sed '$d' >&2
        fi
        tail -n 1 "$TMP/out" | awk -v p="$proto" '{print p, $1, $4, $6}' | tr -d ',' >>"$TMP/results"
    done
done

# The per-protocol table: runs, exact, within the declared tolerances, differing, worst.
echo "protocol runs exact within differ worst"
awk '{ n[$1]++; k[$1, $3]++; if ($4 + 0 > w[$1] || $4 == "inf") w[$1] = $4 }
    END { for (p in n) printf "%s %d %d %d %d %s\n", p, n[p], k[p, "exact"], k[p, "within"],
                               k[p, "differ"], w[p] + 0 == 0 && w[p] != "inf" ? 0 : w[p] }' \
    "$TMP/results" | sort

if [ "$cases" -lt 60 ]; then
    echo "FAIL: only $cases cases under $DRAM (expected at least 60)" >&2
    exit 1
fi
echo "dram_golden: $cases cases, $files runs compared, $failures failures"
[ "$failures" -eq 0 ]
