#!/bin/sh
# stream_cli.sh - the stream memory policy from the command line (issue 21, doc/memory.md):
#  * replay's fused path with --memory=stream on the hand-worked GEMV of
#    tests/unit/test_stream_policy.c (OS 4x4, 4 bytes per cycle, 1 KB SRAMs, 1 x 8 x 16):
#    Total Cycles 46, Stall Cycles 3, DRAM counts 16/128/8, and BYTES_REPORT.csv beside the
#    reports; a cfg's [memory] Policy = stream gives the same; --memory=scalesim writes what
#    no --memory writes;
#  * the refusals: stream with traces, an unknown policy, --dram under --memory=scalesim or
#    without --clock,
#    stream without a bandwidth, a conv whose windows overlap;
#  * the study's --memory axis: one results.csv row per policy with the bounds columns, no
#    stream time below its bound, SCALE-Sim's rows flagged with one warning; without
#    --memory results.csv is unchanged.
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
need_built "$REPLAY"

mkcfg() { # NAME BW KB MODE [EXTRA]: an OS 4x4 cfg
    cat >"$TMP/$1.cfg" <<EOF
[general]
run_name = $1

[architecture_presets]
ArrayHeight:    4
ArrayWidth:     4
IfmapSramSzkB:   $3
FilterSramSzkB:  $3
OfmapSramSzkB:   $3
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : $2
Dataflow : os
MemoryBanks:   1

[run_presets]
InterfaceBandwidth: $4
${5:-}
EOF
}
mkcfg g 4 1 USER
mkcfg gs 4 1 USER "[memory]
Policy = stream"
printf 'Layer, M, N, K,\ngemv, 1, 8, 16,\n' >"$TMP/g.csv"
printf 'Layer, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nc, 8, 8, 3, 3, 1, 4, 1,\n' >"$TMP/conv.csv"

replay() { # OUT CFG TOPO ARGS...
    o=$1 c=$2 t=$3
    shift 3
    "$REPLAY" -c "$TMP/$c.cfg" -t "$TMP/$t.csv" -p "$TMP/$o" "$@" >"$TMP/$o.out" 2>"$TMP/$o.err"
}

# 1. The hand-worked GEMV.
replay s g g -i gemm --no-traces --memory=stream || fail "stream replay: $(cat "$TMP/s.err")"
[ "$(sed -n 2p "$TMP/s/g/COMPUTE_REPORT.csv" | cut -d, -f1-3)" = "0, 46, 3" ] ||
    fail "stream GEMV: $(sed -n 2p "$TMP/s/g/COMPUTE_REPORT.csv")"
[ "$(sed -n 2p "$TMP/s/g/DETAILED_ACCESS_REPORT.csv" | cut -d, -f13,16,19 | tr -d ' ')" = "16,128,8" ] ||
    fail "stream GEMV DRAM counts: $(sed -n 2p "$TMP/s/g/DETAILED_ACCESS_REPORT.csv")"
[ "$(sed -n 2p "$TMP/s/g/BYTES_REPORT.csv" | cut -d, -f5-7 | tr -d ' ')" = "16,128,8" ] ||
    fail "stream GEMV BYTES_REPORT.csv"
grep -q "^Stall cycles: 3$" "$TMP/s.out" || fail "stream GEMV console"

# 2. The cfg's [memory] gives the same; a CALC cfg with Bandwidth runs stream too.
replay sc gs g -i gemm --no-traces || fail "[memory] stream: $(cat "$TMP/sc.err")"
for f in COMPUTE_REPORT BANDWIDTH_REPORT DETAILED_ACCESS_REPORT BYTES_REPORT; do
    cmp -s "$TMP/s/g/$f.csv" "$TMP/sc/gs/$f.csv" || fail "[memory] stream: $f differs"
done

# 3. --memory=scalesim is SCALE-Sim's model: the reports of a run without --memory, and
# BOUNDS_REPORT.csv beside them. On this GEMV SCALE-Sim's free first fill beats the bound.
replay a g g -i gemm --no-traces || fail "scalesim replay"
replay b g g -i gemm --no-traces --memory=scalesim || fail "--memory=scalesim replay"
[ ! -f "$TMP/a/g/BOUNDS_REPORT.csv" ] || fail "BOUNDS_REPORT.csv without --memory"
mv "$TMP/b/g/BOUNDS_REPORT.csv" "$TMP/b.bounds"
diff -r "$TMP/a/g" "$TMP/b/g" >/dev/null || fail "--memory=scalesim differs from no --memory"
cmp -s "$TMP/a.out" "$TMP/b.out" || fail "--memory=scalesim prints another console"
[ "$(sed -n 1p "$TMP/b.bounds")" = "LayerID, Total Cycles, Compute Bound Cycles, DRAM Bytes, Bytes Bound Cycles, Bound Cycles, Below Bound," ] ||
    fail "BOUNDS_REPORT.csv header"
[ "$(sed -n 2p "$TMP/b.bounds")" = "0, 43, 43, 152, 38, 43, 0," ] ||
    fail "scalesim BOUNDS_REPORT.csv: $(sed -n 2p "$TMP/b.bounds")"
# 64 KB SRAMs and 1 byte per cycle: the weights fit, SCALE-Sim fills them for free
mkcfg fit 1 64 USER
printf 'Layer, M, N, K,\ngemv, 1, 64, 64,\n' >"$TMP/fit.csv"
replay f fit fit -i gemm --no-traces --memory=scalesim || fail "fit replay"
sed -n 2p "$TMP/f/fit/BOUNDS_REPORT.csv" | awk -F', *' '{ exit !($2 < $6 && $7 == 1 && $5 == 4224) }' ||
    fail "below-bound BOUNDS_REPORT.csv: $(sed -n 2p "$TMP/f/fit/BOUNDS_REPORT.csv")"
[ "$(sed -n 2p "$TMP/s/g/BOUNDS_REPORT.csv")" = "0, 46, 43, 152, 38, 43, 0," ] ||
    fail "stream BOUNDS_REPORT.csv: $(sed -n 2p "$TMP/s/g/BOUNDS_REPORT.csv")"

# 3b. Over the DRAM model (topologies/hw/cloud-stream.cfg: DDR3-2133 at 700 MHz): never faster
# than the ideal memory at the DDR3's peak of 48 bytes per cycle, and DRAM_TIMING_REPORT.csv
# beside the reports, in doc/dram.md's columns.
printf 'Layer, M, N, K,\nq, 1, 4096, 4096,\nffn, 1, 4096, 16384,\n' >"$TMP/big.csv"
"$REPLAY" -c "$MMT_SRCDIR/topologies/hw/cloud-stream.cfg" -t "$TMP/big.csv" -i gemm -p "$TMP/d" \
    --no-traces >"$TMP/d.out" 2>"$TMP/d.err" || fail "cloud-stream: $(cat "$TMP/d.err")"
"$REPLAY" -c "$MMT_SRCDIR/topologies/hw/cloud-ddr3.cfg" -t "$TMP/big.csv" -i gemm -p "$TMP/i" \
    --no-traces --memory=stream >"$TMP/i.out" 2>"$TMP/i.err" || fail "ideal: $(cat "$TMP/i.err")"
T="$TMP/d/cloud-stream/DRAM_TIMING_REPORT.csv"
[ "$(head -1 "$T")" = "LayerID, Requests, Reads, Writes, Row Hit Rate, Avg Read Latency (ns), Max Read Latency (ns), Achieved GB/s, DRAM Cycles, Last Done (accel cycles), Last Done (ns), DRAM Energy (pJ)," ] ||
    fail "DRAM_TIMING_REPORT.csv header: $(head -1 "$T")"
[ "$(wc -l <"$T")" = 3 ] || fail "DRAM_TIMING_REPORT.csv rows"
paste -d, "$TMP/d/cloud-stream/COMPUTE_REPORT.csv" "$TMP/i/cloud-ddr3/COMPUTE_REPORT.csv" |
    awk -F', *' 'NR > 1 && $2 < $9 { exit 1 }' || fail "DDR3 faster than the ideal memory at its peak"
[ ! -f "$TMP/i/cloud-ddr3/DRAM_TIMING_REPORT.csv" ] || fail "DRAM_TIMING_REPORT.csv without Dram"

# 4. Refusals: one line, nothing on stdout.
refuse() { # NAME STATUS GLOB OUT CFG TOPO ARGS...
    n=$1 st=$2 g=$3
    shift 3
    replay "$@"
    rc=$?
    if [ "$st" = 2 ]; then # a usage error: the line and where the help is
        [ "$rc" = 2 ] || fail "$n: exit $rc, expected 2"
        sed -n 2p "$TMP/$1.err" | grep -q "^Try 'mmtrace-replay --help'" || fail "$n: no help line"
        sed -i 2d "$TMP/$1.err"
        rc=1
        st=1
    fi
    check_one_line "$n" "$st" "$rc" "$TMP/$1.err" "$g"
    [ ! -s "$TMP/$1.out" ] || fail "$n: wrote to stdout"
}
refuse traces 1 "mmtrace-replay: *g.cfg: the stream memory policy runs on the fused path only*" \
    r1 g g -i gemm --memory=stream
refuse policy 2 "mmtrace-replay: --memory: expected scalesim or stream, got 'fast'" \
    r2 g g -i gemm --no-traces --memory=fast
refuse dram 2 "mmtrace-replay: --dram with --memory needs --memory=stream*" \
    r3 g g -i gemm --no-traces --memory=scalesim --dram=x.ini --clock=700
refuse clock 2 "mmtrace-replay: --dram needs --clock=MHZ*" \
    r4 g g -i gemm --no-traces --memory=stream --dram=x.ini
refuse badclock 2 "mmtrace-replay: --clock: expected the accelerator clock in MHz (above 0), got '-3'" \
    r5 g g -i gemm --no-traces --memory=stream --clock=-3
mkcfg nobw 4 1 CALC
sed -i '/^Bandwidth/d' "$TMP/nobw.cfg"
refuse nobw 1 "mmtrace-replay: *nobw.cfg: *InterfaceBandwidth USER*" r6 nobw g -i gemm --no-traces --memory=stream
refuse conv 1 "mmtrace-replay: *conv.csv:2: layer 0: the stream memory policy cannot run it (conv layer whose ifmap windows overlap*" \
    r7 g conv --no-traces --memory=stream

# 5. The study's --memory axis on a tiny GPT-2 (d 64, ff 256) on the 4x4 cfg with 64 KB SRAMs
# and 1 byte per cycle: the weights fit, so SCALE-Sim's free first fill beats the bound.
cat >"$TMP/tiny.json" <<'EOF'
{"model_type": "gpt2", "n_embd": 64, "n_head": 2, "n_layer": 2, "n_inner": 256,
 "n_positions": 1024}
EOF
mkcfg h 1 64 USER
study() { # DIR ARGS...
    d=$1
    shift
    "$REPLAY" --study="$TMP/$d" --hw="$TMP/h.cfg" --hf-config="$TMP/tiny.json" --seq=16,32 \
        --format=svg --no-cache "$@" >"$TMP/$d.out" 2>"$TMP/$d.err" || fail "study $d: $(cat "$TMP/$d.err")"
}
study plain --weights=8,2
study mem --weights=8,2 --memory=scalesim,stream
R="$TMP/mem/results.csv"
head -1 "$R" | grep -q ',memory,compute_bound_cycles,bytes_bound_cycles,bound_cycles,below_bound,s_per_token,tokens_per_s,dram_energy_pj_per_token$' ||
    fail "results.csv header: $(head -1 "$R")"
! head -1 "$TMP/plain/results.csv" | grep -q ,memory, || fail "results.csv has memory columns without --memory"
[ "$(wc -l <"$R")" = 9 ] || fail "results.csv: $(($(wc -l <"$R") - 1)) rows, expected 2 policies x 2 seqs x 2 widths"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
{
    if ($c["hw"] != "h") exit 1
    if ($c["bound_cycles"] < $c["compute_bound_cycles"] || $c["bound_cycles"] < $c["bytes_bound_cycles"]) exit 2
    if ($c["memory"] == "stream" && ($c["below_bound"] != 0 || $c["model_cycles"] < $c["bound_cycles"])) exit 3
    if ($c["memory"] == "scalesim" && $c["below_bound"] != ($c["model_cycles"] < $c["bound_cycles"])) exit 4
    if ($c["memory"] == "scalesim") below += $c["below_bound"]; else n++
}
END { if (n != 4 || below == 0) exit 5 }' "$R" || fail "results.csv bounds do not check out ($?)"
[ "$(grep -c 'warning: .* faster than their bound' "$TMP/mem.err")" = 1 ] || fail "no single below-bound warning: $(cat "$TMP/mem.err")"
# the scalesim rows are the plain run's rows, with the new columns
grep ',scalesim,' "$R" | sed 's/,scalesim,.*//' >"$TMP/s.rows"
tail -n +2 "$TMP/plain/results.csv" >"$TMP/p.rows"
cmp -s "$TMP/s.rows" "$TMP/p.rows" || fail "the scalesim rows differ from a run without --memory"
# the layer cache keeps the policies apart and gives the same rows back
"$REPLAY" --study="$TMP/c1" --hw="$TMP/h.cfg" --hf-config="$TMP/tiny.json" --seq=16,32 --format=svg \
    --cache="$TMP/cache" --weights=8,2 --memory=scalesim,stream >"$TMP/c1.out" 2>/dev/null || fail "cached study 1"
"$REPLAY" --study="$TMP/c2" --hw="$TMP/h.cfg" --hf-config="$TMP/tiny.json" --seq=16,32 --format=svg \
    --cache="$TMP/cache" --weights=8,2 --memory=scalesim,stream >"$TMP/c2.out" 2>/dev/null || fail "cached study 2"
cmp -s "$TMP/c1/results.csv" "$R" && cmp -s "$TMP/c2/results.csv" "$R" || fail "cached results.csv differ"
grep -q " 0 simulated" "$TMP/c2.out" || fail "second cached study simulated: $(cat "$TMP/c2.out")"
# --dram and --clock put the DRAM model and a clock under it: seconds and energy per token
study dram --memory=stream --dram="$MMT_SRCDIR/memories/LPDDR4-3200.ini" --clock=500
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
{ if ($c["s_per_token"] <= 0 || $c["tokens_per_s"] <= 0 || $c["dram_energy_pj_per_token"] <= 0 ||
      $c["model_cycles"] < $c["bound_cycles"]) exit 1 }' "$TMP/dram/results.csv" ||
    fail "study with --dram: $(cat "$TMP/dram/results.csv")"
grep -q "^Dram: /.*LPDDR4-3200.ini" "$TMP/dram/hw/h_stream.cfg" || fail "hw/h_stream.cfg has no Dram"
"$REPLAY" --study="$TMP/u" --hw="$TMP/h.cfg" --memory=stream --dram=x.ini --no-cache >"$TMP/u.out" 2>"$TMP/u.err"
check_one_line "study --dram without --clock" 1 $? "$TMP/u.err" "mmtrace-replay: --dram/--clock on 'h_stream': Dram needs ClockMHz*"
[ -f "$TMP/mem/hw/h_stream.cfg" ] && grep -q "^Policy: stream" "$TMP/mem/hw/h_stream.cfg" ||
    fail "hw/h_stream.cfg"
"$REPLAY" --study="$TMP/u" --hw=cloud --memory=stream --no-cache >"$TMP/u.out" 2>"$TMP/u.err"
check_one_line "study stream on CALC cloud" 1 $? "$TMP/u.err" "mmtrace-replay: --memory=stream on 'cloud': *InterfaceBandwidth USER*"

[ "$failures" = 0 ] || exit 1
echo "stream_cli: all checks passed"
