#!/bin/sh
# tiny_layers.sh - many tiny layers fused (issue 8 item 10): 200000 1x1x1 conv layers must run
# with --no-traces under `ulimit -v 60000` (60 MB of address space) within 150 s. Per layer the
# run used to keep its result (208 bytes) until the end for the reports and the console, and
# before that about 2 KB; now the rows and console blocks are streamed out as layers are
# collected (replay.c, report_writer.c), and the run needs about 25 MB resident; it still runs under
# 40 MB. Under a limit glibc also could not make the worker thread its malloc arena and served
# every allocation with its own mmap: cli_init_malloc keeps the threads on the main arena.
# Measured at 200000 layers, -j 1, same session: before, 60 MB fails ("out of memory") and
# 80-100 MB time out after 100 s (269 s at 200 MB); after, 5-10 s at 40-200 MB.
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u
. "$MMT_SRCDIR/tests/testlib.sh"
need_built "$REPLAY"
n=200000
awk -v n=$n 'BEGIN { print "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,";
                     for (i = 0; i < n; i++) printf "l%d, 1, 1, 1, 1, 1, 1, 1,\n", i }' >"$TMP/topo.csv"
# The 8x8 WS example array (CALC, 64 KB SRAMs); tools/bench-tiny-layers.sh times the same runs.
CFG="$MMT_SRCDIR/topologies/examples/gemm_8x8_ws.cfg"
# AddressSanitizer maps terabytes of shadow memory: a sanitizer build cannot even start under
# the limit, so there the run goes without it and checks the outputs only.
limit="ulimit -v 60000"
if ! (ulimit -v 60000 && "$REPLAY" --version) >/dev/null 2>&1; then
    limit=:
    echo "tiny_layers: the binary cannot start under ulimit -v (a sanitizer build): no limit"
fi
($limit && timeout 150 "$REPLAY" -c "$CFG" -t "$TMP/topo.csv" -p "$TMP/out" --no-traces -j 1 \
    >"$TMP/out.txt" 2>"$TMP/err.txt") || fail "exited $?: $(head -c 300 "$TMP/err.txt")"
lines=$(wc -l <"$TMP/out/$(cfg_get "$CFG" run_name)/COMPUTE_REPORT.csv" 2>/dev/null || echo 0)
[ "$lines" = $((n + 1)) ] || fail "COMPUTE_REPORT.csv has $lines lines, not $((n + 1))"
grep -c "^Running Layer" "$TMP/out.txt" | grep -qx $n || fail "console lacks $n layer blocks"
echo "tiny_layers: $n layers under ulimit -v 60000, $failures failures"
[ "$failures" = 0 ]
