# Shared by the integration tests (sourced; not a test itself: scripts/test.sh runs *.sh only).
# BNLAB: the bnlab binary under test (default build/bnlab). Every test works in its own temp dir.

BNLAB=${BNLAB:-build/bnlab}
BNLAB=$(realpath "$BNLAB")
[[ -x "$BNLAB" ]] || { echo "FAIL: no bnlab binary at $BNLAB (set BNLAB)" >&2; exit 1; }

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

pass() {
  echo "ok: $*"
}

# expect_status WANT CMD...: runs CMD (stderr to $tmp/last.err) and checks its exit status.
expect_status() {
  local want=$1 got=0
  shift
  "$@" >"$tmp/last.out" 2>"$tmp/last.err" || got=$?
  if [[ $got -ne $want ]]; then
    cat "$tmp/last.err" >&2
    fail "expected exit status $want, got $got: $*"
  fi
  pass "exit $want: ${*#"$BNLAB" }"
}

# tiny_config FILE NAME RUNS STEPS: a sweep of RUNS small synthetic MLP runs (train.seed 1..RUNS).
tiny_config() {
  local file=$1 name=$2 runs=$3 steps=$4 seeds
  seeds=$(seq -s, 1 "$runs")
  cat >"$file" <<JSON
{"name": "$name",
 "data": {"dataset": "synthetic", "train_size": 1000, "test_size": 200},
 "model": {"arch": "mlp", "hidden": [64], "norm": "batch"},
 "train": {"batch_size": 50, "steps": $steps, "eval_every": 50},
 "sweep": {"train.seed": [$seeds]}}
JSON
}

# deterministic_columns RUNS_CSV: the runs.csv columns that do not depend on timing or threads, as
# CSV sorted by run_id (wall_s, ms_per_step, peak_rss_mb, threads, the phase times and any other
# *_s, *_ms or *_mb column, e.g. inference_cost_ms, are left out).
deterministic_columns() {
  python3 - "$1" <<'PY'
import csv, sys
skip = {"wall_s", "ms_per_step", "peak_rss_mb", "threads", "data_s", "build_s", "train_s", "eval_s", "probe_s", "write_s"}
with open(sys.argv[1], newline="") as f:
    rows = list(csv.DictReader(f))
if not rows:
    sys.exit("no rows in " + sys.argv[1])
cols = [c for c in rows[0] if c not in skip and not c.endswith(("_s", "_ms", "_mb"))]
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(cols)
for r in sorted(rows, key=lambda r: r["run_id"]):
    w.writerow([r[c] for c in cols])
PY
}

# column CSV NAME: one column of a CSV file, one value a line, sorted.
column() {
  python3 - "$1" "$2" <<'PY'
import csv, sys
with open(sys.argv[1], newline="") as f:
    print("\n".join(sorted(r[sys.argv[2]] for r in csv.DictReader(f))))
PY
}

# No bnlab process (run or exec-run) working in DIR is left.
no_process_in() {
  local left
  left=$(pgrep -af "bnlab.*$1" || true)
  [[ -z "$left" ]] || fail "processes left behind: $left"
}

# count_status DIR: how many status.json files are below DIR; 0 while DIR does not exist yet (find
# then fails, which under `set -e -o pipefail` would end the script silently).
count_status() {
  find "$1" -name status.json 2>/dev/null | wc -l || true
}

# make_tmp: the test's temp dir in $tmp, removed on exit together with every bnlab process still
# working in it; and no Slurm array variables from the calling shell (they would select a shard).
make_tmp() {
  unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_STEP
  tmp=$(mktemp -d)
  trap 'pkill -KILL -f "bnlab.*$tmp" 2>/dev/null || true; rm -rf "$tmp"' EXIT
}
