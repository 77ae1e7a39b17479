#!/usr/bin/env bash
# I/O faults do not stick (issue 17, 2.5): a full disk (a 1 MB tmpfs, needs root; skipped loudly
# otherwise) and `ulimit -f` (SIGXFSZ, ignored by bnlab) make `bnlab run` exit 4 with a message
# naming the real file and the OS reason (not the hidden temporary, never ": Success"); no
# temporary is left; a failed run is recorded with error_kind io, and the same command, once the
# fault is gone, finishes every run without --retry-failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/integration/common.bash
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_STEP
tmp=$(mktemp -d)
mounted=
cleanup() {
  pkill -KILL -f "bnlab.*$tmp" 2>/dev/null || true
  [[ -n $mounted ]] && umount "$tmp/small" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" INT TERM

# Two runs whose metrics.csv grows to ~12 KB (a row per step, rewritten at every evaluation).
cat >"$tmp/io.json" <<'JSON'
{"name": "io",
 "data": {"dataset": "synthetic", "train_size": 500, "test_size": 100},
 "model": {"arch": "mlp", "hidden": [16]},
 "train": {"batch_size": 50, "steps": 100, "eval_every": 1},
 "sweep": {"train.seed": [1, 2]}}
JSON

# check_fault_message FILE REASON: the error names a real results file and REASON, not a temporary.
check_fault_message() {
  grep -q "$2" "$1" || { cat "$1" >&2; fail "no '$2' in the messages"; }
  grep "$2" "$1" | grep -Eq '/(metrics|runs|status|config|plan)\.(csv|json): ' || { cat "$1" >&2; fail "no file named"; }
  ! grep -Eq '\.tmp\.|: Success' "$1" || { cat "$1" >&2; fail "a temporary or ': Success' in the messages"; }
}

# no_temporaries DIR
no_temporaries() {
  local left
  left=$(find "$1" -name '.*.tmp.*')
  [[ -z $left ]] || fail "temporaries left: $left"
}

# finished_after_rerun OUT: the same command without the fault finishes every run.
finished_after_rerun() {
  expect_status 0 "$BNLAB" run "$tmp/io.json" --out "$1" -q
  [[ $(column "$1/io/runs.csv" status | tr '\n' ' ') == "ok ok " ]] || fail "not every run ok after the rerun"
  no_temporaries "$1"
}

# --- ulimit -f: the file size limit (in 512-byte blocks) is reached by metrics.csv
for jobs in 1 2; do
  out="$tmp/ulimit$jobs"
  got=0
  (ulimit -f 6 && exec "$BNLAB" run "$tmp/io.json" --out "$out" --jobs "$jobs" -q) 2>"$tmp/ulimit.err" || got=$?
  [[ $got -eq 4 ]] || { cat "$tmp/ulimit.err" >&2; fail "ulimit -f, --jobs $jobs: exit $got, expected 4"; }
  check_fault_message "$tmp/ulimit.err" "File too large"
  grep -q '"error_kind": "io"' "$out"/io/runs/*/status.json || fail "ulimit -f: no run recorded with error_kind io"
  no_temporaries "$out"
  pass "ulimit -f, --jobs $jobs: exit 4, 'File too large' with the file named, no temporary left"
  finished_after_rerun "$out"
done

# --- a full disk: a 1 MB tmpfs, nearly filled
mkdir -p "$tmp/small"
if ! mount -t tmpfs -o size=1m tmpfs "$tmp/small" 2>"$tmp/mount.err"; then
  echo "SKIPPED: the disk-full test needs 'mount -t tmpfs' (root): $(cat "$tmp/mount.err")" >&2
  echo "SKIPPED: disk full (no permission to mount a small tmpfs)"
  exit 0
fi
mounted=1
head -c $((1024 * 1024 - 16 * 1024)) /dev/zero >"$tmp/small/filler"  # leaves 16 KB
got=0
"$BNLAB" run "$tmp/io.json" --out "$tmp/small/out" -q 2>"$tmp/full.err" || got=$?
[[ $got -eq 4 ]] || { cat "$tmp/full.err" >&2; fail "disk full: exit $got, expected 4"; }
check_fault_message "$tmp/full.err" "No space left on device"
no_temporaries "$tmp/small/out"
pass "disk full: exit 4, 'No space left on device' with the file named, no temporary left"
rm "$tmp/small/filler"
finished_after_rerun "$tmp/small/out"
