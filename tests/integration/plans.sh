#!/usr/bin/env bash
# One results folder, two plans (issue 17, 2.2 and 2.4): a config rerun under the same name with
# another optimizer.lr gives a runs.csv of the new plan's runs only and a warning; `collect` without
# a config merges both and adds optimizer.lr as a column; `collect DIR CONFIG` takes one plan. A
# damaged metrics.csv is named by collect, left out, and the next run repairs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/integration/common.bash
make_tmp

tiny_config "$tmp/plans.json" plans 2 20
expect_status 0 "$BNLAB" run "$tmp/plans.json" --out "$tmp/out"
old_ids=$(column "$tmp/out/plans/runs.csv" run_id)
expect_status 0 "$BNLAB" run "$tmp/plans.json" --out "$tmp/out" --set optimizer.lr=0.05
new_ids=$("$BNLAB" plan "$tmp/plans.json" --set optimizer.lr=0.05 | tail -n +2 | cut -d, -f2 | sort)
[[ $(column "$tmp/out/plans/runs.csv" run_id) == "$new_ids" ]] || fail "runs.csv does not hold only the new plan's runs"
[[ "$new_ids" != "$old_ids" ]] || fail "changing optimizer.lr did not change the run ids"
grep -q "2 finished runs in .* belong to other plans" "$tmp/last.err" || { cat "$tmp/last.err"; fail "no warning about the other plan's runs"; }
pass "a changed optimizer.lr under the same name: runs.csv holds the new plan only, with a warning"

expect_status 0 "$BNLAB" collect "$tmp/out/plans"
[[ $(grep -c . "$tmp/out/plans/runs.csv") -eq 5 ]] || fail "collect without a config should merge all 4 runs"
[[ $(column "$tmp/out/plans/runs.csv" optimizer.lr | sort -u | tr '\n' ' ') == "0.05 0.1 " ]] ||
  fail "the merged runs.csv has no optimizer.lr column telling the plans apart"
grep -q "differ in keys no sweep varies: optimizer.lr" "$tmp/last.err" || fail "collect did not say what it merged"
expect_status 0 "$BNLAB" collect "$tmp/out/plans" "$tmp/plans.json"
[[ $(column "$tmp/out/plans/runs.csv" run_id) == "$old_ids" ]] || fail "collect DIR CONFIG did not take that plan's runs"
pass "collect merges every plan (optimizer.lr as a column) or one config's"

run_dir="$tmp/out/plans/runs/$(head -1 <<<"$old_ids")"
head -c -5 "$run_dir/metrics.csv" >"$tmp/cut" && mv "$tmp/cut" "$run_dir/metrics.csv"
expect_status 0 "$BNLAB" collect "$tmp/out/plans" "$tmp/plans.json"
grep -q "runs/$(basename "$run_dir")/metrics.csv: .*damaged" "$tmp/last.err" || { cat "$tmp/last.err"; fail "collect did not name the damaged file"; }
[[ $(grep -c . "$tmp/out/plans/runs.csv") -eq 2 ]] || fail "the damaged run was collected"
expect_status 0 "$BNLAB" run "$tmp/plans.json" --out "$tmp/out"
grep -q "1 already done, 1 to run" "$tmp/last.err" || { cat "$tmp/last.err"; fail "the damaged run was not run again"; }
[[ $(column "$tmp/out/plans/runs.csv" run_id) == "$old_ids" ]] || fail "runs.csv after the repair"
pass "a damaged metrics.csv is named, left out, and run again"
echo "plans.sh: all passed"
