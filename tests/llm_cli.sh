#!/bin/sh
# llm_cli.sh - mmtrace-gen's LLM lowering from the command line (issue 11, issue 8 item 7):
#  * every input is checked before anything is written: a bad config after good ones, two
#    requests for one file, a bad -c leave no output directory and nothing on stdout;
#  * long option lists are read whole (no fixed-size buffer cuts --seq), empty items refused;
#  * the family table's refusals reach the user as one line, exit 1;
#  * grouped attention is the default, --attention=per-head the old mapping;
#  * a model with windowed and global layers writes the manifest's layers column.
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
LLM="$MMT_SRCDIR/tests/llm"
need_built "$GEN"

# expect STATUS OUTDIR NEEDLE ARGS...: runs gen, wants that exit status, nothing on stdout,
# one stderr line containing NEEDLE, and no OUTDIR afterwards.
expect() {
    want=$1 out=$2 needle=$3
    shift 3
    "$GEN" "$@" -p "$out" >"$TMP/stdout" 2>"$TMP/stderr"
    got=$?
    [ "$got" = "$want" ] || fail "$*: exit $got, want $want"
    [ -s "$TMP/stdout" ] && fail "$*: wrote to stdout: $(head -1 "$TMP/stdout")"
    grep -qF -- "$needle" "$TMP/stderr" || fail "$*: stderr lacks '$needle': $(cat "$TMP/stderr")"
    [ "$(wc -l <"$TMP/stderr")" -le 2 ] || fail "$*: more than one message: $(cat "$TMP/stderr")"
    [ -e "$out" ] && fail "$*: $out was created"
}

# 1. Nothing written when a later input is bad (the first models were written before).
expect 1 "$TMP/o1" "bert.json: unknown model_type \"bert\"" \
    --model=gpt2 --hf-config="$LLM/llama31.json" --hf-config="$LLM/bert.json" --seq=128
expect 1 "$TMP/o2" "multi-head latent attention" --hf-config="$LLM/deepseek_v2.json"
expect 1 "$TMP/o3" "two requests write this file" --model=gpt2,gpt2 --seq=128
expect 1 "$TMP/o4" "cannot open" --model=gpt2 --seq=128 -c "$TMP/no-such.cfg"
expect 1 "$TMP/o5" "bad_heads.json: hidden size 1000 is not divisible by 12 heads" \
    --model=gpt2 --seq=128 --hf-config="$LLM/bad_heads.json"
expect 2 "$TMP/o6" "--seq: empty item" --model=gpt2 --seq=128,,256
expect 2 "$TMP/o7" "--seq: empty item" --model=gpt2 --seq=128,
expect 2 "$TMP/o8" "--model: empty item" --model=gpt2, --seq=128
expect 2 "$TMP/o9" "--attention: expected grouped or per-head" --model=gpt2 --attention=flat
# The mode is chosen by options in gen's one getopt pass: --model/--hf-config make a lowering,
# whichever comes first; an option of the other mode is a usage error, not ignored.
expect 2 "$TMP/m1" "--topology applies to trace generation" -t x.csv --model=gpt2 --seq=128
expect 2 "$TMP/m2" "--jobs applies to trace generation" --model=gpt2 -j 2 --seq=128
expect 2 "$TMP/m3" "--gzip-level applies to trace generation" --model=gpt2 --gzip-level=3
expect 2 "$TMP/m4" "--seq needs --model or --hf-config" -c x.cfg -t x.csv --seq=128
expect 2 "$TMP/m5" "--hw needs --model or --hf-config" --hw=edge
"$GEN" --seq=128 --help >"$TMP/help" 2>&1 && grep -q -- "--hf-config" "$TMP/help" &&
    grep -q -- "--topology" "$TMP/help" || fail "--seq --help: not the whole help"

# 2. A --seq list longer than 1023 characters is read whole: 60 lengths, zero-padded to 19
#    characters each (1199 characters), give 60 topologies.
seqs=$(i=1; while [ $i -le 60 ]; do printf '%019d,' $((i * 16)); i=$((i + 1)); done)
seqs=${seqs%,}
[ ${#seqs} -gt 1023 ] || fail "the --seq list is only ${#seqs} characters"
"$GEN" --model=gpt2 --seq="$seqs" -p "$TMP/long" >/dev/null 2>"$TMP/stderr" ||
    fail "long --seq: $(cat "$TMP/stderr")"
n=$(ls "$TMP/long" | grep -c '^gpt2_decode_l[0-9]*\.csv$')
[ "$n" = 60 ] || fail "long --seq: $n topologies, want 60"
[ -f "$TMP/long/gpt2_decode_l960.csv" ] || fail "long --seq: the last length (960) is missing"

# 3. Grouped attention by default (Llama-3.1-8B: 8 KV heads of 4 query heads), per-head on
#    request; MHA presets give the same rows either way.
"$GEN" --model=llama-3.1-8b --seq=2048 -p "$TMP/g" >/dev/null || fail "llama-3.1-8b grouped"
grep -qx '7,QKt,matmul,8,4,2048,128' "$TMP/g/llama-3.1-8b_decode_l2048_gated.parts.csv" ||
    fail "grouped QKt row: $(grep QKt "$TMP/g/llama-3.1-8b_decode_l2048_gated.parts.csv")"
"$GEN" --model=llama-3.1-8b --seq=2048 --attention=per-head -p "$TMP/g" >/dev/null ||
    fail "llama-3.1-8b per-head"
grep -qx '7,QKt,matmul,32,1,2048,128' \
    "$TMP/g/llama-3.1-8b_decode_l2048_gated_perhead.parts.csv" || fail "per-head QKt row"
"$GEN" --model=gpt2 --seq=128 -p "$TMP/a" >/dev/null && "$GEN" --model=gpt2 --seq=128 \
    --attention=per-head -p "$TMP/b" >/dev/null || fail "gpt2 both mappings"
cmp -s "$TMP/a/gpt2_decode_l128.parts.csv" "$TMP/b/gpt2_decode_l128_perhead.parts.csv" ||
    fail "gpt2: grouped and per-head rows differ"

# 4. Gemma-2 past its window: two attention kinds and the layers column.
"$GEN" --hf-config="$LLM/gemma2.json" --seq=8192 -p "$TMP/g2" >/dev/null || fail "gemma2"
m="$TMP/g2/gemma-2-2b_decode_l8192_gated.parts.csv"
head -1 "$m" | grep -qx 'layer,name,part,count,M,N,K,layers' || fail "gemma2 header: $(head -1 "$m")"
grep -qx '9,QKt_local,matmul,4,2,4096,256,13' "$m" || fail "gemma2 windowed row"
grep -qx '7,QKt,matmul,4,2,8192,256,13' "$m" || fail "gemma2 global row"

# 5. --scalesim=v3: the preset cfg carries v3's keys and replays under v3; the v2 cfg does not;
#    a -c cfg that v3 cannot read is refused before anything is written.
"$GEN" --model=gpt2 --seq=128 --scalesim=v3 -p "$TMP/v3" >/dev/null || fail "--scalesim=v3 lowering"
"$REPLAY" --scalesim=v3 -c "$TMP/v3/cloud.cfg" -t "$TMP/v3/gpt2_decode_l128.csv" -i gemm \
    -p "$TMP/v3/run" --no-traces >/dev/null 2>&1 || fail "v3 lowering: its cfg does not replay under v3"
"$REPLAY" --scalesim=v3 -c "$TMP/a/cloud.cfg" -t "$TMP/a/gpt2_decode_l128.csv" -i gemm \
    -p "$TMP/v3/run2" --no-traces >/dev/null 2>&1 && fail "a v2 cfg replayed under v3"
expect 1 "$TMP/v3c" "missing key" --model=gpt2 --seq=128 --scalesim=v3 -c "$TMP/a/cloud.cfg"
expect 2 "$TMP/v3u" "--scalesim" --model=gpt2 --seq=128 --scalesim=v4

# A second value of an option never silently replaces the first: --model and --hf-config add,
# any other given twice is a usage error (issue 19 item 5, as in the study).
expect 2 "$TMP/tw1" "--seq: given twice" --model=gpt2 --seq=128 --seq=256
expect 2 "$TMP/tw2" "--hw: given twice" --model=gpt2 --seq=128 --hw=edge --hw=cloud
expect 2 "$TMP/tw3" "--phase: given twice" --model=gpt2 --seq=128 --phase=decode --phase=prefill
"$GEN" --model=gpt2 --model=opt-350m --seq=128 -p "$TMP/tw4" >/dev/null 2>&1 &&
    [ -s "$TMP/tw4/opt-350m_decode_l128.csv" ] && [ -s "$TMP/tw4/gpt2_decode_l128.csv" ] ||
    fail "--model twice did not add"

[ "$failures" = 0 ] || exit 1
exit 0
