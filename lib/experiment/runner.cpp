#include "experiment/runner.hpp"

#include <spdlog/spdlog.h>

#include <cstring>
#include <map>
#include <set>

#include "core/errors.hpp"
#include "experiment/children.hpp"
#include "experiment/run_claim.hpp"
#include "experiment/collect.hpp"
#include "util/csv.hpp"
#include "experiment/process.hpp"
#include "experiment/run.hpp"
#include "experiment/run_check.hpp"
#include "experiment/stop_signals.hpp"

namespace bnlab {

namespace fs = std::filesystem;
using nlohmann::json;

std::string plan_csv(const std::vector<PlannedRun>& plan) {
  std::vector<std::string> header = {"index", "run_id"};
  if (!plan.empty())
    for (const auto& [key, value] : plan.front().swept) header.push_back(csv_escape(key));
  std::string out = csv_line(header);
  for (const auto& run : plan) {
    std::vector<std::string> row = {std::to_string(run.index), run.run_id};
    for (const auto& [key, value] : run.swept) row.push_back(csv_cell(value));
    out += csv_line(row);
  }
  return out;
}

bool is_transient_failure(const json& status) {
  const auto kind = status.find("error_kind");
  return status.value("status", "") == "failed" && kind != status.end() && *kind == "io";
}

namespace {

std::string string_field(const json& status, const char* key) {
  const auto it = status.find(key);
  return it != status.end() && it->is_string() ? it->get<std::string>() : "";
}

// Runs one after the other in this process, sharing loaded data, until a stop signal.
void run_in_process(const std::vector<PlannedRun>& runs, const fs::path& runs_dir, int threads, Progress& progress,
                    const StopSignals& stop, const BeginRunFn& begin, const RunFinishedFn& on_finished) {
  DataCache cache;
  for (const auto& run : runs) {
    if (stop.received()) return;
    if (!begin(run)) continue;
    const fs::path dir = runs_dir / run.run_id;
    json status;
    try {
      prepare_run_dir(dir, run);
      progress.started(run);
      status = execute_run(dir, cache, threads, [&](std::int64_t step, std::int64_t total) {
        if (stop.received()) throw RunInterrupted();
        progress.step(run.run_id, step, total);
      });
    } catch (const RunInterrupted&) {
      progress.abandoned(run.run_id);
      progress.log(spdlog::level::warn, fmt::format("{}: stopped; run {} is left unfinished and rerun next time",
                                                    ::strsignal(stop.received()), run.run_id));
      return;
    } catch (const std::exception& e) {  // its folder or status.json could not be written
      status = {{"status", "failed"}, {"error", e.what()}, {"error_kind", "io"}};
    }
    on_finished(run, status);
  }
}

// Whether a finished run's status keeps it from running again.
// Whether a finished run stays as it is: ok and diverged runs do; failed ones too unless
// --retry-failed, or the failure was an I/O error (transient: retried by every rerun).
bool keeps_run(const json& status, const RunnerOptions& options) {
  if (options.force) return false;
  const std::string s = string_field(status, "status");
  return s == "ok" || s == "diverged" || (s == "failed" && !options.retry_failed && !is_transient_failure(status));
}

std::string plural(std::size_t n, const char* one, const char* many) { return n == 1 ? one : many; }

}  // namespace

RunReport run_experiment(const Experiment& experiment, const RunnerOptions& options) {
  const fs::path dir = options.out / experiment.name;
  const fs::path runs_dir = dir / "runs";
  auto plan = expand(experiment);
  for (auto& run : plan) run.annotations = options.annotations;
  const auto selected = select_shard(plan, options.shard);
  const int jobs = std::max(1, options.jobs);
  const int threads = options.threads > 0 ? options.threads : std::max(1, available_cpus() / jobs);

  RunReport report;
  report.selected = selected.size();
  bool data_failed = false;
  std::size_t skipped_failed = 0, io_failed = 0;
  // A finished run is skipped; counted as failed if it failed.
  auto skip_finished = [&](const json& status) {
    ++report.skipped;
    if (string_field(status, "status") != "failed") return;
    ++skipped_failed;
    ++report.failed;
    data_failed = data_failed || string_field(status, "error_kind") == "data";
  };
  ClaimKeeper claims;
  std::vector<PlannedRun> todo;
  for (const auto& run : selected) {
    const fs::path run_dir = runs_dir / run.run_id;
    const RunCheck check = check_run(run_dir);
    for (const auto& problem : check.problems) spdlog::warn("{}: damaged; the run is run again", problem);
    if (check.state != RunState::finished || !keeps_run(check.status, options)) {
      todo.push_back(run);
      continue;
    }
    skip_finished(check.status);
    // A process killed right after claiming a finished run (to look at it again) left its claim.
    std::error_code ec;
    if (fs::exists(run_dir / "claim.json", ec)) {
      try {
        if (claims.acquire(run_dir).outcome != ClaimOutcome::held_by_other) claims.release(run_dir);
      } catch (const IoError&) {  // harmless: the stale claim stays
      }
    }
  }

  const std::string shard_text =
      options.shard ? fmt::format(" (shard {}/{}: {} runs)", options.shard->index, options.shard->count, selected.size()) : "";
  spdlog::info("{}: {} runs in the plan{}, {} already done, {} to run with {} job{} x {} thread{} into {}", experiment.name,
               plan.size(), shard_text, report.skipped, todo.size(), jobs, jobs == 1 ? "" : "s", threads,
               threads == 1 ? "" : "s", dir.string());

  StopSignals stop;
  std::map<std::string, std::string> claimed_elsewhere;  // run id -> "host:pid" of its live holder
  std::size_t finished_elsewhere = 0;  // to do at first, then finished by another process
  {
    Progress progress(options.progress, todo.size());
    // Claim the run, then look again: another process may have finished it since the first look.
    const BeginRunFn begin = [&](const PlannedRun& run) {
      const fs::path run_dir = runs_dir / run.run_id;
      ClaimAttempt attempt;
      try {
        attempt = claims.acquire(run_dir);
      } catch (const IoError& e) {
        progress.log(spdlog::level::warn, fmt::format("run {}: {}; left unfinished", run.run_id, e.what()));
        return false;
      }
      if (attempt.outcome == ClaimOutcome::held_by_other) {
        claimed_elsewhere[run.run_id] = describe_holder(attempt.other);
        return false;
      }
      claimed_elsewhere.erase(run.run_id);
      if (attempt.outcome == ClaimOutcome::taken_over)
        progress.log(spdlog::level::info, fmt::format("run {}: took over the stale claim of {} (process gone or "
                                                      "heartbeat older than {} s)",
                                                      run.run_id, describe_holder(attempt.other), kClaimStaleAfter.count()));
      const RunCheck check = check_run(run_dir);
      if (check.state == RunState::finished && keeps_run(check.status, options)) {
        claims.release(run_dir);
        skip_finished(check.status);
        ++finished_elsewhere;
        progress.skipped();
        return false;
      }
      return true;
    };
    const RunFinishedFn on_finished = [&](const PlannedRun& run, const json& status) {
      claims.release(runs_dir / run.run_id);  // status.json is in place (or could not be written)
      report.ran.push_back(run.run_id);
      progress.finished(run, status);
      if (string_field(status, "status") == "failed" || !status.contains("status")) {
        ++report.failed;
        data_failed = data_failed || string_field(status, "error_kind") == "data";
        if (is_transient_failure(status)) ++io_failed;
      }
    };
    // Runs held by others are looked at again after each pass: a holder that died meanwhile left
    // a stale claim this process takes over. Passes end when a pass settles none of them.
    std::vector<PlannedRun> pass = todo;
    for (std::size_t before = SIZE_MAX; !pass.empty() && pass.size() < before && !stop.received();) {
      before = pass.size();
      if (jobs == 1)
        run_in_process(pass, runs_dir, threads, progress, stop, begin, on_finished);
      else
        run_in_children(pass, runs_dir, {options.executable, jobs, threads}, progress, stop, begin, on_finished);
      pass.clear();
      for (const auto& run : todo)
        if (claimed_elsewhere.count(run.run_id)) pass.push_back(run);
    }
  }
  report.claimed_elsewhere = claimed_elsewhere.size();
  report.unfinished = todo.size() - report.ran.size() - report.claimed_elsewhere - finished_elsewhere;
  if (!claimed_elsewhere.empty()) {
    std::set<std::string> holders;
    for (const auto& [run_id, holder] : claimed_elsewhere) holders.insert(holder);
    std::string names;
    for (const auto& h : holders) {
      if (!names.empty()) names += ", ";
      names += h;
    }
    spdlog::warn("{} run{} skipped: claimed by {} live process{} ({}), which finish{} {}", claimed_elsewhere.size(),
                 plural(claimed_elsewhere.size(), "", "s"), holders.size(), plural(holders.size(), "", "es"), names,
                 plural(holders.size(), "es", ""), plural(claimed_elsewhere.size(), "it", "them"));
  }

  if (io_failed)
    spdlog::warn("{} run{} could not read or write {} files (I/O error above); the next run of the same command "
                 "retries {}", io_failed, io_failed == 1 ? "" : "s", io_failed == 1 ? "its" : "their",
                 io_failed == 1 ? "it" : "them");
  std::error_code ec;
  if (fs::is_directory(runs_dir, ec)) {
    CollectOptions scope;
    scope.run_ids.emplace();
    for (const auto& run : plan) scope.run_ids->insert(run.run_id);
    const auto collected = collect(dir, scope);
    spdlog::info("{}: {} runs collected ({} ok, {} diverged, {} failed) into {}", experiment.name, collected.runs,
                 collected.ok, collected.diverged, collected.failed, (dir / "runs.csv").string());
    report.other_plans = collected.other_plans;
    if (collected.other_plans)
      spdlog::warn("{} finished run{} in {} belong{} to other plans (the config or a --set changed under the name "
                   "'{}') and {} left out of runs.csv and metrics.csv; to keep them, `bnlab collect {}` merges every run "
                   "(the keys that differ become columns); to remove them, delete the run folders that `bnlab plan` "
                   "does not list",
                   collected.other_plans, plural(collected.other_plans, "", "s"), runs_dir.string(),
                   plural(collected.other_plans, "s", ""), experiment.name, plural(collected.other_plans, "is", "are"),
                   dir.string());
  }
  if (skipped_failed)
    spdlog::warn("{} run{} failed in an earlier invocation and {} skipped; --retry-failed reruns {}", skipped_failed,
                 skipped_failed == 1 ? "" : "s", skipped_failed == 1 ? "was" : "were", skipped_failed == 1 ? "it" : "them");

  if (stop.received()) {
    spdlog::warn("stopped by {}: {} of {} runs left to do; run the same command again to finish them",
                 ::strsignal(stop.received()), report.unfinished, todo.size());
    report.exit_status = 128 + stop.received();
  } else {
    report.exit_status = data_failed ? 3 : io_failed ? kExitIoError : report.failed ? 1 : 0;
  }
  return report;
}

}  // namespace bnlab
