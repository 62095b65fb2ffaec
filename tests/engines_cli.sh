#!/bin/sh
# engines_cli.sh - mmtrace-replay --engine on the fused path: rows and folds (and auto) write
# byte-identical reports and console output on every golden case run with --no-traces; -v
# names the engine of each layer; bad --engine values and --engine=folds where it cannot run
# are refused. Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u
. "$MMT_SRCDIR/tests/testlib.sh"
need_built "$REPLAY"

# same_engines NAME RUN: the rows and auto runs into $TMP/NAME.rows and $TMP/NAME.auto (console
# output in NAME.rows.out and NAME.auto.out) wrote identical consoles and reports of run RUN.
same_engines() {
    cmp -s "$TMP/$1.rows.out" "$TMP/$1.auto.out" || fail "$1: console output differs"
    for rep in COMPUTE_REPORT BANDWIDTH_REPORT DETAILED_ACCESS_REPORT; do
        cmp -s "$TMP/$1.rows/$2/$rep.csv" "$TMP/$1.auto/$2/$rep.csv" ||
            fail "$1 ($2): $rep.csv differs between the engines"
        files=$((files + 1))
    done
    cases=$((cases + 1))
}

# Both engines on every golden case: the three reports and stdout must be identical.
for dir in "$GOLDEN"/*/; do
    golden_case "$dir" || { fail "$c: not a golden case (no config.cfg)"; continue; }
    for e in rows auto; do
        "$REPLAY" -c "$cfg" -t "$dir/topology.csv" -i "$itype" -p "$TMP/$c.$e" \
            --no-traces --engine=$e >"$TMP/$c.$e.out" 2>"$TMP/$c.$e.err" ||
            fail "$c: --engine=$e exited $?: $(cat "$TMP/$c.$e.err")"
    done
    same_engines "$c" "$run"
done

cfg="$GOLDEN/a_gemm_8x8_os_calc64/config.cfg"
topo="$GOLDEN/a_gemm_8x8_os_calc64/topology.csv"
user="$GOLDEN/a_gemm_8x8_os_user64_bw10/config.cfg"

# --engine=folds on a CALC GEMM case runs, and -v says so for every layer.
"$REPLAY" -c "$cfg" -t "$topo" -i gemm -p "$TMP/v" --no-traces --engine=folds -v \
    >/dev/null 2>"$TMP/v.err" || fail "--engine=folds -v exited $?"
[ "$(grep -c 'layer [0-9]*: fold engine$' "$TMP/v.err")" = 4 ] ||
    fail "-v: expected 4 'fold engine' lines, got: $(cat "$TMP/v.err")"

# So does a USER GEMM case.
"$REPLAY" -c "$user" -t "$topo" -i gemm -p "$TMP/u" --no-traces -v >/dev/null 2>"$TMP/u.err" ||
    fail "auto on USER exited $?"
[ "$(grep -c 'layer [0-9]*: fold engine$' "$TMP/u.err")" = 4 ] ||
    fail "-v on USER: expected 4 'fold engine' lines, got: $(cat "$TMP/u.err")"

# Convs whose windows tile the ifmap (stride = filter, 1x1 with a stride) run on the fold
# engine in both modes with the rows' reports; overlapping windows fall back, -v says why.
conv="$GOLDEN/c_conv_8x8_os_user64_bw10"
cat >"$TMP/tile.csv" <<'EOF2'
Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
tile3, 12, 12, 3, 3, 4, 8, 3,
pw_s2, 9, 9, 1, 1, 16, 24, 2,
rect, 9, 8, 3, 2, 2, 5, 3, 2,
EOF2
for c in "$conv/config.cfg" "$GOLDEN/c_conv_8x8_ws_calc1k/config.cfg"; do
    run=$(cfg_get "$c" run_name)
    for e in rows auto; do
        "$REPLAY" -c "$c" -t "$TMP/tile.csv" -p "$TMP/tile.$e" --no-traces --engine=$e -v \
            >"$TMP/tile.$e.out" 2>"$TMP/tile.$e.err" || fail "tiling convs, $e: exited $?"
    done
    [ "$(grep -c 'layer [0-9]*: fold engine$' "$TMP/tile.auto.err")" = 3 ] ||
        fail "tiling convs: expected 3 'fold engine' lines, got: $(cat "$TMP/tile.auto.err")"
    same_engines tile "$run"
done
"$REPLAY" -c "$conv/config.cfg" -t "$conv/topology.csv" -p "$TMP/c" --no-traces -v \
    >/dev/null 2>"$TMP/c.err" || fail "auto on a conv exited $?"
grep -q 'layer 0: row engine (conv layer whose ifmap windows overlap or run off the ifmap)$' \
    "$TMP/c.err" || fail "-v on an overlapping conv: $(cat "$TMP/c.err")"

# Refusals: exit status, one line on stderr, nothing on stdout, no report written.
expect() { # status, stderr pattern, arguments...
    want=$1 pat=$2
    shift 2
    rm -rf "$TMP/r"
    "$REPLAY" "$@" >"$TMP/r.out" 2>"$TMP/r.err"
    st=$?
    [ "$st" = "$want" ] || fail "$*: exit $st, expected $want"
    [ -s "$TMP/r.out" ] && fail "$*: wrote to stdout"
    # One message line (usage errors add the "Try 'mmtrace-replay --help'" hint).
    grep -v "^Try 'mmtrace-replay --help'" "$TMP/r.err" >"$TMP/r.msg"
    [ "$(wc -l <"$TMP/r.msg")" = 1 ] || fail "$*: expected one line on stderr: $(cat "$TMP/r.err")"
    grep -q -- "$pat" "$TMP/r.err" || fail "$*: stderr '$(cat "$TMP/r.err")' lacks '$pat'"
    [ -e "$TMP/r" ] && [ -n "$(find "$TMP/r" -name '*REPORT*')" ] && fail "$*: wrote a report"
    cases=$((cases + 1))
}
expect 2 "expected auto, rows or folds, got 'fast'" -c "$cfg" -t "$topo" -i gemm -p "$TMP/r" \
    --no-traces --engine=fast
expect 2 "expected auto, rows or folds, got ''" -c "$cfg" -t "$topo" -i gemm -p "$TMP/r" \
    --no-traces --engine=
expect 2 "needs --no-traces" -c "$cfg" -t "$topo" -i gemm -p "$TMP/r" --engine=folds
expect 1 "topology.csv:2: layer 0: the fold engine cannot run it exactly (conv layer whose" \
    -c "$conv/config.cfg" -t "$conv/topology.csv" -p "$TMP/r" --no-traces --engine=folds
expect 2 "expected auto, rows or folds" --study="$TMP/r" --engine=Folds

echo "engines_cli: $cases cases, $files reports compared, $failures failures"
[ "$failures" = 0 ]
