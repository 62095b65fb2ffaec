#!/bin/sh
# study.sh - sets up the build (tools/build.sh: Debian dependencies when root, configure, make)
# and runs the whole 1-bit LLM study (study.md) with the fused model: cloud and edge, the 13
# models, sequence lengths 128..4096, into one folder; then the time study that README.md's
# weight-width tables quote: the three stream presets (topologies/hw/*-stream.cfg: a real
# clock and a DRAMsim3-exact memory), SCALE-Sim's USER model and the streaming policy side by
# side, at 8-, 2- and 1.58-bit weights, into OUTDIR-memory.
#
# Usage: tools/study.sh [--traces MODELS] [-j N] [OUTDIR]
#   OUTDIR            default: out/study
#   --traces MODELS   also keep full SCALE-Sim-layout traces for these models (comma list)
#   -j N              simulation threads (default 2)
# Environment: MMTRACE_REPLAY (path of an mmtrace-replay to use instead of building one),
# STUDY_MODELS, STUDY_HW, STUDY_SEQS (comma lists, default: all; STUDY_HW is the paper
# study's), STUDY_MEMORY=0 (skip the time study).
#
# Writes OUTDIR/results.csv, fractions.csv, amdahl.csv, fits.csv, fit_predictions.csv,
# figures/*.svg and .png (each with its .csv), topologies/ and hw/ (the same under
# OUTDIR-memory, whose results.csv adds the memory, bounds and tokens/s columns), and prints
# where. Layers are cached in the default layer cache (mmtrace-replay --help). When run
# from a source tree holding topologies/study/, it also checks that the topologies written
# are identical to the committed ones.
set -eu

traces=
jobs=2
while [ $# -gt 0 ]; do
    case $1 in
    --traces) traces=$2; shift 2 ;;
    --traces=*) traces=${1#--traces=}; shift ;;
    -j) jobs=$2; shift 2 ;;
    -j*) jobs=${1#-j}; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "study.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
out=${1:-out/study}
srcdir=$(cd "$(dirname "$0")/.." && pwd)

replay=${MMTRACE_REPLAY:-}
if [ -z "$replay" ]; then
    "$srcdir/tools/build.sh"
    replay=$srcdir/build/mmtrace-replay
fi
if [ ! -x "$replay" ]; then
    echo "study.sh: $replay is not an executable mmtrace-replay" >&2
    exit 1
fi
mkdir -p "$out"

set -- --study="$out" -j "$jobs" \
    --model="${STUDY_MODELS:-all}" --hw="${STUDY_HW:-cloud,edge}" \
    --seq="${STUDY_SEQS:-128,256,512,1024,2048,4096}"
[ -n "$traces" ] && set -- "$@" --traces="$traces"

start=$(date +%s.%N)
"$replay" "$@"
end=$(date +%s.%N)

if [ -d "$srcdir/topologies/study" ] && [ -z "${STUDY_MODELS:-}${STUDY_SEQS:-}" ]; then
    if diff -q -r -x '*.cfg' -x 'README*' "$srcdir/topologies/study" "$out/topologies" >/dev/null; then
        echo "topologies: identical to $srcdir/topologies/study"
    else
        echo "study.sh: warning: $out/topologies differs from $srcdir/topologies/study" >&2
    fi
fi

awk -v s="$start" -v e="$end" 'BEGIN { printf "study.sh: paper study done in %.1f s\n", e - s }'
echo "study.sh: results in $out/"

[ "${STUDY_MEMORY:-1}" = 0 ] && exit 0
hw=$srcdir/topologies/hw
mem=$out-memory
mkdir -p "$mem"
start=$(date +%s.%N)
"$replay" --study="$mem" -j "$jobs" --model="${STUDY_MODELS:-all}" \
    --hw="$hw/cloud-stream.cfg,$hw/edge-stream.cfg,$hw/current-stream.cfg" \
    --memory=scalesim,stream --weights=8,2,1.58 \
    --seq="${STUDY_SEQS:-128,256,512,1024,2048,4096}"
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "study.sh: time study done in %.1f s\n", e - s }'
echo "study.sh: results in $mem/"
