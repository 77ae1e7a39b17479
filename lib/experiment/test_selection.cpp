#include "experiment/test_selection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "experiment/claims.hpp"
#include "experiment/sweep.hpp"

namespace bnlab {

namespace {

constexpr const char* kValKey = "data.val_size";

bool same_cell(const std::string& cell, const std::string& wanted) {
  if (cell == wanted) return true;
  char *end_x = nullptr, *end_y = nullptr;
  const double x = std::strtod(cell.c_str(), &end_x), y = std::strtod(wanted.c_str(), &end_y);
  return !cell.empty() && !wanted.empty() && *end_x == '\0' && *end_y == '\0' && x == y;
}

std::string steps_to_target_problem(std::size_t count, const std::string& example) {
  return fmt::format("steps_to_target of {} run{} (e.g. {}) was measured on the test set (data.val_size 0): comparing "
                     "it selects on the test set; rerun with data.val_size > 0, where it is measured on the validation "
                     "set",
                     count, count == 1 ? "" : "s", example);
}

}  // namespace

std::optional<std::string> test_selection_metric_problem(const std::string& metric) {
  if (metric == "best_test_acc")
    return "best_test_acc is the best test accuracy over the evaluations, selected on the test set; compare "
           "best_val_acc (with data.val_size > 0) or final_test_acc";
  return std::nullopt;
}

std::optional<std::string> test_selection_problem(const CsvTable& runs, const std::string& metric,
                                                  const std::string& key, const std::vector<std::string>& values) {
  if (auto problem = test_selection_metric_problem(metric)) return problem;
  if (metric != "steps_to_target") return std::nullopt;
  const int key_column = runs.column(key), status_column = runs.column("status");
  const int on_column = runs.column("steps_to_target_on"), id_column = runs.column("run_id");
  std::size_t on_test = 0;
  std::string example;
  for (const auto& row : runs.rows) {
    auto cell = [&](int column) { return column >= 0 && column < static_cast<int>(row.size()) ? row[column] : ""; };
    if (cell(status_column) == "failed") continue;
    if (key_column >= 0 && std::none_of(values.begin(), values.end(), [&](const std::string& v) {
          return same_cell(cell(key_column), v);
        }))
      continue;
    if (cell(on_column) == "val") continue;
    if (on_test++ == 0) example = cell(id_column);
  }
  if (on_test == 0) return std::nullopt;
  return steps_to_target_problem(on_test, example);
}

void check_claim_selection(const std::vector<Claim>& claims, std::int64_t val_size, const std::vector<SweepAxis>& axes,
                           std::vector<std::string>& problems) {
  for (const auto& claim : claims) {
    if (claim.metric != "steps_to_target") continue;
    // The val_size values of the runs the claim compares.
    std::vector<nlohmann::json> sizes = {val_size};
    if (claim.key == kValKey) sizes = {claim.a, claim.b};
    for (const auto& axis : axes)
      if (axis.key == kValKey && claim.key != kValKey) sizes = axis.values;
    for (const auto& [key, value] : claim.where)
      if (key == kValKey) sizes = {value};
    if (std::any_of(sizes.begin(), sizes.end(), [](const nlohmann::json& v) { return v.is_number() && v == 0; }))
      problems.push_back(fmt::format("claims: '{}' compares steps_to_target of runs with data.val_size 0, where it is "
                                     "measured on the test set (test-set selection); set data.val_size > 0 so that "
                                     "it is measured on a validation set",
                                     claim.id));
  }
}

}  // namespace bnlab
