#!/bin/sh
# dram_timing.sh - mmtrace-replay --dram=INI --clock=MHZ (the DRAM timing of a run's DRAM
# traffic, doc/dram.md) against the real DRAMsim3:
#   * the run tests/dram/run/dram_run.cfg over dram_run.csv (widths 8, 1.58 and 16 bits) is
#     made with mmtrace-gen and mmtrace-replay, then timed at 700 MHz on every memory of
#     tests/dram/timing/ (the five of memories/ and two of DRAMsim3's configs);
#   * each layer's row of DRAM_TIMING_REPORT.csv must be what DRAMsim3 gives for the same
#     requests (turned into a DRAMsim3 trace by tools/dram-run-trace.awk, the rule in awk,
#     recorded by tools/dram-golden.sh): the DRAM cycles exactly the fewest after which
#     DRAMsim3 has completed every request, requests, reads and writes exactly, and row-hit
#     rate, read latencies, GB/s, completion time and energy as derived from DRAMsim3's
#     dramsim3.json at that count (to the report's printed digits);
#   * the same with -c CFG, and on SCALE-Sim's plain .csv traces (decompressed);
#   * refusals: --dram without --clock or with a bad clock (exit 2), a directory without
#     layers, a malformed DRAM trace (FILE:LINE), each one line and no report.
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
DRAM="$MMT_SRCDIR/tests/dram"

need_built "$GEN" "$REPLAY"

"$GEN" -c "$DRAM/run/dram_run.cfg" -t "$DRAM/run/dram_run.csv" -p "$TMP/run" -i gemm >/dev/null &&
    "$REPLAY" -c "$DRAM/run/dram_run.cfg" -t "$DRAM/run/dram_run.csv" -p "$TMP/run" -i gemm \
        >/dev/null || { echo "FAIL: cannot make the run" >&2; exit 1; }
RUN="$TMP/run/dram_run"

# The accelerator cycle of layer $1's first DRAM trace row (the smallest of the three).
t0_of() {
    for x in IFMAP FILTER OFMAP; do
        gzip -dc "$RUN/layer$1/${x}_DRAM_TRACE.csv.gz" | head -n 1 | cut -d, -f1
    done | awk 'NF { v = $1 + 0; if (!n++ || v < m) m = v } END { print m + 0 }'
}

# Sums over channels of a dramsim3.json (gzipped) in $1: prints reads writes rcmds wcmds
# rhits whits read-latency-sum max-read-latency total-energy (one line).
json_totals() {
    gzip -dc "$1" | tr ',' '\n' | awk -F: '
        { closes = index($0, "}") > 0; gsub(/[{}"]/, "") }
        NF == 3 && $1 ~ /^[0-9]+$/ { c = $1; k = $2; v = $3; hist = "" }   # a channel starts
        NF == 3 && $1 !~ /^[0-9]+$/ { hist = $1; k = ""; bucket($2) }      # a histogram starts
        NF == 2 && hist != "" && $1 ~ /^[0-9]+$/ { k = ""; bucket($1) }    # one of its buckets
        NF == 2 && !(hist != "" && $1 ~ /^[0-9]+$/) { k = $1; v = $2; hist = "" }
        k == "num_reads_done" { r += v; rd[c] = v }
        k == "num_writes_done" { w += v }
        k == "num_read_cmds" { rc += v }
        k == "num_write_cmds" { wc += v }
        k == "num_read_row_hits" { rh += v }
        k == "num_write_row_hits" { wh += v }
        k == "average_read_latency" { al[c] = v }
        k == "total_energy" { e += v }
        closes { hist = "" }
        function bucket(b) { if (hist == "read_latency" && b + 0 > mx) mx = b + 0 }
        END { for (ch in rd) ls += al[ch] * rd[ch]
              printf "%d %d %d %d %d %d %.17g %d %.17g\n", r, w, rc, wc, rh, wh, ls, mx, e }'
}

# check_row NAME REPORT LAYER CASEDIR: the report's row for LAYER against the case's JSONs.
check_row() {
    n=$(cat "$4/cycles")
    ini="$MMT_SRCDIR/$(cat "$4/ini")"
    tck=$(sed -n 's/^tCK *= *\([0-9.]*\).*/\1/p' "$ini")
    bytes=$(($(sed -n 's/^bus_width *= *\([0-9]*\).*/\1/p' "$ini") / 8 * \
        $(sed -n 's/^BL *= *\([0-9]*\).*/\1/p' "$ini")))
    total=$(gzip -dc "$4/trace.gz" | sed '$d' | wc -l)
    set -- "$1" "$2" "$3" "$4" $(json_totals "$4/dramsim3.$n.json.gz") $(json_totals "$4/dramsim3.$((n - 1)).json.gz")
    [ $(($5 + $6)) -eq "$total" ] || fail "$1: DRAMsim3 did not finish at its recorded count"
    [ $((${14} + ${15})) -lt "$total" ] || fail "$1: DRAMsim3 finished before its recorded count"
    row=$(awk -F', ' -v l="$3" '$1 == l' "$2")
    [ -n "$row" ] || { fail "$1: no row for layer $3 in $2"; return; }
    want=$(awk -v t="$total" -v r="$5" -v w="$6" -v rc="$7" -v wc="$8" -v rh="$9" -v wh="${10}" \
        -v ls="${11}" -v mx="${12}" -v e="${13}" -v n="$n" -v tck="$tck" -v b="$bytes" \
        -v t0="$(t0_of "$3")" -v l="$3" 'BEGIN {
        ns = n * tck
        printf "%d, %d, %d, %d, %.6f, %.3f, %.3f, %.3f, %d, %.2f, %.3f, %.1f,", l, t, r, w,
            (rc + wc) ? (rh + wh) / (rc + wc) : 0, r ? ls / r * tck : 0, mx * tck,
            n ? t * b / ns : 0, n, t0 + ns * 700 / 1000, ns, e * tck }')
    # Integers exactly; the rest to half a unit of the printed last digit.
    echo "$want|$row" | awk -F'|' -v name="$1" '{
        nw = split($1, a, ", "); nr = split($2, b, ", ")
        if (nw != nr) { print name ": " nr " fields, expected " nw; exit 1 }
        split("0 0 0 0 0.0000005 0.0005 0.0005 0.0005 0 0.005 0.0005 0.05 0", tol, " ")
        for (i = 1; i <= nw; i++) {
            d = a[i] - b[i]; if (d < 0) d = -d
            if (d > tol[i] * 1.0001 + 1e-12) {
                print name ": column " i ": expected " a[i] ", got " b[i]; bad = 1 }
        }
        exit bad }' >"$TMP/why" || fail "$(cat "$TMP/why")"
}

ncase=0
for d in "$DRAM"/timing/*-l0; do
    [ -d "$d" ] || continue
    m=$(basename "$d" -l0)
    ini="$MMT_SRCDIR/$(cat "$d/ini")"
    rm -f "$RUN/DRAM_TIMING_REPORT.csv"
    if ! "$REPLAY" --dram="$ini" --clock=700 -p "$RUN" >"$TMP/stdout" 2>"$TMP/stderr"; then
        fail "$m: mmtrace-replay --dram failed: $(cat "$TMP/stderr")"
        continue
    fi
    [ -s "$TMP/stderr" ] && fail "$m: stderr: $(cat "$TMP/stderr")"
    for l in 0 1; do
        ncase=$((ncase + 1))
        check_row "$m-l$l" "$RUN/DRAM_TIMING_REPORT.csv" "$l" "$DRAM/timing/$m-l$l"
    done
done
[ "$ncase" -ge 10 ] || fail "only $ncase timing cases under $DRAM/timing"

# -c CFG (the run directory is OUTDIR/<run_name>), and SCALE-Sim's plain traces: same report.
ini="$MMT_SRCDIR/memories/DDR4-3200.ini"
"$REPLAY" --dram="$ini" --clock=700 -p "$RUN" >/dev/null && cp "$RUN/DRAM_TIMING_REPORT.csv" "$TMP/want"
rm "$RUN/DRAM_TIMING_REPORT.csv"
"$REPLAY" --dram="$ini" --clock=700 -c "$DRAM/run/dram_run.cfg" -p "$TMP/run" >/dev/null ||
    fail "--dram with -c failed"
cmp -s "$TMP/want" "$RUN/DRAM_TIMING_REPORT.csv" || fail "--dram with -c gives another report"
cp -R "$RUN" "$TMP/plain"
rm "$TMP/plain/DRAM_TIMING_REPORT.csv"
for f in "$TMP"/plain/layer*/*_DRAM_TRACE.csv.gz; do gzip -d "$f"; done
"$REPLAY" --dram="$ini" --clock=700 -p "$TMP/plain" >/dev/null || fail "--dram on plain traces failed"
cmp -s "$TMP/want" "$TMP/plain/DRAM_TIMING_REPORT.csv" || fail "--dram on plain traces differs"

# Refusals: one line on stderr, nothing on stdout, no report.
refuse() { # NAME STATUS GLOB ARGS...
    r_name=$1 r_want=$2 r_glob=$3
    shift 3
    rm -f "$TMP/plain/DRAM_TIMING_REPORT.csv"
    "$REPLAY" "$@" >"$TMP/stdout" 2>"$TMP/stderr"
    r_rc=$?
    if [ "$r_want" = 2 ]; then # a usage error: the line, then the --help hint
        grep -q "^Try 'mmtrace-replay --help'" "$TMP/stderr" || fail "$r_name: no --help hint"
        sed -i '/^Try /d' "$TMP/stderr"
    fi
    check_one_line "$r_name" "$r_want" $r_rc "$TMP/stderr" "$r_glob"
    [ -s "$TMP/stdout" ] && fail "$r_name: wrote to stdout"
    [ -e "$TMP/plain/DRAM_TIMING_REPORT.csv" ] && fail "$r_name: wrote a report"
}
refuse "no clock" 2 "mmtrace-replay: --dram needs --dram-trace and --cycles, or --clock" \
    --dram="$ini" -p "$TMP/plain"
refuse "clock alone" 2 "mmtrace-replay: --clock goes with --dram" --clock=700 -p "$TMP/plain"
refuse "clock and trace" 2 "mmtrace-replay: --clock times a run's traffic; --dram-trace *" \
    --dram="$ini" --clock=700 --dram-trace="$TMP/x" --cycles=5 -p "$TMP/plain"
refuse "bad clock" 2 "mmtrace-replay: --clock: expected *" --dram="$ini" --clock=0 -p "$TMP/plain"
refuse "no layers" 1 "mmtrace-replay: */layer0: no such directory*" --dram="$ini" --clock=700 \
    -c "$DRAM/run/dram_run.cfg" -p "$TMP/plain"
printf '0.0,10000002.0\n1.0,x\n' >"$TMP/plain/layer1/FILTER_DRAM_TRACE.csv"
refuse "bad trace" 1 "mmtrace-replay: */layer1/FILTER_DRAM_TRACE.csv:2: expected an integral number, got 'x'" \
    --dram="$ini" --clock=700 -p "$TMP/plain"
printf '5.0,10000002.0\n4.0,10000003.0\n' >"$TMP/plain/layer1/FILTER_DRAM_TRACE.csv"
refuse "backwards" 1 "mmtrace-replay: */FILTER_DRAM_TRACE.csv:2: cycle 4 is before the previous row's 5" \
    --dram="$ini" --clock=700 -p "$TMP/plain"

echo "dram_timing: $ncase layer timings against DRAMsim3, $failures failures"
[ "$failures" -eq 0 ]
