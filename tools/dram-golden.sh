#!/bin/sh
# dram-golden.sh - records the DRAM golden corpus (tests/dram/) by running the real DRAMsim3.
#
#   tools/dram-golden.sh DRAMSIM3_DIR [BUILD_DIR]
#
# Run from the top of the source tree. DRAMSIM3_DIR is a DRAMsim3 checkout at commit 2981759
# (github umd-memsys/DRAMsim3) built with cmake, so DRAMSIM3_DIR/build/dramsim3main exists;
# BUILD_DIR (default build) holds a built mmtrace, whose mmtrace-gen and mmtrace-replay make
# the run whose DRAM traces some cases replay. It rewrites the configs it takes from
# DRAMSIM3_DIR/configs (tests/dram/ini/, and variants derived by the edits below), the cases
# below and tests/dram/timing/; not run/, tolerance.txt, nor the core-* cases and their
# configs, which the DRAM model's own test (tests/dram_core.sh) recorded. Per case,
# tests/dram/<case>/ holds:
#   ini                   the config, a path from the top of the tree
#   trace.gz              the requests, DRAMsim3's trace format (`0xADDR READ|WRITE CYCLE`)
#   cycles                the cycle counts, one a line (the smallest cuts the stream)
#   dramsim3.<N>.json.gz  `dramsim3main INI -c N -t TRACE`'s dramsim3.json, gzipped
# Nothing here is typed in: every expected number comes from dramsim3main.
set -eu

ds=${1:?usage: tools/dram-golden.sh DRAMSIM3_DIR [BUILD_DIR]}
bld=${2:-build}
bin=$ds/build/dramsim3main
[ -x "$bin" ] || { echo "dram-golden.sh: $bin: not built" >&2; exit 1; }
[ -f tools/dram-stream.awk ] || { echo "dram-golden.sh: run me from the top of the tree" >&2; exit 1; }
out=tests/dram
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ini_get FILE SECTION-LESS-KEY: the value of KEY (first word, comments dropped).
ini_get() {
    sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*\([^[:space:];]*\).*/\1/p" "$1" | head -n 1
}

# The shipped configs, one per protocol (HBM2 has no config of its own that says HBM2:
# DRAMsim3's HBM2 files say `protocol = HBM`, so hbm2-proto is that file saying HBM2).
mkdir -p "$out/ini"
for c in DDR3_8Gb_x8_1600 DDR4_8Gb_x8_3200 lpddr_2Gb_x16 LPDDR3_8Gb_x32_1600 \
         LPDDR4_8Gb_x16_2400 GDDR5_8Gb_x32 GDDR5X_8Gb_x32 GDDR6_8Gb_x16 HBM_4Gb_x128 \
         HBM2_8Gb_x128 ST-1.5x; do
    cp "$ds/configs/$c.ini" "$out/ini/$c.ini"
done

# variant BASE NAME SED-SCRIPT: tests/dram/ini/NAME.ini, BASE edited.
variant() {
    sed "$3" "$out/ini/$1.ini" >"$out/ini/$2.ini"
    if cmp -s "$out/ini/$1.ini" "$out/ini/$2.ini"; then
        echo "dram-golden.sh: variant $2 changes nothing" >&2
        exit 1
    fi
}
variant HBM2_8Gb_x128 HBM2_8Gb_x128-proto 's/^protocol = HBM$/protocol = HBM2/'
variant DDR4_8Gb_x8_3200 DDR4-closepage 's/^row_buf_policy = OPEN_PAGE/row_buf_policy = CLOSE_PAGE/'
variant DDR4_8Gb_x8_3200 DDR4-perrank 's/^queue_structure = PER_BANK/queue_structure = PER_RANK/'
variant DDR4_8Gb_x8_3200 DDR4-map-chro 's/^address_mapping = .*/address_mapping = chrobabgraco/'
variant DDR4_8Gb_x8_3200 DDR4-map-robgba 's/^address_mapping = .*/address_mapping = rorabgbachco/'
variant DDR4_8Gb_x8_3200 DDR4-refsim 's/^refresh_policy = .*/refresh_policy = RANK_LEVEL_SIMULTANEOUS/'
variant DDR4_8Gb_x8_3200 DDR4-refbank 's/^refresh_policy = .*/refresh_policy = BANK_LEVEL_STAGGERED/'
variant DDR4_8Gb_x8_3200 DDR4-wbuf4 's/^trans_queue_size = 32/trans_queue_size = 32\nwrite_buf_size = 4/'
variant HBM2_8Gb_x128-proto HBM2-refbank 's/^row_buf_policy = OPEN_PAGE/row_buf_policy = OPEN_PAGE\nrefresh_policy = BANK_LEVEL_STAGGERED/'
variant LPDDR4_8Gb_x16_2400 LPDDR4-closepage-perrank 's/^row_buf_policy = OPEN_PAGE/row_buf_policy = CLOSE_PAGE/; s/^queue_structure = PER_BANK/queue_structure = PER_RANK/'
variant GDDR6_8Gb_x16 GDDR6-map-chro 's/^address_mapping = .*/address_mapping = chrobabgraco/'
# [system] and [other] switches DRAMsim3 reads but its shipped configs leave at their defaults.
variant DDR4_8Gb_x8_3200 DDR4-unified 's/^trans_queue_size = 32/trans_queue_size = 32\nunified_queue = True/'
variant DDR4_8Gb_x8_3200 DDR4-sref 's/^trans_queue_size = 32/trans_queue_size = 32\nenable_self_refresh = True\nsref_threshold = 200/'
variant DDR4_8Gb_x8_3200 DDR4-aggrpre 's/^trans_queue_size = 32/trans_queue_size = 32\naggressive_precharging_enabled = True/'
variant DDR4_8Gb_x8_3200 DDR4-smallq 's/^cmd_queue_size = 8/cmd_queue_size = 2/; s/^trans_queue_size = 32/trans_queue_size = 4/'
variant DDR4_8Gb_x8_3200 DDR4-epoch 's/^epoch_period = .*/epoch_period = 1000/'
variant DDR4_8Gb_x8_3200 DDR4-al3 's/^AL = 0/AL = 3/'
variant DDR4_8Gb_x8_3200 DDR4-4ranks 's/^channel_size = 16384/channel_size = 32768/'
variant DDR4_8Gb_x8_3200 DDR4-16ch 's/^channels = 1/channels = 16/; s/^channel_size = 16384/channel_size = 8192/'
variant DDR4_8Gb_x8_3200 DDR4-bl0 's/^BL = 8/BL = 0/'
variant DDR4_8Gb_x8_3200 DDR4-nobg 's/^banks_per_group = 4/banks_per_group = 4\nbankgroup_enable = false/'
variant LPDDR4_8Gb_x16_2400 LPDDR4-refbank 's/^refresh_policy = .*/refresh_policy = BANK_LEVEL_STAGGERED/'
variant GDDR6_8Gb_x16 GDDR6-refbank 's/^row_buf_policy = OPEN_PAGE/row_buf_policy = OPEN_PAGE\nrefresh_policy = BANK_LEVEL_STAGGERED/'
variant HBM2_8Gb_x128-proto HBM2-unified 's/^unified_queue = False/unified_queue = True/'
variant HBM2_8Gb_x128-proto HBM2-nodual 's/^num_dies = 4/num_dies = 4\nhbm_dual_cmd = false/'
variant DDR3_8Gb_x8_1600 DDR3-wbuf2 's/^trans_queue_size = 32/trans_queue_size = 32\nwrite_buf_size = 2/'

# record NAME INI COUNTS: runs dramsim3main on $tmp/trace at every count into tests/dram/NAME/.
record() {
    d=$out/$1
    rm -rf "$d"
    mkdir -p "$d"
    echo "$2" >"$d/ini"
    gzip -9 -n -c "$tmp/trace" >"$d/trace.gz"
    : >"$d/cycles"
    total=$(wc -l <"$tmp/trace")
    cut=no
    for n in $3; do
        echo "$n" >>"$d/cycles"
        rm -rf "$tmp/o"
        mkdir "$tmp/o"
        "$bin" "$2" -c "$n" -t "$tmp/trace" -o "$tmp/o" >"$tmp/log" 2>&1 ||
            { cat "$tmp/log" >&2; echo "dram-golden.sh: $1: dramsim3main failed" >&2; exit 1; }
        gzip -9 -n -c "$tmp/o/dramsim3.json" >"$d/dramsim3.$n.json.gz"
        done_=$(tr ',' '\n' <"$tmp/o/dramsim3.json" |
                sed -n 's/.*"num_\(reads\|writes\)_done":\([0-9]*\).*/\2/p' | awk '{s += $1} END {print s}')
        [ "$done_" -lt "$total" ] && cut=yes
    done
    [ "$cut" = yes ] || echo "dram-golden.sh: warning: $1: no count cuts the stream" >&2
    echo "$1: $total requests, cycles $(echo $3)"
}

# synth NAME INI KIND N [AWK-VARS...]: a dram-stream.awk stream, recorded at 300, 2000, 10000 and
# 50000 cycles (50000 passes tREFI everywhere, so refresh is in every case).
synth() {
    name=$1 ini=$2 kind=$3 n=$4
    shift 4
    bw=$(ini_get "$ini" bus_width) bl=$(ini_get "$ini" BL)
    ch=$(ini_get "$ini" channels) mb=$(ini_get "$ini" channel_size)
    awk -v kind="$kind" -v n="$n" -v step=$((bw / 8 * bl)) -v size=$((ch * mb * 1048576)) \
        "$@" -f tools/dram-hex.awk -f tools/dram-stream.awk </dev/null >"$tmp/trace"
    record "$name" "$ini" "300 2000 10000 50000"
}

for p in DDR3:DDR3_8Gb_x8_1600 DDR4:DDR4_8Gb_x8_3200 LPDDR:lpddr_2Gb_x16 \
         LPDDR3:LPDDR3_8Gb_x32_1600 LPDDR4:LPDDR4_8Gb_x16_2400 GDDR5:GDDR5_8Gb_x32 \
         GDDR5X:GDDR5X_8Gb_x32 GDDR6:GDDR6_8Gb_x16 HBM:HBM_4Gb_x128 \
         HBM2:HBM2_8Gb_x128-proto HBM2-as-HBM:HBM2_8Gb_x128; do
    proto=${p%%:*} ini=$out/ini/${p#*:}.ini
    synth "$proto-random" "$ini" random 600
    synth "$proto-seq" "$ini" seq 800
    synth "$proto-rw" "$ini" rw 600
    synth "$proto-burst" "$ini" burst 640
    synth "$proto-stride" "$ini" stride 600
    synth "$proto-hot" "$ini" hot 600
done
synth DDR4-closepage-random "$out/ini/DDR4-closepage.ini" random 600
synth DDR4-closepage-rw "$out/ini/DDR4-closepage.ini" rw 600
synth DDR4-perrank-random "$out/ini/DDR4-perrank.ini" random 600
synth DDR4-perrank-burst "$out/ini/DDR4-perrank.ini" burst 640
synth DDR4-map-chro-stride "$out/ini/DDR4-map-chro.ini" stride 600
synth DDR4-map-robgba-random "$out/ini/DDR4-map-robgba.ini" random 600
synth DDR4-refsim-random "$out/ini/DDR4-refsim.ini" random 600 -v gap=60
synth DDR4-refbank-random "$out/ini/DDR4-refbank.ini" random 600 -v gap=60
synth DDR4-wbuf4-rw "$out/ini/DDR4-wbuf4.ini" rw 600
synth HBM2-refbank-random "$out/ini/HBM2-refbank.ini" random 600 -v gap=60
synth LPDDR4-closepage-perrank-rw "$out/ini/LPDDR4-closepage-perrank.ini" rw 600
synth GDDR6-map-chro-stride "$out/ini/GDDR6-map-chro.ini" stride 600
synth ST-1.5x-random "$out/ini/ST-1.5x.ini" random 600
for v in DDR4-unified DDR4-sref DDR4-aggrpre DDR4-smallq DDR4-epoch DDR4-al3 DDR4-4ranks \
         DDR4-16ch DDR4-bl0 DDR4-nobg LPDDR4-refbank GDDR6-refbank HBM2-unified HBM2-nodual \
         DDR3-wbuf2; do
    synth "$v-rw" "$out/ini/$v.ini" rw 600
    synth "$v-burst" "$out/ini/$v.ini" burst 640
done
for m in memories/*.ini; do
    [ -f "$m" ] || continue
    b=$(basename "$m" .ini)
    synth "mem-$b-random" "$m" random 600
done

# Traces from an mmtrace run: tests/dram/run/dram_run.cfg (widths 8, 1.58 and 16 bits) over
# dram_run.csv, each layer's DRAM traces turned into requests by dram-run-trace.awk at a 700
# MHz accelerator clock, recorded at half the last request's cycle (mid-stream) and at 20000
# and 60000 cycles past it.
gen=$bld/mmtrace-gen rep=$bld/mmtrace-replay
"$gen" -c "$out/run/dram_run.cfg" -t "$out/run/dram_run.csv" -p "$tmp/run" -i gemm >/dev/null
"$rep" -c "$out/run/dram_run.cfg" -t "$out/run/dram_run.csv" -p "$tmp/run" -i gemm >/dev/null
# layer_trace INI LAYER: the run's layer LAYER turned into requests for INI's memory by
# dram-run-trace.awk (widths 8, 1.58 and 16 bits, a 700 MHz accelerator clock) in $tmp/trace.
layer_trace() {
    bw=$(ini_get "$1" bus_width) bl=$(ini_get "$1" BL) tck=$(ini_get "$1" tCK)
    l=$tmp/run/dram_run/layer$2
    for x in IFMAP FILTER OFMAP; do gzip -dc "$l/${x}_DRAM_TRACE.csv.gz" >"$tmp/$x"; done
    awk -v w0=8000 -v w1=1580 -v w2=16000 -v off0=0 -v off1=10000000 -v off2=20000000 \
        -v line=$((bw / 8 * bl)) -v mhz=700 -v tck="$tck" -f tools/dram-hex.awk \
        -f tools/dram-run-trace.awk "$tmp/IFMAP" "$tmp/FILTER" "$tmp/OFMAP" >"$tmp/trace"
}
runtrace() {
    name=$1 ini=$2 layer=$3
    layer_trace "$ini" "$layer"
    last=$(tail -n 1 "$tmp/trace" | awk '{print $3}')
    record "$name" "$ini" "$((last / 2 + 1)) $((last + 20000)) $((last + 60000))"
}
for p in DDR3:DDR3_8Gb_x8_1600 DDR4:DDR4_8Gb_x8_3200 LPDDR:lpddr_2Gb_x16 \
         LPDDR3:LPDDR3_8Gb_x32_1600 LPDDR4:LPDDR4_8Gb_x16_2400 GDDR5:GDDR5_8Gb_x32 \
         GDDR5X:GDDR5X_8Gb_x32 GDDR6:GDDR6_8Gb_x16 HBM:HBM_4Gb_x128 \
         HBM2:HBM2_8Gb_x128-proto; do
    runtrace "${p%%:*}-run-l1" "$out/ini/${p#*:}.ini" 1
done
runtrace DDR4-run-l0 "$out/ini/DDR4_8Gb_x8_3200.ini" 0
for m in memories/*.ini; do
    [ -f "$m" ] || continue
    b=$(basename "$m" .ini)
    runtrace "mem-$b-run-l0" "$m" 0
    runtrace "mem-$b-run-l1" "$m" 1
done
# The timing report (mmtrace-replay --dram=INI --clock=700 on the same run): each layer's
# requests by dram-run-trace.awk, with a last line DRAMsim3 never reaches (its cycle is past
# any count) so that its end-of-trace quirk, which adds the last request twice, stays out;
# tests/dram/timing/<memory>-l<i>/ holds the trace, `cycles`, the fewest cycles after which
# every request has completed (found by bisection), and dramsim3.json at that count and at
# one less (tests/dram_timing.sh derives the report's row from them).
rm -rf "$out/timing"
ndone() {
    tr ',' '\n' <"$1" | sed -n 's/.*"num_\(reads\|writes\)_done":\([0-9]*\).*/\2/p' |
        awk '{s += $1} END {print s + 0}'
}
# dsrun INI N: dramsim3main on $tmp/trace for N cycles into $tmp/o.
dsrun() {
    rm -rf "$tmp/o"
    mkdir "$tmp/o"
    "$bin" "$1" -c "$2" -t "$tmp/trace" -o "$tmp/o" >"$tmp/log" 2>&1 ||
        { cat "$tmp/log" >&2; echo "dram-golden.sh: dramsim3main failed" >&2; exit 1; }
}
timing() {
    name=$1 ini=$2 layer=$3
    layer_trace "$ini" "$layer"
    total=$(wc -l <"$tmp/trace")
    echo "0x0 READ 999999999999" >>"$tmp/trace"
    lo=0 hi=$(( $(tail -n 2 "$tmp/trace" | head -n 1 | awk '{print $3}') + 100000 ))
    dsrun "$ini" "$hi"
    [ "$(ndone "$tmp/o/dramsim3.json")" -eq "$total" ] ||
        { echo "dram-golden.sh: $name: not done after $hi cycles" >&2; exit 1; }
    while [ $((hi - lo)) -gt 1 ]; do
        mid=$(((lo + hi) / 2))
        dsrun "$ini" "$mid"
        if [ "$(ndone "$tmp/o/dramsim3.json")" -eq "$total" ]; then hi=$mid; else lo=$mid; fi
    done
    d=$out/timing/$name
    mkdir -p "$d"
    echo "$ini" >"$d/ini"
    echo "$layer" >"$d/layer"
    echo "$hi" >"$d/cycles"
    gzip -9 -n -c "$tmp/trace" >"$d/trace.gz"
    dsrun "$ini" "$hi"
    gzip -9 -n -c "$tmp/o/dramsim3.json" >"$d/dramsim3.$hi.json.gz"
    dsrun "$ini" $((hi - 1))
    gzip -9 -n -c "$tmp/o/dramsim3.json" >"$d/dramsim3.$((hi - 1)).json.gz"
    echo "timing/$name: $total requests, all done after $hi cycles"
}
for m in memories/*.ini "$out/ini/DDR4_8Gb_x8_3200.ini" "$out/ini/HBM_4Gb_x128.ini"; do
    b=$(basename "$m" .ini)
    timing "$b-l0" "$m" 0
    timing "$b-l1" "$m" 1
done
du -sh "$out"
