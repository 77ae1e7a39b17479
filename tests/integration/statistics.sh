#!/usr/bin/env bash
# The statistics commands and the machine-readable outputs from the command line: a small synthetic
# sweep with 5 seeds and two claims, then summary, compare and verdict (run writes verdict.csv and
# verdict.md at its end; verdict rewrites them); info --json and validate --json parse as JSON with
# the documented fields; --color and NO_COLOR decide the colours of the log on a terminal.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/integration/common.bash
make_tmp

cat >"$tmp/stats.json" <<'JSON'
{"name": "stats",
 "data": {"dataset": "synthetic", "train_size": 600, "test_size": 200},
 "model": {"arch": "mlp", "hidden": [32], "norm": "batch"},
 "optimizer": {"lr": 0.05, "momentum": 0.9},
 "train": {"batch_size": 30, "steps": 40, "eval_every": 20},
 "sweep": {"model.norm": ["none", "batch"], "train.seed": [1, 2, 3, 4, 5]},
 "claims": [
   {"id": "bn_more_accurate", "claim": "BN ends more accurate", "metric": "final_test_acc",
    "compare": {"model.norm": ["batch", "none"]}, "expect": "greater", "margin": 0.0},
   {"id": "same_steps", "claim": "both train 40 steps", "metric": "steps",
    "compare": {"model.norm": ["batch", "none"]}, "expect": "similar", "margin": 0.5}]}
JSON
expect_status 0 "$BNLAB" run "$tmp/stats.json" --out "$tmp/out" --jobs 2
dir=$tmp/out/stats
for f in verdict.csv verdict.md claims.json; do [[ -s $dir/$f ]] || fail "run wrote no $f"; done
grep -q "claim same_steps: supported" "$tmp/last.err" || fail "run logged no verdict for same_steps"

# verdict.csv: one row per claim; the steps claim is exact: every difference is 0
python3 - "$dir/verdict.csv" <<'PY' || fail "verdict.csv"
import csv, sys
rows = {r["id"]: r for r in csv.DictReader(open(sys.argv[1], newline=""))}
assert set(rows) == {"bn_more_accurate", "same_steps"}, rows.keys()
s = rows["same_steps"]
assert s["n"] == "5" and float(s["estimate"]) == 0 and float(s["ci95_low"]) == 0, s
assert s["verdict"] == "supported" and float(s["p"]) == 1, s
assert rows["bn_more_accurate"]["verdict"] in ("supported", "contradicted", "inconclusive")
PY
pass "verdict.csv written by run"

expect_status 0 "$BNLAB" verdict "$dir" --format csv
cmp -s "$tmp/last.out" "$dir/verdict.csv" || fail "verdict --format csv differs from verdict.csv"
expect_status 0 "$BNLAB" verdict "$dir" --config "$tmp/stats.json"
grep -q "same_steps" "$tmp/last.out" || fail "verdict with --config printed no table"
rm "$dir/claims.json"
expect_status 2 "$BNLAB" verdict "$dir"
grep -q "claims.json: no such file" "$tmp/last.err" || fail "verdict without claims: no clear message"
expect_status 2 "$BNLAB" verdict "$dir" --set train.steps=10
grep -q "verdict: --set needs --config" "$tmp/last.err" || fail "verdict --set without --config: no clear message"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("claims"); json.dump(d, open(sys.argv[2], "w"))' \
  "$tmp/stats.json" "$tmp/noclaims.json"
expect_status 2 "$BNLAB" verdict "$dir" --config "$tmp/noclaims.json"
grep -q "states no claims" "$tmp/last.err" || fail "verdict of a config without claims: no clear message"

# summary: one row per norm with n = 5 and an interval
expect_status 0 "$BNLAB" summary "$dir" --metric final_test_acc,steps
python3 - "$tmp/last.out" <<'PY' || fail "summary output"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 4, rows
for r in rows:
    assert r["n"] == "5", r
    assert float(r["ci95_low"]) <= float(r["mean"]) <= float(r["ci95_high"]), r
steps = [r for r in rows if r["metric"] == "steps"]
assert all(float(r["mean"]) == 40 and float(r["sd"]) == 0 for r in steps), steps
PY
expect_status 0 "$BNLAB" summary "$dir" --by '' --format md
grep -q "| final_test_acc | 10 |" "$tmp/last.out" || fail "summary --by '': not one group of 10 runs"
expect_status 2 "$BNLAB" summary "$dir" --metric accuracy
grep -q "metric 'accuracy' is not a column" "$tmp/last.err" || fail "summary: unknown metric message"

# compare: 5 pairs, exact p on a 1/32 grid
expect_status 0 "$BNLAB" compare "$dir" --between model.norm=batch,none
python3 - "$tmp/last.out" <<'PY' || fail "compare output"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 1 and rows[0]["n"] == "5" and rows[0]["p_method"] == "exact", rows
assert abs(float(rows[0]["p"]) * 32 - round(float(rows[0]["p"]) * 32)) < 1e-9, rows
PY
expect_status 2 "$BNLAB" compare "$dir" --between model.norm=batch
grep -q "expected KEY=A,B" "$tmp/last.err" || fail "compare: bad --between message"
expect_status 2 "$BNLAB" compare "$dir" --between model.norm=batch,group
grep -q "no run has model.norm=group" "$tmp/last.err" || fail "compare: unknown value message"
# --relative: the geometric mean ratio of the same pairs (every run trains 40 steps: ratio 1, exactly);
# --where: only some runs (here the seeds 1, but a seed is a key like any other)
expect_status 0 "$BNLAB" compare "$dir" --between model.norm=batch,none --metric steps --relative
python3 - "$tmp/last.out" <<'PY' || fail "compare --relative output"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 1 and rows[0]["n"] == "5" and float(rows[0]["ratio"]) == 1 and float(rows[0]["sd_log_ratio"]) == 0, rows
PY
expect_status 0 "$BNLAB" compare "$dir" --between model.norm=batch,none --where train.seed=1 --format md
grep -q "| 1 | " "$tmp/last.out" || fail "compare --where train.seed=1: not one pair"
expect_status 2 "$BNLAB" compare "$dir" --between model.norm=batch,none --where train.sed=1
grep -q "'train.sed' is not a swept key" "$tmp/last.err" || fail "compare --where: unknown key message"
expect_status 2 "$BNLAB" compare "$dir" --between model.norm=batch,none --where seed
grep -q "expected KEY=VALUE" "$tmp/last.err" || fail "compare --where: bad value message"
pass "summary and compare"

# --- nothing is selected on the test set: without data.val_size, best_test_acc and steps_to_target
# (measured on the test set) are refused; with it, the validation columns are filled and judged
expect_status 2 "$BNLAB" compare "$dir" --between model.norm=batch,none --metric best_test_acc
grep -q "best_test_acc is the best test accuracy over the evaluations" "$tmp/last.err" || fail "compare best_test_acc: no refusal"
expect_status 2 "$BNLAB" compare "$dir" --between model.norm=batch,none --metric steps_to_target
grep -q "steps_to_target of 10 runs (e.g. [0-9a-f]*) was measured on the test set" "$tmp/last.err" ||
  fail "compare steps_to_target on the test set: no refusal"
python3 - "$tmp/stats.json" "$tmp/val.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["name"] = "stats_val"
d["train"]["target_accuracy"] = 0.3
d["claims"] = [{"id": "bn_sooner", "claim": "BN reaches 30% validation accuracy sooner", "metric": "steps_to_target",
                "compare": {"model.norm": ["batch", "none"]}, "expect": "less", "margin": 0},
               {"id": "bn_best_val", "claim": "BN's best validation accuracy is higher", "metric": "best_val_acc",
                "compare": {"model.norm": ["batch", "none"]}, "expect": "greater", "margin": 0}]
json.dump(d, open(sys.argv[2], "w"))
PY
expect_status 2 "$BNLAB" validate "$tmp/val.json"
grep -q "'bn_sooner' compares steps_to_target of runs with data.val_size 0" "$tmp/last.err" ||
  fail "validate: a steps_to_target claim without a validation set is not refused"
expect_status 0 "$BNLAB" run "$tmp/val.json" --out "$tmp/out" --jobs 2 --set data.val_size=200
python3 - "$tmp/out/stats_val" <<'PY' || fail "validation columns"
import csv, sys
runs = list(csv.DictReader(open(sys.argv[1] + "/runs.csv", newline="")))
assert len(runs) == 10, runs
for r in runs:
    assert r["steps_to_target_on"] == "val", r
    assert 0 < float(r["best_val_acc"]) <= 1 and float(r["final_val_acc"]) <= float(r["best_val_acc"]), r
    assert float(r["final_val_loss"]) > 0 and r["final_test_loss"], r
metrics = list(csv.DictReader(open(sys.argv[1] + "/metrics.csv", newline="")))
assert len(metrics) == 20 and all(m["val_acc"] and m["val_loss"] for m in metrics), metrics[:2]
verdict = {r["id"]: r for r in csv.DictReader(open(sys.argv[1] + "/verdict.csv", newline=""))}
assert set(verdict) == {"bn_sooner", "bn_best_val"}, verdict
PY
expect_status 0 "$BNLAB" compare "$tmp/out/stats_val" --between model.norm=batch,none --metric steps_to_target
pass "no selection on the test set: refused without data.val_size, judged with it"

# --- machine-readable info and validate
expect_status 0 "$BNLAB" info --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert {"bnlab","onednn","onednn_isa","threads"} <= d.keys(), d' \
  "$tmp/last.out" || fail "info --json"
echo '{"name": "bad", "model": {"norm": "btach"}, "train": {"stpes": 10}}' >"$tmp/bad.json"
expect_status 2 "$BNLAB" validate --json "$tmp/stats.json" "$tmp/bad.json"
python3 - "$tmp/last.out" <<'PY' || fail "validate --json"
import json, sys
good, bad = json.load(open(sys.argv[1]))
assert good["ok"] and good["runs"] == 10 and good["problems"] == [], good
paths = {p["path"] for p in bad["problems"]}
assert not bad["ok"] and {"model.norm", "train.stpes"} <= paths, bad
assert all(p["message"] for p in bad["problems"]), bad
PY
pass "info --json, validate --json"

# --- colours: on a terminal by default; never with NO_COLOR or --color=never; always with --color=always
# on_tty CMD...: CMD on a pseudo-terminal that can show colours (TERM=xterm-256color; the caller's
# TERM may be dumb, as in CI or a fresh root) and without a NO_COLOR from the calling shell.
on_tty() { env -u NO_COLOR TERM=xterm-256color script -qec "$*" /dev/null </dev/null; }
esc=$'\033['
has_colour() { [[ "$1" == *"${esc}"*m* ]]; }
out=$(on_tty "$BNLAB" collect "$dir")
has_colour "$out" || fail "no colours on a terminal"
out=$(on_tty NO_COLOR=1 "$BNLAB" collect "$dir")
has_colour "$out" && fail "colours despite NO_COLOR"
out=$(on_tty "$BNLAB" collect "$dir" --color=never)
has_colour "$out" && fail "colours despite --color=never"
out=$("$BNLAB" --color always collect "$dir" 2>&1)
has_colour "$out" || fail "no colours with --color always into a pipe"
pass "colours follow --color and NO_COLOR"
