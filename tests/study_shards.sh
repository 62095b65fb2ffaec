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
#    (started and stopped here) runs submit.sh and gives the same tables again.
# Needs MMT_SRCDIR and MMT_BUILDDIR (set by `make check`).
set -u

. "$MMT_SRCDIR/tests/testlib.sh"
need_built "$REPLAY"
# the plans run this program (the libtool wrapper, which finds the uninstalled libraries)
MMTRACE_REPLAY=$REPLAY
export MMTRACE_REPLAY

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
    grep -q '^parallel .*--shard={}/2 ::: 1 2 && ' "$TMP/plan" || fail "plan: $(cat "$TMP/plan")"
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
sh "$TMP/s/slurm/merge.sbatch" >"$TMP/sout" 2>/dev/null || fail "merge job"
grep -q ' 0 simulated' "$TMP/sout" || fail "the Slurm merge simulated layers"
same "$TMP/a" "$TMP/s" "Slurm tasks"

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
        "$REPLAY" --study="$TMP/r" "$@" --cache="$TMP/c4" --plan=slurm --shards=2 >/dev/null ||
            fail "--plan=slurm for the cluster"
        sh "$TMP/r/slurm/submit.sh" >"$S/jobs" 2>&1 || fail "submit.sh: $(cat "$S/jobs")"
        for i in $(seq 600); do
            [ -z "$(squeue -h 2>/dev/null)" ] && break
            sleep 1
        done
        same "$TMP/a" "$TMP/r" "real Slurm job array + merge"
        grep -q ' 0 simulated' "$TMP/r/slurm/merge.log" || fail "Slurm merge: $(tail -2 "$TMP/r/slurm/merge.log")"
    fi
    slurm_stop
fi

# 5. shard usage errors.
for a in --shard=0/2 --shard=3/2 --shard=1/2x "--shard=1/2 --no-cache" --plan=pbs; do
    "$REPLAY" --study="$TMP/u" --model=gpt2 --seq=128 --hw=edge $a >/dev/null 2>"$TMP/err"
    [ $? = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] || fail "$a: $(cat "$TMP/err")"
done

[ $failures = 0 ] && echo "study_shards: all checks passed"
exit $((failures != 0))
