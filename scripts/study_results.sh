#!/usr/bin/env bash
# Runs every study's shortened CI version (tests/integration/study_settings.bash: the --set lines and
# shards of tests/integration/studies.sh) with one thread per run, into OUT_DIR/<study>/ (runs.csv,
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
source tests/integration/study_settings.bash
for name in "${studies[@]}"; do
  config=configs/studies/$name.json
  study_args "$name" "$bnlab"
  start=$SECONDS
  "$bnlab" run "$config" --out "$out" --jobs "$jobs" --threads 1 --force -q "${study_args[@]}"
  echo "$name: $(($(wc -l <"$out/$name/runs.csv") - 1)) runs in $((SECONDS - start)) s" >&2
done
