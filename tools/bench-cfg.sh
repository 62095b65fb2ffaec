#!/bin/bash
# Benchmarks the .cfg reader on hostile but valid files (issue 8 item 6): median CPU time
# (user + system; wall time is meaningless on a shared, loaded machine) over N runs (default
# 5) of `mmtrace-gen` on a tiny topology (the whole run: parse, gen, copies) with
#   * long: one option continued over 8 MB of indented lines (1,048,576 lines);
#   * keys: 40,000 distinct keys in one section;
# and, when python3 is present, of Python's configparser reading the same files (what
# SCALE-Sim v2 uses), in the same run so the ratio holds on a loaded machine.
# Usage: tools/bench-cfg.sh [RUNS]   (build dir: $MMT_BUILDDIR, default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
gen=${MMT_BUILDDIR:-build}/mmtrace-gen
[ -x "$gen" ] || { echo "bench-cfg: build first ($gen)" >&2; exit 1; }
w=$(mktemp -d "${TMPDIR:-/tmp}/mmt-bench-cfg.XXXXXX")
trap 'rm -rf "$w"' EXIT
cp tests/bad/good_conv.csv "$w/topo.csv"
{
    cat tests/bad/good.cfg
    printf '[notes]\ntext = start\n'
    awk 'BEGIN { for (i = 0; i < 1048576; i++) printf "  %05d\n", i % 100000 }'
} >"$w/long.cfg"
{
    cat tests/bad/good.cfg
    printf '[more]\n'
    awk 'BEGIN { for (i = 0; i < 40000; i++) printf "key%d = %d\n", i, i }'
} >"$w/keys.cfg"

# median CMD...: median CPU seconds (user + sys) of $runs runs.
median() {
    local TIMEFORMAT='%U %S'
    for _ in $(seq "$runs"); do
        { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ print $1 + $2 }'
    done | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }'
}

printf '%-6s %10s %10s %12s\n' case bytes mmtrace configparser
median "$gen" -c tests/bad/good.cfg -t "$w/topo.csv" -p "$w/out" >"$w/base"
printf '%-6s %10s %9ss %12s\n' base "$(wc -c <tests/bad/good.cfg)" "$(cat "$w/base")" -
for c in long keys; do
    f="$w/$c.cfg"
    m=$(median "$gen" -c "$f" -t "$w/topo.csv" -p "$w/out")
    p=-
    if command -v python3 >/dev/null; then
        p=$(median python3 -c 'import configparser, sys; c = configparser.ConfigParser(); c.read(sys.argv[1])' "$f")
    fi
    printf '%-6s %10s %9ss %11ss\n' "$c" "$(wc -c <"$f")" "$m" "$p"
done
