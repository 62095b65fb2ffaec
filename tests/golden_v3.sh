#!/bin/sh
# golden_v3.sh - --scalesim=v3 against the real SCALE-Sim v3.0.0 output in tests/golden-v3/:
#   * mmtrace-gen: the SRAM traces of the CALC cases (nothing stalls there) byte for byte;
#   * mmtrace-replay (trace path): the three reports (COMPUTE against the Python 3.12 variant)
#     and all six traces of every layer after decompression;
#   * --no-traces (fused): the same reports;
#   * --compare against the case directory exits 0, and against a copy with one report field
#     altered exits 1 and names it;
#   * replaying SCALE-Sim v3's own SRAM traces, whose read rows can be served "in the past"
#     (the cycle column goes backwards), gives the same reports and traces;
#   * the same cfg under the default --scalesim=v2 gives exactly one warning and v2's numbers.
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
GOLDEN="$MMT_SRCDIR/tests/golden-v3"
OPS="IFMAP FILTER OFMAP"
REPORTS="COMPUTE_REPORT.csv BANDWIDTH_REPORT.csv DETAILED_ACCESS_REPORT.csv"
own=0
backwards=0

need_built "$GEN" "$REPLAY"

REF_NAME="SCALE-Sim v3"

# Compares decompressed trace $2 with the fixture $1/$3.gz; $4 names the run.
check_trace() {
    files=$((files + 1))
    if [ ! -f "$2" ]; then
        fail "$4: $3 was not written"
        return
    fi
    gzip -dc "$1/$3.gz" >"$TMP/want"
    gzip -dc "$2" >"$TMP/got"
    if ! cmp -s "$TMP/want" "$TMP/got"; then
        fail "$4: $3 differs from SCALE-Sim v3 (< reference, > mmtrace):"
        diff "$TMP/want" "$TMP/got" | head -n 4 | cut -c 1-200 >&2
    fi
}

# Checks the traces named $3 (SRAM, DRAM or both) of every layer of run $2 against case $1.
check_traces() { # case rundir kinds name
    for l in $(cd "$1" && ls -d layer*); do
        for k in $3; do
            for op in $OPS; do
                check_trace "$1" "$2/$l/${op}_${k}_TRACE.csv.gz" "$l/${op}_${k}_TRACE.csv" "$4"
            done
        done
    done
}

# 1 if a read SRAM trace of case $1 has a row served before the row above it (v3 quirk).
goes_backwards() {
    for f in "$1"/layer*/IFMAP_SRAM_TRACE.csv.gz "$1"/layer*/FILTER_SRAM_TRACE.csv.gz; do
        gzip -dc "$f" | awk -F, 'NR > 1 && $1 <= p { bad = 1 } { p = $1 } END { exit !bad }' &&
            return 0
    done
    return 1
}

# Replays SCALE-Sim v3's own SRAM traces of case $1 (decompressed, plain .csv) into $2.
replay_own() { # case out itype run
    for l in $(cd "$1" && ls -d layer*); do
        mkdir -p "$2/$4/$l"
        for op in $OPS; do
            gzip -dc "$1/$l/${op}_SRAM_TRACE.csv.gz" >"$2/$4/$l/${op}_SRAM_TRACE.csv"
        done
    done
    "$REPLAY" --scalesim=v3 -c "$1/config.cfg" -t "$1/topology.csv" -p "$2" -i "$3" \
        >/dev/null 2>"$TMP/stderr" ||
        { fail "$c (own traces): replay exited with status $?:"; cat "$TMP/stderr" >&2; return; }
    check_reports "$1" "$2/$4" "$c (own traces)"
    check_traces "$1" "$2/$4" "SRAM DRAM" "$c (own traces)"
    own=$((own + 1))
}

for dir in "$GOLDEN"/*/; do
    dir=${dir%/}
    golden_case "$dir" || continue
    cases=$((cases + 1))
    out="$TMP/$c"
    run_gen "$c" "$out" --scalesim=v3 -c "$cfg" -t "$dir/topology.csv" -i "$itype" || continue
    [ -s "$TMP/stderr" ] && { fail "$c: unexpected stderr from mmtrace-gen:"; cat "$TMP/stderr" >&2; }
    # In CALC mode nothing stalls: mmtrace-gen's traces are SCALE-Sim's SRAM traces.
    [ "$(cfg_get "$cfg" InterfaceBandwidth)" = CALC ] && check_traces "$dir" "$out/$run" SRAM "$c (gen)"
    if ! "$REPLAY" --scalesim=v3 -c "$cfg" -t "$dir/topology.csv" -p "$out" -i "$itype" -j 2 \
        >/dev/null 2>"$TMP/stderr"; then
        fail "$c: mmtrace-replay exited with status $?:"
        cat "$TMP/stderr" >&2
        continue
    fi
    [ -s "$TMP/stderr" ] && { fail "$c: unexpected stderr:"; cat "$TMP/stderr" >&2; }
    check_reports "$dir" "$out/$run" "$c"
    check_traces "$dir" "$out/$run" "SRAM DRAM" "$c"

    fused="$TMP/$c.fused"
    mkdir "$fused"
    if "$REPLAY" --scalesim=v3 -c "$cfg" -t "$dir/topology.csv" -p "$fused" -i "$itype" \
        --no-traces >/dev/null 2>"$TMP/stderr"; then
        check_reports "$dir" "$fused/$run" "$c (--no-traces)"
        ls "$fused/$run"/layer* >/dev/null 2>&1 && fail "$c (--no-traces): wrote traces"
    else
        fail "$c (--no-traces): exited with status $?:"
        cat "$TMP/stderr" >&2
    fi

    "$REPLAY" --scalesim=v3 -p "$out/$run" --compare "$dir" >"$TMP/cmp" 2>&1 ||
        { fail "$c: --compare against the fixture exited $?:"; cat "$TMP/cmp" >&2; }
    grep -q "^Identical: 3 reports" "$TMP/cmp" || fail "$c: --compare did not say Identical"

    if goes_backwards "$dir"; then
        backwards=$((backwards + 1))
        mkdir "$TMP/$c.own"
        replay_own "$dir" "$TMP/$c.own" "$itype" "$run"
        rm -rf "$TMP/$c.own"
    fi

    case $c in
    v3r21_03_gemm_19x5_os_user)
        # --compare must see the new column: alter it in a copy of the reference.
        alt="$TMP/altered"
        cp -R "$dir" "$alt"
        sed '2s/^0, [0-9]*,/0, 424242,/' "$(ref_report "$dir" COMPUTE_REPORT.csv)" \
            >"$alt/COMPUTE_REPORT.csv"
        rm -f "$alt/COMPUTE_REPORT.py312sum.csv"
        "$REPLAY" --scalesim=v3 -p "$out/$run" --compare "$alt" >"$TMP/cmp" 2>&1
        rc=$?
        [ "$rc" -eq 1 ] || fail "$c: --compare against an altered copy exited $rc, expected 1"
        grep -q "Total Cycles (incl. prefetch) .*'424242' in REFDIR" "$TMP/cmp" ||
            fail "$c: --compare does not name the altered column:$(echo; cat "$TMP/cmp")"
        rm -rf "$alt"
        # The default is v2: one warning, v2's numbers (which differ here), no v3 column.
        v2="$TMP/$c.v2"
        mkdir "$v2"
        "$REPLAY" -c "$cfg" -t "$dir/topology.csv" -p "$v2" -i "$itype" --no-traces \
            >/dev/null 2>"$TMP/stderr" || fail "$c (v2 mode): exited with status $?"
        [ "$(wc -l <"$TMP/stderr")" -eq 1 ] &&
            grep -q "config.cfg: warning: .*SCALE-Sim v3's format.*--scalesim=v3" "$TMP/stderr" ||
            fail "$c (v2 mode): expected one warning naming --scalesim=v3:$(echo; cat "$TMP/stderr")"
        head -n 1 "$v2/$run/COMPUTE_REPORT.csv" | grep -q "prefetch" &&
            fail "$c (v2 mode): COMPUTE_REPORT has v3's column"
        cmp -s "$v2/$run/DETAILED_ACCESS_REPORT.csv" "$dir/DETAILED_ACCESS_REPORT.csv" &&
            fail "$c (v2 mode): v2's numbers equal v3's on a case where they differ"
        rm -rf "$v2"
        ;;
    esac
    rm -rf "$out" "$fused"
done

# Where v3 crashes or leaves the dense model, one line FILE:LINE: message, exit 1, no stdout.
base="$GOLDEN/v3r21_00_gemm_7x15_is_user"
bad_case() { # name sed-script expected-message-part [topology-row]
    mkdir -p "$TMP/bad"
    sed "$2" "$base/config.cfg" >"$TMP/bad/$1.cfg"
    if [ -n "${4:-}" ]; then
        printf 'Layer, H, W, FH, FW, C, N, S,\n%s\n' "$4" >"$TMP/bad/$1.csv"
        set -- "$1" "$2" "$3" conv
    else
        cp "$base/topology.csv" "$TMP/bad/$1.csv"
        set -- "$1" "$2" "$3" gemm
    fi
    for prog in "$GEN" "$REPLAY"; do
        "$prog" --scalesim=v3 -c "$TMP/bad/$1.cfg" -t "$TMP/bad/$1.csv" -i "$4" \
            -p "$TMP/bad/out" >"$TMP/stdout" 2>"$TMP/stderr"
        rc=$?
        [ "$rc" -eq 1 ] || fail "$1: $(basename "$prog") exited $rc, expected 1"
        [ -s "$TMP/stdout" ] && fail "$1: $(basename "$prog") printed on stdout"
        [ "$(wc -l <"$TMP/stderr")" -eq 1 ] && grep -q -- "$3" "$TMP/stderr" ||
            fail "$1: $(basename "$prog"): expected one line matching '$3':$(echo; cat "$TMP/stderr")"
    done
    [ -e "$TMP/bad/out" ] && fail "$1: an output directory was made"
    rm -rf "$TMP/bad"
}
bad_case sparsity 's/^SparsitySupport : false/SparsitySupport : True/' \
    ".cfg:30: SparsitySupport = True switches on sparsity"
bad_case layout 's/^FilterCustomLayout: False/FilterCustomLayout: on/' \
    ".cfg:24: FilterCustomLayout = on switches on a custom SRAM layout"
bad_case ramulator 's/^UseRamulatorTrace: False/UseRamulatorTrace: True/' \
    ".cfg:38: UseRamulatorTrace = True switches on Ramulator"
bad_case banks 's/^FilterSRAMBankNum: 1/FilterSRAMBankNum: 3/' \
    ".cfg:26: FilterSRAMBankNum = 3 does not divide FilterSRAMBankBandwidth = 2"
bad_case missing '/^IfmapSRAMBankPort/d' \
    ".cfg: missing key 'IfmapSRAMBankPort' in section \[layout\]"
bad_case conv9 "s/^x//" "conv9.csv:2: field 9 '1': SCALE-Sim v3 reads the last field" \
    "c0, 8, 8, 3, 3, 1, 4, 2, 1,"
"$REPLAY" --scalesim=v4 -c "$base/config.cfg" -t "$base/topology.csv" -p "$TMP/x" \
    >/dev/null 2>"$TMP/stderr"
[ $? -eq 2 ] && grep -q "expected v2 or v3, got 'v4'" "$TMP/stderr" || fail "--scalesim=v4 is not a usage error"

# v3's console text (doc/scalesim-v3.md §V3.8): the header names the topology and layout files,
# and each layer's "Total cycles" and "Compute cycles" are the two cycle columns of the real
# v3.0.0 COMPUTE_REPORT; "Saving traces: Done!" is printed even without traces.
c="$GOLDEN/v3r21_00_gemm_7x15_is_user"
"$REPLAY" --scalesim=v3 -c "$c/config.cfg" -t "$c/topology.csv" -i gemm -l my/layout.csv \
    -p "$TMP/con" --no-traces >"$TMP/con.out" 2>/dev/null || fail "v3 console: replay failed"
grep -qx "topology file path: $(printf '\t')$c/topology.csv" "$TMP/con.out" &&
    grep -qx "layout file path: $(printf '\t')my/layout.csv" "$TMP/con.out" ||
    fail "v3 console: header lines"
want=$(sed 1d "$c/COMPUTE_REPORT.py312sum.csv" | awk -F', ' '{print "Total cycles: " $2; print "Compute cycles: " $3}')
got=$(grep -E '^(Total|Compute) cycles: ' "$TMP/con.out")
[ "$want" = "$got" ] || fail "v3 console: cycles '$got', want '$want'"
[ "$(grep -c '^Saving traces: Done!$' "$TMP/con.out")" = 2 ] &&
    [ "$(grep -c '^Average .* SRAM BW: [0-9]*\.[0-9][0-9][0-9] words/cycle$' "$TMP/con.out")" = 6 ] ||
    fail "v3 console: layer blocks"

# The study in v3 mode: its hw cfg reads back under v3, its kept reports have v3's column,
# and --fractions reads that column layout as the study does.
"$REPLAY" --study="$TMP/s" --scalesim=v3 --model=gpt2 --hw=edge --seq=128 --traces=gpt2 \
    >/dev/null 2>"$TMP/stderr" || { fail "--study --scalesim=v3"; cat "$TMP/stderr" >&2; }
"$REPLAY" --scalesim=v3 -c "$TMP/s/hw/edge.cfg" -t "$TMP/s/topologies/gpt2_decode_l128.csv" \
    -i gemm -p "$TMP/srun" --no-traces >/dev/null 2>"$TMP/stderr" ||
    { fail "the v3 study's hw cfg does not replay under v3"; cat "$TMP/stderr" >&2; }
cmp -s "$TMP/srun/edge/COMPUTE_REPORT.csv" "$TMP/s/traces/edge/gpt2_decode_l128/COMPUTE_REPORT.csv" ||
    fail "the v3 study's kept COMPUTE_REPORT differs from mmtrace-replay --scalesim=v3"
head -n 1 "$TMP/srun/edge/COMPUTE_REPORT.csv" | grep -q "incl. prefetch" ||
    fail "v3 COMPUTE_REPORT lacks 'Total Cycles (incl. prefetch)'"
"$REPLAY" --fractions="$TMP/s/topologies/gpt2_decode_l128.parts.csv" "$TMP/srun/edge" >"$TMP/fr" ||
    fail "--fractions on v3 reports"
want=$(sed -n 6p "$TMP/fr" | cut -d, -f1-3)
got=$(sed -n 2p "$TMP/s/fractions.csv" | cut -d, -f4-6)
[ -n "$want" ] && [ "$want" = "$got" ] || fail "--fractions on v3 reports gives '$want', --study '$got'"

if [ "$cases" -lt 37 ] || [ "$own" -lt 5 ]; then
    echo "FAIL: only $cases cases (expected 37) and $own own-trace replays (expected >= 5)" >&2
    exit 1
fi
echo "golden_v3: $cases cases, $files traces compared, $own replays of SCALE-Sim v3's own traces" \
    "(rows served backwards in $backwards cases), $failures failures"
[ "$failures" -eq 0 ]
