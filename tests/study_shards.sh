#!/bin/sh
# study_shards.sh - the study engine's cache and shards end to end:
#  * a run over open axes (a .cfg path, two dataflows, two phases) writes results.csv with one
#    row per point; a rerun finds every layer in the cache and writes identical tables;
#  * a corrupt cache entry is detected and recomputed, never trusted;
#  * --plan=parallel: the GNU parallel command line runs 2 shards concurrently into one cache
#    and the merge writes tables byte-identical to a single-process run;
#  * --plan=slurm: the job-array and merge scripts pass `sh -n` and, run as Slurm would run
#    them (SLURM_ARRAY_TASK_ID=1..N, then the merge), give the same tables; then, where
#    slurm-wlm and munge are installed and we are root, a real one-node cluster on localhost
#    (started and stopped here) runs submit.sh and gives the same tables again;
#  * the plans carry names as data: a study dir, --hf-config and --hw path holding quotes, $(),
#    backticks, spaces, a newline and GNU parallel's {= perl =} run nothing they hold, and the
#    plans still run the study (from another directory too); each shard's command is exactly
#    the parsed options (abbreviations spelt out), -j follows SLURM_CPUS_PER_TASK;
#  * the plans name a program that runs: the plan made by the build tree's program works
#    without MMTRACE_REPLAY (it once named build/.libs/mmtrace-replay, exit 127).
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
need_built "$REPLAY"
unset MMTRACE_REPLAY # the plans must name a program that runs by themselves

TABLES="results.csv fractions.csv amdahl.csv fits.csv fit_predictions.csv"
same() { # same DIR1 DIR2 WHAT
    for t in $TABLES; do
        cmp -s "$1/$t" "$2/$t" || fail "$3: $t differs"
    done
}

# A small hardware point of our own, given as a .cfg path.
sed -e 's/256/32/g' -e 's/run_name = cloud/run_name = mine/' \
    "$MMT_SRCDIR/topologies/hw/cloud.cfg" >"$TMP/tiny32.cfg"
set -- --model=gpt2,opt-350m --hw=edge,"$TMP/tiny32.cfg" --dataflow=os,ws --seq=128,256 \
    --batch=1,2 --format=svg -j 2

# 1. one process, cold then warm.
"$REPLAY" --study="$TMP/a" "$@" --cache="$TMP/c1" >"$TMP/out1" 2>/dev/null || fail "cold run"
rows=$(($(wc -l <"$TMP/a/results.csv") - 1))
[ "$rows" = 32 ] || fail "results.csv has $rows rows, expected 2 hw x 2 df x 2 models x 2 batches x 2 seqs = 32"
head -1 "$TMP/a/results.csv" | grep -q '^hw,dataflow,model,phase,batch,ffn,seq,f_compute,' ||
    fail "results.csv header: $(head -1 "$TMP/a/results.csv")"
grep -q '^tiny32,ws,opt-350m,decode,2,plain,256,' "$TMP/a/results.csv" || fail "no tiny32 ws row"
"$REPLAY" --study="$TMP/b" "$@" --cache="$TMP/c1" >"$TMP/out2" 2>/dev/null || fail "warm run"
grep -q ' 0 simulated' "$TMP/out2" || fail "warm run simulated again: $(cat "$TMP/out2")"
same "$TMP/a" "$TMP/b" "warm run"

# 2. a corrupt entry is recomputed.
e=$(find "$TMP/c1" -name '*.layer' | head -1)
sed -i '4s/^0, [0-9]/0, 9/' "$e"
"$REPLAY" --study="$TMP/b" "$@" --cache="$TMP/c1" >"$TMP/out3" 2>/dev/null || fail "run over a corrupt entry"
grep -q ' 1 simulated, 1 corrupt' "$TMP/out3" || fail "corrupt entry not caught: $(cat "$TMP/out3")"
same "$TMP/a" "$TMP/b" "after a corrupt entry"

# 3. GNU parallel: 2 shards at once into one cache, then the merge.
if command -v parallel >/dev/null 2>&1; then
    "$REPLAY" --study="$TMP/p" "$@" --cache="$TMP/c2" --plan=parallel --shards=2 >"$TMP/plan" ||
        fail "--plan=parallel"
    grep -q "parallel .* -q {2} .*--shard={1}/2 ::: 1 2 ::: '$REPLAY' ::: " "$TMP/plan" ||
        fail "plan: $(cat "$TMP/plan")"
    sh "$TMP/plan" >"$TMP/pout" 2>&1 || fail "the parallel plan failed: $(tail -3 "$TMP/pout")"
    [ "$(grep -c '^shard [12]/2: cache' "$TMP/pout")" = 2 ] || fail "not 2 shards: $(cat "$TMP/pout")"
    grep -q ' 0 simulated' "$TMP/pout" || fail "the merge simulated layers: $(tail -2 "$TMP/pout")"
    same "$TMP/a" "$TMP/p" "GNU parallel shards"
else
    echo "study_shards: GNU parallel not installed (apt-get install parallel): part 3 skipped"
fi

# 4. Slurm: the scripts, run as Slurm would run them.
"$REPLAY" --study="$TMP/s" "$@" --cache="$TMP/c3" --plan=slurm --shards=3 >/dev/null || fail "--plan=slurm"
for f in shard.sbatch merge.sbatch submit.sh; do
    sh -n "$TMP/s/slurm/$f" || fail "$f: syntax"
done
grep -q '^#SBATCH --array=1-3$' "$TMP/s/slurm/shard.sbatch" || fail "no job array of 3"
grep -q 'dependency=afterok' "$TMP/s/slurm/submit.sh" || fail "no dependent merge job"
for i in 1 2 3; do
    SLURM_ARRAY_TASK_ID=$i sh "$TMP/s/slurm/shard.sbatch" >/dev/null 2>&1 || fail "shard task $i"
done
sh "$TMP/s/slurm/merge.sbatch" >"$TMP/sout" 2>"$TMP/serr" || fail "merge job: $(cat "$TMP/serr")"
grep -q ' 0 simulated' "$TMP/sout" || fail "the Slurm merge simulated layers"
same "$TMP/a" "$TMP/s" "Slurm tasks"

# A name holding quotes, $(), backticks, a space, parallel's {= perl =} and a newline.
n=$(printf "d'q\"\$(touch INJ1)\`touch INJ2\` s{=system(q(touch INJ3))=}\nl")

# 4b. a real one-node Slurm cluster on localhost (munged, slurmctld, slurmd started and
# stopped here, in a generated slurm.conf): submit.sh, then wait for the merge job.
slurm_skip() { echo "study_shards: SKIP real Slurm: $*; the scripts were run locally above"; }
slurm_stop() {
    for p in slurmd slurmctld munged; do
        [ -s "$TMP/slurm/$p.pid" ] && kill "$(cat "$TMP/slurm/$p.pid")" 2>/dev/null
    done
}
trap 'slurm_stop; rm -rf "$TMP"' EXIT HUP INT TERM
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    slurm_skip "slurm-wlm and munge are not installed (apt-get install slurm-wlm munge)"
elif [ "$(id -u)" != 0 ] || [ ! -r /etc/munge/munge.key ]; then
    slurm_skip "needs root and /etc/munge/munge.key to start the daemons"
else
    S=$TMP/slurm
    mkdir -p "$S/spool" "$S/state"
    h=$(hostname -s)
    port=$((20000 + $$ % 20000))
    cat >"$S/slurm.conf" <<CONF
ClusterName=mmtrace-test
SlurmctldHost=$h
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$S/munge.sock
CredType=cred/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldPort=$port
SlurmdPort=$((port + 1))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
NodeName=$h CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$h Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$S/slurm.conf"
    munged -f --socket="$S/munge.sock" --pid-file="$S/munged.pid" --log-file="$S/munged.log" \
        --seed-file="$S/munge.seed" >/dev/null 2>&1 && slurmctld >/dev/null 2>&1 && slurmd >/dev/null 2>&1
    up=0
    for i in $(seq 30); do
        sinfo -h -o %t 2>/dev/null | grep -q idle && { up=1; break; }
        sleep 1
    done
    if [ $up = 0 ]; then
        slurm_skip "the one-node cluster did not come up: $(tail -1 "$S/slurmctld.log" 2>/dev/null)"
    else
        # the study dir holds the awkward name: Slurm runs it as data too
        mkdir -p "$TMP/$n"
        "$REPLAY" --study="$TMP/$n/r" "$@" --cache="$TMP/c4" --plan=slurm --shards=2 >/dev/null ||
            fail "--plan=slurm for the cluster"
        (cd / && "$TMP/$n/r/slurm/submit.sh") >"$S/jobs" 2>&1 || fail "submit.sh: $(cat "$S/jobs")"
        for i in $(seq 600); do
            [ -z "$(squeue -h 2>/dev/null)" ] && break
            sleep 1
        done
        same "$TMP/a" "$TMP/$n/r" "real Slurm job array + merge"
        grep -q ' 0 simulated' "$TMP/$n/r/slurm"/merge-*.log ||
            fail "Slurm merge: $(tail -2 "$TMP/$n/r/slurm"/merge-*.log)"
        ls "$TMP/$n/r/slurm"/shard-*_1.log "$TMP/$n/r/slurm"/shard-*_2.log >/dev/null 2>&1 ||
            fail "no shard-JOB_TASK.log: $(ls "$TMP/$n/r/slurm")"
        [ -z "$(find / "$TMP" -maxdepth 1 -name 'INJ*')" ] || fail "real Slurm ran a name as code"
    fi
    slurm_stop
fi

# 5. shard and plan usage errors (one line, exit 2, nothing written).
for a in --shard=0/2 --shard=3/2 --shard=1/2x "--shard=1/2 --no-cache" --plan=pbs \
    --shard=4294967297/2 --shard=+1/+2 "--shard= 1/ 2" --shard=1/2/ --shard=/2 \
    "--plan=parallel --shard=1/2" "--plan=slurm --shard=2/2" --slurm-time=10 \
    "--plan=parallel --slurm-mem=4G" "--plan=slurm --slurm-time=ten" "--plan=slurm --slurm-mem=4X" \
    "--plan=slurm --slurm-cpus-per-task=0" "--plan=slurm --slurm-partition=a;b" \
    "--plan=slurm --sbatch=--arr=1-9" "--plan=slurm --sbatch=--output=x" "--plan=slurm --sbatch=-o" \
    "--plan=slurm --sbatch=--qos=a#b" "--plan=slurm --sbatch=--time=1" "--plan=slurm --plan=parallel" \
    "--plan=slurm --shards=2 --shards=3"; do
    # shellcheck disable=SC2086
    "$REPLAY" --study="$TMP/u" --model=gpt2 --seq=128 --hw=edge $a >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [ $rc = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && [ ! -s "$TMP/out" ] && [ ! -e "$TMP/u" ] ||
        fail "$a: exit $rc: $(cat "$TMP/err")"
done
for a in "--shard= 1/ 2" "--shard=1 /2" "--shard=1/ 2"; do
    "$REPLAY" --study="$TMP/u" --model=gpt2 --seq=128 --hw=edge "$a" >/dev/null 2>"$TMP/err"
    [ $? = 2 ] && grep -q -e "--shard: expected I/N" "$TMP/err" || fail "'$a': $(cat "$TMP/err")"
done
"$REPLAY" --study="$TMP/u" --model=gpt2 --seq=128 --hw=edge --plan=slurm "--sbatch=--qos=x y" \
    >/dev/null 2>"$TMP/err"
[ $? = 2 ] && grep -q "without spaces" "$TMP/err" || fail "--sbatch with a space: $(cat "$TMP/err")"

# 6. names are data in both plans. A study dir, a --hf-config path and a --hw path holding
# quotes, $(), backticks, spaces, a newline and parallel's {= perl =}: nothing they hold runs
# (no INJ file appears), and the plans run the study they name, from another directory.
hf="$n/h/cfg \$(touch INJ4) '.json"
mkdir -p "$TMP/$n/h"
cp "$MMT_SRCDIR/tests/llm/gpt2.json" "$TMP/$hf"
cp "$TMP/tiny32.cfg" "$TMP/$n/h/tiny32.cfg"
set -- --hf-config="$hf" --hw="$n/h/tiny32.cfg" --seq=128,256 --format=svg
injected() { find "$TMP" / -maxdepth 1 -name 'INJ*' 2>/dev/null | head -1; find "$TMP" -name 'INJ*' | head -1; }
cd "$TMP" || exit 1
"$REPLAY" --study="$n/one" "$@" --cache="$n/c0" >/dev/null 2>&1 || fail "names: the study itself"
if command -v parallel >/dev/null 2>&1; then
    # abbreviations (--pla, --cach) are spelt out in the commands, never passed on as written
    "$REPLAY" --study="$n/p" "$@" --cach="$n/c5" --pla=parallel --shards=2 -j1 >"$TMP/plan2" ||
        fail "names: --plan=parallel"
    grep -q -e '--pla=' -e '--cach=' "$TMP/plan2" && fail "abbreviations passed on: $(cat "$TMP/plan2")"
    (cd / && sh "$TMP/plan2") >"$TMP/pout2" 2>&1 || fail "names: the parallel plan failed: $(tail -3 "$TMP/pout2")"
    [ "$(grep -c '^shard [12]/2: cache' "$TMP/pout2")" = 2 ] || fail "names: not 2 shards: $(cat "$TMP/pout2")"
    grep -q ' 0 simulated' "$TMP/pout2" || fail "names: the merge simulated layers: $(cat "$TMP/pout2")"
    same "$TMP/$n/one" "$TMP/$n/p" "names: GNU parallel"
    [ "$(awk -F'\t' 'NR > 1 && $7 == 0' "$TMP/$n/p/shards.joblog" | wc -l)" = 2 ] ||
        fail "joblog: $(cat "$TMP/$n/p/shards.joblog")"
    (cd / && sh "$TMP/plan2") >"$TMP/pout3" 2>&1 || fail "names: the plan again: $(tail -3 "$TMP/pout3")"
    grep -q '^shard' "$TMP/pout3" && fail "--resume-failed: shards that succeeded ran again"
else
    echo "study_shards: GNU parallel not installed: part 6 (parallel) skipped"
fi
"$REPLAY" --study="$n/s" "$@" --cach="$n/c6" --pla=slurm --shards=2 --slurm-time=1:00:00 \
    --slurm-mem=2G --slurm-cpus-per-task=1 --slurm-partition=test --slurm-account=me \
    --sbatch=--qos=normal --sbatch=--exclusive >/dev/null || fail "names: --plan=slurm"
S=$TMP/$n/s/slurm
for f in shard.sbatch merge.sbatch submit.sh; do
    sh -n "$S/$f" && bash -n "$S/$f" || fail "names: $f: syntax"
done
[ -x "$S/submit.sh" ] || fail "submit.sh is not executable"
for w in '--output=shard-%A_%a.log' --time=1:00:00 --mem=2G --cpus-per-task=1 --partition=test \
    --account=me --qos=normal --exclusive; do
    grep -q -x -e "#SBATCH $w" "$S/shard.sbatch" || fail "shard.sbatch: no #SBATCH $w"
done
grep -q -x -e '#SBATCH --output=merge-%j.log' "$S/merge.sbatch" || fail "merge.sbatch: no log name"
cat "$S/shard.sbatch" "$S/merge.sbatch" | grep '^#SBATCH' | grep -q -e "$TMP" -e "'" &&
    fail "a name on an #SBATCH line: $(grep '^#SBATCH' "$S/shard.sbatch")"
for i in 1 2; do
    (cd / && SLURM_ARRAY_TASK_ID=$i SLURM_CPUS_PER_TASK=1 sh "$S/shard.sbatch") >/dev/null 2>&1 ||
        fail "names: shard task $i"
done
(cd / && sh "$S/merge.sbatch") >"$TMP/sout2" 2>&1 || fail "names: merge job: $(cat "$TMP/sout2")"
grep -q ' 0 simulated' "$TMP/sout2" || fail "names: the Slurm merge simulated layers"
same "$TMP/$n/one" "$TMP/$n/s" "names: Slurm tasks"
# submit.sh from another directory, with an sbatch that records where and how it was called
mkdir "$TMP/bin"
printf '#!/bin/sh\n{ pwd; printf "%%s|" "$@"; echo; } >>"$SBATCH_LOG"\necho "4711;cluster"\n' \
    >"$TMP/bin/sbatch"
chmod +x "$TMP/bin/sbatch"
(cd / && SBATCH_LOG=$TMP/sbatch.log PATH=$TMP/bin:$PATH "$S/submit.sh") >/dev/null ||
    fail "submit.sh with a stand-in sbatch"
printf '%s\n--parsable|shard.sbatch|\n%s\n--parsable|--dependency=afterok:4711|--kill-on-invalid-dep=yes|merge.sbatch|\n' \
    "$S" "$S" >"$TMP/want"
cmp -s "$TMP/want" "$TMP/sbatch.log" || fail "submit.sh called: $(cat "$TMP/sbatch.log")"
# each command is exactly the parsed options (a stand-in program records its arguments)
printf '#!/bin/sh\nprintf "%%s\\n" "$PWD" "$@" >"$ARGV_LOG"\n' >"$TMP/bin/argv"
chmod +x "$TMP/bin/argv"
MMTRACE_REPLAY=$TMP/bin/argv "$REPLAY" --stud="$n/x" --hf-c="$hf" --hw "$n/h/tiny32.cfg" -j3 \
    --cach "$n/c7" --pla=slurm --shards=3 >/dev/null || fail "argv: --plan=slurm"
(cd / && ARGV_LOG=$TMP/argv.log SLURM_ARRAY_TASK_ID=2 SLURM_CPUS_PER_TASK=5 \
    sh "$TMP/$n/x/slurm/shard.sbatch") || fail "argv: shard task"
printf '%s\n' "$TMP" "--study=$n/x" "--hf-config=$hf" "--hw=$n/h/tiny32.cfg" "--cache=$n/c7" \
    --jobs=5 --shard=2/3 >"$TMP/want"
cmp -s "$TMP/want" "$TMP/argv.log" || fail "argv: the shard got $(cat "$TMP/argv.log")"
(cd / && ARGV_LOG=$TMP/argv.log sh "$TMP/$n/x/slurm/merge.sbatch") ||
    fail "argv: merge job"
grep -q -x -e --jobs=3 "$TMP/argv.log" || fail "argv: merge -j without Slurm: $(cat "$TMP/argv.log")"
[ -z "$(injected)" ] || fail "a name was run as code: $(injected) exists"
# the cache the plans pass on by default: $XDG_CACHE_HOME/mmtrace when it is absolute, else
# $HOME/.cache/mmtrace
XDG_CACHE_HOME=$TMP/xdg "$REPLAY" --study="$TMP/xd" --model=gpt2 --seq=128 --hw=edge \
    --plan=parallel >"$TMP/plan3" || fail "plan with XDG_CACHE_HOME"
grep -q -e "'--cache=$TMP/xdg/mmtrace' && " "$TMP/plan3" || fail "XDG_CACHE_HOME: $(cat "$TMP/plan3")"
(unset XDG_CACHE_HOME; HOME=$TMP/home "$REPLAY" --study="$TMP/xd" --model=gpt2 --seq=128 \
    --hw=edge --plan=parallel) >"$TMP/plan3" || fail "plan with HOME"
grep -q -e "'--cache=$TMP/home/.cache/mmtrace' && " "$TMP/plan3" || fail "HOME: $(cat "$TMP/plan3")"
cd / || exit 1

[ $failures = 0 ] && echo "study_shards: all checks passed"
exit $((failures != 0))
