// `bnlab clean`: removes run folders that are not in a config's plan, or the failed ones (README,
// "Status and clean"). A dry run unless `remove` is set. A run that another process holds a live
// claim on is never removed: clean claims each folder itself before removing it, so a run that
// starts between the look and the removal is skipped too.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "experiment/sweep.hpp"

namespace bnlab {

struct CleanOptions {
  const std::vector<PlannedRun>* plan = nullptr;  // remove the runs not in it (unless `failed`)
  bool failed = false;                            // remove failed runs (of `plan` when given)
  bool remove = false;                            // false: only say what would go
};

struct CleanEntry {
  std::string run_id;
  std::string reason;   // "not in the plan" or "failed: <reason>"
  std::string holder;   // non-empty: kept, held by this process (host:pid)
  bool removed = false;
};

struct CleanResult {
  std::vector<CleanEntry> runs;  // the selected runs, in run id order
  std::size_t removed = 0, held = 0;
};

// Throws ConfigError when neither a plan nor `failed` says what to remove; IoError when a folder
// cannot be removed.
CleanResult clean_runs(const std::filesystem::path& experiment_dir, const CleanOptions& options);

}  // namespace bnlab
