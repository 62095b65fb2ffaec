#!/bin/sh
# study_outputs.sh - the study directory is one consistent result, names are data, and the
# layer cache is not fooled (issue 19 items 2-4; doc/study.md "The study directory"):
#   dir    a second study into a locked directory fails at once; a kill between the renames
#          leaves the incomplete marker, which --fractions refuses, and a rerun clears it; a
#          rerun with fewer models and hardware removes the files the earlier study wrote that
#          it does not write, and keeps a user's own files;
#   names  a .cfg stem with quotes and a space is one quoted results.csv field and a
#          safe file name (one-to-one: 'a b' and 'a%20b' do not meet); a stem with a newline
#          or an ANSI escape, and an empty stem, are refused with one line and nothing made;
#          a config.json _name_or_path with a quote is quoted in the tables; control
#          characters of a path in a message are shown as \xHH;
#   cache  an entry path that is a directory, a full cache and a read-only one: the study runs
#          on without caching and says so once; killed writers' temporaries are removed (not a user's file); --cache= is a
#          usage error and an over-long cache path is refused before anything is created.
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
need_built "$REPLAY"

EDGE="$MMT_SRCDIR/topologies/hw/edge.cfg"
C="$TMP/cache"
study() { # DIR [OPTION]...: a small study (two lengths) into DIR, cache C
    d=$1
    shift
    "$REPLAY" --study="$d" --cache="$C" --seq=128,256 --format=svg "$@"
}

# --- dir: the lock. A held lock (flock(1) here, a running study in use) refuses a second.
S="$TMP/s"
study "$S" --hw=edge --model=gpt2 >/dev/null 2>&1 || fail "first study"
if command -v flock >/dev/null 2>&1; then
    flock "$S/.mmtrace-study.lock" sleep 3 &
    sleep 0.5
    study "$S" --hw=edge --model=gpt2 >"$TMP/out" 2>"$TMP/err"
    check_one_line "locked dir" 1 $? "$TMP/err" "*another study is writing this directory*"
    [ -s "$TMP/out" ] && fail "locked dir: output on stdout"
    wait
else
    echo "study_outputs: no flock(1); lock case skipped"
fi

# --- dir: a kill between the renames leaves the marker; --fractions refuses; a rerun clears it.
K="$TMP/k"
study "$K" --hw=edge --model=opt-350m >/dev/null 2>&1 || fail "study before the kill"
MMTRACE_TEST_KILL_AFTER=3 "$REPLAY" --format=svg --study="$K" --cache="$C" --hw=edge --model=gpt2 \
    --seq=128,256 >/dev/null 2>&1
[ -f "$K/.mmtrace-incomplete" ] || fail "killed study: no incomplete marker"
"$REPLAY" -c "$EDGE" -t "$K/topologies/opt-350m_decode_l128.csv" -i gemm -p "$TMP/run" \
    --no-traces >/dev/null 2>&1 || fail "replay for --fractions"
"$REPLAY" --fractions="$K/topologies/opt-350m_decode_l128.parts.csv" "$TMP/run/edge" \
    >"$TMP/out" 2>"$TMP/err"
check_one_line "--fractions in a killed study" 1 $? "$TMP/err" "*incomplete*"
"$REPLAY" --format=svg --study="$K" --cache="$C" --hw=edge --model=gpt2 --seq=128,256 >/dev/null 2>&1 ||
    fail "rerun after the kill"
[ -f "$K/.mmtrace-incomplete" ] && fail "rerun left the marker"
ls "$K/topologies" | grep -q opt-350m && fail "rerun kept the killed study's predecessor's files"

# --- dir: a rerun with fewer models and hardware removes only what the earlier study wrote.
R="$TMP/r"
study "$R" --hw=cloud,edge --model=gpt2,opt-350m >/dev/null 2>&1 || fail "wide study"
for f in hw/cloud.cfg figures/amdahl_cloud_opt-350m.svg topologies/opt-350m_decode_l128.csv; do
    [ -f "$R/$f" ] || fail "wide study wrote no $f"
done
echo mine >"$R/notes.txt"
echo mine >"$R/figures/mine.txt"
echo mine >"$R/topologies/opt-350m_decode_l999.csv"
mkdir -p "$R/traces" && echo mine >"$R/traces/keep.txt"
study "$R" --hw=edge --model=gpt2 >/dev/null 2>&1 || fail "narrow study"
for f in hw/cloud.cfg figures/amdahl_cloud_opt-350m.svg figures/amdahl_edge_opt-350m.svg \
    topologies/opt-350m_decode_l128.csv topologies/opt-350m_decode_l128.parts.csv \
    figures/heatmap_f_compute_cloud.svg; do
    [ -e "$R/$f" ] && fail "narrow study kept the wide study's $f"
done
for f in notes.txt figures/mine.txt topologies/opt-350m_decode_l999.csv traces/keep.txt \
    hw/edge.cfg results.csv figures/amdahl_edge_gpt2.svg; do
    [ -f "$R/$f" ] || fail "narrow study removed $f"
done
grep -q opt-350m "$R/results.csv" && fail "narrow results.csv lists opt-350m"
grep -q notes.txt "$R/.mmtrace-study-files" && fail "the manifest lists a user's file"
# A manifest edited to name files outside DIR, or a link, removes none of them.
echo victim >"$TMP/victim.txt"
echo victim >"$R/linked.txt"
ln -s "$TMP/victim.txt" "$R/figures/link.svg"
printf '../victim.txt\n%s/victim.txt\nfigures/../../victim.txt\nfigures/link.svg\nlinked.txt/\n' \
    "$TMP" >>"$R/.mmtrace-study-files"
study "$R" --hw=edge --model=gpt2 >/dev/null 2>&1 || fail "study after an edited manifest"
[ -f "$TMP/victim.txt" ] || fail "an edited manifest removed a file outside the study dir"
[ -L "$R/figures/link.svg" ] || fail "an edited manifest removed a link"
[ -f "$R/linked.txt" ] || fail "an edited manifest removed 'linked.txt/'"

# --- names: a stem with quotes and a space: one quoted field, a safe file name. (A comma
#     cannot reach a name: --hw splits at it, and model names have it as '_'.)
N="$TMP/n"
cp "$EDGE" "$TMP/a \"b\" c.cfg"
cp "$EDGE" "$TMP/a b.cfg"
cp "$EDGE" "$TMP/a%20b.cfg"
study "$N" --model=gpt2 --hw="$TMP/a \"b\" c.cfg,$TMP/a b.cfg,$TMP/a%20b.cfg" >/dev/null \
    2>"$TMP/err" || fail "names with quotes and a space: $(cat "$TMP/err")"
rows=$(grep -c '^"a ""b"" c",' "$N/results.csv")
[ "$rows" = 2 ] || fail "results.csv: $rows rows of the quoted name, expected 2"
[ "$(wc -l <"$N/results.csv")" = 7 ] || fail "results.csv: $(wc -l <"$N/results.csv") lines, expected 7"
grep -q '^a b,' "$N/fractions.csv" || fail "fractions.csv: no row of 'a b'"
for f in 'hw/a%20%22b%22%20c.cfg' 'hw/a%20b.cfg' 'hw/a%2520b.cfg' \
    'figures/amdahl_a%20%22b%22%20c_gpt2.svg' 'figures/heatmap_f_compute_a%20b.svg' \
    'figures/heatmap_f_compute_a%2520b.svg'; do
    [ -f "$N/$f" ] || fail "names: no $f"
done
[ "$(cfg_get "$N/hw/a%20b.cfg" run_name)" = 'a%%20b' ] || fail "hw cfg run_name: $(cfg_get "$N/hw/a%20b.cfg" run_name)"

# --- names: a newline, an ANSI escape, an empty stem: refused, one line, nothing made.
nl='
'
esc=$(printf '\033')
for stem in "x${nl}y" "x${esc}[31mred" ""; do
    cp "$EDGE" "$TMP/$stem.cfg"
    rm -rf "$TMP/bad"
    study "$TMP/bad" --model=gpt2 --hw="$TMP/$stem.cfg" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [ $rc = 1 ] || fail "stem '$stem': exit $rc"
    [ "$(wc -l <"$TMP/err")" = 1 ] || fail "stem '$stem': $(wc -l <"$TMP/err") lines on stderr"
    grep -q "$esc" "$TMP/err" && fail "stem '$stem': an escape reached stderr"
    grep -q 'hardware point: the name' "$TMP/err" || fail "stem '$stem': $(cat "$TMP/err")"
    [ -s "$TMP/out" ] && fail "stem '$stem': output on stdout"
    [ -e "$TMP/bad" ] && fail "stem '$stem': the study dir was made"
    rm -f "$TMP/$stem.cfg"
done

# --- names: a path with an escape and a newline in a message: shown as \xHH, one line.
"$REPLAY" --fractions="$TMP/x${esc}[2J${nl}y.parts.csv" "$TMP/run/edge" >"$TMP/out" 2>"$TMP/err"
check_one_line "escaped path" 1 $? "$TMP/err" '*x\\x1b\[2J\\x0ay.parts.csv*'
grep -q "$esc" "$TMP/err" && fail "escaped path: an escape reached stderr"

# --- names: _name_or_path with a quote (a comma is '_' in model names): quoted in the tables.
sed 's|"_name_or_path": *"[^"]*"|"_name_or_path": "org/my \\"best\\" model"|' \
    "$MMT_SRCDIR/tests/llm/llama_gqa.json" >"$TMP/q.json"
grep -q 'best' "$TMP/q.json" || fail "fixture has no _name_or_path to edit"
"$REPLAY" --format=svg --study="$TMP/hf" --cache="$C" --hw=edge --hf-config="$TMP/q.json" --seq=128,256 \
    >/dev/null 2>"$TMP/err" || fail "quoted model name: $(cat "$TMP/err")"
grep -q '^edge,"my_""best""_model",' "$TMP/hf/fractions.csv" ||
    fail "fractions.csv: $(sed -n 2p "$TMP/hf/fractions.csv")"
ls "$TMP/hf/topologies" | grep -q '^my_%22best%22_model_decode_l128_gated.csv$' ||
    fail "topology name: $(ls "$TMP/hf/topologies" | head -1)"

# --- names: _name_or_path with a newline or an escape (JSON \n, \u001b): refused, one line.
for bad in 'a\\nb' 'a\\u001b[2Jb'; do
    sed "s|\"_name_or_path\": *\"[^\"]*\"|\"_name_or_path\": \"$bad\"|" \
        "$MMT_SRCDIR/tests/llm/llama_gqa.json" >"$TMP/c.json"
    rm -rf "$TMP/hfbad"
    "$REPLAY" --format=svg --study="$TMP/hfbad" --cache="$C" --hw=edge --hf-config="$TMP/c.json" \
        --seq=128,256 >"$TMP/out" 2>"$TMP/err"
    check_one_line "_name_or_path $bad" 1 $? "$TMP/err" "*c.json: model name holds a control character*"
    [ -e "$TMP/hfbad" ] && fail "_name_or_path $bad: the study dir was made"
done

# --- cache: an entry path that is a directory: runs on uncached, one warning.
C2="$TMP/c2"
"$REPLAY" --format=svg --study="$TMP/e1" --cache="$C2" --hw=edge --model=gpt2 --seq=128,256 >/dev/null 2>&1 ||
    fail "cache fill"
entry=$(find "$C2" -name '*.layer' | head -n 1)
rm -f "$entry" && mkdir "$entry"
"$REPLAY" --format=svg --study="$TMP/e2" --cache="$C2" --hw=edge --model=gpt2 --seq=128,256 >"$TMP/out" \
    2>"$TMP/err"
rc=$?
[ $rc = 0 ] || fail "entry that is a directory: exit $rc ($(cat "$TMP/err"))"
[ "$(grep -c 'without caching' "$TMP/err")" = 1 ] || fail "entry dir: warning: $(cat "$TMP/err")"
cmp -s "$TMP/e1/results.csv" "$TMP/e2/results.csv" || fail "entry dir: results differ"

# --- cache: full (a 16 KiB tmpfs) and read-only (remounted ro): runs on, one warning each.
M="$TMP/mnt"
mkdir -p "$M"
if [ -z "${MMT_TEST_NO_MOUNT:-}" ] && mount -t tmpfs -o size=16k tmpfs "$M" 2>/dev/null; then
    trap 'umount "$M" 2>/dev/null; rm -rf "$TMP"' EXIT
    for how in full ro; do
        [ $how = ro ] && { rm -rf "$M"/* "$M"/.m*; mkdir "$M/c"; mount -o remount,ro "$M" || fail "remount ro"; }
        "$REPLAY" --format=svg --study="$TMP/f$how" --cache="$M/c" --hw=edge --model=gpt2-xl \
            --seq=128,256 >"$TMP/out" 2>"$TMP/err"
        rc=$?
        [ $rc = 0 ] || fail "$how cache: exit $rc ($(cat "$TMP/err"))"
        [ "$(grep -c 'without caching' "$TMP/err")" = 1 ] || fail "$how cache: $(cat "$TMP/err")"
        "$REPLAY" --format=svg --study="$TMP/f$how.n" --no-cache --hw=edge --model=gpt2-xl \
            --seq=128,256 >/dev/null 2>&1
        cmp -s "$TMP/f$how/results.csv" "$TMP/f$how.n/results.csv" || fail "$how cache: results differ"
    done
    umount "$M"
else
    echo "study_outputs: cannot mount a tmpfs; full and read-only cache cases skipped"
fi

# --- cache: killed writers' temporaries removed, a user's file kept.
dead=$(sh -c 'echo $$')
host=$(hostname 2>/dev/null | tr -c 'A-Za-z0-9.\n-' '-')
sub=$(dirname "$(find "$C2" -name '*.layer' -type f | head -n 1)")
tmpname=".mmtrace-cache-tmp.$dead.$host.aB3dE9"
: >"$sub/$tmpname"
: >"$sub/my-notes.txt"
"$REPLAY" --format=svg --study="$TMP/e3" --cache="$C2" --hw=edge --model=gpt2 --seq=128,256 >/dev/null 2>&1 ||
    fail "study with a stale temporary"
[ -e "$sub/$tmpname" ] && [ -n "$host" ] && fail "stale cache temporary of pid $dead kept"
[ -f "$sub/my-notes.txt" ] || fail "a user's file in the cache was removed"

# --- cache: empty and over-long paths.
"$REPLAY" --study="$TMP/u1" --cache= --model=gpt2 >"$TMP/out" 2>"$TMP/err"
check_one_line "--cache=" 2 $? "$TMP/err" "*--cache: the path is empty*"
long="$TMP/$(printf '%04000d' 0)"
"$REPLAY" --format=svg --study="$TMP/u2" --cache="$long" --model=gpt2 --hw=edge --seq=128,256 >"$TMP/out" \
    2>"$TMP/err"
rc=$?
[ $rc != 0 ] || fail "over-long --cache accepted"
grep -q 'longer than' "$TMP/err" || fail "over-long --cache: $(cat "$TMP/err")"
[ -e "$TMP/u2" ] && fail "over-long --cache: the study dir was made"

[ "$failures" -eq 0 ] || exit 1
echo "study_outputs: lock, marker, manifest, names and cache checks passed"
