#!/usr/bin/env bash
# scripts/plot.py on experiments without a study figure: the generic figure (final metric against a
# numeric swept key, lines, facets; mean and 95% t interval from `bnlab summary`) and the learning
# curves of a sweep with no numeric key; bad keys, metrics and figures are refused with a message
# that names the valid ones; plot.figure in the config picks a study figure whatever the name.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/integration/common.bash
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export BNLAB
plot() { /usr/bin/python3 scripts/plot.py "$@"; }

# sweep_config FILE NAME SWEEP [EXTRA]: small synthetic MLP runs.
sweep_config() {
  cat >"$1" <<JSON
{"name": "$2",
 "data": {"dataset": "synthetic", "train_size": 400, "test_size": 200},
 "model": {"arch": "mlp", "hidden": [32]},
 "train": {"batch_size": 40, "steps": 30, "eval_every": 10}${4:-},
 "sweep": $3}
JSON
}

sweep_config "$tmp/lr.json" lr_grid \
  '{"optimizer.lr": [0.01, 0.1, 1.0], "model.norm": ["none", "batch"], "model.activation": ["relu", "tanh"], "train.seed": [1, 2]}'
expect_status 0 "$BNLAB" run "$tmp/lr.json" --out "$tmp/results" --jobs 2 -q
dir=$tmp/results/lr_grid
expect_status 0 plot "$dir"
[[ $(stat -c %s "$dir/lr_grid.png") -gt 20000 ]] || fail "$dir/lr_grid.png: missing or too small"
# the keys left out come in runs.csv's column order: lines model.activation, facets model.norm
grep -q "^| optimizer.lr | model.activation | model.norm | metric | n " "$dir/lr_grid.md" ||
  fail "lr_grid.md: not the summary by lr, activation and norm: $(head -1 "$dir/lr_grid.md")"
pass "generic figure: final_test_acc vs optimizer.lr, lines model.activation, facets model.norm"

expect_status 0 plot "$dir" --x optimizer.lr --lines model.norm --facets model.activation --metric final_train_loss \
  --out "$tmp/other"
[[ -s "$tmp/other/lr_grid.png" ]] || fail "--out: no figure in $tmp/other"
grep -q "^| optimizer.lr | model.norm | model.activation | metric " "$tmp/other/lr_grid.md" ||
  fail "--lines model.norm --facets model.activation ignored: $(head -1 "$tmp/other/lr_grid.md")"
grep -q "final_train_loss" "$tmp/other/lr_grid.md" || fail "--metric final_train_loss ignored"

refused() {  # refused MESSAGE ARG...: plot.py exits 2 and says MESSAGE
  local message=$1
  shift
  expect_status 2 plot "$dir" "$@"
  grep -qF -- "$message" "$tmp/last.err" || fail "plot.py $*: expected '$message', got: $(cat "$tmp/last.err")"
}
refused "--x optimizer.rate: not a swept key of this experiment; swept keys: model.activation, model.norm, optimizer.lr, train.seed" \
  --x optimizer.rate
refused "--x model.norm: not numeric (values none, batch); numeric swept keys: optimizer.lr, train.seed" --x model.norm
refused "--facets norm: not a swept key" --facets norm
refused "--metric final_test_accuracy: not a result column of runs.csv; numeric ones: steps," --metric final_test_accuracy
refused "--x, --lines and --facets must be different keys" --x optimizer.lr --lines optimizer.lr
refused "--figure lr: no such figure; figures: generic, convergence, learning_rate," --figure lr
expect_status 2 env BNLAB="$tmp/no-bnlab" /usr/bin/python3 scripts/plot.py "$dir"
grep -qF "BNLAB=$tmp/no-bnlab: not an executable bnlab" "$tmp/last.err" || fail "a wrong BNLAB: $(cat "$tmp/last.err")"
expect_status 2 plot "$tmp/nowhere"
grep -q "not a folder" "$tmp/last.err" || fail "a missing folder: $(cat "$tmp/last.err")"

# No numeric swept key but the seed: the learning curves, one line per norm.
sweep_config "$tmp/norms.json" norms '{"model.norm": ["none", "batch", "layer"], "train.seed": [1, 2]}'
expect_status 0 "$BNLAB" run "$tmp/norms.json" --out "$tmp/results" --jobs 2 -q
expect_status 0 plot "$tmp/results/norms"
[[ $(stat -c %s "$tmp/results/norms/norms.png") -gt 20000 ]] || fail "norms.png: missing or too small"
pass "generic figure without a numeric key: learning curves"

# The figure follows plot.figure, not the name: a study figure under another name, and the
# generic one for a folder whose config names none.
sweep_config "$tmp/named.json" my_lr '{"optimizer.lr": [0.01, 1.0], "model.norm": ["none", "batch"]}' \
  ', "plot": {"figure": "learning_rate"}'
expect_status 0 "$BNLAB" run "$tmp/named.json" --out "$tmp/results" --jobs 2 -q
expect_status 0 plot "$tmp/results/my_lr"
grep -q "| arch | lr | batch | none | batch diverged | none diverged |" "$tmp/results/my_lr/my_lr.md" ||
  fail "plot.figure learning_rate: not the learning_rate table: $(head -1 "$tmp/results/my_lr/my_lr.md")"
expect_status 0 plot "$tmp/results/my_lr" --figure generic --out "$tmp/generic"
grep -q "^| optimizer.lr | model.norm | metric " "$tmp/generic/my_lr.md" || fail "--figure generic ignored"
pass "plot.figure picks the study figure; --figure generic overrides it"
