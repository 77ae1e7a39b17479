#!/usr/bin/env bash
# Networks of layer entries and presets from the command line (docs/networks.md, "Networks"): the example
# configs validate, `bnlab model` prints the planned network (text and csv) with the counts the
# built network has, a shape error is reported by validate with its JSON path and exit 2, and a
# ResNet and a layer list run a few steps.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/integration/common.bash
make_tmp

for c in configs/networks/*.json; do
  expect_status 0 "$BNLAB" validate "$c"
done
grep -q "3 runs" "$tmp/last.out" || grep -q "2 runs" "$tmp/last.out" || fail "validate: $(cat "$tmp/last.out")"

expect_status 0 "$BNLAB" model configs/networks/resnet20.json --run 1  # run 0 has model.norm none
grep -q "^stage2.block1.shortcut.conv2d1 " "$tmp/last.out" || fail "no projection shortcut row: $(head -20 "$tmp/last.out")"
grep -qE "^total +272186 " "$tmp/last.out" || fail "ResNet-20 on 1x28x28 has 272,186 parameters: $(grep total "$tmp/last.out")"
expect_status 0 "$BNLAB" model configs/networks/resnet20.json --format csv
[[ $(head -1 "$tmp/last.out") == "path,kind,output,params,flops" ]] || fail "csv header: $(head -1 "$tmp/last.out")"
expect_status 0 "$BNLAB" model configs/networks/layers.json --format csv
grep -q "^stem,conv2d,16x28x28,160," "$tmp/last.out" || fail "layers.json stem row: $(head -3 "$tmp/last.out")"
grep -q "^block1.body.group_norm1,group_norm+relu,32x14x14,64," <("$BNLAB" model configs/networks/layers.json --run 2 --format csv) ||
  fail "the swept model.norm does not reach the norms"
expect_status 2 "$BNLAB" model configs/networks/layers.json --run 3
grep -qF -- "--run: 3 is not a run of the plan (it has 3, numbered from 0)" "$tmp/last.err" || fail "--run 3: $(cat "$tmp/last.err")"
expect_status 0 "$BNLAB" model configs/quickstart.json
grep -qE "^total +99710 " "$tmp/last.out" || fail "quickstart mlp parameters: $(grep total "$tmp/last.out")"
pass "bnlab model: paths, kinds, totals; --format csv; --run; the swept model.norm"

cat >"$tmp/bad.json" <<'JSON'
{"name": "bad", "data": {"dataset": "synthetic"},
 "model": {"arch": "layers", "layers": [
   {"conv": {"out": 16}}, {"norm": {}}, {"activation": {}}, {"conv": {"out": 16}},
   {"residual": {"body": [{"conv": {"out": 32, "stride": 2}}, {"norm": {}}], "shortcut": "identity"}}]},
 "train": {"steps": 2}}
JSON
expect_status 2 "$BNLAB" validate "$tmp/bad.json"
grep -qF "model.layers[4].residual: body gives 32x14x14, shortcut 16x28x28" "$tmp/last.err" || fail "shape error: $(cat "$tmp/last.err")"
expect_status 2 "$BNLAB" validate "$tmp/bad.json" --json
grep -qF '"path": "model.layers[4].residual"' "$tmp/last.out" || fail "validate --json path: $(cat "$tmp/last.out")"
expect_status 2 "$BNLAB" model "$tmp/bad.json"
python3 - configs/networks/vgg.json "$tmp/deep.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["model"]["channels"] = [8, 8, 8, 8, 8]
json.dump(c, open(sys.argv[2], "w"))
PY
expect_status 2 "$BNLAB" validate "$tmp/deep.json"
grep -qF "model.arch 'vgg' layers[4].sequence[6].max_pool: a 2x2 window does not fit a 1x1 input" "$tmp/last.err" ||
  fail "too deep: $(cat "$tmp/last.err")"
expect_status 2 "$BNLAB" plan configs/networks/resnet20.json --set model.depth=21
grep -qF "model.depth: 21 is not 6n + 2" "$tmp/last.err" || fail "depth: $(cat "$tmp/last.err")"
pass "shape errors with their JSON paths, exit 2"

expect_status 0 "$BNLAB" run configs/networks/resnet20.json --out "$tmp/out" --set data.dataset=synthetic \
  --set data.val_size=0 --set model.depth=8 --set train.steps=3 --set train.epochs=null --set train.eval_every=3 \
  --set train.target_accuracy=null -q
[[ $(column "$tmp/out/resnet20/runs.csv" status | sort -u) == ok ]] || fail "resnet runs: $(cat "$tmp/out/resnet20/runs.csv")"
expect_status 0 "$BNLAB" run configs/networks/layers.json --out "$tmp/out" --set data.dataset=synthetic \
  --set data.val_size=0 --set train.steps=3 --set train.epochs=null --set train.eval_every=3 --set train.target_accuracy=null -q
[[ $(column "$tmp/out/layers_inception/runs.csv" status | sort -u) == ok ]] || fail "layers runs"
pass "a ResNet-8 and a layer list with blocks run, norm swept"

# The hidden-layer probes address a ResNet's layers by path (docs/networks.md, "Hidden layers and units").
python3 - configs/networks/resnet20.json "$tmp/probe_path.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["probes"] = {"scale_invariance": {"layers": ["stage2.conv2d1"]}}
json.dump(c, open(sys.argv[2], "w"))
PY
expect_status 2 "$BNLAB" validate "$tmp/probe_path.json"
grep -qF "probes.scale_invariance.layers[0]: 'stage2.conv2d1' is not a hidden layer of this network" "$tmp/last.err" &&
  grep -qF "valid: conv2d1, stage1.block1.body.conv2d1," "$tmp/last.err" || fail "wrong probe path: $(cat "$tmp/last.err")"
expect_status 0 "$BNLAB" run configs/networks/resnet20.json --out "$tmp/probed" --set data.dataset=synthetic \
  --set data.val_size=0 --set model.depth=8 --set train.steps=4 --set train.epochs=null \
  --set train.eval_every=4 --set train.target_accuracy=null -q \
  --set 'probes={"scale_invariance": {"layers": ["stage2.block1.shortcut.conv2d1"], "factors": [2], "samples": 256},
                 "activation_percentiles": {"layer": "stage3.block1.body.conv2d1", "every": 2}}'
for run_dir in "$tmp"/probed/resnet20/runs/*/; do  # model.norm none and batch
  [[ $(column "$run_dir/scale_invariance.csv" layer) == 5 ]] || fail "scale_invariance by path: $(cat "$run_dir/scale_invariance.csv")"
  [[ $(column "$run_dir/activation_percentiles.csv" layer | sort -u) == 6 ]] ||
    fail "activation_percentiles by path: $(cat "$run_dir/activation_percentiles.csv")"
done
pass "probes by path name on a ResNet: a wrong path is a validation error listing valid ones; CSV rows carry the index"
echo "networks.sh: all passed"
