#!/bin/sh
# golden_gen.sh - runs mmtrace-gen on every CALC-mode reference case under tests/golden/ and
# compares the three SRAM traces of every layer, after decompression, with the real SCALE-Sim v2
# output (in CALC mode nothing stalls, so SCALE-Sim's SRAM traces are the stall-free ones that
# mmtrace-gen writes). Cases that keep only a traces.sha256 (too big to store) are compared by
# the SHA-256 of the decompressed output. Also checks that the cfg and topology are copied into
# OUTDIR/<run_name>/. Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
OPS="IFMAP FILTER OFMAP"

need_built "$GEN"

# Compares one decompressed output trace with a fixture (.csv.gz, or a sha256 line).
check_trace() { # case out_gz rel  (POSIX sh has no locals: t_* names are this function's)
    t_case=$1 t_out=$2 t_rel=$3
    files=$((files + 1))
    if [ ! -f "$t_out" ]; then
        fail "$t_case: $t_rel: mmtrace-gen did not write $t_out"
        return
    fi
    if ! gzip -t "$t_out" 2>/dev/null; then
        fail "$t_case: $t_rel: output is not a valid gzip file"
        return
    fi
    if [ -f "$GOLDEN/$t_case/$t_rel.gz" ]; then
        gzip -dc "$GOLDEN/$t_case/$t_rel.gz" >"$TMP/want"
        gzip -dc "$t_out" >"$TMP/got"
        if ! cmp -s "$TMP/want" "$TMP/got"; then
            fail "$t_case: $t_rel differs from the SCALE-Sim reference (< reference, > mmtrace-gen):"
            diff "$TMP/want" "$TMP/got" | head -n 6 >&2
        fi
    elif [ -f "$GOLDEN/$t_case/traces.sha256" ]; then
        t_want=$(awk -v f="$t_rel" '$2 == f { print $1 }' "$GOLDEN/$t_case/traces.sha256")
        t_got=$(gzip -dc "$t_out" | sha256)
        if [ -z "$t_want" ]; then
            fail "$t_case: $t_rel has no line in traces.sha256"
        elif [ "$t_want" != "$t_got" ]; then
            fail "$t_case: $t_rel: decompressed sha256 $t_got, expected $t_want"
        fi
    else
        fail "$t_case: no fixture for $t_rel"
    fi
}

for dir in "$GOLDEN"/*/; do
    golden_case "$dir" || continue
    [ "$(cfg_get "$cfg" InterfaceBandwidth)" = CALC ] || continue # USER mode stalls
    cases=$((cases + 1))
    out="$TMP/$c"
    run_gen "$c" "$out" -c "$cfg" -t "$dir/topology.csv" -i "$itype" -j 2 || continue
    if [ -s "$TMP/stderr" ]; then
        fail "$c: unexpected output on stderr:"
        cat "$TMP/stderr" >&2
    fi
    for f in config.cfg topology.csv; do
        cmp -s "$dir/$f" "$out/$run/$f" || fail "$c: $f not copied to OUTDIR/$run/$f"
    done
    # The layers SCALE-Sim wrote, from the fixture (traces or the sha256 list).
    layers=$(cd "$dir" && { ls -d layer* 2>/dev/null; [ -f traces.sha256 ] &&
        sed -n 's|.*[[:space:]]\(layer[0-9]*\)/.*|\1|p' traces.sha256; } | sort -u)
    [ -n "$layers" ] || fail "$c: fixture has no layers"
    for l in $layers; do
        for op in $OPS; do
            check_trace "$c" "$out/$run/$l/${op}_SRAM_TRACE.csv.gz" "$l/${op}_SRAM_TRACE.csv"
        done
    done
    # No extra layers beyond the reference.
    nwant=$(echo "$layers" | wc -l)
    ngot=$(ls -d "$out/$run"/layer* | wc -l)
    [ "$nwant" -eq "$ngot" ] || fail "$c: $ngot layer directories written, expected $nwant"
    rm -rf "$out"
done

if [ "$cases" -lt 1 ]; then
    echo "FAIL: no CALC-mode cases found under $GOLDEN" >&2
    exit 1
fi
echo "golden_gen: $cases cases, $files traces compared, $failures failures"
[ "$failures" -eq 0 ]
