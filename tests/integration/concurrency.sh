#!/usr/bin/env bash
# Two invocations of the same sweep on one results folder (issue 17, 2.1): A starts, B starts into
# the same --out a moment later, B is kill -9'd just after A writes a status.json — what a Slurm
# resubmission while the first array still runs does. Repeated to catch the race. After each
# round: no run `failed`, no run executed twice (a "run <id> ... ok" log line in both A and B),
# every ok run's metrics.csv whole (as many rows as the run evaluated), no claim or temporary
# left in a run folder, and a third invocation completes the plan. CONCURRENCY_ROUNDS sets the
# repetitions.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/integration/common.bash
make_tmp
rounds=${CONCURRENCY_ROUNDS:-10}
runs=3
steps=150
eval_every=5  # many rewrites of metrics.csv: a second writer in the same folder shows at once
rows=$((steps / eval_every))

cat >"$tmp/race.json" <<JSON
{"name": "race",
 "data": {"dataset": "synthetic", "train_size": 1000, "test_size": 200},
 "model": {"arch": "mlp", "hidden": [64], "norm": "batch"},
 "train": {"batch_size": 50, "steps": $steps, "eval_every": $eval_every},
 "sweep": {"train.seed": [$(seq -s, 1 $runs)]}}
JSON

# check_round DIR: the results of A (and the killed B) in DIR are sound.
check_round() {
  python3 - "$1" "$rows" <<'PY'
import csv, json, os, sys
out, rows = sys.argv[1], int(sys.argv[2])
runs = os.path.join(out, "race", "runs")
problems = []
for run_id in sorted(os.listdir(runs)):
    d = os.path.join(runs, run_id)
    if not os.path.exists(os.path.join(d, "status.json")):
        continue
    status = json.load(open(os.path.join(d, "status.json")))
    if status["status"] == "failed":
        problems.append(f"{run_id}: failed: {status.get('error')}")
    elif status["status"] == "ok":
        with open(os.path.join(d, "metrics.csv"), newline="") as f:
            n = len(list(csv.DictReader(f)))
        if n != rows:
            problems.append(f"{run_id}: ok with {n} of {rows} metrics rows")
finished = {}
for name in ("a.err", "b.err"):
    for line in open(os.path.join(out, name)):
        for word in line.split():
            if len(word) == 12 and " run " + word in line and (" ok:" in line or " diverged:" in line or " failed:" in line):
                finished.setdefault(word, []).append(name[0].upper())
problems += [f"{r}: executed twice ({', '.join(w)})" for r, w in finished.items() if len(w) > 1]
print("\n".join(problems))
PY
}

failures=0
t0=$(date +%s)
for round in $(seq 1 "$rounds"); do
  out="$tmp/r$round"
  mkdir -p "$out"
  "$BNLAB" run "$tmp/race.json" --out "$out" --threads 1 2>"$out/a.err" &
  a=$!
  sleep "$(python3 -c "print([0.6, 1.0, 1.4][$round % 3])")"
  before=$(count_status "$out/race/runs")
  "$BNLAB" run "$tmp/race.json" --out "$out" --threads 1 2>"$out/b.err" &
  b=$!
  for _ in $(seq 1 400); do  # until A (or B) writes a status.json after B started
    [[ $(count_status "$out/race/runs") -gt $before ]] && break
    kill -0 "$b" 2>/dev/null || break
    sleep 0.02
  done
  { kill -9 "$b" && wait "$b"; } 2>/dev/null || true
  a_status=0
  wait "$a" || a_status=$?
  problems=$(check_round "$out")
  [[ $a_status -eq 0 ]] || problems+=$'\n'"the first invocation exited with $a_status"
  # the rerun completes the plan, with every run ok
  rerun_status=0
  "$BNLAB" run "$tmp/race.json" --out "$out" --threads 1 -q 2>"$out/c.err" || rerun_status=$?
  [[ $rerun_status -eq 0 ]] || problems+=$'\n'"the rerun exited with $rerun_status: $(tail -1 "$out/c.err")"
  [[ $(column "$out/race/runs.csv" status | grep -c '^ok$') -eq $runs ]] || problems+=$'\n'"not all $runs runs ok after the rerun"
  problems+=$'\n'$(check_round "$out")
  left=$(find "$out/race/runs" -name claim.json -o -name '.*.tmp.*')
  [[ -z "$left" ]] || problems+=$'\n'"left behind: $left"
  problems=$(sed '/^$/d' <<<"$problems" | sort -u)
  if [[ -n "$problems" ]]; then
    failures=$((failures + 1))
    echo "round $round:" >&2
    sed 's/^/  /' <<<"$problems" >&2
  fi
done
no_process_in "$tmp"
echo "concurrency.sh: $rounds rounds in $(($(date +%s) - t0)) s, $failures with a problem"
[[ $failures -eq 0 ]] || fail "two invocations on one folder corrupted results in $failures of $rounds rounds"
pass "two invocations on one folder, the second killed: results sound in $rounds rounds"
