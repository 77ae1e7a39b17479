#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine: installs slurm-wlm and munge if missing, starts
# a private munged, slurmctld and slurmd (everything in a temp dir, on ports of its own; the
# system's munge and Slurm set-up are not touched), submits a small sweep with
# scripts/slurm_submit.sh as a job array plus a collect job, waits for them, and checks that the
# array's runs.csv equals a local run's on every column that does not depend on timing. Every
# daemon it started is stopped on exit, also on failure; if Slurm does not come up, their logs are
# printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/integration/common.bash
export BNLAB

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "slurm.sh: installing slurm-wlm and munge" >&2
  [[ $(id -u) -eq 0 ]] || fail "slurm-wlm and munge are missing and installing them needs root (scripts/setup.sh --test)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
[[ $(id -u) -eq 0 ]] || fail "the Slurm test runs its daemons as root (SlurmUser=root)"

tmp=$(mktemp -d)
chmod 755 "$tmp"  # munged wants its socket's folders searchable by everyone
pids=()
started=$(date +%s)

show_logs() {
  for log in "$tmp"/munge/munged.log "$tmp"/slurmctld.log "$tmp"/slurmd.log "$tmp"/array/*/slurm/*.log; do
    [[ -f "$log" ]] || continue
    echo "----- $log (last 40 lines)" >&2
    tail -n 40 "$log" >&2
  done
}

cleanup() {
  local status=$?
  set +e
  if [[ $status -ne 0 ]]; then show_logs; fi
  if [[ -n "${SLURM_CONF:-}" ]] && [[ ${#pids[@]} -ge 2 ]]; then
    scancel --quiet --user root 2>/dev/null
    for _ in $(seq 1 20); do [[ -z $(squeue -h 2>/dev/null) ]] && break; sleep 0.5; done
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  pkill -KILL -f "bnlab.*$tmp" 2>/dev/null
  rm -rf "$tmp"
  exit $status
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- munge: a private daemon with its own key and socket
mkdir -m 755 "$tmp/munge"
mungekey --create --keyfile="$tmp/munge/munge.key"
munged -F --socket="$tmp/munge/munge.socket" --key-file="$tmp/munge/munge.key" --log-file="$tmp/munge/munged.log" \
  --pid-file="$tmp/munge/munged.pid" --seed-file="$tmp/munge/munged.seed" >"$tmp/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do [[ -S "$tmp/munge/munge.socket" ]] && break; sleep 0.1; done
munge -n -S "$tmp/munge/munge.socket" | unmunge -S "$tmp/munge/munge.socket" >/dev/null || fail "munged does not work"

# --- Slurm: one node, this machine
host=$(hostname -s)
cpus=$(nproc)
memory=$(free -m | awk '/^Mem:/ {print int($2 * 0.9)}')
port=$((20000 + RANDOM % 20000))
mkdir -p "$tmp/state" "$tmp/spool"
export SLURM_CONF="$tmp/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=bnlabtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge/munge.socket
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -D -i -f "$SLURM_CONF" >"$tmp/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$tmp/slurmd.out" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 1 60); do
  state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
  [[ $state == idle ]] && break
  sleep 0.5
done
[[ $state == idle ]] || fail "the Slurm node did not become idle (state: '${state:-no answer}')"
pass "Slurm is up: node $host idle ($cpus CPUs, ${memory} MB), slurmctld on port $port"

# --- the sweep: 4 runs of 30 steps (20 in the file, 30 by --set), as an array and locally
cat >"$tmp/sweep.json" <<'JSON'
{"name": "slurm_sweep",
 "data": {"dataset": "synthetic", "train_size": 300, "test_size": 100},
 "model": {"arch": "mlp", "hidden": [32], "norm": "batch"},
 "train": {"batch_size": 30, "steps": 20, "eval_every": 10},
 "sweep": {"optimizer.lr": [0.05, 0.2], "train.seed": [1, 2]}}
JSON
submitted=$(BNLAB_MAX_PARALLEL=2 scripts/slurm_submit.sh "$tmp/sweep.json" --out "$tmp/array" --set train.steps=30 \
  --threads 1 --time 5)
echo "$submitted"
array_job=$(sed -n 's/^array_job_id=//p' <<<"$submitted")
collect_job=$(sed -n 's/^collect_job_id=//p' <<<"$submitted")
[[ -n "$array_job" && -n "$collect_job" ]] || fail "slurm_submit.sh printed no job ids"
for _ in $(seq 1 240); do
  [[ -z $(squeue -h -o %i 2>/dev/null) ]] && break
  sleep 0.5
done
[[ -z $(squeue -h -o %i) ]] || { squeue >&2; fail "the jobs did not finish in 2 minutes"; }
[[ -f "$tmp/array/slurm_sweep/runs.csv" ]] || fail "no runs.csv from the collect job"
pass "array job $array_job and collect job $collect_job finished"

"$BNLAB" run "$tmp/sweep.json" --out "$tmp/local" --set train.steps=30 --threads 1 -q
[[ $(column "$tmp/array/slurm_sweep/runs.csv" steps | sort -u) == 30 ]] || fail "--set did not reach the array tasks"
diff <(deterministic_columns "$tmp/local/slurm_sweep/runs.csv") \
  <(deterministic_columns "$tmp/array/slurm_sweep/runs.csv") || fail "the array's runs.csv differs from a local run's"
[[ $(column "$tmp/array/slurm_sweep/runs.csv" status | sort -u) == ok ]] || fail "not every array run ok"
logs="$tmp/array/slurm_sweep/slurm"
task_logs=$(find "$logs" -name "${array_job}_*.log" | wc -l)
[[ $task_logs -eq 4 ]] || fail "expected 4 task logs in $logs, found $task_logs"
[[ -f "$logs/$collect_job-collect.log" ]] || fail "no log of the collect job in $logs"
pass "runs.csv of the array equals the local run's on the deterministic columns ($(($(date +%s) - started)) s)"
echo "slurm.sh: all passed"
