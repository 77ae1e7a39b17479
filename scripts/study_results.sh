#!/usr/bin/env bash
# Runs every study's shortened CI version (exactly the --set lines and shards of
# tests/integration/studies.sh) with one thread per run, into OUT_DIR/<study>/ (runs.csv,
# metrics.csv, runs/<run_id>/...). Two such folders made before and after a change are compared
# with scripts/compare_results.py: a refactoring must give the same numbers.
#   scripts/study_results.sh OUT_DIR [STUDY...]     (BNLAB=build/bnlab, JOBS=2)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { echo "usage: $0 OUT_DIR [STUDY...]" >&2; exit 2; }
out=$1
shift
bnlab=${BNLAB:-build/bnlab}
jobs=${JOBS:-2}
if [[ $# -gt 0 ]]; then studies=("$@"); else
  studies=()
  for config in configs/studies/*.json; do studies+=("$(basename "$config" .json)"); done
fi
short=(--set data.train_size=1200 --set data.test_size=500 --set train.steps=60 --set train.eval_every=20
       --set sweep.train.seed=[1])
for name in "${studies[@]}"; do
  config=configs/studies/$name.json
  planned=$(($("$bnlab" plan "$config" | wc -l) - 1))
  extra=()
  [[ $name == convergence ]] && extra=(--set probes.activation_percentiles.every=20
                                      --set probes.train_mode_accuracy.samples=300)
  [[ $name == ics ]] && extra=(--set probes.ics.every=20)
  [[ $name == landscape ]] && extra=(--set probes.landscape.every=20)
  shard=()
  ((planned > 16)) && shard=(--shard "0/$(((planned + 11) / 12))")
  [[ $name == batch_size* ]] && extra=(--set probes.batch_stats.samples=600)
  [[ $name == overhead ]] && extra=(--set probes.inference_cost.repeats=3 --set 'sweep.train.batch_size=[2,32]')
  start=$SECONDS
  "$bnlab" run "$config" --out "$out" --jobs "$jobs" --threads 1 --force -q "${short[@]}" "${extra[@]}" "${shard[@]}"
  echo "$name: $(($(wc -l <"$out/$name/runs.csv") - 1)) runs in $((SECONDS - start)) s" >&2
done
