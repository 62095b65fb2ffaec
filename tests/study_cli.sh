#!/bin/sh
# study_cli.sh - the LLM study end to end through both programs:
#  * mmtrace-gen --model writes a topology and manifest that mmtrace-replay runs as a GEMM
#    topology; --fractions over that run equals the fractions of --study for the same point;
#  * --study --traces writes reports identical to mmtrace-replay --no-traces on the topology;
#  * the committed topologies/study/ files are what mmtrace-gen --model all writes;
#  * the study is a mode chosen by options: its help, and options of the other mode refused;
#  * the figures: small multiples, a CSV beside each figure, --format, --figure-size and
#    --no-titles, and their usage errors.
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
need_built "$GEN" "$REPLAY"

# 1. gen -> replay --no-traces -> --fractions, against --study.
"$GEN" --model=opt-350m --seq=1024 --hw=edge -p "$TMP/t" >/dev/null || fail "gen --model"
"$REPLAY" -c "$TMP/t/edge.cfg" -t "$TMP/t/opt-350m_decode_l1024.csv" -i gemm -p "$TMP/run" \
    --no-traces >/dev/null || fail "replay of the generated topology"
"$REPLAY" --fractions="$TMP/t/opt-350m_decode_l1024.parts.csv" "$TMP/run/edge" >"$TMP/fr" ||
    fail "--fractions"
"$REPLAY" --study="$TMP/s" --model=opt-350m --hw=edge --seq=1024 --traces=opt-350m >/dev/null ||
    fail "--study"
want=$(sed -n 6p "$TMP/fr" | cut -d, -f1-3)
got=$(sed -n 2p "$TMP/s/fractions.csv" | cut -d, -f4-6)
[ -n "$want" ] && [ "$want" = "$got" ] || fail "--fractions gives '$want', --study '$got'"
cmp -s "$TMP/t/opt-350m_decode_l1024.parts.csv" "$TMP/s/topologies/opt-350m_decode_l1024.parts.csv" ||
    fail "gen and study write different manifests"

# 2. kept traces: reports equal to the fused replay's; six traces per layer.
for r in COMPUTE_REPORT.csv DETAILED_ACCESS_REPORT.csv BANDWIDTH_REPORT.csv; do
    cmp -s "$TMP/run/edge/$r" "$TMP/s/traces/edge/opt-350m_decode_l1024/$r" ||
        fail "--traces $r differs from mmtrace-replay --no-traces"
done
n=$(ls "$TMP/s/traces/edge/opt-350m_decode_l1024/layer7" 2>/dev/null | grep -c 'TRACE.csv.gz$')
[ "$n" = 6 ] || fail "layer7 has $n traces, expected 6"
for f in fractions.csv amdahl.csv fits.csv fit_predictions.csv figures/heatmap_f_compute_edge.svg \
    figures/amdahl_edge_opt-350m.svg hw/edge.cfg; do
    [ -s "$TMP/s/$f" ] || fail "--study wrote no $f"
done

# 3. committed study topologies are reproducible.
"$GEN" --model=all -p "$TMP/all" >/dev/null 2>&1 || fail "gen --model=all"
diff -r -q -x '*.cfg' -x 'README*' "$MMT_SRCDIR/topologies/study" "$TMP/all" >/dev/null ||
    fail "topologies/study differs from mmtrace-gen --model=all"

# 4. errors: bad manifest, bad study options.
printf 'layer,name,part,count,M,N,K\n0,Q,other,1,1,1,1\n' >"$TMP/bad.parts.csv"
"$REPLAY" --fractions="$TMP/bad.parts.csv" "$TMP/run/edge" >/dev/null 2>"$TMP/err"
[ $? = 1 ] && grep -q "bad.parts.csv:2: part must be" "$TMP/err" || fail "bad manifest: $(cat "$TMP/err")"
"$REPLAY" --study="$TMP/x" --hw=tpu >/dev/null 2>&1
[ $? = 2 ] || fail "--hw=tpu is not a usage error"

# 5. report fields SCALE-Sim would not write are refused with file and line (issue 8 item 7).
P="$TMP/t/opt-350m_decode_l1024.parts.csv"
for bad in '1e30' '10727abc'; do
    rm -rf "$TMP/badrun" && cp -r "$TMP/run/edge" "$TMP/badrun"
    sed "3s/^1, [0-9]*,/1, $bad,/" "$TMP/run/edge/COMPUTE_REPORT.csv" >"$TMP/badrun/COMPUTE_REPORT.csv"
    "$REPLAY" --fractions="$P" "$TMP/badrun" >"$TMP/out" 2>"$TMP/err"
    [ $? = 1 ] && [ ! -s "$TMP/out" ] && grep -q "COMPUTE_REPORT.csv:3: field 2: '$bad'" "$TMP/err" ||
        fail "--fractions with $bad: $(cat "$TMP/err")"
done

# 6. study usage errors: one line saying what is wrong, exit 2, nothing on stdout.
many=$(seq -s, 1 257)
for a in --seq=, --model=, --seq=$many --seq=128,128 --model=gpt2,gpt2 --model=all,gpt2 \
    --traces=nosuch --hw=cloud,cloud --hw=tpu "--hw=edge --hw=cloud" "--seq=128 --seq=256" \
    "--dataflow=os --dataflow=ws" "-j1 --jobs=2" "--format=svg --format=svg"; do
    "$REPLAY" --study="$TMP/u" $a >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [ $rc = 2 ] && [ ! -s "$TMP/out" ] && [ "$(wc -l <"$TMP/err")" = 1 ] &&
        grep -q "mmtrace-replay: --[a-z]*: ." "$TMP/err" || fail "$a: exit $rc, '$(cat "$TMP/err")'"
done

# 7. one length: the fits are nan, and a warning says so.
"$REPLAY" --study="$TMP/one" --model=gpt2 --hw=edge --seq=256 >/dev/null 2>"$TMP/err" ||
    fail "--seq=256 alone failed"
grep -q "warning: one sequence length" "$TMP/err" ||
    fail "one length: '$(cat "$TMP/err")'"

# 8. the mode is chosen by options in replay's one getopt pass: --help after --study (as its
#    value or not) prints the study's help; an option of the other mode is a usage error (exit
#    2, one line and the hint, nothing on stdout, nothing written).
for a in "--study --help" "--study=$TMP/h --help" "--help --study=$TMP/h" "--fractions --help" \
    "--study -h"; do
    "$REPLAY" $a >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [ $rc = 0 ] && [ ! -s "$TMP/err" ] && grep -q '^Usage: mmtrace-replay --study=DIR' "$TMP/out" &&
        ! grep -q -- '--no-traces' "$TMP/out" && grep -q -- '--dataflow=LIST' "$TMP/out" ||
        fail "$a: exit $rc, not the study's help: $(head -2 "$TMP/out") $(cat "$TMP/err")"
done
[ -e "$TMP/h" ] || [ -e ./--help ] && fail "--help wrote a study"
"$REPLAY" --help >"$TMP/out" 2>&1 && grep -q -- '--no-traces' "$TMP/out" &&
    grep -q -- '--study=DIR' "$TMP/out" || fail "--help lists both modes"
mode_err() { # first-line-pattern hint args...
    m_pat=$1 m_hint=$2
    shift 2
    "$REPLAY" "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [ $rc = 2 ] && [ ! -s "$TMP/out" ] && [ "$(wc -l <"$TMP/err")" = 2 ] &&
        head -n 1 "$TMP/err" | grep -q "^mmtrace-replay: $m_pat" &&
        [ "$(sed -n 2p "$TMP/err")" = "Try 'mmtrace-replay $m_hint--help' for more information." ] ||
        fail "$*: exit $rc, '$(cat "$TMP/err")'"
}
mode_err "-c: not an option of the study" "--study " --study="$TMP/m" -c "$TMP/t/edge.cfg"
mode_err "--no-traces: not an option of the study" "--study " --no-traces --study="$TMP/m"
mode_err "--compare: not an option of the study" "--study " --fractions="$P" "$TMP/run/edge" \
    --compare="$TMP/run"
mode_err "--hw: a study option" "" -c "$TMP/t/edge.cfg" -t "$TMP/t/opt-350m_decode_l1024.csv" \
    -p "$TMP/r2" --hw=edge
mode_err "--format: a study option" "" --format=svg -p "$TMP/r2" --compare="$TMP/run"
[ -e "$TMP/m" ] || [ -e "$TMP/r2" ] && fail "a usage error wrote output"
"$REPLAY" --study -j 2 >"$TMP/out" 2>"$TMP/err"
[ $? = 2 ] && grep -q "^mmtrace-replay: --study: '-j' looks like an option" "$TMP/err" ||
    fail "--study -j 2: '$(cat "$TMP/err")'"
"$REPLAY" --fractions="$P" "$TMP/run/edge" --model=gpt2 >"$TMP/out" 2>"$TMP/err"
[ $? = 2 ] && [ ! -s "$TMP/out" ] || fail "--fractions with --model: '$(cat "$TMP/err")'"
# options in any order: the shared -j and a study axis before --study
"$REPLAY" -j 1 --seq=256,512 --model=gpt2 --hw=edge --study="$TMP/o" --no-cache --format=svg \
    >"$TMP/out" 2>"$TMP/err" && [ -s "$TMP/o/results.csv" ] || fail "options before --study: $(cat "$TMP/err")"

# 9. figures: the fits and the dataflow comparison as small multiples (one figure per hardware,
#    one panel per model), each figure with the CSV of what it plots; --format, --figure-size
#    and --no-titles. (The layout itself is checked by tests/unit/test_figure.)
"$REPLAY" --study="$TMP/f" --model=gpt2,llama-7b,llama-13b --hw=edge --seq=128,256 \
    --dataflow=os,ws --no-cache --format=svg >/dev/null 2>"$TMP/err" || fail "figures run: $(cat "$TMP/err")"
F=$TMP/f/figures
for g in fits_f_compute_edge_os_decode_b1_plain fits_f_compute_edge_ws_decode_b1_plain \
    dataflows_edge_decode_b1_plain; do
    [ -s "$F/$g.svg" ] && [ ! -e "$F/$g.png" ] || fail "$g: not SVG alone"
    [ "$(sed 1d "$F/$g.csv" | cut -d, -f1 | sort -u | wc -l)" = 3 ] || fail "$g.csv: not 3 panels"
done
[ "$(sed -n 1p "$F/dataflows_edge_decode_b1_plain.csv")" = panel,series,seq,f_compute ] &&
    [ "$(sed 1d "$F/dataflows_edge_decode_b1_plain.csv" | cut -d, -f2 | sort -u | tr '\n' ' ')" = "OS WS " ] ||
    fail "dataflows CSV: $(head -n 3 "$F/dataflows_edge_decode_b1_plain.csv")"
# the heat map's CSV holds its cells: seq x model, and the values of fractions.csv
[ "$(sed -n 1p "$F/heatmap_f_compute_edge_os_decode_b1_plain_llama.csv")" = seq,model,f_compute ] &&
    [ "$(sed 1d "$F/heatmap_f_compute_edge_os_decode_b1_plain_llama.csv" | wc -l)" = 4 ] ||
    fail "heat map CSV: $(cat "$F/heatmap_f_compute_edge_os_decode_b1_plain_llama.csv")"
# ... and its values are results.csv's f_compute at 6 decimals (edge, OS, the LLaMA models)
awk -F, 'FNR == 1 { next }
    NR == FNR { if ($1 == "edge" && $2 == "os") want[$3 "," $7] = $8; next }
    { n++; if (!(($2 "," $1) in want) || sprintf("%.6f", $3) != want[$2 "," $1]) bad++ }
    END { exit !(n == 4 && !bad) }' "$TMP/f/results.csv" \
    "$F/heatmap_f_compute_edge_os_decode_b1_plain_llama.csv" ||
    fail "heat map CSV values differ from results.csv"
ls "$F" | grep -q '^fit_f_compute_' && fail "a fit figure per model (not small multiples)"
# titles in words, never a file-name key
grep -l 'decode_b1' "$F"/*.svg >/dev/null 2>&1 && fail "a file-name key in an SVG"
# formats and sizes: PNG and PDF by their magic, the column preset 3.3 in (237.6 pt) wide
"$REPLAY" --study="$TMP/g" --model=gpt2,opt-350m --hw=edge --seq=128,256 --no-cache \
    --format=png,pdf --figure-size=column >/dev/null 2>"$TMP/err" || fail "png,pdf run: $(cat "$TMP/err")"
G=$TMP/g/figures/heatmap_f_compute_edge
[ "$(head -c 4 "$G.png" | od -An -c | tr -d ' ')" = '211PNG' ] || fail "$G.png is not a PNG"
[ "$(head -c 4 "$G.pdf")" = '%PDF' ] || fail "$G.pdf is not a PDF"
[ ! -e "$G.svg" ] && [ -s "$G.csv" ] || fail "--format=png,pdf: an SVG, or no CSV"
"$REPLAY" --study="$TMP/h" --model=gpt2,opt-350m --hw=edge --seq=128,256 --no-cache \
    --figure-size=column --format=svg >/dev/null 2>&1
"$REPLAY" --study="$TMP/h2" --model=gpt2,opt-350m --hw=edge --seq=128,256 --no-cache \
    --figure-size=column --no-titles --format=svg >/dev/null 2>&1
H=figures/heatmap_f_compute_edge.svg
grep -q '<svg [^>]*width="237.6pt"' "$TMP/h/$H" || fail "--figure-size=column: $(grep '<svg ' "$TMP/h/$H")"
h1=$(sed -n 's/^<svg .* height="\([0-9.]*\)pt".*/\1/p' "$TMP/h/$H")
h2=$(sed -n 's/^<svg .* height="\([0-9.]*\)pt".*/\1/p' "$TMP/h2/$H")
awk -v a="$h1" -v b="$h2" 'BEGIN { exit !(b + 10 < a) }' || fail "--no-titles: height $h2, titled $h1"
grep -q '<svg [^>]*width="504pt"' "$TMP/f/figures/dataflows_edge_decode_b1_plain.svg" ||
    fail "the page preset is not 7 in (504 pt) wide"
usage_err() { # MESSAGE ARGS...: exit 2, the message, nothing written
    want=$1
    shift
    "$REPLAY" --study="$TMP/u" --no-cache "$@" >"$TMP/out" 2>"$TMP/err"
    [ $? = 2 ] && [ "$(head -n 1 "$TMP/err")" = "mmtrace-replay: $want" ] && [ ! -e "$TMP/u" ] ||
        fail "$*: '$(cat "$TMP/err")'"
}
usage_err "--figure-size: expected column or page, got 'wide'" --figure-size=wide
usage_err "--format: expected svg, png or pdf, got 'jpg'" --format=svg,jpg

[ $failures = 0 ] && echo "study_cli: all checks passed"
exit $((failures != 0))
