#!/bin/sh
# study_weights.sh - the study's --weights and --mmf-array axes (issue 12 items 2 and 3) on a
# hand-checkable case: a tiny GPT-2 (d 64, 2 heads, ff 256, 2 layers) on an 8x8 USER array with
# a FILTER SRAM of 8 KB and 4 bytes per cycle. At 8 bits the 256x64 FFN weights (16 KB) do not
# fit and the projections stall; at 2 bits they do and nothing stalls. Checks:
#  * --weights=8 writes exactly what a run without --weights writes, and the 8-bit rows of a
#    multi-width run are those rows;
#  * the new columns agree with each other and with the old ones (f_time, speed-up, bytes,
#    model cycles); 2-bit weights remove every stall; the attention rows do not change;
#  * the layer cache keeps widths apart; --mmf-array adds its columns; usage errors exit 2.
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
need_built "$REPLAY"

cat >"$TMP/tiny.json" <<'EOF'
{"model_type": "gpt2", "n_embd": 64, "n_head": 2, "n_layer": 2, "n_inner": 256,
 "n_positions": 1024}
EOF
cat >"$TMP/tinyu.cfg" <<'EOF'
[general]
run_name = tinyu

[architecture_presets]
ArrayHeight:    8
ArrayWidth:     8
IfmapSramSzkB:   4
FilterSramSzkB:  8
OfmapSramSzkB:   4
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 4
Dataflow : os
MemoryBanks:   1

[run_presets]
InterfaceBandwidth: USER
EOF
study() { # DIR ARGS...: a study of the tiny model on the tiny hardware, SVG only
    d=$1
    shift
    "$REPLAY" --study="$TMP/$d" --hw="$TMP/tinyu.cfg" --hf-config="$TMP/tiny.json" --seq=16,32 \
        --format=svg "$@" >"$TMP/$d.out" 2>"$TMP/$d.err" || fail "study $d $*: $(cat "$TMP/$d.err")"
}
col() { # FILE NAME: the column number of NAME in FILE's header
    head -1 "$1" | tr ',' '\n' | grep -n -x "$2" | cut -d: -f1
}

# 1. --weights=8 is today's output, byte for byte (tables and figures).
study plain --no-cache
study w8 --no-cache --weights=8
diff -r "$TMP/plain" "$TMP/w8" >/dev/null || fail "--weights=8 differs from no --weights"
sed 's/w8/plain/' "$TMP/w8.out" | cmp -s "$TMP/plain.out" - || fail "--weights=8 prints another summary"

# 2. Two widths: two rows per point; the 8-bit rows are the plain run's rows.
study w82 --no-cache --weights=8,2
R="$TMP/w82/results.csv"
[ "$(wc -l <"$R")" = 5 ] || fail "results.csv has $(($(wc -l <"$R") - 1)) rows, expected 2 seqs x 2 widths"
cmp -s "$TMP/plain/fractions.csv" "$TMP/w82/fractions.csv" || fail "fractions.csv depends on --weights"
wb=$(col "$R" weight_bits)
[ -n "$wb" ] && [ "$wb" = 21 ] || fail "weight_bits is column '$wb', expected 21 (after the old 20)"
awk -F, -v c="$wb" 'NR == 1 || $c == 8' "$R" >"$TMP/r8"
cmp -s "$TMP/plain/results.csv" "$TMP/r8" || fail "the 8-bit rows differ from the run without --weights"

# 3. The columns, hand-checked. Stall-inclusive cycles per part equal Total Cycles; f_time is
#    the projections' share; speed-up is 8-bit block cycles over w-bit block cycles of the
#    same seq; model cycles are block cycles x 2 layers; at 8 bits bytes = elements; 2-bit
#    weights leave no stall (the FFN's 16 K weights fit the 32 K-weight FILTER SRAM) and the
#    8-bit run stalls; the attention heads keep their 8-bit cycles and bytes.
awk -F, -v h="$(head -1 "$R")" '
BEGIN { n = split(h, name, ","); for (i = 1; i <= n; i++) c[name[i]] = i }
NR == 1 { next }
{
    seq = $c["seq"]; w = $c["weight_bits"]
    cp = $c["cycles_time_projections"]; ca = $c["cycles_time_attention"]
    if (cp != $c["cycles_projections"] || ca != $c["cycles_attention"]) bad("cycles per part")
    if (abs($c["f_time"] - cp / (cp + ca)) > 1e-6) bad("f_time")
    if ($c["model_cycles"] != (cp + ca) * 2) bad("model_cycles")
    if (abs($c["S100_projections_time"] - 1 / ((1 - $c["f_time"]) + $c["f_time"] / 100)) > 1e-3)
        bad("S100_projections_time")
    tot[seq, w] = cp + ca; sp[seq, w] = $c["speedup_vs_8bit"]; st[seq, w] = $c["stalls_projections"]
    att[seq, w] = ca " " $c["sram_bytes_attention"] " " $c["dram_bytes_attention"]
    if (w == 8 && ($c["sram_bytes_projections"] != $c["sram_projections"] ||
                   $c["dram_bytes_projections"] != $c["dram_projections"])) bad("8-bit bytes")
    if (w == 2) pb2[seq] = $c["sram_bytes_projections"]; else pb8[seq] = $c["sram_bytes_projections"]
    if ($c["f_compute_calc"] + 0 <= 0 || $c["f_compute_calc"] >= 1) bad("f_compute_calc")
    # f_compute is the paper'"'"'s no-stall share on every row (the CALC twin), also here where
    # the 8-bit projections stall, and S(100) is Amdahl'"'"'s with it
    if ($c["f_compute"] != $c["f_compute_calc"]) bad("f_compute is not the CALC twin'"'"'s")
    if (abs($c["S100_projections"] - 1 / ((1 - $c["f_compute"]) + $c["f_compute"] / 100)) > 1e-3)
        bad("S100_projections")
    if (w == 8 && abs($c["f_time"] - $c["f_compute"]) < 1e-6) bad("8-bit f_time equals f_compute")
}
END {
    for (s = 16; s <= 32; s *= 2) {
        if (st[s, 8] <= 0) bad("no stall at 8 bits, l " s)
        if (st[s, 2] != 0) bad("stalls left at 2 bits, l " s)
        if (sp[s, 8] != 1) bad("8-bit speed-up is not 1")
        if (abs(sp[s, 2] - tot[s, 8] / tot[s, 2]) > 1e-5 || sp[s, 2] <= 1) bad("speed-up, l " s)
        if (att[s, 8] != att[s, 2]) bad("attention changed with the weight width, l " s)
        # 8-bit filter reads are 4x64x64 + 2x64x256 = 49152 bytes; at 2 bits a quarter
        if (pb8[s] - pb2[s] != 49152 - 12288) bad("projection SRAM bytes at 2 bits, l " s)
    }
    exit nbad != 0
}
function abs(x) { return x < 0 ? -x : x }
function bad(m) { print "study_weights: " m > "/dev/stderr"; nbad++ }
' "$R" || fail "the new columns do not check out"
# With no stalls at 2 bits, f_time is the CALC twin's f_compute (the paper's).
awk -F, -v a="$(col "$R" f_compute_calc)" -v b="$(col "$R" f_time)" -v w="$wb" \
    'NR > 1 && $w == 2 && $a != $b { exit 1 }' "$R" || fail "2-bit f_time differs from f_compute_calc"
for f in ftime_tinyu_w8 ftime_tinyu_w2 amdahl_time_tinyu_w2_l32 speedup_tinyu_w2; do
    [ -s "$TMP/w82/figures/$f.svg" ] || fail "no figures/$f.svg"
done
[ ! -e "$TMP/w82/figures/speedup_tinyu_w8.svg" ] || fail "a speed-up figure for 8 bits"

# A fractional width is printed as written, and its bytes are rounded up per layer: 1.58-bit
# filter reads take ceil(4096 x 1.58 / 8) = 809 bytes per d x d projection (x4) and 3236 per
# FFN matrix (x2), 9708 in all against 49152 at 8 bits.
study w158 --no-cache --weights=1.58
awk -F, -v w="$wb" -v b="$(col "$R" sram_bytes_projections)" 'NR > 1 { print $w, $b }' \
    "$TMP/w158/results.csv" >"$TMP/b158"
awk -F, -v b="$(col "$R" sram_bytes_projections)" -v w="$wb" 'NR > 1 && $w == 8 { print "1.58", $b - 49152 + 9708 }' \
    "$R" | cmp -s - "$TMP/b158" || fail "1.58-bit rows: $(cat "$TMP/b158")"

# A cfg with its own [precision] is refused as --hw (issue 19): its widths would change the
# 8-bit comparison point and the attention heads, which doc/study.md keeps at 8 bits.
{ cat "$TMP/tinyu.cfg"; printf '\n[precision]\nFilterBits: 2\n'; } >"$TMP/tinyp.cfg"
"$REPLAY" --study="$TMP/own" --hw="$TMP/tinyp.cfg" --hf-config="$TMP/tiny.json" --seq=16 --no-cache \
    --format=svg >"$TMP/own.out" 2>"$TMP/own.err"
check_one_line "[precision] cfg as --hw" 1 $? "$TMP/own.err" \
    "mmtrace-replay: $TMP/tinyp.cfg: \[precision\] sets operand widths, which the study sets itself*"
[ ! -s "$TMP/own.out" ] && [ ! -e "$TMP/own" ] || fail "[precision] cfg: output written"

# 4. The layer cache keeps widths apart: after an 8-bit run has filled it, a 2-bit run must
#    simulate its 2-bit projections (the 8-bit ones it needs for the speed-up are cached) and
#    give the rows a run without the cache gives.
study c8 --cache="$TMP/cache" --weights=8
study c2 --cache="$TMP/cache" --weights=2
grep -q ' 0 simulated' "$TMP/c2.out" && fail "the 2-bit run found every layer cached: $(cat "$TMP/c2.out")"
awk -F, -v c="$wb" 'NR == 1 || $c == 2' "$R" | cmp -s - "$TMP/c2/results.csv" ||
    fail "2-bit rows through the cache differ from those without it"
cmp -s "$TMP/plain/results.csv" "$TMP/c8/results.csv" || fail "8-bit rows through the cache differ"

# 5. --mmf-array: projections on a 16x16 array; the columns after the width ones.
study mmf --no-cache --weights=8,2 --mmf-array=16x16
M="$TMP/mmf/results.csv"
head -1 "$M" | grep -q ',S100_projections_time,mmf_array,mmf_cycles_projections,mmf_model_cycles,mmf_speedup,amdahl_pe_ratio$' ||
    fail "--mmf-array header: $(head -1 "$M")"
cut -d, -f1-32 "$M" | cmp -s - "$R" || fail "--mmf-array changed the other columns"
awk -F, -v h="$(head -1 "$M")" '
BEGIN { n = split(h, name, ","); for (i = 1; i <= n; i++) c[name[i]] = i }
NR == 1 { next }
{
    ca = $c["cycles_time_attention"]; mp = $c["mmf_cycles_projections"]
    if ($c["mmf_array"] != "16x16" || $c["mmf_model_cycles"] != (mp + ca) * 2) exit 1
    if ($c["weight_bits"] == 8) base[$c["seq"]] = $c["cycles_time_projections"] + ca
    d = $c["mmf_speedup"] - base[$c["seq"]] / (mp + ca)
    if (d > 1e-3 || d < -1e-3) exit 1
}' "$M" || fail "mmf columns do not check out"

# 6. Usage errors: one line, exit 2, nothing on stdout.
for a in --weights=0.5 --weights=33 --weights=2,2 --weights=two --weights=1.5811 \
    --mmf-array=0x8 --mmf-array=8 --mmf-array=8x --mmf-array=8x8x8 --mmf-array=-8x8; do
    "$REPLAY" --study="$TMP/u" --hw="$TMP/tinyu.cfg" $a >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [ $rc = 2 ] && [ ! -s "$TMP/out" ] && [ "$(wc -l <"$TMP/err")" = 1 ] &&
        grep -q "mmtrace-replay: --[a-z-]*: ." "$TMP/err" || fail "$a: exit $rc, '$(cat "$TMP/err")'"
done

[ "$failures" = 0 ] || exit 1
echo "study_weights: all checks passed"
