#!/bin/sh
# bench-study.sh - benchmarks of the study engine, each the median of RUNS runs, measured side
# by side in one invocation (the machine may be shared: compare ratios, not absolute times):
#  1. the paper study (tools/study.sh's axes) cold (empty cache) and warm (every layer cached),
#     figures as SVG only;
#  2. a hardware sweep: 5 arrays x 3 dataflows x 4 SRAM sizes = 60 points over the 13 presets at
#     6 lengths, cold with -j 2, and cold as 2 shards under GNU parallel plus the merge run;
#  3. points against layers and distinct (hardware, shape) pairs: what de-duplication and the
#     cache save (printed by the runs themselves).
# --small measures a smaller sweep (2 arrays x 3 dataflows x 2 SRAM sizes, 4 models, 3
# lengths) for loaded machines. Usage: tools/bench-study.sh [-n RUNS] [--small] [WORKDIR]
set -eu
runs=3
small=
while [ $# -gt 0 ]; do
    case $1 in
    -n) runs=$2; shift 2 ;;
    --small) small=1; shift ;;
    *) break ;;
    esac
done
srcdir=$(cd "$(dirname "$0")/.." && pwd)
R=${MMTRACE_REPLAY:-$srcdir/build/mmtrace-replay}
W=${1:-$(mktemp -d "${TMPDIR:-/tmp}/mmt-bench-study.XXXXXX")}
mkdir -p "$W"
export MMTRACE_REPLAY="$R"

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# seconds taken by the command
secs() {
    s=$(date +%s.%N)
    "$@" >"$W/last.out" 2>"$W/last.err"
    e=$(date +%s.%N)
    echo "$s $e" | awk '{ printf "%.2f\n", $2 - $1 }'
}

# 1. the paper study
cold=$W/t.cold warm=$W/t.warm
: >"$cold"; : >"$warm"
for i in $(seq "$runs"); do
    rm -rf "$W/cache" "$W/paper"
    secs "$R" --study="$W/paper" --cache="$W/cache" --format=svg -j 2 >>"$cold"
    secs "$R" --study="$W/paper" --cache="$W/cache" --format=svg -j 2 >>"$warm"
done
echo "paper study: cold $(median <"$cold") s, warm $(median <"$warm") s (median of $runs)"
grep '^study:' "$W/last.out"

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
one=$W/t.one par=$W/t.par
: >"$one"; : >"$par"
for i in $(seq "$runs"); do
    rm -rf "$W/c1" "$W/c2"
    secs "$R" --study="$W/sweep1" "$@" --cache="$W/c1" -j 2 >>"$one"
    cp "$W/last.out" "$W/sweep1.out"
    "$R" --study="$W/sweep2" "$@" --cache="$W/c2" -j 1 --plan=parallel --shards=2 >"$W/plan.sh"
    secs sh "$W/plan.sh" >>"$par"
done
echo "sweep: one process -j 2 $(median <"$one") s, 2 shards under GNU parallel (-j 1 each) + merge $(median <"$par") s"
grep '^study:' "$W/sweep1.out"
for t in results.csv fractions.csv fits.csv; do
    cmp -s "$W/sweep1/$t" "$W/sweep2/$t" || echo "bench-study.sh: $t differs between the runs" >&2
done
echo "bench-study.sh: work files in $W"
