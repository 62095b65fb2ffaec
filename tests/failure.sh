#!/bin/sh
# failure.sh - what mmtrace-gen and mmtrace-replay do when the run or the machine goes wrong
# (README "What bad input gives"):
#   kill   SIGKILL in the middle of writing traces leaves no incomplete file under a final name
#          (only recognisable temporaries, or the previous complete version); a rerun succeeds,
#          removes the temporaries and writes the same output as an undisturbed run.
#   full   a full disk (a 512 KiB tmpfs; an LD_PRELOAD shim failing write() with ENOSPC where
#          mount is not allowed) gives one line "PROG: PATH: ...: No space left on device", exit
#          1, and no trace under a final name.
#   unwritable output directory, missing or unreadable input: one line, exit 1.
#   lock   a second run into the same run directory is refused while the first runs.
#   limits products exactly at INT64_MAX run; one past is refused before anything is written;
#          a request larger than the free disk is refused with its estimate, --force goes on.
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`). Exit 77 only if nothing can be run.
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
need_built "$GEN" "$REPLAY"

# The tmpfs mounts of the full-disk checks come off before testlib's directory is removed.
MOUNTS=""
cleanup() {
    for m in $MOUNTS; do umount "$m" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
note() { echo "failure: $*"; }

# Configs: a 256x256 OS array (cloud preset) for a layer that takes a moment, and 8x8 ones.
CLOUD="$MMT_SRCDIR/topologies/hw/cloud.cfg"
RUN=cloud
printf 'Layer, M, N, K,\nbig, 1, 1024, 9216,\n' >"$TMP/big.csv"
printf 'Layer, M, N, K,\ng, 4, 4, 4,\n' >"$TMP/small.csv"
printf 'Layer, M, N, K,\nmid, 32, 768, 768,\n' >"$TMP/mid.csv"
small_cfg() { # file key value [mode]
    sed -e "s/^$2[ :=].*/$2: $3/" \
        -e "s/^InterfaceBandwidth.*/InterfaceBandwidth: ${4:-CALC}/" \
        "$MMT_SRCDIR/topologies/examples/gemm_8x8_os.cfg" >"$1"
}
small_cfg "$TMP/s.cfg" Bandwidth 10

# Prints "name cksum-of-decompressed-content" for every trace and report under a run directory.
digest() {
    (cd "$1" && find . \( -name '*.csv.gz' -o -name '*_REPORT.csv' \) ! -name '.mmtrace-*') | LC_ALL=C sort |
        while read -r f; do
            case $f in
            *.gz) echo "$f $(gzip -dc "$1/$f" | cksum)" ;;
            *) echo "$f $(cksum <"$1/$f")" ;;
            esac
        done
}

# Waits up to 20 s until a file matching find's -name PATTERN exists under DIR.
wait_for() { # dir pattern
    i=0
    while [ -z "$(find "$1" -name "$2" 2>/dev/null | head -n 1)" ]; do
        i=$((i + 1))
        [ $i -gt 400 ] && return 1
        sleep 0.05
    done
}

# expect_error NAME GLOB CMD...: exit 1 and exactly one stderr line matching GLOB.
expect_error() {
    name=$1 glob=$2
    shift 2
    tests=$((tests + 1))
    "$@" >"$TMP/stdout" 2>"$TMP/stderr"
    st=$?
    check_one_line "$name" 1 "$st" "$TMP/stderr" "$glob"
}

# kill_mid NAME PROG PATTERN: runs PROG on the big layer into $K and SIGKILLs it once a file
# matching PATTERN appears there; $st is its exit status (137 when the kill came in time).
kill_mid() {
    "$2" -c "$CLOUD" -t "$TMP/big.csv" -i gemm -p "$K" -j 2 >/dev/null 2>&1 &
    pid=$!
    wait_for "$K" "$3" || fail "$1: no file matching $3 appeared"
    sleep 0.1
    kill -9 $pid 2>/dev/null
    wait $pid
    st=$?
}

# rerun NAME PROG DIGEST: PROG run again into $K after a kill succeeds, writes what an
# undisturbed run wrote (the digest file DIGEST) and leaves no temporary or marker behind.
rerun() {
    tests=$((tests + 1))
    "$2" -c "$CLOUD" -t "$TMP/big.csv" -i gemm -p "$K" -j 2 >/dev/null 2>"$TMP/err" ||
        fail "$1 rerun: $(cat "$TMP/err")"
    [ "$(digest "$K/$RUN")" = "$(cat "$3")" ] || fail "$1 rerun: output differs"
    left=$(find "$K" -name '.mmtrace-*' | head -n 1)
    [ -z "$left" ] || fail "$1 rerun: temporary or marker left: $left"
}

# No trace under a final name unless it is complete (and equal to the reference digest).
check_finals() { # name rundir refdigest
    (cd "$2" && find . -name '*_TRACE.csv.gz' ! -name '.mmtrace-*') | while read -r f; do
        if ! gzip -t "$2/$f" 2>/dev/null; then
            echo "FAIL: $1: incomplete trace under its final name: $f" >&2
            echo x
        elif [ "$3" != /dev/null ] && ! grep -qxF "$f $(gzip -dc "$2/$f" | cksum)" "$3"; then
            echo "FAIL: $1: $f under its final name differs from the complete run" >&2
            echo x
        fi
    done >"$TMP/finals"
    [ -s "$TMP/finals" ] && failures=$((failures + $(wc -l <"$TMP/finals")))
    tests=$((tests + 1))
}

# ---------------------------------------------------------------- reference runs
"$GEN" -c "$CLOUD" -t "$TMP/big.csv" -i gemm -p "$TMP/ref" -j 2 >/dev/null 2>"$TMP/err" ||
    { echo "failure: reference mmtrace-gen failed: $(cat "$TMP/err")" >&2; exit 1; }
digest "$TMP/ref/$RUN" >"$TMP/gen.digest"
cp -r "$TMP/ref" "$TMP/ref2"
"$REPLAY" -c "$CLOUD" -t "$TMP/big.csv" -i gemm -p "$TMP/ref2" -j 2 >/dev/null 2>"$TMP/err" ||
    { echo "failure: reference mmtrace-replay failed: $(cat "$TMP/err")" >&2; exit 1; }
digest "$TMP/ref2/$RUN" >"$TMP/replay.digest"
[ "$(wc -l <"$TMP/replay.digest")" -ge 6 ] || fail "reference replay wrote too little"

# ---------------------------------------------------------------- kill
# gen killed in a fresh directory: nothing incomplete under a final name; mkstemp temporaries.
K="$TMP/k"
kill_mid kill-gen "$GEN" '.mmtrace-tmp.*_TRACE.csv.gz'
[ "$st" -eq 137 ] || fail "kill-gen: the run ended (status $st) before SIGKILL; make the layer bigger"
check_finals kill-gen "$K/$RUN" "$TMP/gen.digest"
[ -n "$(find "$K" -name '.mmtrace-tmp.*_TRACE.csv.gz')" ] || fail "kill-gen: no temporary left"
# The killed run marked the directory incomplete; replay and --compare refuse it.
tests=$((tests + 1))
[ -f "$K/$RUN/.mmtrace-incomplete" ] || fail "kill-gen: no incomplete marker"
expect_error kill-gen-replay "mmtrace-replay: $K/$RUN: incomplete: an interrupted mmtrace-gen run left old and new files mixed here (.mmtrace-incomplete); rerun mmtrace-gen" \
    "$REPLAY" -c "$CLOUD" -t "$TMP/big.csv" -i gemm -p "$K"
expect_error kill-gen-compare "mmtrace-replay: $K/$RUN: incomplete: *; rerun mmtrace-gen" \
    "$REPLAY" -p "$K/$RUN" --compare "$TMP/ref/$RUN"
[ -s "$TMP/stdout" ] && fail "kill-gen-compare: output on stdout"
# Rerun: succeeds, same traces as an undisturbed run, no temporaries left.
rerun kill-gen "$GEN" "$TMP/gen.digest"

# gen killed while overwriting a complete run: the previous version stays under final names.
kill_mid kill-gen-over "$GEN" '.mmtrace-tmp.*_TRACE.csv.gz'
check_finals kill-gen-over "$K/$RUN" "$TMP/gen.digest"
[ "$(find "$K/$RUN" -name '*_TRACE.csv.gz' ! -name '.mmtrace-*' | wc -l)" -eq 3 ] ||
    fail "kill-gen-over: the previous complete traces are gone"

# replay killed mid-write: no report, no DRAM trace, the SRAM traces as before; staged
# .mmtrace-tmp.<pid>.* names. The rerun gives what an undisturbed replay gives.
"$GEN" -c "$CLOUD" -t "$TMP/big.csv" -i gemm -p "$K" -j 2 >/dev/null 2>&1 ||
    fail "kill-replay: setup gen failed"
kill_mid kill-replay "$REPLAY" '.mmtrace-tmp.*_DRAM_TRACE.csv.gz'
[ "$st" -eq 137 ] || fail "kill-replay: the run ended (status $st) before SIGKILL"
tests=$((tests + 1))
[ -n "$(find "$K/$RUN" \( -name '*_REPORT.csv' -o -name '*_DRAM_TRACE.csv.gz' \) ! -name '.mmtrace-*')" ] &&
    fail "kill-replay: a report or DRAM trace appeared under a final name"
[ "$(digest "$K/$RUN")" = "$(cat "$TMP/gen.digest")" ] || fail "kill-replay: SRAM traces changed"
[ -n "$(find "$K" -name '.mmtrace-tmp.*.csv.gz')" ] || fail "kill-replay: no staged file left"
rerun kill-replay "$REPLAY" "$TMP/replay.digest"

# replay killed between its final renames (the test hook kills it after the 2nd rename):
# old and new outputs are mixed, and the marker says so. --compare and the fused path refuse
# the directory; a replay rerun completes it and removes the marker.
"$GEN" -c "$CLOUD" -t "$TMP/big.csv" -i gemm -p "$K" -j 2 >/dev/null 2>&1 || fail "kill-renames: gen"
# A rename gives the final name a new inode: count the final names whose inode changed (file
# times are too coarse for this: a fast replay renames within one clock tick of the marker).
find "$K/$RUN" -name '*_TRACE.csv.gz' ! -name '.mmtrace-*' -printf '%i %p\n' | sort >"$TMP/inodes.before"
MMTRACE_TEST_KILL_AFTER=2 "$REPLAY" -c "$CLOUD" -t "$TMP/big.csv" -i gemm -p "$K" -j 2 \
    >"$TMP/stdout" 2>"$TMP/err"
st=$?
find "$K/$RUN" -name '*_TRACE.csv.gz' ! -name '.mmtrace-*' -printf '%i %p\n' | sort >"$TMP/inodes.after"
tests=$((tests + 1))
[ "$st" -eq 137 ] || fail "kill-renames: status $st, expected 137 (SIGKILL): $(cat "$TMP/err")"
[ -s "$TMP/stdout" ] && fail "kill-renames: console output of an unfinished run"
[ "$(cat "$K/$RUN/.mmtrace-incomplete" 2>/dev/null)" = replay ] || fail "kill-renames: no marker"
[ "$(comm -13 "$TMP/inodes.before" "$TMP/inodes.after" | wc -l)" -eq 2 ] ||
    fail "kill-renames: not killed after exactly 2 renames"
expect_error kill-renames-compare "mmtrace-replay: $K/$RUN: incomplete: an interrupted mmtrace-replay run left old and new files mixed here (.mmtrace-incomplete); rerun mmtrace-replay" \
    "$REPLAY" -p "$K/$RUN" --compare "$TMP/ref2/$RUN"
[ -s "$TMP/stdout" ] && fail "kill-renames-compare: output on stdout"
expect_error kill-renames-fused "mmtrace-replay: $K/$RUN: incomplete: *; rerun mmtrace-replay" \
    "$REPLAY" -c "$CLOUD" -t "$TMP/big.csv" -i gemm -p "$K" --no-traces
rerun kill-renames "$REPLAY" "$TMP/replay.digest"
"$REPLAY" -p "$K/$RUN" --compare "$TMP/ref2/$RUN" >/dev/null 2>"$TMP/err" ||
    fail "kill-renames: --compare after the rerun: $(cat "$TMP/err")"

# ---------------------------------------------------------------- stale temporaries
# The sweep after taking the lock removes only regular files named .mmtrace-tmp.<pid>.NAME
# of a dead pid, in the run directory and its layer<N>/ folders: never a user's file that
# merely looks temporary, nor a live process's, nor anything in other folders.
S="$TMP/sweep"
SR="$S/gemm_8x8_os"
"$GEN" -c "$TMP/s.cfg" -t "$TMP/small.csv" -i gemm -p "$S" >/dev/null 2>&1 || fail "sweep: setup"
dead=$(sh -c 'echo $$')
sleep 60 &
live=$!
KEEP="notes.tmp.123 thesis.tmp.draft1 layers_notes/a.tmp.12345 layer0/a.tmp.AbC123
    layer0/b.csv.gz.replay-4242 layers_notes/.mmtrace-tmp.$dead.x layer0/.mmtrace-tmp.$live.y
    layer0/.mmtrace-tmp.0$dead.z layer0/.mmtrace-tmp.$dead. .mmtrace-tmp.x.y"
STALE=".mmtrace-tmp.$dead.COMPUTE_REPORT.csv layer0/.mmtrace-tmp.$dead.IFMAP_SRAM_TRACE.csv.gz"
mkdir "$SR/layers_notes" "$SR/layer0/.mmtrace-tmp.$dead.dir"
for f in $KEEP; do echo keep >"$SR/$f"; done
for f in $STALE; do echo stale >"$SR/$f"; done
for prog in "$GEN" "$REPLAY"; do
    tests=$((tests + 1))
    "$prog" -c "$TMP/s.cfg" -t "$TMP/small.csv" -i gemm -p "$S" >/dev/null 2>"$TMP/err" ||
        fail "sweep $prog: $(cat "$TMP/err")"
    for f in $KEEP; do
        [ "$(cat "$SR/$f" 2>/dev/null)" = keep ] || fail "sweep $prog: deleted the user's $f"
    done
    [ -d "$SR/layer0/.mmtrace-tmp.$dead.dir" ] || fail "sweep $prog: removed a directory"
    for f in $STALE; do
        [ -e "$SR/$f" ] && fail "sweep $prog: left the dead run's $f"
        echo stale >"$SR/$f"
    done
done
kill $live 2>/dev/null
wait $live 2>/dev/null

# ---------------------------------------------------------------- lock
L="$TMP/lock"
"$GEN" -c "$CLOUD" -t "$TMP/big.csv" -i gemm -p "$L" >/dev/null 2>"$TMP/err1" &
pid=$!
wait_for "$L" '.mmtrace-tmp.*_TRACE.csv.gz' || fail "lock: the first run did not start"
expect_error lock-gen "mmtrace-gen: $L/$RUN: another mmtrace run is writing this directory*" \
    "$GEN" -c "$CLOUD" -t "$TMP/big.csv" -i gemm -p "$L"
expect_error lock-replay "mmtrace-replay: $L/$RUN: another mmtrace run is writing*" \
    "$REPLAY" -c "$CLOUD" -t "$TMP/big.csv" -i gemm -p "$L"
wait $pid || fail "lock: the first run failed: $(cat "$TMP/err1")"
[ "$(digest "$L/$RUN")" = "$(cat "$TMP/gen.digest")" ] || fail "lock: the first run's traces differ"

# ---------------------------------------------------------------- limits
# Addresses exactly at 2^53 run (and replay); one more is refused, naming SCALE-Sim's float64
# limit (doc/scalesim-v2.md 4.1); an offset whose range passes INT64_MAX is refused as overflow.
for key in IfmapOffset FilterOffset OfmapOffset; do
    what=$(echo $key | sed 's/Offset//' | tr 'A-Z' 'a-z')
    for mode in CALC USER; do
        small_cfg "$TMP/e.cfg" $key 9007199254740977 $mode # + 15 = 2^53, the highest address
        tests=$((tests + 1))
        rm -rf "$TMP/e"
        if ! "$GEN" -c "$TMP/e.cfg" -t "$TMP/small.csv" -i gemm -p "$TMP/e" >/dev/null 2>"$TMP/err" ||
            ! "$REPLAY" -c "$TMP/e.cfg" -t "$TMP/small.csv" -i gemm -p "$TMP/e" >/dev/null 2>>"$TMP/err"; then
            fail "edge $key $mode at 2^53: $(cat "$TMP/err")"
        fi
        small_cfg "$TMP/e.cfg" $key 9007199254740978 $mode
        rm -rf "$TMP/e"
        expect_error "edge $key $mode past 2^53" \
            "mmtrace-gen: $TMP/small.csv:2: $what addresses reach 9007199254740993, past 2^53 = 9007199254740992, *" \
            "$GEN" -c "$TMP/e.cfg" -t "$TMP/small.csv" -i gemm -p "$TMP/e"
        [ -e "$TMP/e" ] && fail "edge $key past 2^53: output written"
    done
    small_cfg "$TMP/e.cfg" $key 9223372036854775792
    rm -rf "$TMP/e"
    expect_error "edge $key past INT64_MAX" \
        "mmtrace-gen: $TMP/small.csv:2: $what address range overflows 64 bits" \
        "$GEN" -c "$TMP/e.cfg" -t "$TMP/small.csv" -i gemm -p "$TMP/e"
    [ -e "$TMP/e" ] && fail "edge $key past INT64_MAX: output written"
done
for key in IfmapSramSzkB FilterSramSzkB OfmapSramSzkB; do
    small_cfg "$TMP/e.cfg" $key 9007199254740991 USER # * 1024 <= INT64_MAX
    tests=$((tests + 1))
    rm -rf "$TMP/e"
    if ! "$GEN" -c "$TMP/e.cfg" -t "$TMP/small.csv" -i gemm -p "$TMP/e" >/dev/null 2>"$TMP/err" ||
        ! "$REPLAY" -c "$TMP/e.cfg" -t "$TMP/small.csv" -i gemm -p "$TMP/e" >/dev/null 2>>"$TMP/err"; then
        fail "edge $key at INT64_MAX words: $(cat "$TMP/err")"
    fi
    small_cfg "$TMP/e.cfg" $key 9007199254740992
    expect_error "edge $key past INT64_MAX words" \
        "mmtrace-gen: $TMP/e.cfg:*: $key = 9007199254740992 KB overflows 64 bits in words" \
        "$GEN" -c "$TMP/e.cfg" -t "$TMP/small.csv" -i gemm -p "$TMP/e2"
done
# Trace text beyond 64 bits (65536-wide rows, 2e14 rows; addresses stay under 2^53): refused even with --force.
sed -e 's/^ArrayHeight.*/ArrayHeight: 65536/' -e 's/^ArrayWidth.*/ArrayWidth: 65536/' \
    -e 's/^Dataflow.*/Dataflow: ws/' "$TMP/s.cfg" >"$TMP/wide.cfg"
printf 'Layer, M, N, K,\nhuge, 200000000000000, 1, 1,\n' >"$TMP/huge.csv"
expect_error text-overflow "mmtrace-gen: $TMP/huge.csv:2: the trace text (* rows x 3 bytes per field) overflows 64 bits" \
    "$GEN" -c "$TMP/wide.cfg" -t "$TMP/huge.csv" -i gemm -p "$TMP/o" --force
expect_error text-overflow-replay "mmtrace-replay: $TMP/huge.csv:2: the trace text*overflows 64 bits" \
    "$REPLAY" -c "$TMP/wide.cfg" -t "$TMP/huge.csv" -i gemm -p "$TMP/o" --force
[ -e "$TMP/o" ] && fail "text-overflow: output written"
# More than the free disk (about 27 PB of text): refused with the estimate; --force goes on.
printf 'Layer, M, N, K,\nabsurd, 400000, 400000, 400000,\n' >"$TMP/absurd.csv"
expect_error absurd "mmtrace-gen: $TMP/a: the traces would take at least * compressed (* of text), more than the * free; use --force to write them anyway" \
    "$GEN" -c "$TMP/s.cfg" -t "$TMP/absurd.csv" -i gemm -p "$TMP/a"
[ -e "$TMP/a" ] && fail "absurd: output written"
expect_error absurd-replay "mmtrace-replay: $TMP/a: the traces would take at least *; use --force*" \
    "$REPLAY" -c "$TMP/s.cfg" -t "$TMP/absurd.csv" -i gemm -p "$TMP/a"
tests=$((tests + 1))
"$GEN" -c "$TMP/s.cfg" -t "$TMP/absurd.csv" -i gemm -p "$TMP/a" --force >/dev/null 2>"$TMP/err" &
pid=$!
wait_for "$TMP/a" '.mmtrace-tmp.*' || fail "absurd --force: did not start"
kill -9 $pid 2>/dev/null
wait $pid
grep -q "^mmtrace-gen: warning: $TMP/a: the traces would take at least .*; going on (--force)$" \
    "$TMP/err" || fail "absurd --force: no warning: $(cat "$TMP/err")"
[ -n "$(find "$TMP/a" -name '*_TRACE.csv.gz' ! -name '.mmtrace-*')" ] && fail "absurd --force: a final trace appeared"

# ---------------------------------------------------------------- inodes
# A filesystem with too few free inodes for the run's files is refused before anything is
# written (a tmpfs with 40 inodes; 10 new layers need 45).
I="$TMP/ino"
mkdir "$I"
if [ -z "${MMT_TEST_NO_MOUNT:-}" ] && mount -t tmpfs -o size=4m,nr_inodes=40 tmpfs "$I" 2>/dev/null; then
    { echo 'Layer, M, N, K,'; for i in 0 1 2 3 4 5 6 7 8 9; do echo "l$i, 4, 4, 4,"; done; } >"$TMP/ten.csv"
    free=$(df -i "$I" | awk 'NR == 2 {print $4}')
    expect_error inodes "mmtrace-gen: $I: the run needs 45 files and directories, more than the $free free inodes of its filesystem; use --force to try anyway" \
        "$GEN" -c "$TMP/s.cfg" -t "$TMP/ten.csv" -i gemm -p "$I"
    [ -z "$(ls -A "$I")" ] || fail "inodes: something was written"
    tests=$((tests + 1))
    "$GEN" -c "$TMP/s.cfg" -t "$TMP/small.csv" -i gemm -p "$I" >/dev/null 2>"$TMP/err" ||
        fail "inodes: a run that fits was refused: $(cat "$TMP/err")"
    umount "$I"
else
    note "inodes: cannot mount a tmpfs; skipped"
fi

# ---------------------------------------------------------------- unwritable, missing input
: >"$TMP/file"
expect_error unwritable-gen "mmtrace-gen: $TMP/file/x/gemm_8x8_os: cannot create directory: Not a directory" \
    "$GEN" -c "$TMP/s.cfg" -t "$TMP/small.csv" -i gemm -p "$TMP/file/x"
expect_error unwritable-replay-fused "mmtrace-replay: $TMP/file/x/gemm_8x8_os: cannot create directory: Not a directory" \
    "$REPLAY" -c "$TMP/s.cfg" -t "$TMP/small.csv" -i gemm -p "$TMP/file/x" --no-traces
expect_error missing-cfg "mmtrace-gen: $TMP/none.cfg: cannot open: No such file or directory" \
    "$GEN" -c "$TMP/none.cfg" -t "$TMP/small.csv" -i gemm -p "$TMP/m"
expect_error dir-topology "mmtrace-gen: $TMP: not a regular file (a directory)*" \
    "$GEN" -c "$TMP/s.cfg" -t "$TMP" -i gemm -p "$TMP/m"
"$GEN" -c "$TMP/s.cfg" -t "$TMP/small.csv" -i gemm -p "$TMP/m" >/dev/null 2>&1 || fail "setup m"
T="$TMP/m/gemm_8x8_os/layer0"
rm "$T/FILTER_SRAM_TRACE.csv.gz"
expect_error vanished-trace "mmtrace-replay: $T/FILTER_SRAM_TRACE.csv.gz: no such trace*" \
    "$REPLAY" -c "$TMP/s.cfg" -t "$TMP/small.csv" -i gemm -p "$TMP/m"
mkdir "$T/FILTER_SRAM_TRACE.csv.gz"
expect_error unreadable-trace "mmtrace-replay: $T/FILTER_SRAM_TRACE.csv.gz*" \
    "$REPLAY" -c "$TMP/s.cfg" -t "$TMP/small.csv" -i gemm -p "$TMP/m"
if [ "$(id -u)" != 0 ]; then # root reads anything: only an unprivileged run can test EACCES
    rmdir "$T/FILTER_SRAM_TRACE.csv.gz"
    cp "$T/IFMAP_SRAM_TRACE.csv.gz" "$T/FILTER_SRAM_TRACE.csv.gz"
    chmod 000 "$T/IFMAP_SRAM_TRACE.csv.gz"
    expect_error unreadable-trace-perm "mmtrace-replay: $T/IFMAP_SRAM_TRACE.csv.gz*Permission denied" \
        "$REPLAY" -c "$TMP/s.cfg" -t "$TMP/small.csv" -i gemm -p "$TMP/m"
    chmod 555 "$TMP/m/gemm_8x8_os"
    expect_error unwritable-dir-gen "mmtrace-gen: $TMP/m/gemm_8x8_os*Permission denied" \
        "$GEN" -c "$TMP/s.cfg" -t "$TMP/small.csv" -i gemm -p "$TMP/m"
    chmod 755 "$TMP/m/gemm_8x8_os"
fi

# ---------------------------------------------------------------- full disk
# mid.csv on 8x8 OS: about 13 MB of text, a few hundred KB over 512 KiB compressed, while the
# estimate (text / 100) stays under the free space, so the writes themselves hit ENOSPC.
F="$TMP/full"
mkdir "$F"
if [ -z "${MMT_TEST_NO_MOUNT:-}" ] && mount -t tmpfs -o size=512k tmpfs "$F" 2>/dev/null; then
    MOUNTS="$F"
    how=tmpfs
    PRELOAD=""
elif cc -shared -fPIC -o "$TMP/failwrite.so" "$MMT_SRCDIR/tests/shim/failwrite.c" -ldl 2>"$TMP/err"; then
    how=shim
    PRELOAD="$TMP/failwrite.so"
else
    how=none
    note "full disk: cannot mount a tmpfs nor build the shim; skipped"
fi
full_run() { # prog args...: runs with the shim preloaded when there is no tmpfs
    if [ -n "$PRELOAD" ]; then
        LD_PRELOAD="$PRELOAD" MMT_FAIL_AFTER=524288 \
            ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$@"
    else
        "$@"
    fi
}
if [ "$how" != none ]; then
    note "full disk: $how"
    expect_error full-gen "mmtrace-gen: $F/gemm_8x8_os/layer0/*_SRAM_TRACE.csv.gz: cannot write trace: No space left on device" \
        full_run "$GEN" -c "$TMP/s.cfg" -t "$TMP/mid.csv" -i gemm -p "$F"
    check_finals full-gen "$F/gemm_8x8_os" /dev/null
    left=$(find "$F" -name '.mmtrace-tmp.*' | head -n 1)
    [ -z "$left" ] || fail "full-gen: temporary left on the full disk: $left"
    # Replay on a full filesystem: the traces fit, 16 KiB are left for the outputs (tmpfs:
    # a filler file takes the rest; the shim fails after 16 KiB). --force: past the estimate.
    "$GEN" -c "$TMP/s.cfg" -t "$TMP/mid.csv" -i gemm -p "$TMP/rf" >/dev/null 2>&1 || fail "setup rf"
    R2="$F/gemm_8x8_os"
    if [ "$how" = tmpfs ]; then
        umount "$F" && mount -t tmpfs -o size=32m tmpfs "$F" || fail "remount"
        cp -r "$TMP/rf/gemm_8x8_os" "$F/"
        avail=$(df -k "$F" | awk 'NR == 2 {print $4}')
        dd if=/dev/zero of="$F/filler" bs=1k count=$((avail - 16)) 2>/dev/null
        "$REPLAY" -c "$TMP/s.cfg" -t "$TMP/mid.csv" -i gemm -p "$F" --force >/dev/null 2>"$TMP/err"
    else
        R2="$TMP/rf/gemm_8x8_os"
        LD_PRELOAD="$PRELOAD" MMT_FAIL_AFTER=16384 \
            ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
            "$REPLAY" -c "$TMP/s.cfg" -t "$TMP/mid.csv" -i gemm -p "$TMP/rf" >/dev/null 2>"$TMP/err"
    fi
    st=$?
    tests=$((tests + 1))
    [ "$st" -eq 1 ] || fail "full-replay: exit status $st: $(cat "$TMP/err")"
    tail -n 1 "$TMP/err" | grep -q "^mmtrace-replay: $R2/.*: No space left on device$" ||
        fail "full-replay: message: $(cat "$TMP/err")"
    [ -n "$(find "$R2" -name '*_REPORT.csv' -o -name '*_DRAM_TRACE.csv.gz' -o -name '.mmtrace-tmp.*')" ] &&
        fail "full-replay: outputs or staged files left"
    if [ "$how" = tmpfs ]; then
        umount "$F"
        MOUNTS=""
    fi
    # The same disk, with a request over the estimate: refused; --force runs into ENOSPC.
    if [ "$how" = tmpfs ] && mount -t tmpfs -o size=512k tmpfs "$F"; then
        MOUNTS="$F"
        expect_error full-estimate "mmtrace-gen: $F: the traces would take at least * compressed (* of text), more than the * free; use --force to write them anyway" \
            "$GEN" -c "$CLOUD" -t "$TMP/big.csv" -i gemm -p "$F"
        [ -z "$(ls -A "$F")" ] || fail "full-estimate: something was written"
        "$GEN" -c "$CLOUD" -t "$TMP/big.csv" -i gemm -p "$F" --force >/dev/null 2>"$TMP/err"
        st=$?
        tests=$((tests + 1))
        [ "$st" -eq 1 ] || fail "full-estimate --force: exit $st"
        grep -q "No space left on device" "$TMP/err" || fail "full-estimate --force: $(cat "$TMP/err")"
        check_finals full-estimate-force "$F/$RUN" /dev/null
    fi
fi

echo "failure: $tests tests, $failures failures"
[ "$failures" -eq 0 ]
