// One run of an experiment, in its own folder (DESIGN.md, "Results"):
//   runs/<run_id>/config.json   the fully resolved run config (written before training)
//   runs/<run_id>/plan.json     where the run sits in its experiment: plan index and swept values
//   runs/<run_id>/metrics.csv   one row per evaluation, rewritten (atomically) after each one
//   runs/<run_id>/<probe>.csv   one per enabled probe
//   runs/<run_id>/status.json   written last, atomically: ok | diverged | failed, summary numbers,
//                               timings, peak memory, versions, the error of a failed run
// A run folder without status.json is unfinished (killed): a rerun starts it again.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "data/dataset.hpp"
#include "experiment/config.hpp"

namespace bnlab {

struct PlannedRun;

// metrics.csv columns of a run, in order.
const std::vector<std::string>& metrics_columns();

// Loaded data sets, shared by the runs of one process that ask for the same data.
class DataCache {
 public:
  const DataSplit& get(const DataConfig& config, std::uint64_t seed);

 private:
  std::map<std::string, std::unique_ptr<DataSplit>> cache_;
};

// Called now and then during training with (steps done, steps planned).
using ProgressFn = std::function<void(std::int64_t, std::int64_t)>;

// Writes config.json and plan.json into `dir`, removing any stale status/metrics/temp files.
void prepare_run_dir(const std::filesystem::path& dir, const PlannedRun& run);

// Trains the run prepared in `dir` and writes metrics.csv and status.json. A run that throws is
// recorded as failed (the error and its kind — config, data, shape, io, internal — in status.json)
// and does not throw. Returns the status.json content.
nlohmann::json execute_run(const std::filesystem::path& dir, DataCache& cache, int threads,
                           const ProgressFn& progress = {});

// status.json of a finished run, or null if the folder has none (unfinished) or it is unreadable.
nlohmann::json read_status(const std::filesystem::path& dir);

}  // namespace bnlab
