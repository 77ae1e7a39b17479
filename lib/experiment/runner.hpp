// Runs an experiment's plan into <out>/<name>/: skips finished runs (status ok or diverged;
// failed ones too unless retry_failed; all are rerun with force), runs the rest, then collects
// runs.csv and metrics.csv. Returns the exit status (README, "Exit status"): 0 when every run
// finished (a diverged run is a result), 1 when a run failed, 3 when a run failed on its data.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "experiment/sweep.hpp"

namespace bnlab {

struct Shard {
  std::size_t index = 0, count = 1;  // runs i with i % count == index
};

// "K/N" -> Shard; ConfigError naming --shard otherwise.
Shard parse_shard(const std::string& text);
// The shard selected by a Slurm array task (SLURM_ARRAY_TASK_ID, _COUNT, _MIN), if any.
std::optional<Shard> shard_from_slurm_env();

struct RunnerOptions {
  std::filesystem::path out = "results";
  int jobs = 1;
  int threads = 0;                 // oneDNN threads per run; 0: cores / jobs
  std::optional<Shard> shard;
  bool force = false;
  bool retry_failed = false;
};

// The runs of the plan this invocation is responsible for (its shard).
std::vector<PlannedRun> select_shard(const std::vector<PlannedRun>& plan, const std::optional<Shard>& shard);

// The plan as CSV: index, run_id, then one column per swept key (`bnlab plan`, `run --dry-run`).
std::string plan_csv(const std::vector<PlannedRun>& plan);

int run_experiment(const Experiment& experiment, const RunnerOptions& options);

}  // namespace bnlab
