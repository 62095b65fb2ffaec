#!/bin/bash
# Benchmarks the per-layer overhead of fused mmtrace-replay (--no-traces) on a topology of N
# 1x1x1 conv layers (issue 8 item 10): median wall time per layer (microseconds) and median
# peak RSS (/usr/bin/time -v "Maximum resident set size") per layer (bytes), over RUNS runs.
# Usage: tools/bench-tiny-layers.sh [RUNS] [N...]   (default: 3 runs, N = 100000)
#        build dir: $MMT_BUILDDIR (default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000)
replay=${MMT_BUILDDIR:-build}/mmtrace-replay
[ -x "$replay" ] || { echo "bench-tiny-layers: $replay not built (tools/build.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The 8x8 WS example array (CALC, 64 KB SRAMs), as in tests/tiny_layers.sh.
cfg=topologies/examples/gemm_8x8_ws.cfg
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf '%-9s %12s %12s %12s %12s\n' layers wall_s us/layer peak_RSS_KB bytes/layer
for n in "${sizes[@]}"; do
    awk -v n="$n" 'BEGIN { print "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,";
                           for (i = 0; i < n; i++) printf "l%d, 1, 1, 1, 1, 1, 1, 1,\n", i }' >"$tmp/topo"
    ts=() ms=()
    for ((i = 0; i < runs; i++)); do
        rm -rf "$tmp/out"
        /usr/bin/time -v -o "$tmp/t" "$replay" -c "$cfg" -t "$tmp/topo" -p "$tmp/out" \
            --no-traces >/dev/null
        ts+=("$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0;
                   for (k = 1; k <= n; k++) s = s * 60 + p[k]; print s }' "$tmp/t")")
        ms+=("$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/t")")
    done
    t=$(printf '%s\n' "${ts[@]}" | median)
    m=$(printf '%s\n' "${ms[@]}" | median)
    awk -v n="$n" -v t="$t" -v m="$m" \
        'BEGIN { printf "%-9d %12.2f %12.1f %12d %12.0f\n", n, t, t * 1e6 / n, m, m * 1024 / n }'
done
