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
echo "bench.sh: all passed"
