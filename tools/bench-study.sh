#!/bin/sh
# bench-study.sh - benchmarks of the study engine, each the median of RUNS runs, measured side
# by side in one invocation (the machine may be shared: compare ratios, not absolute times):
#  1. the paper study (tools/study.sh's axes) cold (empty cache) and warm (every layer cached),
#     figures as SVG only; with --against=REPLAY, the same for that other mmtrace-replay
#     (say, a build of main), run alternately with this one, and the ratio of the warm medians;
#  2. a hardware sweep: 5 arrays x 3 dataflows x 4 SRAM sizes = 60 points over the 13 presets at
#     6 lengths, cold with -j 2; then cold as 2 shards under GNU parallel (-j 1 each) into one
#     cache, and the merge run that finds every layer cached (timed apart);
#  3. points against layers and distinct (hardware, shape) pairs: what de-duplication and the
#     cache save (the "study:" lines the runs print).
# The program is timed itself, not libtool's wrapper script (build/mmtrace-replay runs
# build/.libs/mmtrace-replay through a shell, about 0.1 s more per run). The load average is
# printed before and after. --small measures a smaller sweep (2 arrays x 3 dataflows x 2 SRAM
# sizes, 4 models, 3 lengths); --paper measures the paper study alone.
# Usage: tools/bench-study.sh [-n RUNS] [--small|--paper] [--against=REPLAY] [WORKDIR]
set -eu
runs=5
small= paper= against=
while [ $# -gt 0 ]; do
    case $1 in
    -n) runs=$2; shift 2 ;;
    --small) small=1; shift ;;
    --paper) paper=1; shift ;;
    --against=*) against=${1#--against=}; shift ;;
    *) break ;;
    esac
done
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/tools/lib.sh" # median, secs, real_program
W=${1:-$(mktemp -d "${TMPDIR:-/tmp}/mmt-bench-study.XXXXXX")}
mkdir -p "$W"

# The binary behind a libtool wrapper (and its library directory), else the program itself.
real_program "${MMTRACE_REPLAY:-$srcdir/build/mmtrace-replay}"
LIBS=$real_libs R=$real_prog
[ "$LIBS" = - ] || export LD_LIBRARY_PATH="$LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ -n "$against" ]; then
    real_program "$against"
    ALIBS=$real_libs A=$real_prog
fi
export MMTRACE_REPLAY="$R" # what --plan=parallel runs

# the other program, with its own libraries
other() {
    if [ "$ALIBS" = - ]; then "$A" "$@"; else LD_LIBRARY_PATH=$ALIBS "$A" "$@"; fi
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. the paper study
: >"$W/t.cold"; : >"$W/t.warm"; : >"$W/a.cold"; : >"$W/a.warm"
for i in $(seq "$runs"); do
    rm -rf "$W/cache" "$W/paper" "$W/acache" "$W/apaper"
    secs "$R" --study="$W/paper" --cache="$W/cache" --format=svg -j 2 >>"$W/t.cold"
    if [ -n "$against" ]; then
        secs other --study="$W/apaper" --cache="$W/acache" --format=svg -j 2 >>"$W/a.cold"
        secs other --study="$W/apaper" --cache="$W/acache" --format=svg -j 2 >>"$W/a.warm"
    fi
    secs "$R" --study="$W/paper" --cache="$W/cache" --format=svg -j 2 >>"$W/t.warm"
done
echo "paper study: cold $(median <"$W/t.cold") s, warm $(median <"$W/t.warm") s (median of $runs)"
grep '^study:' "$W/last.out"
if [ -n "$against" ]; then
    echo "  against $A: cold $(median <"$W/a.cold") s, warm $(median <"$W/a.warm") s;" \
        "warm ratio $(echo "$(median <"$W/a.warm") $(median <"$W/t.warm")" |
            awk '{ printf "%.2f", $1 / $2 }')x"
    for t in results.csv fractions.csv amdahl.csv fits.csv fit_predictions.csv; do
        cmp -s "$W/paper/$t" "$W/apaper/$t" || echo "bench-study.sh: $t differs from $A's" >&2
    done
fi
if [ -n "$paper" ]; then
    echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
    exit 0
fi

# 2. the sweep's hardware: one .cfg per array x SRAM size; the dataflows come from --dataflow
mkdir -p "$W/hw"
if [ -n "$small" ]; then
    arrays="32 128" srams="512 4096" models=gpt2,opt-350m,opt-1.3b,llama-7b seqs=128,1024,4096
else
    arrays="16 32 64 128 256" srams="256 1024 4096 16384" models=all seqs=128,256,512,1024,2048,4096
fi
hw=
for a in $arrays; do
    for s in $srams; do
        sed -e "s/^ArrayHeight: .*/ArrayHeight:    $a/" -e "s/^ArrayWidth: .*/ArrayWidth:     $a/" \
            -e "s/^IfmapSramSzkB: .*/IfmapSramSzkB:   $s/" -e "s/^FilterSramSzkB: .*/FilterSramSzkB:  $((2 * s))/" \
            -e "s/^OfmapSramSzkB: .*/OfmapSramSzkB:   $s/" -e "s/^run_name = .*/run_name = a${a}_s$s/" \
            "$srcdir/topologies/hw/cloud.cfg" >"$W/hw/a${a}_s$s.cfg"
        hw=${hw:+$hw,}$W/hw/a${a}_s$s.cfg
    done
done
set -- --hw="$hw" --dataflow=os,ws,is --model="$models" --seq="$seqs" --format=svg
: >"$W/t.one"; : >"$W/t.par"; : >"$W/t.merge"
for i in $(seq "$runs"); do
    rm -rf "$W/c1" "$W/c2" "$W/sweep1" "$W/sweep2"
    secs "$R" --study="$W/sweep1" "$@" --cache="$W/c1" -j 2 >>"$W/t.one"
    cp "$W/last.out" "$W/sweep1.out"
    "$R" --study="$W/sweep2" "$@" --cache="$W/c2" -j 1 --plan=parallel --shards=2 >"$W/plan.sh"
    sed 's/ && .*//' "$W/plan.sh" >"$W/shards.sh"   # parallel ... ::: 1 2
    sed 's/.* && //' "$W/plan.sh" >"$W/merge.sh"    # the merge run
    secs sh "$W/shards.sh" >>"$W/t.par"
    secs sh "$W/merge.sh" >>"$W/t.merge"
    cp "$W/last.out" "$W/merge.out"
done
echo "sweep: one process -j 2 $(median <"$W/t.one") s; 2 shards under GNU parallel (-j 1 each)" \
    "$(median <"$W/t.par") s, then the merge run $(median <"$W/t.merge") s (median of $runs)"
grep '^study:' "$W/sweep1.out"
grep '^study:' "$W/merge.out"
for t in results.csv fractions.csv fits.csv; do
    cmp -s "$W/sweep1/$t" "$W/sweep2/$t" || echo "bench-study.sh: $t differs between the runs" >&2
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench-study.sh: work files in $W"
