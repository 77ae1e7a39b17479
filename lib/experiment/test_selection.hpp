// "Nothing is selected on the test set" (issue 16): a value found by looking at the test set more
// than once — the best test accuracy over the evaluations, the first step whose test accuracy
// reaches a target — is optimistic, and a claim or comparison resting on it overstates. Such
// values stay in runs.csv for exploring a run, but `bnlab compare` and `bnlab verdict` refuse
// them (ConfigError, exit 2):
//   best_test_acc     always (its validation counterpart is best_val_acc, with data.val_size > 0);
//   steps_to_target   when it was measured on the test set: runs.csv's steps_to_target_on is not
//                     "val" (data.val_size 0; a runs.csv without that column predates the
//                     validation set, so it was the test set too).
// Final values (final_test_acc, final_test_loss, ...) are read once at the end: reporting, allowed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/csv.hpp"

namespace bnlab {

struct Claim;
struct SweepAxis;

// Why `metric` may never be compared (best_test_acc), or nothing.
std::optional<std::string> test_selection_metric_problem(const std::string& metric);

// Why `metric` cannot be compared between the runs of `runs` whose `key` holds one of `values`
// (status failed excepted), or nothing.
std::optional<std::string> test_selection_problem(const CsvTable& runs, const std::string& metric,
                                                  const std::string& key, const std::vector<std::string>& values);

// Before anything runs: a steps_to_target claim over runs whose data.val_size is 0 (the config's
// value, the swept values, or the claim's `where`) is appended to `problems`.
void check_claim_selection(const std::vector<Claim>& claims, std::int64_t val_size,
                           const std::vector<SweepAxis>& axes, std::vector<std::string>& problems);

}  // namespace bnlab
