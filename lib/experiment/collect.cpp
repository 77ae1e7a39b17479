#include "experiment/collect.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

#include "core/errors.hpp"
#include "util/csv.hpp"
#include "experiment/files.hpp"
#include "experiment/run.hpp"

namespace bnlab {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string>& runs_summary_columns() {
  static const std::vector<std::string> columns = {
      "steps",         "final_train_loss", "final_train_acc",  "final_test_loss", "final_test_acc",
      "best_test_acc", "steps_to_target",  "diverged_at_step", "wall_s",          "ms_per_step",
      "peak_rss_mb",   "threads",          "error"};
  return columns;
}

namespace {

struct Found {
  fs::path dir;
  json status;
  std::size_t index;
};

// The swept values recorded in a status.json ({} if there are none or they are malformed).
json swept_of(const json& status) {
  const auto it = status.find("swept");
  return it != status.end() && it->is_object() ? *it : json::object();
}

}  // namespace

CollectResult collect(const fs::path& experiment_dir) {
  CollectResult result;
  const fs::path runs_dir = experiment_dir / "runs";
  std::error_code ec;
  if (!fs::is_directory(runs_dir, ec)) throw IoError(runs_dir.string() + ": no such folder (nothing to collect)");

  std::vector<Found> found;
  for (const auto& entry : fs::directory_iterator(runs_dir, ec)) {
    if (!entry.is_directory(ec)) continue;
    json status = read_status(entry.path());
    if (!status.is_object() || !status.contains("status") || !status["status"].is_string()) {
      ++result.skipped;  // unfinished, or not a status.json bnlab wrote
      continue;
    }
    // Without a plan index (a hand-made folder) a run sorts last.
    const auto index = status.contains("index") && status["index"].is_number_unsigned()
                           ? status["index"].get<std::size_t>()
                           : std::numeric_limits<std::size_t>::max();
    found.push_back({entry.path(), std::move(status), index});
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return a.index != b.index ? a.index < b.index : a.dir.filename() < b.dir.filename();
  });

  std::vector<std::string> swept_keys;
  for (const auto& f : found) {
    const json swept = swept_of(f.status);
    for (const auto& [key, value] : swept.items())
      if (std::find(swept_keys.begin(), swept_keys.end(), key) == swept_keys.end()) swept_keys.push_back(key);
  }

  auto swept_cells = [&](const json& status) {
    std::vector<std::string> cells;
    const json swept = swept_of(status);
    for (const auto& key : swept_keys) cells.push_back(swept.contains(key) ? csv_cell(swept[key]) : "");
    return cells;
  };

  std::vector<std::string> header = {"run_id", "status"};
  for (const auto& k : swept_keys) header.push_back(csv_escape(k));
  for (const auto& c : runs_summary_columns()) header.push_back(c);
  std::string runs_csv = csv_line(header);

  std::vector<std::string> metrics_header = {"run_id"};
  for (const auto& k : swept_keys) metrics_header.push_back(csv_escape(k));
  for (const auto& c : metrics_columns()) metrics_header.push_back(c);
  std::string metrics_csv = csv_line(metrics_header);

  for (const auto& f : found) {
    const std::string run_id = f.dir.filename().string();
    const std::string status = f.status["status"].get<std::string>();
    std::vector<std::string> row = {csv_escape(run_id), csv_escape(status)};
    for (auto& cell : swept_cells(f.status)) row.push_back(std::move(cell));
    for (const auto& c : runs_summary_columns()) row.push_back(csv_cell(f.status.value(c, json())));
    runs_csv += csv_line(row);
    ++result.runs;
    if (status == "ok") ++result.ok;
    else if (status == "diverged") ++result.diverged;
    else ++result.failed;

    if (!fs::exists(f.dir / "metrics.csv", ec)) continue;  // a failed run may have none
    CsvTable table;
    try {
      table = parse_csv(read_file(f.dir / "metrics.csv"));
    } catch (const IoError&) {
      continue;  // unreadable: the run's row is still in runs.csv
    }
    std::vector<int> columns;
    for (const auto& c : metrics_columns()) columns.push_back(table.column(c));
    const auto prefix = swept_cells(f.status);
    for (const auto& r : table.rows) {
      std::vector<std::string> out = {csv_escape(run_id)};
      out.insert(out.end(), prefix.begin(), prefix.end());
      for (int c : columns) out.push_back(c >= 0 && c < static_cast<int>(r.size()) ? csv_escape(r[c]) : "");
      metrics_csv += csv_line(out);
    }
  }
  write_file_atomic(experiment_dir / "runs.csv", runs_csv);
  write_file_atomic(experiment_dir / "metrics.csv", metrics_csv);
  return result;
}

}  // namespace bnlab
