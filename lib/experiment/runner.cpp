#include "experiment/runner.hpp"

#include <spdlog/spdlog.h>

#include <cstring>

#include "core/errors.hpp"
#include "experiment/children.hpp"
#include "experiment/collect.hpp"
#include "util/csv.hpp"
#include "experiment/process.hpp"
#include "experiment/run.hpp"
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

namespace {

std::string string_field(const json& status, const char* key) {
  const auto it = status.find(key);
  return it != status.end() && it->is_string() ? it->get<std::string>() : "";
}

// Runs one after the other in this process, sharing loaded data, until a stop signal.
void run_in_process(const std::vector<PlannedRun>& runs, const fs::path& runs_dir, int threads,
                           Progress& progress, const StopSignals& stop, const RunFinishedFn& on_finished) {
  DataCache cache;
  for (const auto& run : runs) {
    if (stop.received()) return;
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

}  // namespace

RunReport run_experiment(const Experiment& experiment, const RunnerOptions& options) {
  const fs::path dir = options.out / experiment.name;
  const fs::path runs_dir = dir / "runs";
  const auto plan = expand(experiment);
  const auto selected = select_shard(plan, options.shard);
  const int jobs = std::max(1, options.jobs);
  const int threads = options.threads > 0 ? options.threads : std::max(1, available_cpus() / jobs);

  RunReport report;
  report.selected = selected.size();
  bool data_failed = false;
  std::size_t skipped_failed = 0;
  std::vector<PlannedRun> todo;
  for (const auto& run : selected) {
    const json previous = options.force ? json() : read_status(runs_dir / run.run_id);
    const std::string s = previous.is_object() ? string_field(previous, "status") : "";
    if (s == "ok" || s == "diverged" || (s == "failed" && !options.retry_failed)) {
      ++report.skipped;
      if (s == "failed") {
        ++skipped_failed;
        ++report.failed;
        data_failed = data_failed || string_field(previous, "error_kind") == "data";
      }
    } else {
      todo.push_back(run);
    }
  }

  const std::string shard_text =
      options.shard ? fmt::format(" (shard {}/{}: {} runs)", options.shard->index, options.shard->count, selected.size()) : "";
  spdlog::info("{}: {} runs in the plan{}, {} already done, {} to run with {} job{} x {} thread{} into {}", experiment.name,
               plan.size(), shard_text, report.skipped, todo.size(), jobs, jobs == 1 ? "" : "s", threads,
               threads == 1 ? "" : "s", dir.string());

  StopSignals stop;
  {
    Progress progress(options.progress, todo.size());
    const RunFinishedFn on_finished = [&](const PlannedRun& run, const json& status) {
      report.ran.push_back(run.run_id);
      progress.finished(run, status);
      if (string_field(status, "status") == "failed" || !status.contains("status")) {
        ++report.failed;
        data_failed = data_failed || string_field(status, "error_kind") == "data";
      }
    };
    if (jobs == 1)
      run_in_process(todo, runs_dir, threads, progress, stop, on_finished);
    else
      run_in_children(todo, runs_dir, {options.executable, jobs, threads}, progress, stop, on_finished);
  }
  report.unfinished = todo.size() - report.ran.size();  // cut short or never started

  std::error_code ec;
  if (fs::is_directory(runs_dir, ec)) {
    const auto collected = collect(dir);
    spdlog::info("{}: {} runs collected ({} ok, {} diverged, {} failed) into {}", experiment.name, collected.runs,
                 collected.ok, collected.diverged, collected.failed, (dir / "runs.csv").string());
  }
  if (skipped_failed)
    spdlog::warn("{} run{} failed in an earlier invocation and {} skipped; --retry-failed reruns {}", skipped_failed,
                 skipped_failed == 1 ? "" : "s", skipped_failed == 1 ? "was" : "were", skipped_failed == 1 ? "it" : "them");

  if (stop.received()) {
    spdlog::warn("stopped by {}: {} of {} runs left to do; run the same command again to finish them",
                 ::strsignal(stop.received()), report.unfinished, todo.size());
    report.exit_status = 128 + stop.received();
  } else {
    report.exit_status = data_failed ? 3 : report.failed ? 1 : 0;
  }
  return report;
}

}  // namespace bnlab
