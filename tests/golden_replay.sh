#!/bin/sh
# golden_replay.sh - mmtrace-gen then mmtrace-replay on every reference case under
# tests/golden/, compared with the real SCALE-Sim v2 output:
#   * the three reports (COMPUTE against the Python 3.12 variant COMPUTE_REPORT.py312sum.csv),
#     byte for byte, and the console output against stdout.txt (replay runs in the case
#     directory, so the "CSV file path:" line names topology.csv as SCALE-Sim's did);
#   * all six traces of every layer after decompression (alexnet, which keeps only
#     traces.sha256, by the SHA-256 of the decompressed traces);
#   * --no-traces (the fused model) gives the same reports;
#   * --compare against the case directory exits 0, and against a copy with one trace row
#     and one report field altered exits 1 and names them;
#   * for the USER-mode stall cases, replaying SCALE-Sim's own decompressed SRAM traces gives
#     the same reports and traces, and the plain input traces are kept (two of them with
#     negative offsets: negative addresses, and real -1s read as idle slots).
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
OPS="IFMAP FILTER OFMAP"
KINDS="SRAM DRAM"
REPORTS="COMPUTE_REPORT.csv BANDWIDTH_REPORT.csv DETAILED_ACCESS_REPORT.csv"
own=0

need_built "$GEN" "$REPLAY"


# Compares decompressed trace $2 with the fixture $1/$3(.gz or sha256); $4 names the run.
check_trace() {
    files=$((files + 1))
    if [ ! -f "$2" ]; then
        fail "$4: $3 was not written"
    elif [ -f "$1/$3.gz" ]; then
        gzip -dc "$1/$3.gz" >"$TMP/want"
        gzip -dc "$2" >"$TMP/got"
        if ! cmp -s "$TMP/want" "$TMP/got"; then
            fail "$4: $3 differs from SCALE-Sim (< reference, > mmtrace):"
            diff "$TMP/want" "$TMP/got" | head -n 4 | cut -c 1-200 >&2
        fi
    elif [ -f "$1/traces.sha256" ]; then
        want=$(awk -v f="$3" '$2 == f { print $1 }' "$1/traces.sha256")
        got=$(gzip -dc "$2" | sha256)
        [ -n "$want" ] && [ "$want" = "$got" ] ||
            fail "$4: $3: decompressed sha256 $got, expected ${want:-nothing}"
    else
        fail "$4: no fixture for $3"
    fi
}

# The layers of a case, from its traces or its sha256 list.
case_layers() {
    (cd "$1" && { ls -d layer* 2>/dev/null; [ -f traces.sha256 ] &&
        sed -n 's|.*[[:space:]]\(layer[0-9]*\)/.*|\1|p' traces.sha256; } | sort -u)
}

# Checks all six traces of every layer of run dir $2 against case dir $1.
check_traces() {
    for l in $(case_layers "$1"); do
        for k in $KINDS; do
            for op in $OPS; do
                check_trace "$1" "$2/$l/${op}_${k}_TRACE.csv.gz" "$l/${op}_${k}_TRACE.csv" "$3"
            done
        done
    done
}

# Replays SCALE-Sim's own SRAM traces of case $1 (decompressed, plain .csv) into $2.
replay_own() { # dir out itype run
    for l in $(case_layers "$1"); do
        mkdir -p "$2/$4/$l"
        for op in $OPS; do
            gzip -dc "$1/$l/${op}_SRAM_TRACE.csv.gz" >"$2/$4/$l/${op}_SRAM_TRACE.csv"
        done
    done
    (cd "$1" && "$REPLAY" -c config.cfg -t topology.csv -p "$2" -i "$3") >/dev/null 2>"$TMP/stderr" ||
        { fail "$c (own traces): replay exited with status $?:"; cat "$TMP/stderr" >&2; return; }
    check_reports "$1" "$2/$4" "$c (own traces)"
    check_traces "$1" "$2/$4" "$c (own traces)"
    for l in $(case_layers "$1"); do
        for op in $OPS; do
            gzip -dc "$1/$l/${op}_SRAM_TRACE.csv.gz" | cmp -s - "$2/$4/$l/${op}_SRAM_TRACE.csv" ||
                fail "$c (own traces): input $l/${op}_SRAM_TRACE.csv was not kept as it was"
        done
    done
    own=$((own + 1))
}

# --compare against a copy of case $1 with one trace row and one report field changed.
compare_altered() { # dir rundir
    alt="$TMP/altered"
    rm -rf "$alt"
    cp -R "$1" "$alt"
    t=layer1/OFMAP_DRAM_TRACE.csv
    gzip -dc "$1/$t.gz" | sed '3s/^[^,]*,/999999.0,/' >"$alt/$t"
    rm "$alt/$t.gz"
    sed '3s/^1, [0-9]*,/1, 424242,/' "$1/COMPUTE_REPORT.csv" >"$alt/COMPUTE_REPORT.csv"
    "$REPLAY" -p "$2" --compare "$alt" >"$TMP/cmp" 2>&1
    rc=$?
    [ "$rc" -eq 1 ] || fail "$c: --compare against an altered copy exited $rc, expected 1"
    grep -q "OFMAP_DRAM_TRACE.csv *first difference at line 3" "$TMP/cmp" &&
        grep -q "REFDIR: 999999.0," "$TMP/cmp" ||
        fail "$c: --compare does not name the altered trace row:$(echo; cat "$TMP/cmp")"
    grep -q "^1 .*COMPUTE_REPORT.csv: Total Cycles .*'424242' in REFDIR" "$TMP/cmp" ||
        fail "$c: --compare does not name the altered report field:$(echo; cat "$TMP/cmp")"
}

for dir in "$GOLDEN"/*/; do
    dir=${dir%/}
    golden_case "$dir" || continue
    cases=$((cases + 1))
    out="$TMP/$c"
    run_gen "$c" "$out" -c "$cfg" -t "$dir/topology.csv" -i "$itype" -j 2 || continue
    # Replay from the case directory, as SCALE-Sim was run there.
    if ! (cd "$dir" && "$REPLAY" -c config.cfg -t topology.csv -p "$out" -i "$itype" -j 2) \
        >"$TMP/stdout" 2>"$TMP/stderr"; then
        fail "$c: mmtrace-replay exited with status $?:"
        cat "$TMP/stderr" >&2
        continue
    fi
    [ -s "$TMP/stderr" ] && { fail "$c: unexpected stderr:"; cat "$TMP/stderr" >&2; }
    cmp -s "$dir/stdout.txt" "$TMP/stdout" ||
        { fail "$c: console output differs:"; diff "$dir/stdout.txt" "$TMP/stdout" | head -n 6 >&2; }
    check_reports "$dir" "$out/$run" "$c"
    check_traces "$dir" "$out/$run" "$c"
    ls "$out/$run"/layer*/*.replay-* >/dev/null 2>&1 && fail "$c: staged files left behind"

    # Fused model: same reports, no trace read or written.
    fused="$TMP/$c.fused"
    mkdir "$fused"
    if (cd "$dir" && "$REPLAY" -c config.cfg -t topology.csv -p "$fused" -i "$itype" \
        --no-traces -j 2) >"$TMP/stdout" 2>"$TMP/stderr"; then
        check_reports "$dir" "$fused/$run" "$c (--no-traces)"
        ls "$fused/$run"/layer* >/dev/null 2>&1 && fail "$c (--no-traces): wrote traces"
        grep -v '^Saving traces: Done!$' "$dir/stdout.txt" | cmp -s - "$TMP/stdout" ||
            fail "$c (--no-traces): console output differs"
    else
        fail "$c (--no-traces): exited with status $?:"
        cat "$TMP/stderr" >&2
    fi

    # Compare with SCALE-Sim's output (the case directory is a run directory).
    # (alexnet keeps no traces: its traces are skipped with a note.)
    "$REPLAY" -p "$out/$run" --compare "$dir" >"$TMP/cmp" 2>&1 ||
        { fail "$c: --compare against the fixture exited $?:"; cat "$TMP/cmp" >&2; }
    grep -q "^Identical: 3 reports" "$TMP/cmp" || fail "$c: --compare did not say Identical"
    case $c in
    a_gemm_8x8_os_user1k_bw2)
        compare_altered "$dir" "$out/$run"
        # Replay again over the replayed (stall-adjusted) traces, then compare in the same
        # command with REFDIR given as the parent of <run_name>/.
        mkdir "$TMP/parent"
        cp -R "$dir" "$TMP/parent/$run"
        (cd "$dir" && "$REPLAY" -c config.cfg -t topology.csv -p "$out" -i "$itype" \
            --compare "$TMP/parent") >"$TMP/cmp" 2>&1 ||
            { fail "$c: replay --compare exited $?:"; cat "$TMP/cmp" >&2; }
        grep -q "^Identical: 3 reports (4 layers), 24 traces" "$TMP/cmp" ||
            fail "$c: replay --compare did not compare 4 layers and 24 traces"
        check_traces "$dir" "$out/$run" "$c (second replay)"
        rm -rf "$TMP/parent"
        ;;
    esac
    # SCALE-Sim's own traces, for USER-mode cases with read or write stalls.
    case $c in
    a_gemm_8x8_ws_user1k_bw2 | b_gemm_4x16_os_user1k_bw2 | c_conv_8x8_os_user1k_bw2 | \
        f_edge_gemm_8x8_is_user1k_bw1 | n_neg_gemm_4x4_os_user1k_bw2 | n_allneg_gemm_4x4_os_user1k_bw2)
        mkdir "$TMP/$c.own"
        replay_own "$dir" "$TMP/$c.own" "$itype" "$run"
        rm -rf "$TMP/$c.own"
        ;;
    esac
    rm -rf "$out" "$fused"
done

if [ "$cases" -lt 52 ] || [ "$own" -lt 6 ]; then
    echo "FAIL: only $cases cases (expected 52) and $own own-trace replays (expected 6)" >&2
    exit 1
fi
echo "golden_replay: $cases cases, $files traces compared, $own replays of SCALE-Sim's own traces, $failures failures"
[ "$failures" -eq 0 ]
