#!/bin/sh
# cli_errors.sh - mmtrace-gen's behaviour on bad input and bad usage (tests/bad/).
#
# For every class of bad input: exit status 1, exactly one stderr line
# "mmtrace-gen: FILE:LINE: message" (FILE: message when no line is known), nothing on stdout,
# and no output directory or file created. Usage errors exit 2. Warnings name file:line and the
# run still succeeds. Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
BAD="$MMT_SRCDIR/tests/bad"
need_built "$GEN"
[ -d "$BAD" ] || { echo "cli_errors: no fixtures at $BAD" >&2; exit 1; }

# Runs mmtrace-gen from tests/bad/ (so diagnostics show short relative names) with the given
# arguments; sets $status and leaves stdout/stderr in $TMP/stdout, $TMP/stderr. $TMP/out is an
# existing empty directory; the run writes to $TMP/out/new.
run() {
    rm -rf "$TMP/out" "$TMP/stdout" "$TMP/stderr"
    mkdir "$TMP/out"
    (cd "$BAD" && exec "$GEN" "$@") >"$TMP/stdout" 2>"$TMP/stderr"
    status=$?
}

# Asserts that nothing was created under $TMP/out.
check_nothing_written() { # what
    if [ -n "$(ls -A "$TMP/out")" ]; then
        fail "$1: output was created although the run failed:"
        (cd "$TMP/out" && find . | head -n 5) >&2
    fi
}

# expect_error NAME EXPECTED_PREFIX MESSAGE_GLOB ARGS...: exit 1, a single stderr line that
# starts with EXPECTED_PREFIX ("mmtrace-gen: FILE:LINE: ") and matches MESSAGE_GLOB after it.
expect_error() {
    name=$1 prefix=$2 glob=$3
    shift 3
    tests=$((tests + 1))
    run "$@"
    [ "$status" -eq 1 ] || fail "$name: exit status $status, expected 1"
    nl=$(wc -l <"$TMP/stderr")
    [ "$nl" -eq 1 ] || fail "$name: $nl lines on stderr, expected exactly 1"
    line=$(head -n 1 "$TMP/stderr")
    case $line in
    "$prefix"*) ;;
    *) fail "$name: stderr '$line' does not start with '$prefix'" ;;
    esac
    msg=${line#"$prefix"}
    # shellcheck disable=SC2254
    case $msg in
    $glob) ;;
    *) fail "$name: message '$msg' does not match '$glob'" ;;
    esac
    [ -s "$TMP/stdout" ] && fail "$name: unexpected output on stdout: $(head -n 1 "$TMP/stdout")"
    check_nothing_written "$name"
}

# expect_usage NAME STDERR_GLOB ARGS...: exit 2, first stderr line matches, stdout empty.
expect_usage() {
    name=$1 glob=$2
    shift 2
    tests=$((tests + 1))
    run "$@"
    [ "$status" -eq 2 ] || fail "$name: exit status $status, expected 2"
    line=$(head -n 1 "$TMP/stderr")
    # shellcheck disable=SC2254
    case $line in
    $glob) ;;
    *) fail "$name: first stderr line '$line' does not match '$glob'" ;;
    esac
    [ -s "$TMP/stdout" ] && fail "$name: unexpected output on stdout: $(head -n 1 "$TMP/stdout")"
    check_nothing_written "$name"
}

OUT="$TMP/out/new"
P="mmtrace-gen:"

# ---------------------------------------------------------------- config errors (exit 1)
cfg_err() { # name line glob
    expect_error "$1" "$P $1${2:+:$2}: " "$3" -c "$1" -t good_conv.csv -p "$OUT"
}
cfg_err cfg_missing_key.cfg "" "*missing key*ArrayWidth*"
cfg_err cfg_user_no_bw.cfg "" "*missing key*Bandwidth*"
cfg_err cfg_missing_section.cfg "" "*missing section*run_presets*"
cfg_err cfg_nonint.cfg 5 "*ArrayHeight*expected an integer*four*"
cfg_err cfg_float.cfg 5 "*ArrayHeight*expected an integer*1e3*"
cfg_err cfg_zero_size.cfg 6 "*ArrayWidth*0*must be positive*"
cfg_err cfg_negative_size.cfg 7 "*IfmapSramSzkB*-64*must be positive*"
cfg_err cfg_overflow_int.cfg 5 "*99999999999999999999*overflows*"
cfg_err cfg_offset_below.cfg 10 "*IfmapOffset = -9007199254740993: below -2^53*float64*"
cfg_err cfg_offset_nonint.cfg 12 "*OfmapOffset: expected an integer, got '-2x'"
expect_error cfg_offset_above.cfg "$P good_conv.csv:2: " "*ifmap addresses reach 9007199254741027, past 2^53*float64*" \
    -c cfg_offset_above.cfg -t good_conv.csv -p "$OUT"
cfg_err cfg_overflow_kb.cfg 8 "*FilterSramSzkB*overflows*"
cfg_err cfg_bad_dataflow.cfg 14 "*Dataflow*xs*"
cfg_err cfg_bad_ibw.cfg 18 "*InterfaceBandwidth*AUTO*"
cfg_err cfg_no_section.cfg 1 "*section header*"
cfg_err cfg_dup_option.cfg 15 "*duplicate option*dataflow*"

# ---------------------------------------------------------------- topology errors (exit 1)
topo_err() { # name line glob [itype]
    expect_error "$1" "$P $1:$2: " "$3" -c good.cfg -t "$1" -p "$OUT" -i "${4:-conv}"
}
topo_err topo_few_fields.csv 3 "*at least 8 fields*got 6*"
topo_err topo_few_fields_gemm.csv 3 "*at least 4 fields*got 3*" gemm
topo_err topo_nonint.csv 2 "*IFMAP Width*expected an integer*8x*"
topo_err topo_zero.csv 4 "*Channels*0*must be positive*"
topo_err topo_negative.csv 2 "*Num Filter*-4*must be positive*"
topo_err topo_overflow_int.csv 2 "*99999999999999999999*overflows*"
topo_err topo_product_overflow.csv 3 "*overflows 64 bits*"
topo_err topo_product_overflow_gemm.csv 3 "*overflows 64 bits*" gemm
topo_err topo_filter_larger.csv 3 "*filter 3x9 is larger than the ifmap 8x8*"
topo_err topo_no_layers.csv 3 "*no layers*"
# A conv topology read as GEMM is fine (extra fields are ignored), but a GEMM topology read
# as conv has too few fields.
topo_err good_gemm.csv 2 "*at least 8 fields*got 4 (a GEMM row, Layer, M, N, K? give -i gemm)"
# ... and the warning for a conv row read as GEMM says how it was read (issue 19 item 5).
tests=$((tests + 1))
rm -rf "$TMP/out" && mkdir "$TMP/out"
(cd "$BAD" && "$GEN" -c good.cfg -t good_conv.csv -i gemm -p "$TMP/out") >/dev/null 2>"$TMP/stderr" ||
    fail "conv topology with -i gemm: $(cat "$TMP/stderr")"
grep -q "good_conv.csv:2: warning: .* extra field(s) after field 4 ignored, as SCALE-Sim v2 does (a conv row read as M, N, K = IFMAP Height, IFMAP Width, Filter Height? drop -i gemm to read it as a conv layer)" \
    "$TMP/stderr" || fail "conv topology with -i gemm: no hint: $(cat "$TMP/stderr")"

# ---------------------------------------------------------------- files (exit 1)
expect_error missing-config "$P no_such.cfg: " "*cannot open*" -c no_such.cfg -t good_conv.csv -p "$OUT"
expect_error missing-topology "$P no_such.csv: " "*cannot open*" -c good.cfg -t no_such.csv -p "$OUT"
expect_error directory-as-config "$P .: " "*" -c . -t good_conv.csv -p "$OUT"
# An unreadable file (skipped as root, who can read anything).
cp "$BAD/good.cfg" "$TMP/unreadable.cfg"
chmod 000 "$TMP/unreadable.cfg"
if ! cat "$TMP/unreadable.cfg" >/dev/null 2>&1; then
    expect_error unreadable-config "$P $TMP/unreadable.cfg: " "*cannot open*Permission denied*" \
        -c "$TMP/unreadable.cfg" -t good_conv.csv -p "$OUT"
fi
# Inputs whose copy in the run directory would be wrong: a pipe (read once by the parser, the
# copy would be empty), a cfg and a topology with one file name, a name the run itself uses.
tests=$((tests + 1))
rm -rf "$TMP/out" && mkdir "$TMP/out"
(cd "$BAD" && cat good_conv.csv | "$GEN" -c good.cfg -t /dev/stdin -p "$OUT") \
    >"$TMP/stdout" 2>"$TMP/stderr"
status=$?
[ "$status" -eq 1 ] || fail "stdin-topology: exit status $status, expected 1"
[ "$(cat "$TMP/stderr")" = "$P /dev/stdin: not a regular file (a FIFO or pipe); inputs must be regular files" ] ||
    fail "stdin-topology: stderr '$(cat "$TMP/stderr")'"
[ -s "$TMP/stdout" ] && fail "stdin-topology: output on stdout"
check_nothing_written stdin-topology
mkdir -p "$TMP/a" "$TMP/b"
cp "$BAD/good.cfg" "$TMP/a/same"
cp "$BAD/good_conv.csv" "$TMP/b/same"
expect_error same-basename "$P $TMP/b/same: " \
    "the cfg and the topology have the same file name 'same'*overwrite each other; rename one" \
    -c "$TMP/a/same" -t "$TMP/b/same" -p "$OUT"
cp "$BAD/good_conv.csv" "$TMP/b/COMPUTE_REPORT.csv"
expect_error reserved-basename "$P $TMP/b/COMPUTE_REPORT.csv: " \
    "the run directory uses the name 'COMPUTE_REPORT.csv' itself; rename the file" \
    -c good.cfg -t "$TMP/b/COMPUTE_REPORT.csv" -p "$OUT"
cp "$BAD/good_conv.csv" "$TMP/b/layer3"
expect_error reserved-layer-name "$P $TMP/b/layer3: " "the run directory uses the name 'layer3'*" \
    -c good.cfg -t "$TMP/b/layer3" -p "$OUT"
# LLM lowering with a missing -c: the message names the cfg, not the destination.
expect_error llm-missing-cfg "$P no_such.cfg: " "cannot open: No such file or directory" \
    --model=gpt2 --seq=128 -c no_such.cfg -p "$OUT"
# stdout that cannot be written (a full disk): exit 1 with a message, not a silent 0.
if [ -w /dev/full ]; then
    tests=$((tests + 1))
    (cd "$BAD" && "$GEN" -c good.cfg -t good_conv.csv -p "$OUT") >/dev/full 2>"$TMP/stderr"
    status=$?
    [ "$status" -eq 1 ] || fail "stdout-full: exit status $status, expected 1"
    [ "$(cat "$TMP/stderr")" = "$P standard output: write error: No space left on device" ] ||
        fail "stdout-full: stderr '$(cat "$TMP/stderr")'"
fi

# The output path is a regular file: the run directory cannot be made.
tests=$((tests + 1))
: >"$TMP/afile"
run -c good.cfg -t good_conv.csv -p "$TMP/afile"
[ "$status" -eq 1 ] || fail "output-is-a-file: exit status $status, expected 1"
[ "$(wc -l <"$TMP/stderr")" -eq 1 ] || fail "output-is-a-file: expected one stderr line"
case $(cat "$TMP/stderr") in
"$P $TMP/afile/bad_run: cannot create directory"*) ;;
*) fail "output-is-a-file: stderr '$(cat "$TMP/stderr")'" ;;
esac

# ---------------------------------------------------------------- usage errors (exit 2)
expect_usage no-args "$P *-c, -t and -p are required*"
expect_usage missing-c "$P *-c, -t and -p are required*" -t good_conv.csv -p "$OUT"
expect_usage missing-t "$P *-c, -t and -p are required*" -c good.cfg -p "$OUT"
expect_usage missing-p "$P *-c, -t and -p are required*" -c good.cfg -t good_conv.csv
expect_usage bad-input-type "$P --input-type: expected gemm or conv, got 'mnk'" \
    -c good.cfg -t good_conv.csv -p "$OUT" -i mnk
expect_usage bad-jobs "$P --jobs:*'0'" -c good.cfg -t good_conv.csv -p "$OUT" -j 0
expect_usage bad-jobs-text "$P --jobs:*'two'" -c good.cfg -t good_conv.csv -p "$OUT" -j two
expect_usage bad-gzip-level "$P --gzip-level:*'10'" \
    -c good.cfg -t good_conv.csv -p "$OUT" --gzip-level 10
# An unknown option or a missing argument: one line naming it (with the program's name, not
# argv[0]), then the --help hint, nothing else.
usage_lines() { # name line1
    [ "$(wc -l <"$TMP/stderr")" -eq 2 ] || fail "$1: expected 2 stderr lines: $(cat "$TMP/stderr")"
    [ "$(head -n 1 "$TMP/stderr")" = "$2" ] || fail "$1: first line '$(head -n 1 "$TMP/stderr")'"
    [ "$(sed -n 2p "$TMP/stderr")" = "Try 'mmtrace-gen --help' for more information." ] ||
        fail "$1: no --help hint: $(cat "$TMP/stderr")"
}
expect_usage unknown-option "$P unrecognized option '--bogus'" \
    -c good.cfg -t good_conv.csv -p "$OUT" --bogus
usage_lines unknown-option "$P unrecognized option '--bogus'"
expect_usage unknown-short-option "$P invalid option -- 'x'" -c good.cfg -t good_conv.csv -x
usage_lines unknown-short-option "$P invalid option -- 'x'"
expect_usage missing-argument "$P option requires an argument -- 'p'" -c good.cfg -t good_conv.csv -p
usage_lines missing-argument "$P option requires an argument -- 'p'"
expect_usage missing-long-argument "$P option '--path' requires an argument" \
    -c good.cfg -t good_conv.csv --path
# An empty path is a usage error (-p '' used to write /<run_name> at the filesystem root).
expect_usage empty-p "$P --path: the path is empty" -c good.cfg -t good_conv.csv -p ''
expect_usage empty-path-long "$P --path: the path is empty" -c good.cfg -t good_conv.csv --path=
expect_usage empty-c "$P --config: the path is empty" -c '' -t good_conv.csv -p "$OUT"
expect_usage empty-t "$P --topology: the path is empty" -c good.cfg -t '' -p "$OUT"
expect_usage empty-llm-p "$P --path: the path is empty" --model=gpt2 --seq=128 -p ''
expect_usage empty-llm-c "$P --config: the path is empty" --model=gpt2 --seq=128 -c '' -p "$OUT"
expect_usage extra-argument "$P unexpected argument 'extra'" \
    -c good.cfg -t good_conv.csv -p "$OUT" extra

# ---------------------------------------------------------------- --help, --version (exit 0)
for opt in --help -h; do
    tests=$((tests + 1))
    run "$opt"
    [ "$status" -eq 0 ] || fail "$opt: exit status $status, expected 0"
    head -n 1 "$TMP/stdout" | grep -q '^Usage: mmtrace-gen ' || fail "$opt: no usage on stdout"
    grep -q -- '--config' "$TMP/stdout" || fail "$opt: help does not list --config"
    [ -s "$TMP/stderr" ] && fail "$opt: unexpected stderr: $(cat "$TMP/stderr")"
done
for opt in --version -V; do
    tests=$((tests + 1))
    run "$opt"
    [ "$status" -eq 0 ] || fail "$opt: exit status $status, expected 0"
    grep -q '^mmtrace-gen .*[0-9]\.[0-9]' "$TMP/stdout" || fail "$opt: stdout '$(cat "$TMP/stdout")'"
    [ "$(wc -l <"$TMP/stdout")" -eq 1 ] || fail "$opt: expected one line on stdout"
    [ -s "$TMP/stderr" ] && fail "$opt: unexpected stderr: $(cat "$TMP/stderr")"
done

# ---------------------------------------------------------------- warnings (exit 0)
# Row 3 has no trailing comma: its last field (a second stride, 2) is dropped with a warning,
# so the layer runs with stride 1 both ways: OH=OW=6, P=36, K=18 on 4x4 os gives 9 folds of
# L=18+4+4-2=24 rows (with stride_w 2 it would be 5 folds).
tests=$((tests + 1))
run -c good.cfg -t warn_no_trailing_comma.csv -p "$OUT"
[ "$status" -eq 0 ] || fail "no-trailing-comma: exit status $status, expected 0"
[ "$(wc -l <"$TMP/stderr")" -eq 1 ] || fail "no-trailing-comma: expected exactly one warning line"
case $(head -n 1 "$TMP/stderr") in
"$P warn_no_trailing_comma.csv:3: warning: "*"'2'"*) ;;
*) fail "no-trailing-comma: stderr '$(cat "$TMP/stderr")'" ;;
esac
grep -q '^layer1: os 4x4, 9 folds, 216 rows' "$TMP/stdout" ||
    fail "no-trailing-comma: layer1 summary '$(sed -n 2p "$TMP/stdout")', expected 9 folds, 216 rows"
f="$OUT/bad_run/layer1/IFMAP_SRAM_TRACE.csv.gz"
if [ -f "$f" ]; then
    n=$(gzip -dc "$f" | wc -l)
    [ "$n" -eq 216 ] || fail "no-trailing-comma: $f has $n rows, expected 216"
else
    fail "no-trailing-comma: $f not written"
fi

# USER with a Bandwidth list: SCALE-Sim uses only the first value; warned at its line.
tests=$((tests + 1))
run -c warn_bw_list.cfg -t good_conv.csv -p "$OUT"
[ "$status" -eq 0 ] || fail "bandwidth-list: exit status $status, expected 0"
[ "$(wc -l <"$TMP/stderr")" -eq 1 ] || fail "bandwidth-list: expected exactly one warning line"
case $(head -n 1 "$TMP/stderr") in
"$P warn_bw_list.cfg:13: warning: "*) ;;
*) fail "bandwidth-list: stderr '$(cat "$TMP/stderr")'" ;;
esac
[ -d "$OUT/bad_run/layer1" ] || fail "bandwidth-list: no output written"

# A good run writes what it should and nothing on stderr (the control for the cases above).
# c1: H=10, F=3, S=2 gives the ceil output size 5x5, P=25, K=9, 7 folds of 9+4+4-2=15 rows.
tests=$((tests + 1))
run -c good.cfg -t good_conv.csv -p "$OUT"
[ "$status" -eq 0 ] || fail "good-run: exit status $status: $(cat "$TMP/stderr")"
[ -s "$TMP/stderr" ] && fail "good-run: unexpected stderr: $(cat "$TMP/stderr")"
grep -q '^layer1: os 4x4, 7 folds, 105 rows' "$TMP/stdout" ||
    fail "good-run: layer1 summary '$(sed -n 2p "$TMP/stdout")'"
for l in layer0 layer1; do
    for op in IFMAP FILTER OFMAP; do
        gzip -t "$OUT/bad_run/$l/${op}_SRAM_TRACE.csv.gz" 2>/dev/null ||
            fail "good-run: $l/${op}_SRAM_TRACE.csv.gz missing or not gzip"
    done
done
leftover=$(find "$OUT" -name '*.tmp*' -o -name '.mmtrace-*' | head -n 1)
[ -z "$leftover" ] || fail "good-run: temporary file left behind: $leftover"

echo "cli_errors: $tests tests, $failures failures"
[ "$failures" -eq 0 ]
