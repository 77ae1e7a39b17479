// One run of an experiment, in its own folder (DESIGN.md, "Results"):
//   runs/<run_id>/config.json   the fully resolved run config (written before training)
//   runs/<run_id>/plan.json     where the run sits in its experiment: plan index and swept values,
//                               and PlannedRun::annotations (note, tags, command_line)
//   runs/<run_id>/metrics.csv   one row per evaluation, rewritten (atomically) after each one
//   runs/<run_id>/<probe>.csv   one per enabled probe
//   runs/<run_id>/status.json   written last, atomically: ok | diverged | failed, summary numbers,
//                               timings, peak memory, versions, the error of a failed run, and
//                               `files`: bytes and rows of each CSV written (run_check.hpp);
//                               `format_version`, `note`, `tags`, `provenance` (git commit and
//                               dirty flag, compiler, build type, command line) and the checksum
//                               of each data file read (`data.files`): docs/results.md, "status.json";
//                               the phases of the run's time (data_s ... write_s: docs/results.md, "Results")
//   runs/<run_id>/claim.json    while a process owns the run (run_claim.hpp)
//   .data_cache/                the experiment's data cache files (data/data_file_cache.hpp)
// A run folder without status.json is unfinished (killed): a rerun starts it again.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <string>

#include "data/dataset.hpp"
#include "experiment/config.hpp"

namespace bnlab {

struct PlannedRun;

// The folder of an experiment that holds its data cache files (data/data_file_cache.hpp).
inline constexpr const char* kDataCacheFolder = ".data_cache";

// status.json's format_version: 1 is this layout. A key that changes meaning or goes raises it;
// added keys do not.
inline constexpr int kStatusFormatVersion = 1;

// metrics.csv columns of a run, in order.
const std::vector<std::string>& metrics_columns();

// Loaded data sets, shared by the runs of one process that ask for the same data. Keeps the
// `capacity` most recently used ones (synthetic data differs per seed: a long seed sweep must not
// keep them all). A reference from get() stays valid until the next get().
// With a `files` folder, data not held here come from the cache files there, shared by every
// process of a sweep (data/data_file_cache.hpp); without one they are loaded.
class DataCache {
 public:
  explicit DataCache(std::size_t capacity = 4) : capacity_(capacity) {}
  const DataSplit& get(const DataConfig& config, std::uint64_t seed, const std::filesystem::path& files = {});
  // Where the last get() found its data: "process" (held here), "reused", "built", "rebuilt",
  // "memory" (data_file_cache.hpp's CacheOutcome) or "none" (loaded without a folder).
  const std::string& last_source() const { return last_source_; }

 private:
  std::size_t capacity_;
  std::string last_source_ = "none";
  std::list<std::pair<std::string, std::unique_ptr<DataSplit>>> entries_;  // most recent first
};

// Called now and then during training with (steps done, steps planned). It may throw
// RunInterrupted to abandon the run (Ctrl-C): the run is then left unfinished, without status.json.
using ProgressFn = std::function<void(std::int64_t, std::int64_t)>;

class RunInterrupted : public std::exception {
 public:
  const char* what() const noexcept override { return "run interrupted"; }
};

// Writes config.json and plan.json into `dir`, removing any stale status/metrics/temp files (the
// temporaries of a dead holder included). Only for a folder whose claim this process holds
// (run_claim.hpp); throws IoError otherwise.
void prepare_run_dir(const std::filesystem::path& dir, const PlannedRun& run);

// Trains the run prepared in `dir` and writes metrics.csv and status.json. A run that throws is
// recorded as failed (the error and its kind — config, data, shape, memory, io, internal — in status.json)
// and does not throw, except RunInterrupted from `progress` (passed on; no status.json is
// written). peak_rss_mb is the process's resident-memory high-water mark during the run (the
// kernel's mark is reset at the start). Returns the status.json content.
nlohmann::json execute_run(const std::filesystem::path& dir, DataCache& cache, int threads,
                           const ProgressFn& progress = {});

// Writes status.json of a run that could not write its own (its process crashed or was killed):
// status failed, `error`, `error_kind`, wall_s and plan.json's run_id/index/swept, so collect
// lists it. Returns the status.json content.
nlohmann::json record_failed_run(const std::filesystem::path& dir, const std::string& error,
                                 const std::string& error_kind, double wall_s);

// status.json of a finished run, or null if the folder has none (unfinished) or it is unreadable.
nlohmann::json read_status(const std::filesystem::path& dir);

}  // namespace bnlab
