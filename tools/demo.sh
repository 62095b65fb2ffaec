#!/bin/sh
# Sets up the build and runs mmtrace-gen on shipped topologies: the GEMM test set on an
# 8x8 OS array and AlexNet conv1 on a 32x32 WS array (SCALE-Sim's own golden case).
set -e
cd "$(dirname "$0")/.."
tools/build.sh
out=${1:-out/demo}
mkdir -p "$out"
build/mmtrace-gen -c topologies/examples/gemm_8x8_os.cfg -t topologies/examples/gemm_small.csv \
    -i gemm -p "$out" -j 2
build/mmtrace-gen -c topologies/examples/scale_32x32_ws.cfg \
    -t topologies/examples/alexnet_conv1.csv -p "$out" -j 2
echo "demo: traces written under $out/"
