// Helpers of the runner/collect tests: a fresh temporary folder per test, small synthetic
// experiments that run in a fraction of a second, and reading results back.
#pragma once

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "temp_dir.hpp"
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "util/csv.hpp"
#include "experiment/files.hpp"
#include "experiment/runner.hpp"
#include "experiment/sweep.hpp"

namespace bnlab::testing {

using bnlab::test::TempDir;

// An experiment of tiny synthetic runs (20 steps of an MLP on 200 images); `sweep` is the JSON
// object of the sweep, `extra` more sections ("" for none).
inline Experiment tiny_experiment(const std::string& sweep, const std::string& extra = "") {
  const std::string text = R"({"name": "tiny",
    "data": {"dataset": "synthetic", "train_size": 200, "test_size": 100},
    "model": {"arch": "mlp", "hidden": [16]},
    "train": {"batch_size": 20, "steps": 20, "eval_every": 10},
    "sweep": )" + sweep + (extra.empty() ? "" : ", " + extra) + "}";
  return parse_experiment(text, "tiny.json");
}

// Runner options for tests: results under `out`, plain log lines, children from the built bnlab.
inline RunnerOptions test_options(const std::filesystem::path& out, int jobs = 1) {
  spdlog::set_level(spdlog::level::off);  // expected failures would clutter the test output
  RunnerOptions options;
  options.out = out;
  options.jobs = jobs;
  options.threads = 1;
  options.progress = ProgressMode::lines;
  options.executable = BNLAB_EXE;
  return options;
}

// A column of a CSV file, every row.
inline std::vector<std::string> csv_column(const std::filesystem::path& file, const std::string& name) {
  const CsvTable table = parse_csv(read_file(file));
  const int c = table.column(name);
  std::vector<std::string> out;
  for (const auto& row : table.rows) out.push_back(c >= 0 && c < static_cast<int>(row.size()) ? row[c] : "<missing>");
  return out;
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// The run ids of a plan, in plan order.
inline std::vector<std::string> run_ids(const std::vector<PlannedRun>& plan) {
  std::vector<std::string> ids;
  for (const auto& run : plan) ids.push_back(run.run_id);
  return ids;
}

// `v` in ascending order: for comparing sets of run ids whose order does not matter.
inline std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace bnlab::testing
