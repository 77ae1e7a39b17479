#!/usr/bin/env bash
# Every study config validates and plans; a shortened version of each (a Fashion-MNIST subset, a
# few dozen steps, one seed) runs end to end through scripts/plot.py: the CSVs have their
# columns, the probe files exist where the study enables probes, and the figure and summary are
# written. The full studies are scripts/reproduce.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/integration/common.bash
source tests/integration/study_settings.bash
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# header_has CSV COLUMN...: the CSV's header line has every COLUMN.
header_has() {
  local file=$1 header col
  shift
  [[ -s "$file" ]] || fail "$file: missing or empty"
  header=",$(head -1 "$file"),"
  for col in "$@"; do
    [[ "$header" == *",$col,"* ]] || fail "$file: no column '$col' (header: $(head -1 "$file"))"
  done
}

# nonempty CSV COLUMN...: every row of the CSV has a number in every COLUMN.
nonempty() {
  local file=$1
  shift
  python3 - "$file" "$@" <<'PY' || fail "$file: empty cells in $*"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
sys.exit(not rows or any(not r.get(c) for r in rows for c in sys.argv[2:]))
PY
}

shopt -s nullglob
studies=(configs/studies/*.json)
[[ ${#studies[@]} -ge 4 ]] || fail "expected at least 4 study configs, found ${#studies[@]}"
for config in "${studies[@]}"; do
  name=$(basename "$config" .json)
  expect_status 0 "$BNLAB" validate "$config"
  expect_status 0 "$BNLAB" plan "$config"
  planned=$(($(wc -l <"$tmp/last.out") - 1))
  [[ $planned -ge 2 ]] || fail "$config: plan has $planned runs"

  study_args "$name" "$BNLAB"
  expect_status 0 "$BNLAB" run "$config" --out "$tmp/results" --jobs 2 -q "${study_args[@]}"
  dir=$tmp/results/$name
  header_has "$dir/runs.csv" run_id status steps final_train_loss final_train_acc final_test_loss \
    final_test_acc best_test_acc final_val_loss final_val_acc best_val_acc steps_to_target steps_to_target_on \
    diverged_at_step wall_s ms_per_step peak_rss_mb
  header_has "$dir/metrics.csv" run_id step epoch samples lr train_loss train_acc test_loss test_acc val_loss val_acc \
    wall_s
  # one column per swept key, named by its dotted path (from the resolved config: a study may extend
  # another, and a zip group's keys are columns too)
  # (as shortened: a --set of a zipped key takes it out of the sweep, and out of the CSVs' columns)
  "$BNLAB" plan "$config" --resolved "${study_sets[@]}" >"$tmp/resolved.json"
  for key in $(python3 -c "
import json, sys
sweep = json.load(open(sys.argv[1]))['sweep']
keys = [k for k in sweep if k not in ('zip', 'exclude')] + list(sweep.get('zip', {}))
print(' '.join(keys))" "$tmp/resolved.json"); do
    header_has "$dir/runs.csv" "$key"
    header_has "$dir/metrics.csv" "$key"
  done
  rows=$(($(wc -l <"$dir/runs.csv") - 1))
  [[ $rows -ge 2 ]] || fail "$dir/runs.csv: $rows runs"
  if [[ $name == convergence ]]; then
    for run in "$dir"/runs/*/; do
      header_has "$run/activation_percentiles.csv" step layer unit percentile value
      header_has "$run/train_mode_accuracy.csv" step batch_size samples eval_acc batch_stats_acc
    done
  fi
  if [[ $name == interpretability ]]; then
    for run in "$dir"/runs/*/; do
      header_has "$run/unit_ablation.csv" layer unit weight_norm gamma base_acc ablated_acc drop loss_increase spearman
      header_has "$run/scale_invariance.csv" layer factor batch_stats_max_abs batch_stats_max_rel batch_stats_acc_change \
        eval_max_abs eval_max_rel eval_acc_change
    done
    # the probes' run-level results, which the study's claims judge
    nonempty "$dir/runs.csv" unit_ablation_mean_spearman scale_invariance_batch_stats_max_rel
  fi
  if [[ $name == ics ]]; then
    for run in "$dir"/runs/*/; do
      header_has "$run/ics.csv" step layer net_layer grad_norm diff_norm cosine
      [[ $(($(wc -l <"$run/ics.csv") - 1)) -ge 8 ]] || fail "$run/ics.csv: fewer than 2 recorded steps"
      # the probe's cost: its seconds and the share of training time spent in probes
      python3 -c "import json, sys; s = json.load(open(sys.argv[1])); sys.exit(not (0 < s['probe_share'] < 1 and s['probe_s_by_name']['ics'] > 0))" \
        "$run/status.json" || fail "$run/status.json: no probe_share / probe_s_by_name.ics"
    done
  fi
  if [[ $name == landscape ]]; then
    for run in "$dir"/runs/*/; do
      header_has "$run/landscape.csv" step factor loss distance grad_change grad_change_per_distance
      [[ $(($(wc -l <"$run/landscape.csv") - 1)) -ge 12 ]] || fail "$run/landscape.csv: fewer than 2 recorded steps"
      # the probe's cost: its seconds and the share of training time spent in probes
      python3 -c "import json, sys; s = json.load(open(sys.argv[1])); sys.exit(not (0 < s['probe_share'] < 1 and s['probe_s_by_name']['landscape'] > 0))" \
        "$run/status.json" || fail "$run/status.json: no probe_share / probe_s_by_name.landscape"
    done
  fi
  if [[ $name == overhead ]]; then
    for run in "$dir"/runs/*/; do
      header_has "$run/inference_cost.csv" step folded batch_size repeats ms_median ms_min samples max_abs_diff \
        max_abs_logit
    done
    nonempty "$dir/runs.csv" inference_cost_ms inference_cost_folded_ms
  fi
  BNLAB=$BNLAB /usr/bin/python3 scripts/plot.py "$dir" 2>"$tmp/plot.err" || { cat "$tmp/plot.err" >&2; fail "plot.py $dir"; }
  [[ $(stat -c %s "$dir/$name.png") -gt 20000 ]] || fail "$dir/$name.png: missing or too small"
  [[ -s "$dir/$name.md" ]] || fail "$dir/$name.md: missing"
  # a study with claims: bnlab run judged them, and the summary ends with that verdict table
  if python3 -c "import json, sys; sys.exit(not json.load(open(sys.argv[1])).get('claims'))" "$tmp/resolved.json"; then
    [[ -s "$dir/verdict.md" ]] || fail "$dir/verdict.md: missing (the config has claims)"
    grep -q "^## Verdicts" "$dir/$name.md" || fail "$dir/$name.md: no verdict table"
  fi
  pass "$name: $rows shortened runs, CSV columns, $name.png"
done
