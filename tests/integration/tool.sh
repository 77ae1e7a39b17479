#!/usr/bin/env bash
# The sweep tool (issue 15): extends and `plan --resolved`, the sweep syntax end to end, `status`
# (done, failed with its reason, running with holder and heartbeat, stale, missing; --json),
# --note/--tag in status.json and runs.csv, provenance and format_version in status.json, and
# `clean` (dry run, --yes, --failed, never a run another process holds).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/integration/common.bash
make_tmp

# --- extends and plan --resolved
tiny_config "$tmp/base.json" base 3 20
cat >"$tmp/child.json" <<'JSON'
{"extends": "base.json", "name": "child", "train": {"steps": 10},
 "sweep": {"train.seed": {"range": [1, 3]}, "model.norm": ["none", "batch"],
           "exclude": [{"train.seed": 2, "model.norm": "none"}]}}
JSON
expect_status 0 "$BNLAB" plan "$tmp/child.json" --resolved
python3 - "$tmp/last.out" <<'PY' || fail "plan --resolved is not the merged config"
import json, sys
c = json.load(open(sys.argv[1]))
assert "extends" not in c and c["name"] == "child", c
assert c["train"] == {"batch_size": 50, "steps": 10, "eval_every": 50}, c["train"]
assert c["model"]["hidden"] == [64] and c["data"]["dataset"] == "synthetic", c
assert c["sweep"]["train.seed"] == {"range": [1, 3]}, c["sweep"]
PY
expect_status 0 "$BNLAB" plan "$tmp/child.json"
[[ $(tail -n +2 "$tmp/last.out" | wc -l) -eq 3 ]] || { cat "$tmp/last.out"; fail "extends + range + exclude: expected 3 runs"; }
head -1 "$tmp/last.out" | grep -qx "index,run_id,train.seed,model.norm" || fail "plan header: $(head -1 "$tmp/last.out")"
pass "extends merges the parent; plan --resolved prints it; range and exclude plan 3 runs"

echo '{"extends": "loop.json", "name": "loop"}' >"$tmp/loop.json"
expect_status 2 "$BNLAB" plan "$tmp/loop.json"
grep -q "extends: a cycle: $tmp/loop.json -> $tmp/loop.json" "$tmp/last.err" || { cat "$tmp/last.err"; fail "cycle not named"; }
pass "a cycle of extends is exit 2 naming the files"

# --- note, tags, provenance
expect_status 0 "$BNLAB" run "$tmp/child.json" --out "$tmp/out" --note "first try, 10 steps" --tag smoke --tag v1 -q
dir=$tmp/out/child
[[ $(column "$dir/runs.csv" note | sort -u) == "first try, 10 steps" ]] || fail "runs.csv note column"
[[ $(column "$dir/runs.csv" tags | sort -u) == "smoke;v1" ]] || fail "runs.csv tags column"
status_file=$(find "$dir/runs" -name status.json | head -1)
python3 - "$status_file" "$BNLAB" <<'PY' || fail "status.json lacks the note, tags or provenance"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["format_version"] == 1, s.get("format_version")
assert s["note"] == "first try, 10 steps" and s["tags"] == ["smoke", "v1"], s
p = s["provenance"]
assert p["git_commit"] == "unknown" or len(p["git_commit"]) == 40, p
assert p["git_dirty"] in (True, False, None), p
assert p["compiler"].startswith(("gcc ", "clang ")) and p["build_type"], p
assert p["command_line"][0].endswith("bnlab") and "--note" in p["command_line"], p
assert s["data"]["files"] == {}, s["data"]  # synthetic data reads no file
PY
expect_status 0 "$BNLAB" info --json
python3 - "$tmp/last.out" "$status_file" <<'PY' || fail "info --json and status.json disagree on the build"
import json, sys
info, status = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for key in ("git_commit", "git_dirty", "compiler", "build_type"):
    assert info[key] == status["provenance"][key], key
PY
"$BNLAB" plan "$tmp/child.json" | tail -n +2 | cut -d, -f2 | sort >"$tmp/ids"
[[ $(column "$dir/runs.csv" run_id) == "$(cat "$tmp/ids")" ]] || fail "a note changed the run ids"
expect_status 2 "$BNLAB" run "$tmp/child.json" --out "$tmp/out" --tag "two words"
grep -q "a tag is 1-64 letters, digits" "$tmp/last.err" || { cat "$tmp/last.err"; fail "a bad tag was not refused"; }
pass "--note and --tag reach status.json and runs.csv, not the run ids; provenance and format_version in status.json"

# --- data checksums: a CRC-32 of each file read, as zlib computes it (when Fashion-MNIST is installed)
fm=/usr/share/datasets/fashion-mnist
if [[ -f $fm/train-images-idx3-ubyte.gz ]]; then
  echo '{"name": "fm", "data": {"train_size": 100, "test_size": 50}, "model": {"hidden": [8]},
         "train": {"batch_size": 20, "steps": 1, "eval_every": 1}}' >"$tmp/fm.json"
  expect_status 0 "$BNLAB" run "$tmp/fm.json" --out "$tmp/out" -q
  python3 - "$(find "$tmp/out/fm" -name status.json)" <<'PY' || fail "data.files checksums"
import json, sys, zlib
files = json.load(open(sys.argv[1]))["data"]["files"]
assert len(files) == 4, files
for path, checksum in files.items():
    assert checksum == "crc32:%08x" % zlib.crc32(open(path, "rb").read()), (path, checksum)
PY
  pass "status.json: a CRC-32 of each data file read"
fi

# --- status: done, missing (a new seed), failed, running, stale
expect_status 0 "$BNLAB" status "$dir" "$tmp/child.json"
grep -q "^$dir: 3 runs in the plan: 3 done, 0 diverged, 0 failed, 0 running, 0 missing$" "$tmp/last.out" ||
  { cat "$tmp/last.out"; fail "status of a finished sweep"; }
cat >"$tmp/bad.json" <<'JSON'
{"extends": "child.json", "data": {"dataset": "mnist", "dir": "/nonexistent/mnist"},
 "sweep": {"train.seed": [1], "model.norm": null, "exclude": null}}
JSON
expect_status 3 "$BNLAB" run "$tmp/bad.json" --out "$tmp/out" -q
failed_id=$("$BNLAB" plan "$tmp/bad.json" | tail -n +2 | head -1 | cut -d, -f2)
expect_status 0 "$BNLAB" status "$dir"
grep -q "^$dir: 4 run folders: 3 done, 0 diverged, 1 failed" "$tmp/last.out" || { cat "$tmp/last.out"; fail "status without a config"; }
grep -q "^failed $failed_id: data error: mnist not found: /nonexistent/mnist" "$tmp/last.out" ||
  { cat "$tmp/last.out"; fail "the failed run's reason"; }
pass "status: done, and a failed run with its one-line reason"

sleep 300 &
holder_pid=$!
running_id=$(sed -n 1p "$tmp/ids")
mkdir -p "$dir/runs/aaaaaaaaaaaa"
now=$(date +%s)
host=$(hostname)
rm "$dir/runs/$running_id/status.json"
printf '{"format": 1, "holder": "%s:%s:1", "host": "%s", "pid": %s, "started": %s, "heartbeat": %s}' \
  "$host" "$holder_pid" "$host" "$holder_pid" "$now" "$now" >"$dir/runs/$running_id/claim.json"
printf '{"format": 1, "holder": "%s:999999:1", "host": "%s", "pid": 999999, "started": 1, "heartbeat": 1}' \
  "$host" "$host" >"$dir/runs/aaaaaaaaaaaa/claim.json"
expect_status 0 "$BNLAB" status "$dir" "$tmp/child.json" --set 'sweep.train.seed=[1,2,3]'
grep -q "5 runs in the plan: 2 done, 0 diverged, 0 failed, 1 running, 2 missing" "$tmp/last.out" ||
  { cat "$tmp/last.out"; fail "status with a running and a missing run"; }
grep -q "^running $running_id (run [0-9]): $host:$holder_pid, heartbeat [0-9]* s ago$" "$tmp/last.out" ||
  { cat "$tmp/last.out"; fail "the running run's holder and heartbeat"; }
expect_status 0 "$BNLAB" status "$dir" --json
python3 - "$tmp/last.out" "$running_id" <<'PY' || fail "status --json"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["counts"] == {"done": 2, "diverged": 0, "failed": 1, "running": 2, "missing": 0}, s["counts"]
runs = {r["run_id"]: r for r in s["runs"]}
assert runs[sys.argv[2]]["stale"] is False and runs[sys.argv[2]]["heartbeat_age_s"] < 60, runs[sys.argv[2]]
assert runs["aaaaaaaaaaaa"]["stale"] is True, runs["aaaaaaaaaaaa"]
assert [r for r in s["runs"] if r["state"] == "failed"][0]["error_kind"] == "data"
PY
pass "status: running (holder, heartbeat), stale and missing runs; --json"

expect_status 2 "$BNLAB" status "$tmp/nowhere"
grep -q "no runs/ folder" "$tmp/last.err" || { cat "$tmp/last.err"; fail "status of a folder without runs/"; }
expect_status 0 "$BNLAB" status "$tmp/nowhere" "$tmp/child.json"
grep -q "3 runs in the plan: 0 done, 0 diverged, 0 failed, 0 running, 3 missing" "$tmp/last.out" ||
  { cat "$tmp/last.out"; fail "status of a plan before anything ran"; }
pass "status: a folder without runs/ is exit 2 unless a plan says what is missing"

# --- clean
expect_status 0 "$BNLAB" clean "$dir" "$tmp/child.json"
grep -q "^would remove $failed_id: not in the plan$" "$tmp/last.out" || { cat "$tmp/last.out"; fail "clean dry run"; }
grep -q "^would remove aaaaaaaaaaaa: not in the plan$" "$tmp/last.out" || fail "clean dry run: the stale run"
[[ -d "$dir/runs/$failed_id" ]] || fail "a dry run removed a run"
expect_status 0 "$BNLAB" clean "$dir" --failed --yes
grep -q "^removed $failed_id: failed: " "$tmp/last.out" || { cat "$tmp/last.out"; fail "clean --failed --yes"; }
[[ ! -d "$dir/runs/$failed_id" ]] || fail "clean --yes left the failed run"
tiny_config "$tmp/other.json" child 1 11  # a plan none of the runs is in
expect_status 0 "$BNLAB" clean "$dir" "$tmp/other.json" --yes
grep -q "^kept (held by $host:$holder_pid) $running_id: not in the plan$" "$tmp/last.out" ||
  { cat "$tmp/last.out"; fail "clean removed or did not report a held run"; }
[[ -f "$dir/runs/$running_id/claim.json" ]] || fail "clean touched a held run"
[[ $(find "$dir/runs" -mindepth 1 -maxdepth 1 -type d | wc -l) -eq 1 ]] || fail "clean --yes left runs not in the plan"
kill "$holder_pid"
expect_status 2 "$BNLAB" clean "$dir"
grep -q "clean: say what to remove" "$tmp/last.err" || fail "clean without CONFIG or --failed"
pass "clean: a dry run by default, --yes removes, --failed, a held run is kept"
echo "tool.sh: all passed"
