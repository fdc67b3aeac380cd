#!/usr/bin/env bash
# Integration test of `cmhbench slurm` and `cmhbench merge` against a real one-node Slurm
# (Debian's slurm-wlm: slurmctld, slurmd, munge; .ci/install-deps installs them; this script
# installs nothing). Everything lives in a scratch folder: munged with its own key and socket,
# a slurm.conf named by SLURM_CONF (never /etc/slurm), the daemons in the foreground of
# background jobs, stopped by their PIDs on exit (see ../shared/design/SLURM-NOTES.md).
#
# What it checks:
#  1. `cmhbench slurm experiments/ci.toml --only method=cca,method=mlsph,seed=1 --tasks 2` writes an array
#     job; submitted, each task runs its shard into its own database.
#  2. Requeue, both ways a task dies: task 0's process is killed with SIGKILL once its MLSPH
#     cell's first epoch checkpoint is on disk (a crash: nothing saved at the kill), then the
#     task is requeued (`scontrol requeue`); task 1 is requeued while it trains its MLSPH cell
#     (Slurm's SIGTERM, as on preemption: the run saves its checkpoint and exits). Each task runs
#     again, skips its done CCA cell and resumes its MLSPH cell from the checkpoint (the run
#     records "resumed from the checkpoint after epoch N"). A SIGTERM that lands in the last
#     epoch lets the cell finish instead; task 1 then only has to hold it (seen on an idle machine).
#  3. `merge.sh` folds the task databases (again: nothing new), and the merged cells must equal
#     the same cells run directly, uninterrupted, value for value: `cmhbench merge` of the direct
#     run into a copy of the merged database finds only identical duplicates (the resumed cells
#     included). The CI grid's check against results/reference/ci.csv covers their values.
#  4. The external-program cells of the grid (NumPy CCA, PyTorch example; seed 1) as a second array
#     job: merged, they equal the same cells run directly.
# If the daemons cannot start here, it prints "SKIPPED: slurm daemons could not start: <reason>"
# and exits 77 (the skip status ctest and automake use), which .ci/run counts and reports as a
# skip. KEEP_SCRATCH=1 keeps the scratch folder.
#
# usage: tests/slurm/slurm_integration.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
build=$(cd "${1:-build}" && pwd)
exe="$build/cmhbench"
start=$(date +%s)
say() { echo "slurm test [$(( $(date +%s) - start )) s]: $*"; }
skip() {
  echo "SKIPPED: slurm daemons could not start: $*"
  exit 77
}
fail() {
  echo "FAILED: slurm test: $*" >&2
  for f in "$scratch"/log/*.log "$scratch"/job/logs/*.log; do
    [ -f "$f" ] && { echo "---- $f (last 30 lines)" >&2; tail -n 30 "$f" >&2; }
  done
  exit 1
}
[ -x "$exe" ] || { echo "slurm test: $exe not built" >&2; exit 1; }

for tool in munged mungekey slurmctld slurmd sbatch squeue sinfo scontrol scancel; do
  command -v "$tool" >/dev/null || skip "$tool not installed (.ci/install-deps installs slurmctld slurmd slurm-client munge)"
done
[ "$(id -u)" -eq 0 ] || skip "not root (this one-node setup runs slurmd and the jobs as root)"

scratch=$(mktemp -d /tmp/cmhbench-slurm.XXXXXX)
chmod 0755 "$scratch"
pids=()
cleanup() {
  set +e
  if [ -n "${SLURM_CONF:-}" ] && [ -f "$SLURM_CONF" ]; then scancel --quiet --user=root >/dev/null 2>&1; fi
  # Stop the daemons we started, by PID, controller last; then munged.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  wait 2>/dev/null
  if [ "${KEEP_SCRATCH:-0}" = 1 ]; then echo "slurm test: scratch kept in $scratch"; else rm -rf "$scratch"; fi
}
trap cleanup EXIT

# ---- munge: its own key, socket and files
mkdir -p "$scratch/munge" "$scratch/log" "$scratch/state" "$scratch/spool"
chmod 0755 "$scratch/munge"
mungekey --create --keyfile="$scratch/munge/munge.key" >/dev/null 2>&1 || skip "mungekey could not create a key"
chmod 0600 "$scratch/munge/munge.key"
munged --foreground --key-file "$scratch/munge/munge.key" --socket "$scratch/munge/munge.socket" \
  --pid-file "$scratch/munge/munged.pid" --log-file "$scratch/log/munged.log" \
  --seed-file "$scratch/munge/munged.seed" >"$scratch/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$scratch/munge/munge.socket" ] && break; sleep 0.1; done
[ -S "$scratch/munge/munge.socket" ] || skip "munged did not start: $(tail -n 3 "$scratch/log/munged.out" "$scratch/log/munged.log" 2>/dev/null | tr '\n' ' ')"

# ---- slurm.conf: one node (this machine), one default partition, no cgroups, no accounting
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=6817
while ! port_free "$port" || ! port_free $((port + 1)); do port=$((port + 2)); [ "$port" -lt 6917 ] || skip "no free port pair in 6817-6916"; done
cpus=$(nproc)
mem_mb=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.8 }' /proc/meminfo)
export SLURM_CONF="$scratch/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=cmhtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$scratch/munge/munge.socket,cred_expire=5
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$scratch/state
SlurmdSpoolDir=$scratch/spool
SlurmctldPidFile=$scratch/slurmctld.pid
SlurmdPidFile=$scratch/slurmd.pid
SlurmctldLogFile=$scratch/log/slurmctld.log
SlurmdLogFile=$scratch/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$scratch/log/jobcomp.txt
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerParameters=sched_interval=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -D -i >"$scratch/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N localhost >"$scratch/log/slurmd.out" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 150); do
  state=$(sinfo -h -o %T 2>/dev/null | head -n 1 || true)
  [ "$state" = idle ] && break
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || skip "a daemon exited: $(tail -n 3 "$scratch"/log/slurm*.out "$scratch"/log/slurm*.log 2>/dev/null | tr '\n' ' ')"; done
  sleep 0.2
done
[ "$state" = idle ] || skip "the node did not become idle within 30 s (state '$state'): $(tail -n 3 "$scratch/log/slurmctld.log" 2>/dev/null | tr '\n' ' ')"
say "one-node Slurm up ($(sinfo -h -o '%P %D %c %T' | head -n 1), ports $port/$((port + 1)))"

# ---- 1. the array job
job_dir="$scratch/job"
merged="$scratch/merged.sqlite"
"$exe" slurm experiments/ci.toml --only method=cca,method=mlsph,seed=1 --tasks 2 --out "$job_dir" --into "$merged" \
  --time 0:20:00 || fail "cmhbench slurm failed"
grep -q '^#SBATCH --requeue$' "$job_dir/job.sbatch" || fail "job.sbatch lacks --requeue"
# Each task: a CCA cell, then an MLSPH cell (cells.tsv says which).
declare -A ml_key
while IFS=$'\t' read -r t _ key method _; do
  [ "$method" = mlsph ] && ml_key[$t]=$key
done <"$job_dir/cells.tsv"
[ -n "${ml_key[0]:-}" ] && [ -n "${ml_key[1]:-}" ] || fail "cells.tsv does not give each task an MLSPH cell"
job=$(sbatch --parsable "$job_dir/job.sbatch") || fail "sbatch refused the job"
job=${job%%;*}
say "submitted array job $job (2 tasks, each a CCA and an MLSPH cell)"

shard_db() { echo "$job_dir/shard-$1-of-2.sqlite"; }
checkpoint() { echo "$job_dir/shard-$1-of-2.sqlite.ckpt/${ml_key[$1]}/mlsph.pt"; }
task_state() { squeue -h -j "${job}_$1" -o %T 2>/dev/null | head -n 1 || true; }
wait_for_checkpoint() {  # task
  for _ in $(seq 1200); do
    [ -f "$(checkpoint "$1")" ] && return 0
    sleep 0.25
  done
  fail "task $1: no MLSPH checkpoint after 300 s ($(checkpoint "$1"))"
}
wait_gone() {  # task: until the task has left the queue (ended, or pending again after a requeue)
  for _ in $(seq 600); do
    st=$(task_state "$1")
    case "$st" in RUNNING | COMPLETING | CONFIGURING) sleep 0.2 ;; *) return 0 ;; esac
  done
  fail "task $1 still $st 120 s after it was stopped"
}
cell_status() { sqlite3 "$(shard_db "$1")" "select status from runs where cell_key = '${ml_key[$1]}'"; }

# ---- 2a. task 0: SIGKILL to its process mid-training (by PID, from scontrol listpids), then requeue
wait_for_checkpoint 0
jid0=$(squeue -h -j "${job}_0" -o %A | head -n 1)
pid=""
for p in $(scontrol listpids "$jid0" 2>/dev/null | awk 'NR > 1 { print $1 }'); do
  [ "$(cat "/proc/$p/comm" 2>/dev/null)" = cmhbench ] && pid=$p
done
[ -n "$pid" ] || fail "task 0 (job $jid0): no cmhbench process in scontrol listpids"
kill -KILL "$pid"
wait_gone 0
[ "$(cell_status 0)" = running ] || fail "task 0's MLSPH cell is '$(cell_status 0)' after SIGKILL, expected 'running'"
[ -f "$(checkpoint 0)" ] || fail "task 0's checkpoint vanished with the kill"
scontrol requeue "${job}_0" || fail "scontrol requeue ${job}_0 failed"
say "task 0 killed with SIGKILL mid-training (cell still 'running', epoch checkpoint on disk) and requeued"

# ---- 2b. task 1: requeued while it trains (Slurm stops it with SIGTERM, as on preemption)
wait_for_checkpoint 1
[ "$(task_state 1)" = RUNNING ] || fail "task 1 is '$(task_state 1)' at its first checkpoint, expected RUNNING"
scontrol requeue "${job}_1" || fail "scontrol requeue ${job}_1 failed"
wait_gone 1
# SIGTERM stops a run after its next epoch checkpoint, but a run in its last epoch finishes the cell
# instead (nothing is left to resume). On a fast machine the requeue can land there; then task 0
# alone shows the resume, and task 1 must simply hold its finished cell.
task1_resumes=1
case "$(cell_status 1)" in
  running) say "task 1 requeued while training (SIGTERM: checkpoint saved, exit 130)" ;;
  done)
    task1_resumes=0
    say "task 1: the requeue's SIGTERM came in the last epoch, so the cell finished first (nothing to resume)" ;;
  *) fail "task 1's MLSPH cell is '$(cell_status 1)' after the requeue, expected 'running' (or 'done' if it was in its last epoch)" ;;
esac

# ---- wait for the whole array (the requeued tasks included)
for _ in $(seq 2400); do
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 0.5
done
[ -z "$(squeue -h -j "$job" 2>/dev/null)" ] || fail "array job $job still queued or running after 20 min"
say "array job $job finished"
for t in 0 1; do
  grep -q "restart 1" "$job_dir/logs/task-$t.log" || fail "task $t's log shows no restart (requeue)"
  notes=$(sqlite3 "$(shard_db "$t")" "select status || ' ' || protocol_json from runs where cell_key = '${ml_key[$t]}'")
  case "$notes" in
    done*"mlsph: resumed from the checkpoint after epoch"*) ;;
    done*) [ "$t" = 1 ] && [ "$task1_resumes" = 0 ] || fail "task $t: the requeued MLSPH cell did not resume from its checkpoint: $notes" ;;
    *) fail "task $t: the requeued MLSPH cell did not resume from its checkpoint: $notes" ;;
  esac
  [ ! -e "$job_dir/shard-$t-of-2.sqlite.ckpt/${ml_key[$t]}" ] || fail "task $t: the finished cell's checkpoint was not removed"
  n=$(sqlite3 "$(shard_db "$t")" "select count(*) from runs where status = 'done'")
  [ "$n" = 2 ] || fail "task $t's database holds $n done cells, expected 2"
  say "task $t: $(grep -o 'mlsph: resumed from the checkpoint after epoch [0-9]*' <<<"$notes" || echo 'finished before its requeue'); 2 done cells"
done

# ---- 3. merge (twice: idempotent) and check against the committed reference values
out=$(bash "$job_dir/merge.sh") || fail "merge.sh failed: $out"
echo "$out" | tail -n 1
echo "$out" | grep -q "4 copied, 0 identical, 0 conflicting, 0 not finished; 4 cells done there" || fail "first merge: $out"
out=$(bash "$job_dir/merge.sh") || fail "second merge.sh failed: $out"
echo "$out" | grep -q "0 copied, 4 identical, 0 conflicting" || fail "second merge not idempotent: $out"
direct="$scratch/direct.sqlite"
"$exe" run experiments/ci.toml --only method=cca,method=mlsph,seed=1 --db "$direct" >"$scratch/direct.log" 2>&1 ||
  fail "the direct run of the same cells failed: $(tail -n 5 "$scratch/direct.log")"
cp "$merged" "$scratch/merged-copy.sqlite"
out=$("$exe" merge "$direct" --into "$scratch/merged-copy.sqlite" 2>&1) ||
  fail "the Slurm cells differ from the same cells run directly: $out"
echo "$out" | grep -q "0 copied, 4 identical, 0 conflicting" || fail "the Slurm cells differ from a direct run: $out"
say "merged 4 cells; each equals the same cell run directly, uninterrupted (the resumed MLSPH cells included)"

# ---- 4. external programs (methods/external) as Slurm cells: the NumPy and PyTorch examples of the
# grid, seed 1, as a second array job; merged, they must equal the same cells run directly.
ext_dir="$scratch/job-external"
ext_merged="$scratch/merged-external.sqlite"
"$exe" slurm experiments/ci.toml --only method=external,seed=1 --tasks 2 --out "$ext_dir" --into "$ext_merged" \
  --time 0:10:00 || fail "cmhbench slurm failed for the external cells"
ext_job=$(sbatch --parsable "$ext_dir/job.sbatch") || fail "sbatch refused the external cells' job"
ext_job=${ext_job%%;*}
for _ in $(seq 1200); do
  [ -z "$(squeue -h -j "$ext_job" 2>/dev/null)" ] && break
  sleep 0.5
done
[ -z "$(squeue -h -j "$ext_job" 2>/dev/null)" ] || fail "external array job $ext_job still queued or running after 10 min"
out=$(bash "$ext_dir/merge.sh") || fail "merge.sh of the external cells failed: $out"
echo "$out" | grep -q "4 copied, 0 identical, 0 conflicting, 0 not finished; 4 cells done there" ||
  fail "external cells' merge: $out"
ext_direct="$scratch/direct-external.sqlite"
"$exe" run experiments/ci.toml --only method=external,seed=1 --db "$ext_direct" >"$scratch/direct-external.log" 2>&1 ||
  fail "the direct run of the external cells failed: $(tail -n 5 "$scratch/direct-external.log")"
out=$("$exe" merge "$ext_direct" --into "$ext_merged" 2>&1) || fail "the external Slurm cells differ from a direct run: $out"
echo "$out" | grep -q "0 copied, 4 identical, 0 conflicting" || fail "the external Slurm cells differ from a direct run: $out"
say "external cells: 4 through Slurm (array job $ext_job), each equal to the same cell run directly"
say "PASSED"
