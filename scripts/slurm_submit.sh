#!/usr/bin/env bash
# Submits an experiment's sweep to Slurm as one job array (one task per run) plus a collect job
# that runs after every task ended, and prints the two job ids.
#
#   scripts/slurm_submit.sh CONFIG [--out DIR] [--set KEY=VALUE]... [--threads N] [sbatch args...]
#
#   CONFIG          the experiment config (JSON); the results go to <out>/<name>/ as with bnlab run
#   --out DIR       results folder (default: $BNLAB_OUT, else results/); it must be on a file system
#                   every node sees, since each task writes its run folders into it
#   --set KEY=VALUE config overrides, as for bnlab run (repeatable; also $BNLAB_SET: overrides
#                   separated by spaces)
#   --threads N     oneDNN threads per run (default: the CPUs Slurm gives a task, see
#                   --cpus-per-task)
#   anything else   passed to both sbatch calls (--partition, --time, --cpus-per-task, --mem, ...)
#
# Environment: BNLAB (the bnlab binary; default build/bnlab), BNLAB_MAX_PARALLEL (tasks at once,
# the %P of --array=0-(N-1)%P; default N), BNLAB_OUT, BNLAB_SET.
#
# Array task i runs `bnlab run CONFIG --out DIR`, which takes shard i of N from
# SLURM_ARRAY_TASK_ID/_COUNT/_MIN and so runs the i-th run of the plan; finished runs are skipped,
# so resubmitting after a failure or a preemption finishes only what is missing. Task logs go to
# <out>/<name>/slurm/. The collect job (--dependency=afterany) rebuilds runs.csv and metrics.csv
# from this plan's runs.
# Prints "array_job_id=ID" and "collect_job_id=ID" on stdout.
set -euo pipefail

die() {
  echo "slurm_submit: $*" >&2
  exit 2
}

[[ $# -ge 1 && $1 != -* ]] || die "usage: $0 CONFIG [--out DIR] [--set KEY=VALUE]... [--threads N] [sbatch args...]"
config=$(realpath "$1")
shift
[[ -f "$config" ]] || die "$config: no such file"
bnlab=$(realpath "${BNLAB:-$(dirname "$0")/../build/bnlab}")
[[ -x "$bnlab" ]] || die "no bnlab binary at $bnlab (build it with scripts/build.sh or set BNLAB)"
command -v sbatch >/dev/null || die "sbatch not found: is this a Slurm login node?"

out=${BNLAB_OUT:-results}
sets=()
read -r -a env_sets <<<"${BNLAB_SET:-}"
sets+=("${env_sets[@]}")
bnlab_args=()
sbatch_args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --out) [[ $# -ge 2 ]] || die "--out needs a value"; out=$2; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --set) [[ $# -ge 2 ]] || die "--set needs KEY=VALUE"; sets+=("$2"); shift 2 ;;
    --set=*) sets+=("${1#--set=}"); shift ;;
    --threads) [[ $# -ge 2 ]] || die "--threads needs a value"; bnlab_args+=(--threads "$2"); shift 2 ;;
    --threads=*) bnlab_args+=(--threads "${1#--threads=}"); shift ;;
    *) sbatch_args+=("$1"); shift ;;
  esac
done
mkdir -p "$out"
out=$(realpath "$out")
set_args=()
for s in "${sets[@]}"; do set_args+=(--set "$s"); done

# The plan (this also validates the config: a bad one stops here with bnlab's message).
plan=$("$bnlab" plan "$config" "${set_args[@]}") || die "bnlab plan failed"
runs=$(($(printf '%s\n' "$plan" | wc -l) - 1))
[[ $runs -ge 1 ]] || die "the plan has no runs"
# The experiment's name as bnlab resolves it (a config may inherit it through "extends"; --set name=...)
name=$("$bnlab" plan "$config" "${set_args[@]}" --resolved |
       python3 -c 'import json, sys; print(json.load(sys.stdin)["name"])') || die "bnlab plan --resolved failed"
parallel=${BNLAB_MAX_PARALLEL:-$runs}
logs="$out/$name/slurm"
mkdir -p "$logs"

quoted() { printf '%q ' "$@"; }
run_command=$(quoted "$bnlab" run "$config" --out "$out" "${set_args[@]}" "${bnlab_args[@]}")
collect_command=$(quoted "$bnlab" collect "$out/$name" "$config" "${set_args[@]}")  # this plan's runs only

array_job=$(sbatch --parsable --job-name "bnlab-$name" --array "0-$((runs - 1))%$parallel" \
  --output "$logs/%A_%a.log" "${sbatch_args[@]}" --wrap "$run_command")
array_job=${array_job%%;*}  # "id;cluster" on multi-cluster set-ups
collect_job=$(sbatch --parsable --job-name "bnlab-$name-collect" --dependency "afterany:$array_job" \
  --output "$logs/%j-collect.log" "${sbatch_args[@]}" --wrap "$collect_command")
collect_job=${collect_job%%;*}

echo "slurm_submit: $name: $runs runs as array job $array_job (at most $parallel at once), then collect job" \
  "$collect_job into $out/$name/runs.csv; logs in $logs" >&2
echo "array_job_id=$array_job"
echo "collect_job_id=$collect_job"
