#include "experiment/run_check.hpp"

#include <algorithm>
#include <system_error>

#include "util/csv.hpp"
#include "experiment/files.hpp"

namespace bnlab {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool is_known_status(const json& status) {
  if (!status.is_object()) return false;
  const auto it = status.find("status");
  if (it == status.end() || !it->is_string()) return false;
  const auto s = it->get<std::string>();
  return s == "ok" || s == "diverged" || s == "failed";
}

// What is wrong with one CSV file of the run ("" if nothing); `record` is its `files` entry or null.
std::string csv_file_problem(const fs::path& file, const json& record) {
  std::string text;
  try {
    text = read_file(file);
  } catch (const std::exception& e) {
    return e.what();
  }
  std::size_t rows = 0;
  const std::string damage = csv_damage(text, &rows);
  if (!damage.empty()) return damage;
  if (record.is_object() && record.value("bytes", json()).is_number_unsigned() &&
      record["bytes"].get<std::uint64_t>() != text.size())
    return std::to_string(text.size()) + " bytes, the run wrote " + std::to_string(record["bytes"].get<std::uint64_t>());
  if (record.is_object() && record.value("rows", json()).is_number_unsigned() &&
      record["rows"].get<std::uint64_t>() != rows)
    return std::to_string(rows) + " rows, the run wrote " + std::to_string(record["rows"].get<std::uint64_t>());
  return "";
}

}  // namespace

json csv_file_record(const std::string& text) {
  return {{"bytes", text.size()}, {"rows", static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) - 1}};
}

RunCheck check_run(const fs::path& run_dir) {
  RunCheck check;
  const fs::path status_file = run_dir / "status.json";
  const std::string shown = (run_dir.parent_path().filename() / run_dir.filename()).string() + "/";
  std::error_code ec;
  if (!fs::exists(status_file, ec)) return check;
  json status;
  try {
    status = json::parse(read_file(status_file));
  } catch (const std::exception& e) {
    check.state = RunState::damaged;
    check.problems.push_back(shown + "status.json: malformed (" + std::string(e.what()) + ")");
    return check;
  }
  if (!is_known_status(status)) {
    check.state = RunState::damaged;
    check.problems.push_back(shown + "status.json: malformed (no status ok, diverged or failed)");
    return check;
  }
  const json files = status.value("files", json::object());
  const std::string s = status["status"].get<std::string>();
  if ((s == "ok" || s == "diverged") && !fs::exists(run_dir / "metrics.csv", ec))
    check.problems.push_back(shown + "metrics.csv: missing");
  // Every CSV file in the folder, and every file status.json records.
  std::vector<std::string> names;
  if (files.is_object())
    for (const auto& [name, record] : files.items()) names.push_back(name);
  for (const auto& entry : fs::directory_iterator(run_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".csv" && !is_temporary(entry.path()) &&
        std::find(names.begin(), names.end(), name) == names.end())
      names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    const json record = files.is_object() ? files.value(name, json()) : json();
    if (!fs::exists(run_dir / name, ec)) {
      if (record.is_object()) check.problems.push_back(shown + name + ": missing");
      continue;
    }
    const std::string problem = csv_file_problem(run_dir / name, record);
    if (!problem.empty()) check.problems.push_back(shown + name + ": " + problem);
  }
  check.state = check.problems.empty() ? RunState::finished : RunState::damaged;
  check.status = std::move(status);
  return check;
}

}  // namespace bnlab
