#!/usr/bin/env bash
# A reproducible timing of a whole small sweep: what a user of bnlab waits for (issue 18).
#
#   scripts/bench_sweep.sh [BNLAB]        (default build/bnlab; any bnlab binary, old ones too)
#
# Runs 24 runs of the batch-size grid (the batch_size study's small CNN, conv3x3(16)-BN-ReLU-pool,
# conv3x3(32)-BN-ReLU-pool, linear; batch 8..256 x norm none/batch x seeds 1, 2) on the first
# TRAIN_SIZE (20000) Fashion-MNIST images for EPOCHS (1) epoch, with --jobs JOBS (2) and one thread per
# job, into a fresh temporary folder, and prints the sweep's wall time, runs per minute, and the
# share of fixed cost: the part of the runs' summed wall time not spent in training steps
# (1 - sum(ms_per_step * steps) / sum(wall_s), which needs only columns every bnlab writes), with
# the per-phase split of runs.csv's data_s, build_s, train_s, eval_s, probe_s, write_s when the
# binary writes them. The machine's load average is printed before and after: the figures mean
# little on a busy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bnlab=${1:-build/bnlab}
train_size=${TRAIN_SIZE:-20000}
epochs=${EPOCHS:-1}
jobs=${JOBS:-2}
[[ -x $bnlab ]] || { echo "bench_sweep.sh: $bnlab is not an executable (build it: scripts/build.sh)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/sweep.json" <<EOF
{
  "name": "bench_sweep",
  "description": "scripts/bench_sweep.sh: 24 runs of the batch-size grid",
  "data": {"dataset": "fashion-mnist", "train_size": $train_size},
  "model": {"arch": "cnn", "channels": [16, 32], "fc": [], "activation": "relu", "norm": "batch"},
  "optimizer": {"lr": 0.02, "momentum": 0.9},
  "train": {"batch_size": 32, "epochs": $epochs, "eval_every": 1000000, "seed": 1},
  "sweep": {"train.batch_size": [8, 16, 32, 64, 128, 256], "model.norm": ["none", "batch"], "train.seed": [1, 2]}
}
EOF
echo "bnlab: $bnlab ($("$bnlab" --version 2>/dev/null | head -1))"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
"$bnlab" run "$work/sweep.json" --out "$work/results" --jobs "$jobs" --threads 1 -q
end=$(date +%s.%N)
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/results/bench_sweep/runs.csv" "$start" "$end" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
wall = float(sys.argv[3]) - float(sys.argv[2])
ok = [r for r in rows if r["status"] in ("ok", "diverged")]
print(f"runs: {len(rows)} ({len(ok)} ok or diverged), sweep wall time {wall:.1f} s, {len(rows) / wall * 60:.1f} runs/min")
run_wall = sum(float(r["wall_s"]) for r in ok)
steps = sum(float(r["ms_per_step"]) * float(r["steps"]) / 1000 for r in ok)
print(f"summed run wall time {run_wall:.1f} s; in training steps {steps:.1f} s; fixed cost share {1 - steps / run_wall:.2f}")
phases = ["data_s", "build_s", "train_s", "eval_s", "probe_s", "write_s"]
if ok and all(p in ok[0] for p in phases):
    sums = {p: sum(float(r[p] or 0) for r in ok) for p in phases}
    other = run_wall - sum(sums.values())
    print("phases (share of summed run wall time): " +
          ", ".join(f"{p} {sums[p] / run_wall:.3f}" for p in phases) + f", other {other / run_wall:.3f}")
else:
    print("phases: not in this binary's runs.csv")
PY
