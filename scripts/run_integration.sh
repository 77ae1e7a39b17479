#!/usr/bin/env bash
# Runs tests/integration/*.sh (or the scripts given) against $BNLAB, several at once.
#   BNLAB=build/bnlab scripts/run_integration.sh [--parallel N] [SCRIPT...]
# Most of these scripts wait more than they compute (kill and resume, heartbeats, a Slurm cluster
# starting, runs of a few steps whose cost is process start-up), so one at a time leaves the cores
# idle: run alone they take about twice their CPU time. Each script works in its own mktemp -d
# folder, so they do not share state. Every script's output goes to a log that is printed whole
# when it ends, with its wall time; the exit status is 1 if any script failed, naming them all.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BNLAB:?set BNLAB to the bnlab binary, e.g. BNLAB=build/bnlab}"
parallel=$(( $(nproc) + 1 ))
if [[ ${1:-} == --parallel ]]; then
  [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "run_integration.sh: --parallel needs a positive number" >&2; exit 2; }
  parallel=$2
  shift 2
fi
scripts=("$@")
if ((${#scripts[@]} == 0)); then
  # The longest first (studies.sh computes for minutes), so the short ones fill the gaps.
  scripts=(tests/integration/studies.sh)
  for t in tests/integration/*.sh; do
    [[ $t == tests/integration/studies.sh || $t == */common.bash ]] || scripts+=("$t")
  done
fi
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
declare -A name_of start_of
failed=()

# finish PID STATUS: print the finished script's log and record its result.
finish() {
  local name=${name_of[$1]} status=$2
  local took=$((SECONDS - ${start_of[$1]}))
  echo "-- $name: $([[ $status -eq 0 ]] && echo ok || echo "FAILED (exit $status)") after ${took} s"
  sed 's/^/   /' "$logs/$(basename "$name").log"
  [[ $status -eq 0 ]] || failed+=("$name")
}

running=()
# forget PID: drop it from the running list.
forget() {
  local kept=() pid
  for pid in "${running[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
  running=("${kept[@]}")
}

for t in "${scripts[@]}"; do
  [[ -f $t ]] || { echo "run_integration.sh: no such script: $t" >&2; exit 2; }
  while ((${#running[@]} >= parallel)); do
    status=0
    wait -n -p done_pid "${running[@]}" || status=$?
    finish "$done_pid" "$status"
    forget "$done_pid"
  done
  BNLAB="$BNLAB" bash "$t" >"$logs/$(basename "$t").log" 2>&1 &
  name_of[$!]=$t
  start_of[$!]=$SECONDS
  running+=("$!")
done
while ((${#running[@]} > 0)); do
  status=0
  wait -n -p done_pid "${running[@]}" || status=$?
  finish "$done_pid" "$status"
  forget "$done_pid"
done
if ((${#failed[@]} > 0)); then
  echo "integration tests FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "integration tests: all ${#scripts[@]} passed in ${SECONDS} s (up to $parallel at once)"
