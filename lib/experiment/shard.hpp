// Shards: splitting one plan over several invocations (machines, Slurm array tasks). Shard K of N
// runs the runs i with i % N == K, in plan order, so the N shards together run every run once.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "experiment/sweep.hpp"

namespace bnlab {

struct Shard {
  std::size_t index = 0, count = 1;  // runs i with i % count == index
};

// "K/N" -> Shard; ConfigError naming --shard otherwise.
Shard parse_shard(const std::string& text);

// Reads an environment variable (nullptr when unset); std::getenv by default, a map in tests.
using EnvLookup = std::function<const char*(const char*)>;

// The shard of a Slurm array task, or nullopt outside an array job (neither SLURM_ARRAY_TASK_ID nor
// SLURM_ARRAY_TASK_COUNT set; one without the other is a ConfigError). The array's tasks must be
// MIN, MIN+STEP, ..., MIN+(COUNT-1)*STEP (any MIN; STEP 1 unless SLURM_ARRAY_TASK_STEP says
// otherwise): task ID runs shard (ID - MIN) / STEP of COUNT. ConfigError for values that do
// not fit that (for instance an array with gaps: --array=1,5,9 gives COUNT 3 but ID 9).
std::optional<Shard> shard_from_slurm_env(const EnvLookup& env = [](const char* name) { return std::getenv(name); });

// The runs of the plan one shard is responsible for (all of them without a shard).
std::vector<PlannedRun> select_shard(const std::vector<PlannedRun>& plan, const std::optional<Shard>& shard);

}  // namespace bnlab
