#!/bin/bash
# Builds the libFuzzer targets (clang, ASan+UBSan) in build-fuzz/ and runs each for SECONDS
# (default 600), growing its corpus under tests/fuzz/corpus/<target>/; crash inputs are saved
# in build-fuzz/crashes/<target>/ and should be added to the corpus once fixed. Prints each
# target's final coverage line and exec count; exits 1 if any target found something.
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
fail=0
for t in "${targets[@]}"; do
    mkdir -p "crashes/$t" "new/$t" logs
    echo "fuzz: $t for ${secs}s (log: build-fuzz/logs/$t.log)"
    status=0
    ./tests/fuzz/fuzz_"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="crashes/$t/" "new/$t" "../tests/fuzz/corpus/$t" >"logs/$t.log" 2>&1 ||
        status=$?
    # The final coverage line, the exec count ("Done N runs in S second(s)") and any finding.
    grep -E '^(#[0-9]+.*DONE|Done [0-9]+ runs|==[0-9]+==ERROR|SUMMARY|artifact_prefix)' \
        "logs/$t.log" || true
    if [ "$status" -ne 0 ]; then
        echo "fuzz: $t stopped with status $status: see build-fuzz/crashes/$t/" >&2
        fail=1
    fi
    # Merge only inputs that add coverage into the saved corpus.
    ./tests/fuzz/fuzz_"$t" -merge=1 "../tests/fuzz/corpus/$t" "new/$t" >/dev/null 2>&1 || true
done
exit "$fail"
