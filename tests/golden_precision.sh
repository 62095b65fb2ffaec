#!/bin/sh
# golden_precision.sh - operand widths ([precision]) end to end, on every reference case under
# tests/golden/:
#   * the case's cfg with a [precision] section of 8-bit widths gives SCALE-Sim's output
#     exactly: mmtrace-gen, mmtrace-replay (console output byte for byte), then --compare
#     against the case directory (three reports and every trace); BYTES_REPORT.csv holds the
#     DETAILED_ACCESS_REPORT counts as bytes; --no-traces gives the same four reports;
#   * at other widths (2-bit filter, 1.58-bit ifmap, 32-bit ofmap; 1-bit and 16-bit operands)
#     the trace path and the fused path write identical reports (USER cases, where the widths
#     change stalls), and a plain cfg writes no BYTES_REPORT.csv;
#   * a bad [precision] section is one diagnostic line, exit 1, nothing on stdout or on disk.
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
REPORTS="COMPUTE_REPORT.csv BANDWIDTH_REPORT.csv DETAILED_ACCESS_REPORT.csv BYTES_REPORT.csv"
varied=0

need_built "$GEN" "$REPLAY"

# Copies case $1 into directory $2 with section text $3 appended to its cfg.
make_case() {
    mkdir -p "$2"
    cp "$1/topology.csv" "$2/topology.csv"
    { cat "$1/config.cfg"; printf '\n%s' "$3"; } >"$2/config.cfg"
}

# Runs gen and replay (extra replay options in $4) in case copy $1 into $2; $3 is -i.
run_case() {
    "$GEN" -c "$1/config.cfg" -t "$1/topology.csv" -p "$2" -i "$3" >/dev/null 2>"$TMP/stderr" &&
        (cd "$1" && "$REPLAY" -c config.cfg -t topology.csv -p "$2" -i "$3" $4) \
            >"$TMP/stdout" 2>>"$TMP/stderr"
}

# Checks that BYTES_REPORT.csv in $1 repeats the six counts of DETAILED_ACCESS_REPORT.csv.
bytes_are_counts() {
    awk -F', ' 'NR == FNR { if (FNR > 1) c[FNR] = $4 " " $7 " " $10 " " $13 " " $16 " " $19; next }
        FNR == 1 { next }
        { if ($2 " " $3 " " $4 " " $5 " " $6 " " $7 != c[FNR]) bad = 1; n++ }
        END { exit bad || n != length(c) }' "$1/DETAILED_ACCESS_REPORT.csv" "$1/BYTES_REPORT.csv"
}

EIGHT='[precision]
IfmapBits = 8
FilterBits = 8
OfmapBits = 8
'

for dir in "$GOLDEN"/*/; do
    dir=${dir%/}
    golden_case "$dir" || continue
    cases=$((cases + 1))
    in="$TMP/in/$c"
    out="$TMP/out/$c"
    make_case "$dir" "$in" "$EIGHT"
    # alexnet keeps only the SHA-256 of its traces, which golden_replay.sh checks; the
    # reports suffice here.
    opts=
    [ -f "$dir/traces.sha256" ] && opts=--no-traces
    if ! run_case "$in" "$out" "$itype" "$opts"; then
        fail "$c (8 bits): exited with status $?:"
        cat "$TMP/stderr" >&2
        continue
    fi
    [ -s "$TMP/stderr" ] && { fail "$c (8 bits): unexpected stderr:"; cat "$TMP/stderr" >&2; }
    if [ -z "$opts" ]; then
        cmp -s "$dir/stdout.txt" "$TMP/stdout" || fail "$c (8 bits): console output differs"
    fi
    "$REPLAY" -p "$out/$run" --compare "$dir" >"$TMP/cmp" 2>&1 ||
        { fail "$c (8 bits): --compare exited $?:"; head -n 20 "$TMP/cmp" >&2; }
    grep -q "^Identical: 3 reports" "$TMP/cmp" || fail "$c (8 bits): --compare did not say Identical"
    bytes_are_counts "$out/$run" || fail "$c (8 bits): BYTES_REPORT.csv is not the access counts"
    files=$((files + 1))
    # The fused path writes the same four reports.
    fused="$TMP/fused/$c"
    if (cd "$in" && "$REPLAY" -c config.cfg -t topology.csv -p "$fused" -i "$itype" \
        --no-traces) >/dev/null 2>"$TMP/stderr"; then
        for r in $REPORTS; do
            cmp -s "$out/$run/$r" "$fused/$run/$r" || fail "$c (8 bits, --no-traces): $r differs"
        done
    else
        fail "$c (8 bits, --no-traces): exited with status $?"
    fi
    rm -rf "$out" "$fused" "$in"
done

# Other widths, USER cases: traces and fused path agree, the widths change the result.
for dir in "$GOLDEN"/*user*/; do
    dir=${dir%/}
    c=$(basename "$dir")
    itype=conv
    grep -q -- '-i gemm' "$dir/command.txt" && itype=gemm
    run=$(cfg_get "$dir/config.cfg" run_name)
    bw=$(cfg_get "$dir/config.cfg" Bandwidth)
    for widths in "2 1.58 32" "1 1 1" "16 2 1.67"; do
        set -- $widths
        # 16 and 32 bits need 2 and 4 bytes per cycle.
        [ "$1" = 16 ] && [ "$bw" -lt 2 ] && continue
        [ "$3" = 32 ] && [ "$bw" -lt 4 ] && continue
        in="$TMP/in/$c"
        make_case "$dir" "$in" "[precision]
IfmapBits = $2
FilterBits = $1
OfmapBits = $3
"
        if ! run_case "$in" "$TMP/t" "$itype" ""; then
            fail "$c ($widths): exited with status $?:"
            cat "$TMP/stderr" >&2
            rm -rf "$in" "$TMP/t"
            continue
        fi
        (cd "$in" && "$REPLAY" -c config.cfg -t topology.csv -p "$TMP/f" -i "$itype" \
            --no-traces) >/dev/null 2>&1 || fail "$c ($widths, --no-traces): exited with status $?"
        for r in $REPORTS; do
            cmp -s "$TMP/t/$run/$r" "$TMP/f/$run/$r" ||
                fail "$c ($widths): $r differs between the trace and the fused path"
        done
        "$REPLAY" -p "$TMP/t/$run" --compare "$dir" >/dev/null 2>&1
        [ $? -eq 1 ] || fail "$c ($widths): --compare found the run identical to 8-bit SCALE-Sim"
        varied=$((varied + 1))
        rm -rf "$in" "$TMP/t" "$TMP/f"
    done
done

# A plain cfg: no BYTES_REPORT.csv.
dir="$GOLDEN/a_gemm_8x8_os_user1k_bw2"
run=$(cfg_get "$dir/config.cfg" run_name)
(cd "$dir" && "$REPLAY" -c config.cfg -t topology.csv -p "$TMP/plain" -i gemm --no-traces) \
    >/dev/null 2>&1 || fail "plain cfg: replay failed"
[ -f "$TMP/plain/$run/COMPUTE_REPORT.csv" ] || fail "plain cfg: no COMPUTE_REPORT.csv"
[ -e "$TMP/plain/$run/BYTES_REPORT.csv" ] && fail "plain cfg: BYTES_REPORT.csv was written"

# Bad sections: one line on stderr naming file and line, exit 1, nothing written.
bad_case() { # section message
    make_case "$dir" "$TMP/bad" "$1"
    (cd "$TMP/bad" && "$REPLAY" -c config.cfg -t topology.csv -p "$TMP/badout" -i gemm \
        --no-traces) >"$TMP/stdout" 2>"$TMP/stderr"
    rc=$?
    [ "$rc" -eq 1 ] || fail "bad [precision] '$2': exit $rc, expected 1"
    [ -s "$TMP/stdout" ] && fail "bad [precision] '$2': wrote to stdout"
    [ "$(wc -l <"$TMP/stderr")" -eq 1 ] && grep -q "^mmtrace-replay: config.cfg:[0-9]*: $2" "$TMP/stderr" ||
        fail "bad [precision] '$2': stderr is '$(cat "$TMP/stderr")'"
    [ -e "$TMP/badout" ] && fail "bad [precision] '$2': wrote $TMP/badout"
    rm -rf "$TMP/bad" "$TMP/badout"
}
bad_case "[precision]
FilterBits = 0.5
" "FilterBits = 0.5: must be from 1 to 32 bits"
bad_case "[precision]
FilterBits = 2 bits
" "FilterBits: expected a number of bits"
bad_case "[precision]
WeightBits = 2
" "unknown key 'weightbits' in section \[precision\]"
bad_case "[precision]
OfmapBits = 32
" "OfmapBits = 32: Bandwidth 2 bytes/cycle moves less than one element"

if [ "$cases" -lt 41 ] || [ "$varied" -lt 20 ]; then
    echo "FAIL: only $cases cases (expected 41) and $varied width variants (expected 20+)" >&2
    exit 1
fi
echo "golden_precision: $cases cases at 8 bits, $varied runs at other widths, $failures failures"
[ "$failures" -eq 0 ]
