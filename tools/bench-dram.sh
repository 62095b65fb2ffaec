#!/bin/bash
# Benchmarks the DRAM model against the real DRAMsim3 (issue 20 item 5): the same 1M-request
# stream (tools/dram-stream.awk) replayed by `dramsim3main INI -c N -t TRACE` and by
# `mmtrace-replay --dram=INI --dram-trace=TRACE --cycles=N`, median wall time of RUNS runs
# each (/usr/bin/time), in one run of this script so that both see the same machine load. The
# two dramsim3.json/dram_stats.json must be identical key by key (tests/dram_cmp, no
# tolerance), or the run fails. mmtrace is the installed program (make install into a
# temporary DESTDIR), not the libtool wrapper of the build directory.
# Streams, on memories/DDR4-3200.ini (one channel, 16 banks x 2 ranks):
#   seq     1M reads of consecutive 64-byte blocks, all at cycle 0 (saturation);
#   random  1M requests at random addresses over 16 GB, one every 40 cycles, a write in three
#           (the memory is busy most of the time: row misses take about 37 cycles each);
#   burst   1M requests in bursts of 64 consecutive blocks from random rows, a burst every
#           1500 cycles, a write burst in four (the memory idles between bursts, as it does
#           between a layer's tile loads).
# Target: mmtrace at least 20x faster than dramsim3main on each stream.
# Usage: tools/bench-dram.sh DRAMSIM3MAIN [RUNS] [STREAMS...]   (build dir: $MMT_BUILDDIR,
# default build/; RUNS default 3; STREAMS default "seq random burst")
set -euo pipefail
cd "$(dirname "$0")/.."
ds=${1:?usage: tools/bench-dram.sh DRAMSIM3MAIN [RUNS] [STREAMS...]}
runs=${2:-3}
shift $(($# < 2 ? $# : 2))
streams=${*:-seq random burst}
bdir=${MMT_BUILDDIR:-build}
ini=memories/DDR4-3200.ini
[ -x "$ds" ] || { echo "bench-dram: $ds: not an executable" >&2; exit 1; }
[ -x "$bdir/tests/dram_cmp" ] || { echo "bench-dram: $bdir/tests/dram_cmp not built (tools/build.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

make -s -C "$bdir" install DESTDIR="$tmp/inst" >/dev/null 2>&1 ||
    { echo "bench-dram: make install failed" >&2; exit 1; }
replay=$(find "$tmp/inst" -path '*/bin/mmtrace-replay' -type f | head -n 1)
libdir=$(dirname "$(find "$tmp/inst" -name 'libmmtrace.so*' | head -n 1)")
[ -x "$replay" ] || { echo "bench-dram: make install gave no mmtrace-replay" >&2; exit 1; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# timed OUTDIR CMD...: runs CMD runs times (OUTDIR emptied first), prints the median seconds.
timed() {
    local out=$1 ts=() t
    shift
    for ((i = 0; i < runs; i++)); do
        rm -rf "$out"
        mkdir -p "$out"
        /usr/bin/time -f '%e' -o "$tmp/t" "$@" >/dev/null
        t=$(tail -n 1 "$tmp/t")
        ts+=("$t")
    done
    printf '%s\n' "${ts[@]}" | median
}

fail=0
echo "DRAM benchmark: $ini, 1M requests, median of $runs runs, $(nproc) cores," \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %10s %12s %10s %8s %s\n' stream cycles dramsim3_s mmtrace_s ratio stats
for s in $streams; do
    case $s in
    seq) awk -v kind=seq -v n=1000000 -v step=64 -v size=17179869184 \
        -f tools/dram-hex.awk -f tools/dram-stream.awk </dev/null >"$tmp/trace"; cycles=5000000 ;;
    random) awk -v kind=random -v n=1000000 -v gap=40 -v step=64 -v size=17179869184 \
        -f tools/dram-hex.awk -f tools/dram-stream.awk </dev/null >"$tmp/trace"; cycles=41000000 ;;
    burst) awk -v kind=burst -v n=1000000 -v step=64 -v size=17179869184 \
        -f tools/dram-hex.awk -f tools/dram-stream.awk </dev/null >"$tmp/trace"; cycles=23500000 ;;
    *) echo "bench-dram: unknown stream $s (seq, random, burst)" >&2; exit 2 ;;
    esac
    dt=$(timed "$tmp/ds" "$ds" "$ini" -c "$cycles" -t "$tmp/trace" -o "$tmp/ds")
    mt=$(timed "$tmp/mm" env LD_LIBRARY_PATH="$libdir" "$replay" --dram="$ini" \
        --dram-trace="$tmp/trace" --cycles="$cycles" -p "$tmp/mm")
    if "$bdir/tests/dram_cmp" -n "$s" "$tmp/ds/dramsim3.json" "$tmp/mm/dram_stats.json" \
        >"$tmp/cmp"; then
        same=identical
    else
        same="DIFFER: $(head -n 1 "$tmp/cmp")"
        fail=1
    fi
    awk -v s="$s" -v c="$cycles" -v d="$dt" -v m="$mt" -v same="$same" 'BEGIN {
        r = d / (m > 0 ? m : 0.005)
        printf "%-8s %10d %12.2f %10.3f %7.1fx %s\n", s, c, d, m, r, same
        if (r < 20) { print "  target missed: under 20x dramsim3main"; exit 1 } }' || fail=1
done
exit $fail
