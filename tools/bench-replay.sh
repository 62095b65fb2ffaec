#!/bin/bash
# Benchmarks mmtrace-replay: median wall time and peak RSS (/usr/bin/time -f '%e %M') over N
# runs (default 5) of
#   * replay: reading the SRAM traces mmtrace-gen wrote, and writing the reports, the DRAM
#     traces and the stall-adjusted SRAM traces (each run starts from a fresh copy);
#   * the floor: `gzip -dc` of the same SRAM trace files to /dev/null, one after the other;
#   * fused: --no-traces, the same reports without any trace file.
# Cases (inputs in tools/bench/): AlexNet conv1 on 32x32 WS CALC (SCALE-Sim's golden test,
# reference e_...), and a GPT-2 decode block on 32x32 OS, SRAM 2048/2048/4096 KB, in CALC and
# USER bandwidth 10. SCALE-Sim v2 took 13.9 s, 25.6 s and 34.4 s for these (doc/scalesim-v2.md §11).
# Targets: replay <= 3x the floor, peak RSS < 64 MB, fused >= 100x faster than SCALE-Sim v2
# on the GPT-2 block.
# Usage: tools/bench-replay.sh [RUNS] [JOBS]   (build dir: $MMT_BUILDDIR, default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
jobs=${2:-1}
bdir=${MMT_BUILDDIR:-build}
gen=$bdir/mmtrace-gen
replay=$bdir/mmtrace-replay
for p in "$gen" "$replay"; do
    [ -x "$p" ] || { echo "bench-replay: $p not built (tools/build.sh)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Runs "$@" runs times; prints the median seconds and the median peak RSS in KB.
timed() {
    local ts=() ms=() t m
    for ((i = 0; i < runs; i++)); do
        [ -n "${before:-}" ] && eval "$before"
        /usr/bin/time -f '%e %M' -o "$tmp/t" "$@" >/dev/null
        read -r t m <"$tmp/t"
        ts+=("$t")
        ms+=("$m")
    done
    echo "$(printf '%s\n' "${ts[@]}" | median) $(printf '%s\n' "${ms[@]}" | median)"
}

fail=0
# bench NAME CFG TOPO TYPE SCALESIM_SECONDS
bench() {
    local name=$1 cfg=tools/bench/$2 topo=tools/bench/$3 type=$4 ss=$5
    rm -rf "$tmp/pristine" "$tmp/work" "$tmp/fused"
    mkdir -p "$tmp/pristine" "$tmp/fused"
    "$gen" -c "$cfg" -t "$topo" -i "$type" -p "$tmp/pristine" -j 2 >/dev/null
    local rt rm ft fm ut um
    before='rm -rf "$tmp/work"; cp -R "$tmp/pristine" "$tmp/work"'
    read -r rt rm < <(timed "$replay" -c "$cfg" -t "$topo" -i "$type" -p "$tmp/work" -j "$jobs")
    before=
    read -r ft fm < <(timed sh -c 'for f in "$@"; do gzip -dc "$f"; done' sh \
        "$tmp"/pristine/*/layer*/*_SRAM_TRACE.csv.gz)
    read -r ut um < <(timed "$replay" -c "$cfg" -t "$topo" -i "$type" -p "$tmp/fused" \
        --no-traces -j "$jobs")
    awk -v n="$name" -v rt="$rt" -v rm="$rm" -v ft="$ft" -v ut="$ut" -v um="$um" -v ss="$ss" \
        'BEGIN { printf "%-30s %8.3f %7.1f %8.3f %7.2fx %8.3f %7.1f %8.1f %8.0fx\n", n, rt,
                 rm/1024, ft, rt/ft, ut, um/1024, ss, ss/(ut > 0 ? ut : 0.005) }'
    awk -v rt="$rt" -v ft="$ft" -v rm="$rm" -v um="$um" -v ut="$ut" -v ss="$ss" -v n="$name" \
        'BEGIN { bad = 0
                 if (rt > 3 * ft) { print "  target missed: replay " rt/ft "x the floor (<= 3x)"; bad = 1 }
                 if (rm >= 65536 || um >= 65536) { print "  target missed: peak RSS >= 64 MB"; bad = 1 }
                 if (n ~ /gpt2/ && ss / (ut > 0 ? ut : 0.005) < 100) {
                     print "  target missed: fused under 100x SCALE-Sim"; bad = 1 }
                 exit bad }' || fail=1
}

echo "mmtrace-replay benchmark: median of $runs runs, -j $jobs, $(nproc) cores," \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-30s %8s %7s %8s %8s %8s %7s %8s %9s\n' case replay_s rss_MB floor_s vs_floor \
    fused_s rss_MB scalesim fused_x
bench alexnet_conv1_32x32_ws_calc alexnet_conv1_32x32_ws.cfg alexnet_conv1.csv conv 13.9
bench gpt2_block_32x32_os_calc gpt2_block_32x32_os_calc.cfg gpt2_block.csv gemm 25.6
bench gpt2_block_32x32_os_user_bw10 gpt2_block_32x32_os_user_bw10.cfg gpt2_block.csv gemm 34.4
exit $fail
