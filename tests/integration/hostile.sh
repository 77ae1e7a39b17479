#!/usr/bin/env bash
# Hostile configs and command lines (issue 17, 2.6) from the command line: each is refused with
# exit status 2, few lines on stderr, and within seconds (on main these took 20-45 s and gigabytes,
# crashed, ran 0 steps, failed every run or silently ran the whole plan).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/integration/common.bash
make_tmp

# refused SECONDS LINES CMD...: exit status 2 within SECONDS, at most LINES lines on stderr, and no
# results folder written.
refused() {
  local seconds=$1 lines=$2 start end
  shift 2
  start=$(date +%s%N)
  expect_status 2 "$@"
  end=$(date +%s%N)
  (( (end - start) / 1000000 <= seconds * 1000 )) || fail "took $(( (end - start) / 1000000 )) ms: $*"
  (( $(wc -l <"$tmp/last.err") <= lines )) || { head -5 "$tmp/last.err" >&2; fail "more than $lines lines: $*"; }
  [[ ! -e "$tmp/out" ]] || fail "a results folder was written: $*"
}

tiny_config "$tmp/ok.json" ok 2 5

# 50,000 nested [ (100 KB): main took 20-30 s and 3.9 GB, then crashed
python3 -c "print('{\"name\": \"deep\", \"probes\": ' + '[' * 50000 + ']' * 50000 + '}')" >"$tmp/deep.json"
refused 3 1 "$BNLAB" validate "$tmp/deep.json"
grep -q "deep.json:1:.*nested deeper than 64 levels" "$tmp/last.err" || fail "deep: no position"
refused 3 1 "$BNLAB" run "$tmp/ok.json" --out "$tmp/out" --set "probes.x=$(printf '[%.0s' {1..65})"

# a 5-million-value sweep (40 MB): main took 17 s and 612 MB
python3 -c "import json; print(json.dumps({'name': 's', 'sweep': {'train.seed': list(range(5000000))}}))" >"$tmp/big.json"
refused 3 1 "$BNLAB" validate "$tmp/big.json"
grep -q "larger than 256 KiB" "$tmp/last.err" || fail "big: no size limit named"
python3 -c "import json; print(json.dumps({'name': 's', 'sweep': {'train.seed': list(range(500)), 'optimizer.lr': [i / 1000 + 0.001 for i in range(500)]}}))" >"$tmp/product.json"
refused 3 1 "$BNLAB" plan "$tmp/product.json"
grep -q "250000 runs (500 x 500 values); the limit is 100000" "$tmp/last.err" || fail "product: no run count"

# epochs 2e16: main ran it as `ok` with 0 steps
echo '{"name": "long", "data": {"dataset": "synthetic"}, "train": {"epochs": 2e16}}' >"$tmp/long.json"
refused 3 1 "$BNLAB" run "$tmp/long.json" --out "$tmp/out"
grep -q "at most 1e+15 steps" "$tmp/last.err" || fail "long: no step limit named"

# hidden [2000000]: main allocated 6-7 GB for 30-45 s, then "could not create a memory object".
# Its estimate is now ~23.6 GB (evaluation runs 100 images at a time), just under a 24 GB machine:
# [5000000] needs ~59 GB, more than the machines this runs on.
echo '{"name": "huge", "model": {"hidden": [5000000]}}' >"$tmp/huge.json"
refused 3 1 "$BNLAB" validate "$tmp/huge.json"
grep -q "needs about .* MB .* but this machine has" "$tmp/last.err" || fail "huge: no estimate and limit"
refused 3 1 "$BNLAB" run "$tmp/ok.json" --out "$tmp/out" --set train.max_memory_mb=10

# a 256-character name: main validated it, then every run failed
python3 -c "import json; print(json.dumps({'name': 'n' * 256}))" >"$tmp/name.json"
refused 3 1 "$BNLAB" validate "$tmp/name.json"

# --shard '' and a Slurm task id without a count: main ran the whole plan
refused 3 1 "$BNLAB" run "$tmp/ok.json" --out "$tmp/out" --shard ''
SLURM_ARRAY_TASK_ID=3 refused 3 1 "$BNLAB" run "$tmp/ok.json" --out "$tmp/out"
grep -q "SLURM_ARRAY_TASK_COUNT is not" "$tmp/last.err" || fail "slurm: no reason"

# a problem in each of 30,000 runs: main printed it 30,000 times
python3 -c "import json; print(json.dumps({'name': 'p', 'probes': {'activation_percentiles': {'every': 0}}, 'sweep': {'train.seed': list(range(30000))}}))" >"$tmp/many.json"
refused 20 1 "$BNLAB" validate "$tmp/many.json"
grep -q "(in all 30000 runs)" "$tmp/last.err" || fail "many: no run count"

# a bad --set train.steps: main added "neither steps nor epochs is set"
refused 3 1 "$BNLAB" run "$tmp/ok.json" --out "$tmp/out" --set train.steps=0
echo "hostile: every hostile input refused at once"
