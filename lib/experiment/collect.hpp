// Rebuilds <dir>/runs.csv and <dir>/metrics.csv from the run folders under <dir>/runs/ — after a
// local run, or after shards wrote into a shared folder from several machines. Only finished runs
// (with a readable status.json) are collected; unfinished folders, stray files and temporaries
// are skipped. Rows are in plan order (plan.json's index), then by run_id. The swept keys are the
// union of every run's swept keys, in order of first appearance, one column each.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace bnlab {

// runs.csv summary columns after run_id, status and the swept keys.
const std::vector<std::string>& runs_summary_columns();

struct CollectResult {
  std::size_t runs = 0;       // rows in runs.csv
  std::size_t ok = 0, diverged = 0, failed = 0;
  std::size_t skipped = 0;    // folders without a readable status.json
};

CollectResult collect(const std::filesystem::path& experiment_dir);

}  // namespace bnlab
