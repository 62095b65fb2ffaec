#!/bin/bash
# Builds the libFuzzer targets (clang, ASan+UBSan) in build-fuzz/ and runs each for SECONDS
# (default 600), growing its corpus under tests/fuzz/corpus/<target>/; crash inputs are saved
# in build-fuzz/crashes/<target>/ and should be added to the corpus once fixed.
# Usage: tools/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
[ -x configure ] || ./autogen.sh >/dev/null
mkdir -p build-fuzz
cd build-fuzz
[ -f Makefile ] || CC=clang ../configure -q --enable-fuzzing --disable-shared
make -j"$(nproc)" >/dev/null
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(ls ../tests/fuzz/corpus))
for t in "${targets[@]}"; do
    mkdir -p "crashes/$t" "new/$t"
    echo "fuzz: $t for ${secs}s"
    ./tests/fuzz/fuzz_"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="crashes/$t/" "new/$t" "../tests/fuzz/corpus/$t" 2>&1 |
        grep -E '^(#[0-9]+.*(DONE|pulse)|Done|==[0-9]+==ERROR|SUMMARY)' | tail -n 3
    # Merge only inputs that add coverage into the saved corpus.
    ./tests/fuzz/fuzz_"$t" -merge=1 "../tests/fuzz/corpus/$t" "new/$t" >/dev/null 2>&1 || true
done
