#!/bin/sh
# study_refusals.sh - what the study cannot model is refused before anything runs, with one
# line naming what is out of range (issue 19 item 5), and its messages say what they mean
# (item 7):
#  * --scalesim=v3 with --weights other than 8 or with --mmf-array (v3 has one word size);
#  * --weights=32 on a USER point whose Bandwidth moves less than one weight per cycle: the
#    hardware point, the width and the reason;
#  * a v3 cfg whose IfmapSRAMBankBandwidth or FilterSRAMBankBandwidth passes 2^20: key, line;
#  * a config.json with head_dim 2^40, absurd MoE sizes or layer counts: refused at once,
#    naming the dimension (head_dim 2^40 used to run for minutes with a useless ETA);
#  * --fractions over a run directory marked incomplete, or over the reports of another
#    workload with as many layers;
#  * the past-context note names the workloads; progress lines off a terminal carry the
#    elapsed time, and the first ETA of a study is not absurd.
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
need_built "$REPLAY" "$GEN"

# refused NAME WANT-STATUS GLOB ARGS...: mmtrace-replay ARGS exits WANT-STATUS with one line
# matching GLOB, nothing on stdout, and no study directory.
refused() {
    r_name=$1 r_want=$2 r_glob=$3
    shift 3
    rm -rf "$TMP/o"
    "$REPLAY" "$@" >"$TMP/out" 2>"$TMP/err"
    check_one_line "$r_name" "$r_want" $? "$TMP/err" "$r_glob"
    [ ! -s "$TMP/out" ] || fail "$r_name: stdout: $(cat "$TMP/out")"
    [ ! -e "$TMP/o" ] || fail "$r_name: $TMP/o was created"
}

S="--study=$TMP/o --model=gpt2 --seq=128 --no-cache --format=svg"
# shellcheck disable=SC2086
{
    refused "v3 --weights=2" 2 "mmtrace-replay: --weights: widths other than 8 are not modelled with --scalesim=v3*" \
        $S --hw=edge --weights=8,2 --scalesim=v3
    refused "v3 --mmf-array" 2 "mmtrace-replay: --mmf-array is not modelled with --scalesim=v3*" \
        $S --hw=edge --mmf-array=16x16 --scalesim=v3
    sed 's/^Bandwidth.*/Bandwidth : 3/' "$MMT_SRCDIR/topologies/hw/edge-lpddr4.cfg" >"$TMP/bw3.cfg"
    refused "--weights=32 on Bandwidth 3" 2 \
        "mmtrace-replay: --weights=32: hardware point 'bw3' moves 3 bytes per cycle on its filter DRAM interface, less than one 32-bit weight; give widths of at most 24 bits*" \
        $S --hw="$TMP/bw3.cfg" --weights=8,32
}
"$REPLAY" --study="$TMP/w24" --model=gpt2 --seq=128 --no-cache --format=svg --hw="$TMP/bw3.cfg" \
    --weights=24 >/dev/null 2>&1 || fail "--weights=24 on Bandwidth 3 (3 bytes: one 24-bit weight)"

# v3 bank bandwidth past 2^20 words: the key and its line
c=$MMT_SRCDIR/tests/golden-v3/v3m_01_conv_4x3_ws_user_ratios
sed 's/^FilterSRAMBankBandwidth:.*/FilterSRAMBankBandwidth: 2097152/' "$c/config.cfg" >"$TMP/v3big.cfg"
line=$(grep -n '^FilterSRAMBankBandwidth' "$TMP/v3big.cfg" | cut -d: -f1)
"$REPLAY" -c "$TMP/v3big.cfg" -t "$c/topology.csv" -p "$TMP/v3run" --no-traces --scalesim=v3 \
    >"$TMP/out" 2>"$TMP/err"
check_one_line "v3 bank bandwidth 2^21" 1 $? "$TMP/err" \
    "mmtrace-replay: $TMP/v3big.cfg:$line: FilterSRAMBankBandwidth = 2097152: at most 1048576 words per cycle*"

# absurd model sizes: refused at once, naming the dimension
J=$MMT_SRCDIR/tests/llm
for fv in "llama_headdim.json head_dim 128 1099511627776 head_dim" \
    "llama_headdim.json num_hidden_layers 4 1000000000 decoder layers" \
    "mixtral.json num_local_experts 8 100000000 experts" \
    "mixtral.json intermediate_size 14336 99999999999 FFN size"; do
    set -- $fv
    f=$1 key=$2 old=$3 new=$4
    shift 4
    sed "s/\"$key\": $old/\"$key\": $new/" "$J/$f" >"$TMP/big.json"
    grep -q "\"$key\": $new" "$TMP/big.json" || fail "fixture: no $key: $old in $f"
    s0=$(date +%s)
    refused "$key $new" 1 "mmtrace-replay: $TMP/big.json: $* = $new: at most *" \
        --study="$TMP/o" --hf-config="$TMP/big.json" --hw=edge --seq=128 --no-cache --format=svg
    [ $(($(date +%s) - s0)) -lt 5 ] || fail "$key $new: took $(($(date +%s) - s0)) s to refuse"
done

# --fractions: a run dir marked incomplete; the reports of another workload of as many layers
# (mmtrace-gen copies the topology into the run directory: BASE.csv for BASE.parts.csv)
"$GEN" --model=opt-350m --seq=128,256 --hw=edge -p "$TMP/t" >/dev/null || fail "gen"
"$GEN" -c "$TMP/t/edge.cfg" -t "$TMP/t/opt-350m_decode_l128.csv" -i gemm -p "$TMP/r" \
    >/dev/null || fail "gen l128"
"$REPLAY" -c "$TMP/t/edge.cfg" -t "$TMP/t/opt-350m_decode_l128.csv" -i gemm -p "$TMP/r" \
    >/dev/null || fail "replay l128"
P128=$TMP/t/opt-350m_decode_l128.parts.csv P256=$TMP/t/opt-350m_decode_l256.parts.csv
"$REPLAY" --fractions="$P128" "$TMP/r/edge" >/dev/null || fail "--fractions of the right run"
"$REPLAY" --fractions="$P256" "$TMP/r/edge" >"$TMP/out" 2>"$TMP/err"
check_one_line "--fractions of another workload" 1 $? "$TMP/err" \
    "mmtrace-replay: $TMP/r/edge: the run is of the topology opt-350m_decode_l128.csv, but opt-350m_decode_l256.parts.csv describes opt-350m_decode_l256.csv: another workload"
: >"$TMP/r/edge/.mmtrace-incomplete"
"$REPLAY" --fractions="$P128" "$TMP/r/edge" >"$TMP/out" 2>"$TMP/err"
check_one_line "--fractions of an incomplete run" 1 $? "$TMP/err" \
    "mmtrace-replay: $TMP/r/edge: incomplete: *"

# the past-context note names the workloads, a few and a count
"$REPLAY" --study="$TMP/ctx" --model=gpt2,opt-350m --seq=1024,2048,4096,8192 --hw=edge --no-cache \
    --format=svg >"$TMP/out" 2>/dev/null || fail "past-context study"
grep -q "^note: 5 workloads exceed the model's trained context (simulated anyway): gpt2 at 2048, 4096, 8192; opt-350m at 4096, 8192$" \
    "$TMP/out" || fail "past-context note: $(grep note "$TMP/out")"

# progress off a terminal: every line carries the elapsed time; no ETA before work is measured
MMTRACE_PROGRESS_INTERVAL=0.001 "$REPLAY" --study="$TMP/pr" --model=gpt2,opt-350m --seq=128,256 \
    --hw=edge --no-cache --format=svg -j 1 >/dev/null 2>"$TMP/err" || fail "progress study"
grep 'layers' "$TMP/err" >"$TMP/lines"
[ -s "$TMP/lines" ] || fail "no progress line: $(cat "$TMP/err")"
grep -v -E '^mmtrace-replay: \[[0-9]+m[0-9]{2}\.[0-9]s\] [0-9]+/[0-9]+ layers' "$TMP/lines" |
    head -1 | grep -q . && fail "progress line without elapsed time: $(head -2 "$TMP/lines")"
# an ETA only once enough is measured (half a second): before that, '?'
grep -E '^mmtrace-replay: \[0m00\.[0-4]s\] .*ETA [0-9]' "$TMP/lines" | head -1 | grep -q . &&
    fail "an ETA before anything was measured: $(grep -E 'ETA [0-9]' "$TMP/lines" | head -1)"

[ $failures = 0 ] && echo "study_refusals: all checks passed"
exit $((failures != 0))
