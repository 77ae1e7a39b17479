#!/usr/bin/env bash
# bnlab bench from the command line: CSV on stdout (the fixed header, one row per measurement),
# progress on stderr only, and a bad option exits 2 with one clear line. A tiny selection: seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/integration/common.bash
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

header="section,name,model,norm,layout,shape,batch,threads,repeats,ms_median,ms_min,samples_per_s,gb_per_s,frac_copy_bw,gflop_per_s,frac_peak,floor_ms,x_floor"
expect_status 0 "$BNLAB" bench --sections machine,steps --models mlp,cnn --norms batch,none --batches 2,4 \
  --threads 1 --repeats 2 --min-time 1 --warmup 1
[[ $(head -1 "$tmp/last.out") == "$header" ]] || fail "bench: header is $(head -1 "$tmp/last.out")"
# 2 machine rows + 2 models x 2 norms x 2 batches x (train_step, infer_batch)
[[ $(grep -c . "$tmp/last.out") -eq $((1 + 2 + 16)) ]] || fail "bench: expected 18 rows, got $(($(grep -c . "$tmp/last.out") - 1))"
python3 - "$tmp/last.out" <<'PY' || fail "bench: a row has the wrong number of cells or no time"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert all(None not in r and float(r["ms_median"]) > 0 for r in rows)
assert {r["section"] for r in rows} == {"machine", "steps"}
PY
grep -q "bench \[" "$tmp/last.err" || fail "bench: no progress on stderr"
pass "bench: header and 18 rows"

expect_status 0 "$BNLAB" bench --sections layers --layer-batches 2 --threads 1 --repeats 1 --min-time 0 --warmup 0
[[ $(grep -c "^layers," "$tmp/last.out") -gt 0 ]] || fail "bench: no layer rows"

expect_status 2 "$BNLAB" bench --batches 1
expect_status 2 "$BNLAB" bench --sections everything
grep -q "everything" "$tmp/last.err" || fail "bench: the bad section is not named"
expect_status 2 "$BNLAB" bench --models vgg
# any model.norm kind in the steps (the cost per step of batch renorm, group norm, ...)
expect_status 0 "$BNLAB" bench --sections steps --models cnn --norms batch_renorm,group --batches 2 --threads 1 \
  --repeats 1 --min-time 0 --warmup 0
[[ $(cut -d, -f4 "$tmp/last.out" | sort -u | tr '\n' ' ') == "batch_renorm group norm " ]] ||
  fail "bench: --norms batch_renorm,group gave norms $(cut -d, -f4 "$tmp/last.out" | sort -u | tr '\n' ' ')"
# the ResNet-20 reference model (issue 12): its steps carry the matmul-peak fraction and floor
expect_status 0 "$BNLAB" bench --sections machine,steps --models resnet20 --norms batch --batches 2 --threads 1 \
  --repeats 1 --min-time 0 --warmup 0
python3 - "$tmp/last.out" <<'PY' || fail "bench: resnet20 rows without frac_peak or x_floor"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], newline="")) if r["model"] == "resnet20"]
assert [r["name"] for r in rows] == ["train_step", "infer_batch"], rows
assert all(float(r["frac_peak"]) > 0 and float(r["x_floor"]) > 0 and r["shape"] == "2x1x28x28" for r in rows)
PY
expect_status 2 "$BNLAB" bench --norms batchnorm
# scripts/bench_pytorch.py: bad arguments exit 2; without PyTorch it says how to get it; with it (Debian's
# python3-torch on the CI machine), one tiny row of each framework reaches the table with a ratio.
expect_status 2 /usr/bin/python3 scripts/bench_pytorch.py --bnlab "$BNLAB" --models vgg
grep -q "unknown model 'vgg'" "$tmp/last.err" || fail "bench_pytorch: --models vgg: $(cat "$tmp/last.err")"
expect_status 2 /usr/bin/python3 scripts/bench_pytorch.py --bnlab "$BNLAB" --norms group
grep -q "unknown norm 'group'" "$tmp/last.err" || fail "bench_pytorch: --norms group: $(cat "$tmp/last.err")"
expect_status 2 /usr/bin/python3 scripts/bench_pytorch.py --bnlab "$BNLAB" --rounds 0
grep -q "must be at least 1" "$tmp/last.err" || fail "bench_pytorch: --rounds 0: $(cat "$tmp/last.err")"
expect_status 1 /usr/bin/python3 scripts/bench_pytorch.py --bnlab "$tmp/no-such-bnlab"
grep -q "no bnlab binary at $tmp/no-such-bnlab" "$tmp/last.err" || fail "bench_pytorch: missing binary: $(cat "$tmp/last.err")"
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  expect_status 0 /usr/bin/python3 scripts/bench_pytorch.py --bnlab "$BNLAB" --models mlp --norms batch --batches 2 \
    --rounds 1 --repeats 1 --min-time 1 --csv "$tmp/pt.csv"
  grep -qE '^\| mlp \| batch \| 2 \| [0-9.e-]+ \| [0-9.e-]+ \| [0-9.]+ \| [0-9.e-]+ \| [0-9.e-]+ \| [0-9.]+ \|$' "$tmp/last.out" ||
    fail "bench_pytorch: no mlp row with both frameworks: $(cat "$tmp/last.out")"
  [[ $(cut -d, -f2 "$tmp/pt.csv" | sort | uniq -c | awk '{print $1 $2}' | tr '\n' ' ') == "2bnlab 1framework 2pytorch " ]] ||
    fail "bench_pytorch --csv: $(cat "$tmp/pt.csv")"
  pass "bench_pytorch.py: one row of bnlab and PyTorch, ratio and CSV"
  expect_status 1 /usr/bin/python3 scripts/bench_pytorch.py --bnlab /bin/false --models mlp --batches 2
  grep -q "bench --sections steps --models mlp .* failed (exit 1)" "$tmp/last.err" ||
    fail "bench_pytorch: a failing bnlab bench: $(cat "$tmp/last.err")"
else
  expect_status 1 /usr/bin/python3 scripts/bench_pytorch.py --bnlab "$BNLAB"
  grep -q "apt install python3-torch" "$tmp/last.err" || fail "bench_pytorch without torch: $(cat "$tmp/last.err")"
  pass "bench_pytorch.py without PyTorch: exit 1 naming the package (PyTorch rows not run)"
fi
echo "bench.sh: all passed"
