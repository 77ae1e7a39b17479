// Runs an experiment's plan into <out>/<name>/ (DESIGN.md, "Command line" and "Results").
//
// Resume: a run whose folder has a status.json with status ok or diverged is finished and skipped;
// a failed one is skipped too (and still makes the exit status 1) unless retry_failed, except a
// run that failed on an I/O error (error_kind "io": disk full, file size limit, permissions): such
// faults are the machine's, not the run's, so every rerun retries it. force reruns everything. A folder without status.json is unfinished (killed, interrupted) and is run again
// from the start. Every file is written to a temporary name and renamed, status.json last, so a
// kill at any moment leaves nothing half-written.
//
// Jobs: with jobs == 1 the runs execute in this process, one after the other (loaded data sets are
// kept between runs). With jobs > 1 each run is a child process (`bnlab exec-run DIR`, see
// cli/exec_run.cpp), at most `jobs` at once: a crash of one run is recorded as a failed run
// ("crashed: signal 11 (Segmentation fault)") and the sweep goes on. Children die with this
// process, also on kill -9.
//
// Signals: the first SIGINT/SIGTERM/SIGHUP stops starting runs, passes the signal to the running
// children and waits for them; runs cut short keep no status.json (they are rerun next time);
// what finished is collected and the exit status is 128 + signal. A second signal kills at once.
//
// Ownership: a run is claimed (run_claim.hpp) before its folder is cleaned and run, and released once
// its status.json is in place; runs another live process holds are skipped (and looked at again
// once this call has done the rest: a holder that died meanwhile is taken over). So concurrent
// invocations and shards on one folder share the work and never touch each other's runs.
//
// At the end runs.csv and metrics.csv are rebuilt (collect.hpp) from this plan's runs (every
// shard); finished runs of other plans in the folder are left out, with a warning.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "experiment/progress.hpp"
#include "experiment/shard.hpp"
#include "experiment/sweep.hpp"

namespace bnlab {

// Exit status when results could not be read or written (IoError); docs/cli.md, "Exit status".
inline constexpr int kExitIoError = 4;

struct RunnerOptions {
  std::filesystem::path out = "results";
  int jobs = 1;                    // runs at once; > 1 runs each in a child process
  int threads = 0;                 // oneDNN (OpenMP) threads per run; 0: usable cores / jobs, at least 1
  std::optional<Shard> shard;
  bool force = false;
  bool retry_failed = false;
  // Recorded in plan.json and status.json of every run this call starts (--note, --tag, the command
  // line; docs/cli.md, "Notes and tags"); not part of the run id.
  nlohmann::json annotations = nlohmann::json::object();
  ProgressMode progress = ProgressMode::automatic;
  // The bnlab binary that children run (`exec-run`); this process's own by default. Tests, whose
  // binary is not bnlab, point it at the built bnlab.
  std::filesystem::path executable = "/proc/self/exe";
};

struct RunReport {
  int exit_status = 0;             // 0 all finished, 1 a run failed, 3 a run's data was missing or
                                   // corrupt, 4 a run hit an I/O error (kExitIoError), 128 + signal
                                   // when stopped by a signal
  std::vector<std::string> ran;    // run ids executed by this call (finished or failed), in finishing order
  std::size_t selected = 0;        // runs of the plan in this shard
  std::size_t skipped = 0;         // already finished (or failed, without retry_failed)
  std::size_t failed = 0;          // failed now or skipped as failed before
  std::size_t unfinished = 0;      // left without status.json (stopped by a signal)
  std::size_t claimed_elsewhere = 0;  // left to the live processes that hold their claims
  std::size_t other_plans = 0;     // finished runs in the folder not of this plan (left out of runs.csv)
};

// A failed status.json whose failure is transient (an I/O error): reruns retry it without --retry-failed.
bool is_transient_failure(const nlohmann::json& status);

// The plan as CSV: index, run_id, then one column per swept key (`bnlab plan`, `run --dry-run`).
std::string plan_csv(const std::vector<PlannedRun>& plan);

// Runs `experiment` as described above. Throws ConfigError for a bad plan and IoError if the
// results cannot be collected; a failing run is recorded, never thrown.
RunReport run_experiment(const Experiment& experiment, const RunnerOptions& options);

}  // namespace bnlab
