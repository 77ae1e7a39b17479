// Where a sweep stands, from its results folder alone (docs/cli.md, "Status and clean"): each run of
// the plan (or, without a plan, each run folder) is done, diverged, failed, running (a claim.json
// with its holder and heartbeat; stale when the holder is gone or silent) or missing (no folder,
// or an unfinished one nobody holds: a rerun starts it). Works from any shell while a sweep runs,
// or after a Slurm array, because it only reads status.json and claim.json.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "experiment/run_claim.hpp"
#include "experiment/sweep.hpp"

namespace bnlab {

enum class SweepRunState { done, diverged, failed, running, missing };
const char* to_string(SweepRunState state);

struct RunStatus {
  std::string run_id;
  std::optional<std::size_t> index;  // position in the plan (unset without one)
  SweepRunState state = SweepRunState::missing;
  std::string error, error_kind;     // failed: the one-line reason
  std::optional<RunClaim> claim;     // running: who holds it
  bool stale = false;                // running: the claim is stale (its process is gone or hung)
};

struct SweepStatus {
  bool planned = false;              // a plan was given: missing runs are known
  std::vector<RunStatus> runs;       // plan order, or run id order without a plan
  std::size_t count(SweepRunState state) const;
};

// The state of every run of `plan` (or of every folder in dir/runs when it is unset) at `now`.
SweepStatus sweep_status(const std::filesystem::path& experiment_dir, const std::vector<PlannedRun>* plan,
                         std::int64_t now_unix);

// The one-line reason of a failed run's status.json: its first line, cut at 200 characters.
std::string one_line(const std::string& text);

// For `bnlab status`: a summary line, then one line per running, failed run.
std::string status_text(const SweepStatus& status, const std::string& dir_name, std::int64_t now_unix);
// For `bnlab status --json`: {"counts": {...}, "runs": [{"run_id", "state", ...}, ...]}.
nlohmann::json status_json(const SweepStatus& status, std::int64_t now_unix);

}  // namespace bnlab
