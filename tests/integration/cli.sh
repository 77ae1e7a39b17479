#!/usr/bin/env bash
# The bnlab binary from the command line: exit statuses 0/1/2/3 (and 130 after SIGINT), kill -9 of
# a --jobs 2 sweep and a rerun that finishes exactly the missing runs (no orphans, no temporaries),
# and --jobs 2 against --jobs 1: identical results, and the wall-time ratio (printed, not asserted:
# the machine may be shared).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/integration/common.bash
make_tmp

# --- exit statuses
tiny_config "$tmp/ok.json" ok 2 20
expect_status 0 "$BNLAB" run "$tmp/ok.json" --out "$tmp/out" -q
expect_status 0 "$BNLAB" run "$tmp/ok.json" --out "$tmp/out" -q  # all finished: skipped
[[ $(grep -c . "$tmp/out/ok/runs.csv") -eq 3 ]] || fail "ok/runs.csv should have 2 rows"

echo '{"name": "bad", "train": {"stpes": 10}}' >"$tmp/bad.json"
expect_status 2 "$BNLAB" run "$tmp/bad.json" --out "$tmp/out"
grep -q "did you mean 'steps'" "$tmp/last.err" || fail "no suggestion for a misspelled key"
expect_status 2 "$BNLAB" run "$tmp/ok.json" --out "$tmp/out" --shard 2/2
expect_status 2 "$BNLAB" run "$tmp/ok.json" --out "$tmp/out" --shard x
expect_status 2 "$BNLAB" run "$tmp/no_such_config.json"
expect_status 2 "$BNLAB" run "$tmp/ok.json" --jobs 0
SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_COUNT=2 expect_status 2 "$BNLAB" run "$tmp/ok.json" --out "$tmp/out"

# batch_size 500 passes validation but is larger than the 100 training images: that run fails.
cat >"$tmp/fails.json" <<'JSON'
{"name": "fails", "data": {"dataset": "synthetic", "train_size": 100, "test_size": 50},
 "model": {"hidden": [8]}, "train": {"steps": 5, "batch_size": 10},
 "sweep": {"train.batch_size": [10, 500, 20]}}
JSON
for jobs in 1 2; do
  expect_status 1 "$BNLAB" run "$tmp/fails.json" --out "$tmp/fails$jobs" --jobs "$jobs"
  [[ $(column "$tmp/fails$jobs/fails/runs.csv" status | tr '\n' ' ') == "failed ok ok " ]] || fail "fails: statuses"
  expect_status 1 "$BNLAB" run "$tmp/fails.json" --out "$tmp/fails$jobs" --jobs "$jobs"  # skipped, still failed
  grep -q -- "--retry-failed" "$tmp/last.err" || fail "no hint at --retry-failed"
done

mkdir -p "$tmp/empty"
echo "{\"name\": \"nodata\", \"data\": {\"dataset\": \"mnist\", \"dir\": \"$tmp/empty\"}, \"train\": {\"steps\": 5}}" >"$tmp/nodata.json"
expect_status 3 "$BNLAB" run "$tmp/nodata.json" --out "$tmp/out"
expect_status 3 "$BNLAB" run "$tmp/nodata.json" --out "$tmp/out" --jobs 2 --retry-failed
expect_status 0 "$BNLAB" collect "$tmp/out/nodata"
! "$BNLAB" collect "$tmp/out/nothing_here" 2>/dev/null || fail "collect of a folder without runs succeeded"

# --- kill -9 of a --jobs 2 sweep in the middle, then a rerun
tiny_config "$tmp/kill.json" kill 8 400
"$BNLAB" plan "$tmp/kill.json" | tail -n +2 | cut -d, -f2 | sort >"$tmp/plan_ids"
"$BNLAB" run "$tmp/kill.json" --out "$tmp/kill" --jobs 2 -q &
pid=$!
for _ in $(seq 1 300); do  # until some runs finished and others are running
  done_runs=$(count_status "$tmp/kill/kill/runs")
  [[ $done_runs -ge 2 ]] && break
  sleep 0.1
done
[[ $(pgrep -cf "exec-run $tmp/kill") -ge 1 ]] || fail "no child running when killing"
{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null || true
sleep 0.5
no_process_in "$tmp/kill"
finished=$(count_status "$tmp/kill/kill/runs")
[[ $finished -lt 8 ]] || fail "the sweep finished before the kill: make the runs longer"
echo "ok: kill -9 after $finished of 8 runs, no child left"
expect_status 0 "$BNLAB" run "$tmp/kill.json" --out "$tmp/kill" --jobs 2
grep -q "$finished already done, $((8 - finished)) to run" "$tmp/last.err" || { cat "$tmp/last.err"; fail "rerun did not run exactly the missing runs"; }
diff <(column "$tmp/kill/kill/runs.csv" run_id) "$tmp/plan_ids" >/dev/null || fail "runs.csv run ids differ from the plan"
[[ $(column "$tmp/kill/kill/runs.csv" status | sort -u) == ok ]] || fail "not every run ok after the rerun"
left=$(find "$tmp/kill" -name '.*.tmp.*')
[[ -z "$left" ]] || fail "temporary files left: $left"
pass "rerun after kill -9 finished exactly the $((8 - finished)) missing runs"

# --- SIGINT: children stopped, unfinished runs rerun, exit 130
"$BNLAB" run "$tmp/kill.json" --out "$tmp/int" --jobs 2 -q 2>"$tmp/int.err" &
pid=$!
for _ in $(seq 1 300); do
  [[ $(count_status "$tmp/int/kill/runs") -ge 1 ]] && break
  sleep 0.1
done
kill -INT "$pid"
status=0
wait "$pid" || status=$?
[[ $status -eq 130 ]] || { cat "$tmp/int.err"; fail "SIGINT: expected exit status 130, got $status"; }
no_process_in "$tmp/int"
expect_status 0 "$BNLAB" run "$tmp/kill.json" --out "$tmp/int" --jobs 2
diff <(column "$tmp/int/kill/runs.csv" run_id) "$tmp/plan_ids" >/dev/null || fail "runs.csv after SIGINT + rerun"
pass "SIGINT gives 130 and the rerun completes the plan"

# --- --jobs 2 against --jobs 1 (one thread per run in both, so the numbers are bit-identical).
# Runs of about a third of a second: a child process pays ~0.1-0.2 s to start (oneDNN kernels,
# data), so the printed ratio includes that start-up; the speed-up itself is measured by bnlab bench
# and the studies, not here (this script shares the cores with the sanitized build).
cat >"$tmp/speed.json" <<'JSON'
{"name": "speed",
 "data": {"dataset": "synthetic", "train_size": 2000, "test_size": 500},
 "model": {"arch": "mlp", "hidden": [100, 100, 100], "norm": "batch"},
 "train": {"batch_size": 60, "steps": 300, "eval_every": 100},
 "sweep": {"train.seed": [1, 2, 3, 4, 5, 6, 7, 8]}}
JSON
elapsed() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  python3 -c "print(f'{$t1 - $t0:.3f}')"
}
t1=$(elapsed "$BNLAB" run "$tmp/speed.json" --out "$tmp/jobs1" --jobs 1 --threads 1 -q)
t2=$(elapsed "$BNLAB" run "$tmp/speed.json" --out "$tmp/jobs2" --jobs 2 --threads 1 -q)
diff <(deterministic_columns "$tmp/jobs1/speed/runs.csv") <(deterministic_columns "$tmp/jobs2/speed/runs.csv") ||
  fail "--jobs 1 and --jobs 2 give different results"
python3 -c "print(f'ok: 8 runs: --jobs 1 {$t1:.2f} s, --jobs 2 {$t2:.2f} s, ratio jobs2/jobs1 = {$t2 / $t1:.2f} (identical runs.csv)')"
# Two oneDNN threads per run (the unit tests run on one): the same config twice gives the same
# numbers with the same thread count.
"$BNLAB" run "$tmp/speed.json" --out "$tmp/threads2a" --jobs 1 --threads 2 -q --set 'sweep.train.seed=[1,2]'
"$BNLAB" run "$tmp/speed.json" --out "$tmp/threads2b" --jobs 1 --threads 2 -q --set 'sweep.train.seed=[1,2]'
diff <(deterministic_columns "$tmp/threads2a/speed/runs.csv") <(deterministic_columns "$tmp/threads2b/speed/runs.csv") ||
  fail "two runs with --threads 2 give different results"
python3 -c "import csv,sys; sys.exit(any(r['threads'] != '2' for r in csv.DictReader(open(sys.argv[1]))))" \
  "$tmp/threads2a/speed/runs.csv" || fail "runs.csv does not record threads = 2"
pass "--threads 2: the same results twice"
echo "cli.sh: all passed"
