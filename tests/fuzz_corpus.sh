#!/bin/sh
# Replays every saved fuzz corpus (tests/fuzz/corpus/<target>/) through its target, built
# without libFuzzer, so inputs that once crashed stay fixed.
set -e
: "${MMT_SRCDIR:?}" "${MMT_BUILDDIR:?}"
for dir in "$MMT_SRCDIR"/tests/fuzz/corpus/*/; do
    target=$(basename "$dir")
    bin="$MMT_BUILDDIR/tests/fuzz/replay_$target"
    if [ ! -x "$bin" ]; then
        echo "fuzz_corpus: missing driver $bin" >&2
        exit 1
    fi
    "$bin" "$dir"
done
