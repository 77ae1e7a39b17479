#include "experiment/runner.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <thread>

#include "core/errors.hpp"
#include "experiment/collect.hpp"
#include "experiment/csv.hpp"
#include "experiment/files.hpp"
#include "experiment/run.hpp"

namespace bnlab {

namespace fs = std::filesystem;
using nlohmann::json;

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    std::size_t used = 0;
    const long k = std::stol(text.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("junk");
    const std::string rest = text.substr(slash + 1);
    const long n = std::stol(rest, &used);
    if (used != rest.size()) throw std::invalid_argument("junk");
    if (n < 1 || k < 0 || k >= n) throw std::out_of_range("range");
    return {static_cast<std::size_t>(k), static_cast<std::size_t>(n)};
  } catch (const std::exception&) {
    throw ConfigError("--shard: expected K/N with 0 <= K < N (0-based), got '" + text + "'");
  }
}

std::optional<Shard> shard_from_slurm_env() {
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  if (!id || !count) return std::nullopt;
  const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
  try {
    const long k = std::stol(id) - (min ? std::stol(min) : 0);
    const long n = std::stol(count);
    if (n < 1 || k < 0 || k >= n) throw std::out_of_range("range");
    return Shard{static_cast<std::size_t>(k), static_cast<std::size_t>(n)};
  } catch (const std::exception&) {
    throw ConfigError(std::string("SLURM_ARRAY_TASK_ID=") + id + " / SLURM_ARRAY_TASK_COUNT=" + count +
                      ": not a valid array task (the array must be 0..N-1 or MIN..MIN+N-1)");
  }
}

std::vector<PlannedRun> select_shard(const std::vector<PlannedRun>& plan, const std::optional<Shard>& shard) {
  if (!shard) return plan;
  std::vector<PlannedRun> out;
  for (const auto& run : plan)
    if (run.index % shard->count == shard->index) out.push_back(run);
  return out;
}

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

int run_experiment(const Experiment& experiment, const RunnerOptions& options) {
  const fs::path dir = options.out / experiment.name;
  const auto runs = select_shard(expand(experiment), options.shard);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = options.threads > 0 ? options.threads : std::max(1, cores / std::max(1, options.jobs));

  DataCache cache;
  std::size_t done = 0, skipped = 0, failed = 0, data_failed = 0;
  for (const auto& run : runs) {
    const fs::path run_dir = dir / "runs" / run.run_id;
    const json previous = read_status(run_dir);
    if (!options.force && previous.is_object()) {
      const std::string s = previous.value("status", "");
      if (s == "ok" || s == "diverged" || (s == "failed" && !options.retry_failed)) {
        ++skipped;
        if (s == "failed") ++failed;
        continue;
      }
    }
    prepare_run_dir(run_dir, run);
    const json status = execute_run(run_dir, cache, threads);
    ++done;
    const std::string s = status.value("status", "failed");
    if (s == "failed") {
      ++failed;
      if (status.value("error_kind", "") == "data") ++data_failed;
      spdlog::error("run {} failed: {}", run.run_id, status.value("error", "?"));
    } else {
      spdlog::info("run {} {} ({}/{}): test acc {:.4f}, {:.1f} s", run.run_id, s, done + skipped, runs.size(),
                   status.value("final_test_acc", 0.0), status.value("wall_s", 0.0));
    }
  }
  if (skipped) spdlog::info("{} of {} runs were already finished and skipped", skipped, runs.size());
  const auto collected = collect(dir);
  spdlog::info("{}: {} runs collected ({} ok, {} diverged, {} failed) into {}", experiment.name, collected.runs,
               collected.ok, collected.diverged, collected.failed, (dir / "runs.csv").string());
  if (data_failed) return 3;
  return failed ? 1 : 0;
}

}  // namespace bnlab
