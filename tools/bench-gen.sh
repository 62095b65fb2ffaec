#!/bin/bash
# Benchmarks mmtrace-gen against SCALE-Sim v2's published figures and against the zlib floor.
#
# Cases: AlexNet conv1 on 32x32 WS (SCALE-Sim's golden test, reference e_...) and a GPT-2
# decode block on 32x32 OS (SRAM 2048/2048/4096 KB). For each: median wall time and peak RSS
# over N runs (default 5), MB/s of trace text, and the floor: the time `gzip -1 -c` needs to
# compress the same (decompressed) trace text, file by file. SCALE-Sim v2 took 13.9 s / 428 MB
# and 25.6 s / 1.14 GB for these with traces on (2-core machine; doc/scalesim-v2.md §11).
# Usage: tools/bench-gen.sh [RUNS] [JOBS]     (needs a build in build/: tools/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
jobs=${2:-1}
gen=build/mmtrace-gen
[ -x "$gen" ] || { echo "bench-gen: build first (tools/build.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# bench NAME CFG TOPO TYPE SCALESIM_S SCALESIM_MB
bench() {
    local name=$1 cfg=$2 topo=$3 type=$4 ss=$5 smb=$6 times=() rss=()
    for ((i = 0; i < runs; i++)); do
        rm -rf "$tmp/out"
        /usr/bin/time -f '%e %M' -o "$tmp/t" "$gen" -c "$cfg" -t "$topo" -i "$type" \
            -p "$tmp/out" -j "$jobs" >/dev/null
        read -r t m <"$tmp/t"
        times+=("$t")
        rss+=("$m")
    done
    local t m bytes floor_t=() ft
    t=$(printf '%s\n' "${times[@]}" | median)
    m=$(printf '%s\n' "${rss[@]}" | median)
    rm -rf "$tmp/plain"
    mkdir -p "$tmp/plain"
    for f in "$tmp"/out/*/layer*/*.csv.gz; do
        gzip -dc "$f" >"$tmp/plain/$(basename "$(dirname "$f")")_$(basename "${f%.gz}")"
    done
    bytes=$(cat "$tmp"/plain/* | wc -c)
    for ((i = 0; i < runs; i++)); do
        local s e
        s=$(date +%s.%N)
        for f in "$tmp"/plain/*; do gzip -1 -c "$f" >/dev/null; done
        e=$(date +%s.%N)
        floor_t+=("$(echo "$e - $s" | bc -l)")
    done
    ft=$(printf '%s\n' "${floor_t[@]}" | median)
    awk -v n="$name" -v t="$t" -v m="$m" -v b="$bytes" -v f="$ft" -v ss="$ss" -v smb="$smb" \
        'BEGIN { printf "%-26s %8.3f %8.1f %9.1f %8.3f %7.2fx %8.1fx %8.1fx\n", n, t, m/1024,
                 b/1e6/t, f, t/f, ss/t, smb/(m/1024) }'
}

echo "mmtrace-gen benchmark: median of $runs runs, -j $jobs, $(nproc) cores"
printf '%-26s %8s %8s %9s %8s %8s %9s %9s\n' case wall_s rss_MB text_MB/s floor_s vs_floor \
    speedup mem_ratio
bench "alexnet_conv1_32x32_ws" tools/bench/alexnet_conv1_32x32_ws.cfg \
    tools/bench/alexnet_conv1.csv conv 13.9 428
bench "gpt2_block_32x32_os" tools/bench/gpt2_block_32x32_os_calc.cfg tools/bench/gpt2_block.csv \
    gemm 25.6 1140
echo "vs_floor: wall / (gzip -1 of the same text); speedup and mem_ratio: SCALE-Sim v2 / mmtrace"
