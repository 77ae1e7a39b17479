#include "experiment/collect.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

#include "core/errors.hpp"
#include "util/csv.hpp"
#include "experiment/files.hpp"
#include "experiment/run.hpp"
#include "experiment/run_check.hpp"
#include "probes/registry.hpp"

namespace bnlab {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// runs.csv columns after the keys that are not measured numbers: the set steps_to_target was measured
// on, a setting of the run and free text.
const std::vector<std::string> kNotResults = {"steps_to_target_on", "threads", "error", "note", "tags"};

}  // namespace

const std::vector<std::string>& runs_summary_columns() {
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> out = {
        "steps",           "final_train_loss", "final_train_acc", "final_test_loss",    "final_test_acc",
        "best_test_acc",   "final_val_loss",   "final_val_acc",   "best_val_acc",
        "precise_test_loss", "precise_test_acc", "precise_val_loss", "precise_val_acc",
        "batch_stats_test_loss", "batch_stats_test_acc",                                "steps_to_target",
        "steps_to_target_on", "diverged_at_step", "wall_s",       "ms_per_step",        "peak_rss_mb",
        "threads",         "error",            "note",            "tags",               "data_s",
        "build_s",         "train_s",          "eval_s",          "probe_s",            "write_s"};
    for (const auto& column : probe_result_columns()) out.push_back(column.name);
    return out;
  }();
  return columns;
}

const std::vector<std::string>& runs_result_columns() {
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> out;
    for (const auto& c : runs_summary_columns())
      if (std::find(kNotResults.begin(), kNotResults.end(), c) == kNotResults.end()) out.push_back(c);
    return out;
  }();
  return columns;
}

namespace {

// A runs.csv cell from status.json; tags (a list) as "a;b".
std::string summary_cell(const json& status, const std::string& column) {
  const json value = status.value(column, json());
  if (column != "tags" || !value.is_array()) return csv_cell(value);
  std::string joined;
  for (const auto& tag : value) {  // appended piecewise: GCC 12 warns falsely on "" + string (-Wstringop-overflow)
    if (!joined.empty()) joined.push_back(';');
    joined.append(tag.is_string() ? tag.get<std::string>() : tag.dump());
  }
  return csv_escape(joined);
}

struct Found {
  fs::path dir;
  json status;
  std::size_t index;
  json flat_config;  // config.json as dotted key -> value (null if unreadable)
};

// The swept values recorded in a status.json ({} if there are none or they are malformed).
json swept_of(const json& status) {
  const auto it = status.find("swept");
  return it != status.end() && it->is_object() ? *it : json::object();
}

void flatten(const json& value, const std::string& prefix, json& out) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [key, v] : value.items()) flatten(v, prefix.empty() ? key : prefix + "." + key, out);
  } else {
    out[prefix] = value;
  }
}

json flat_config_of(const fs::path& run_dir) {
  try {
    const json config = json::parse(read_file(run_dir / "config.json"));
    if (!config.is_object()) return nullptr;
    json flat = json::object();
    if (!config.empty()) flatten(config, "", flat);
    return flat;
  } catch (const std::exception&) {
    return nullptr;
  }
}

bool under_swept_key(const std::string& key, const std::vector<std::string>& swept_keys) {
  for (const auto& s : swept_keys)
    if (key == s || key.rfind(s + ".", 0) == 0) return true;
  return false;
}

// Keys of the runs' configs whose values differ between runs (or that some runs lack), except
// the swept ones, `description` and `plot.*` (not part of a run's identity).
std::vector<std::string> differing_keys(const std::vector<Found>& found, const std::vector<std::string>& swept_keys) {
  std::vector<std::string> keys;
  const json* first = nullptr;
  for (const auto& f : found) {
    if (!f.flat_config.is_object()) continue;
    if (!first) {
      first = &f.flat_config;
      continue;
    }
    for (const json* a : {first, &f.flat_config}) {
      const json* b = a == first ? &f.flat_config : first;
      for (const auto& [key, value] : a->items()) {
        if (key == "description" || key.rfind("plot.", 0) == 0 || under_swept_key(key, swept_keys)) continue;
        if ((!b->contains(key) || (*b)[key] != value) && std::find(keys.begin(), keys.end(), key) == keys.end())
          keys.push_back(key);
      }
    }
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace

CollectResult collect(const fs::path& experiment_dir, const CollectOptions& options) {
  CollectResult result;
  const fs::path runs_dir = experiment_dir / "runs";
  std::error_code ec;
  if (!fs::is_directory(runs_dir, ec)) throw IoError(runs_dir.string() + ": no such folder (nothing to collect)");

  std::vector<Found> found;
  for (const auto& entry : fs::directory_iterator(runs_dir, ec)) {
    if (!entry.is_directory(ec)) continue;
    const bool in_scope = !options.run_ids || options.run_ids->count(entry.path().filename().string());
    if (!in_scope) {  // another plan's run: counted when finished, not checked
      if (read_status(entry.path()).is_object()) ++result.other_plans;
      continue;
    }
    RunCheck check = check_run(entry.path());
    if (check.state != RunState::finished) {
      ++result.skipped;  // unfinished, or damaged: run again by the next `bnlab run`
      if (check.state == RunState::damaged) ++result.damaged;
      for (const auto& problem : check.problems) spdlog::warn("{}: damaged; not collected (the next run reruns it)", problem);
      continue;
    }
    // Without a plan index (a hand-made folder) a run sorts last.
    const json& status = check.status;
    const auto index = status.contains("index") && status["index"].is_number_unsigned()
                           ? status["index"].get<std::size_t>()
                           : std::numeric_limits<std::size_t>::max();
    found.push_back({entry.path(), std::move(check.status), index, flat_config_of(entry.path())});
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

  result.differing_keys = differing_keys(found, swept_keys);

  auto swept_cells = [&](const Found& f) {
    std::vector<std::string> cells;
    const json swept = swept_of(f.status);
    for (const auto& key : swept_keys) cells.push_back(swept.contains(key) ? csv_cell(swept[key]) : "");
    for (const auto& key : result.differing_keys)
      cells.push_back(f.flat_config.is_object() && f.flat_config.contains(key) ? csv_cell(f.flat_config[key]) : "");
    return cells;
  };
  std::vector<std::string> key_columns = swept_keys;
  key_columns.insert(key_columns.end(), result.differing_keys.begin(), result.differing_keys.end());

  std::vector<std::string> header = {"run_id", "status"};
  for (const auto& k : key_columns) header.push_back(csv_escape(k));
  for (const auto& c : runs_summary_columns()) header.push_back(c);
  std::string runs_csv = csv_line(header);

  std::vector<std::string> metrics_header = {"run_id"};
  for (const auto& k : key_columns) metrics_header.push_back(csv_escape(k));
  for (const auto& c : metrics_columns()) metrics_header.push_back(c);
  std::string metrics_csv = csv_line(metrics_header);

  for (const auto& f : found) {
    const std::string run_id = f.dir.filename().string();
    const std::string status = f.status["status"].get<std::string>();
    std::vector<std::string> row = {csv_escape(run_id), csv_escape(status)};
    for (auto& cell : swept_cells(f)) row.push_back(std::move(cell));
    for (const auto& c : runs_summary_columns()) row.push_back(summary_cell(f.status, c));
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
    const auto prefix = swept_cells(f);
    for (const auto& r : table.rows) {
      std::vector<std::string> out = {csv_escape(run_id)};
      out.insert(out.end(), prefix.begin(), prefix.end());
      for (int c : columns) out.push_back(c >= 0 && c < static_cast<int>(r.size()) ? csv_escape(r[c]) : "");
      metrics_csv += csv_line(out);
    }
  }
  remove_dead_temporaries(experiment_dir);  // of a collect killed while writing (kill -9, ulimit -f)
  write_file_atomic(experiment_dir / "runs.csv", runs_csv);
  write_file_atomic(experiment_dir / "metrics.csv", metrics_csv);
  return result;
}

}  // namespace bnlab
