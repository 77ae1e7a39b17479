#include "experiment/seed_statistics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>

#include "core/errors.hpp"
#include "experiment/collect.hpp"
#include "experiment/test_selection.hpp"

namespace bnlab {

namespace {

std::optional<double> parse_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

// A value typed on the command line matches a cell when the texts are equal or both are the same
// number ("0.10" matches the cell "0.1").
bool same_value(const std::string& cell, const std::string& wanted) {
  if (cell == wanted) return true;
  const auto x = parse_number(cell), y = parse_number(wanted);
  return x && y && *x == *y;
}

std::string join(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

int require_column(const CsvTable& runs, const std::string& name, const char* what,
                   const std::vector<std::string>& valid) {
  const int column = runs.column(name);
  if (column < 0)
    throw ConfigError(fmt::format("{} '{}' is not a column of runs.csv; valid: {}", what, name, join(valid)));
  return column;
}

std::vector<int> key_indices(const CsvTable& runs, const std::vector<std::string>& keys) {
  const auto valid = key_columns(runs);
  std::vector<int> indices;
  for (const auto& key : keys) {
    if (std::find(valid.begin(), valid.end(), key) == valid.end())
      throw ConfigError(fmt::format("'{}' is not a swept key of this experiment; swept keys: {}", key, join(valid)));
    indices.push_back(runs.column(key));
  }
  return indices;
}

std::vector<std::string> cells(const std::vector<std::string>& row, const std::vector<int>& columns) {
  std::vector<std::string> out;
  for (int c : columns) out.push_back(c < static_cast<int>(row.size()) ? row[c] : "");
  return out;
}

std::vector<std::string> keys_except(const CsvTable& runs, const std::vector<std::string>& left_out) {
  std::vector<std::string> keys;
  for (const auto& key : key_columns(runs))
    if (std::find(left_out.begin(), left_out.end(), key) == left_out.end()) keys.push_back(key);
  return keys;
}

// The swept keys that change together with `key`, as a zip group makes them (train.eval_every zipped
// with train.batch_size): over every run of runs.csv, each value of `key` comes with one value of K
// and each value of K with one value of `key`, and K takes more than one. In a product sweep an
// independent key takes all its values with each value of `key`, so it is never linked. A linked
// key is not part of a pair's identity (its runs differ in it by design) and not a facet.
std::vector<std::string> linked_keys(const CsvTable& runs, const std::string& key, int key_column) {
  std::vector<std::string> linked;
  for (const auto& other : keys_except(runs, {key, kSeedKey})) {
    const int column = runs.column(other);
    std::map<std::string, std::string> forward, backward;
    bool function = true;
    for (const auto& row : runs.rows) {
      const auto& k = row[static_cast<std::size_t>(key_column)];
      const auto& v = row[static_cast<std::size_t>(column)];
      const auto [f, new_k] = forward.try_emplace(k, v);
      const auto [b, new_v] = backward.try_emplace(v, k);
      if ((!new_k && f->second != v) || (!new_v && b->second != k)) {
        function = false;
        break;
      }
    }
    if (function && backward.size() > 1) linked.push_back(other);
  }
  return linked;
}

std::string describe_keys(const std::vector<std::string>& keys, const std::vector<std::string>& values) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < keys.size(); ++i) parts.push_back(keys[i] + "=" + values[i]);
  return parts.empty() ? "(no other key)" : join(parts);
}

// Markdown cells: numbers with 4 significant digits, a missing value as an empty cell.
std::string md_number(double value) { return std::isfinite(value) ? fmt::format("{:.4g}", value) : ""; }

std::string md_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::string out = "| " + join(header, " | ") + " |\n|";
  for (std::size_t i = 0; i < header.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& row : rows) out += "| " + join(row, " | ") + " |\n";
  return out;
}

}  // namespace

std::vector<std::string> key_columns(const CsvTable& runs) {
  const auto& results = runs_summary_columns();
  std::vector<std::string> keys;
  for (const auto& name : runs.header)
    if (name != "run_id" && name != "status" && std::find(results.begin(), results.end(), name) == results.end())
      keys.push_back(name);
  return keys;
}

SummaryTable summarize_runs(const CsvTable& runs, const std::vector<std::string>& metrics,
                            const std::optional<std::vector<std::string>>& by) {
  if (metrics.empty()) throw ConfigError("summary: name at least one metric");
  SummaryTable table;
  table.keys = by ? *by : keys_except(runs, {kSeedKey});
  const auto group_columns = key_indices(runs, table.keys);
  const int status_column = require_column(runs, "status", "column", runs.header);
  std::vector<int> metric_columns;
  for (const auto& m : metrics) metric_columns.push_back(require_column(runs, m, "metric", runs_result_columns()));

  std::vector<std::vector<std::string>> groups;  // in order of first appearance
  for (const auto& row : runs.rows) {
    auto group = cells(row, group_columns);
    if (std::find(groups.begin(), groups.end(), group) == groups.end()) groups.push_back(std::move(group));
  }
  for (const auto& group : groups) {
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      GroupSummary summary{group, metrics[m], {}, 0, 0, 0};
      std::vector<double> values;
      for (const auto& row : runs.rows) {
        if (cells(row, group_columns) != group) continue;
        const std::string& status = row[status_column];
        if (status == "diverged") ++summary.diverged;
        else if (status != "ok") ++summary.failed;
        else if (const auto v = parse_number(cells(row, {metric_columns[m]})[0]); v && std::isfinite(*v))
          values.push_back(*v);
        else ++summary.no_value;
      }
      summary.value = stats::describe(values);
      table.rows.push_back(std::move(summary));
    }
  }
  return table;
}

CsvTable runs_where(const CsvTable& runs, const std::vector<std::pair<std::string, std::string>>& where) {
  CsvTable out{runs.header, {}};
  std::vector<std::pair<int, std::string>> wanted;
  for (const auto& [key, value] : where) wanted.emplace_back(runs.column(key), value);
  for (const auto& row : runs.rows) {
    const bool keep = std::all_of(wanted.begin(), wanted.end(), [&](const std::pair<int, std::string>& w) {
      return w.first >= 0 && w.first < static_cast<int>(row.size()) && same_value(row[w.first], w.second);
    });
    if (keep) out.rows.push_back(row);
  }
  return out;
}

ComparisonTable compare_runs(const CsvTable& all_runs, const Comparison& comparison) {
  // Plain references, not a structured binding: clang 14 cannot capture bindings in a lambda.
  const std::string &metric = comparison.metric, &key = comparison.key, &a = comparison.a, &b = comparison.b;
  const auto& by = comparison.by;
  const auto& diverged_as = comparison.diverged_as;
  ComparisonTable table{metric, key, a, b, {}, {}, comparison.log_ratio};
  std::vector<std::string> where_keys;
  for (const auto& [where_key, value] : comparison.where) {
    if (where_key == key)
      throw ConfigError(fmt::format("compare: '{}' cannot be both the compared key and a --where key", key));
    where_keys.push_back(where_key);
  }
  key_indices(all_runs, where_keys);  // each a key of runs.csv, or a ConfigError naming the valid ones
  const CsvTable runs = runs_where(all_runs, comparison.where);
  const int key_column = key_indices(runs, {key})[0];
  if (auto problem = test_selection_problem(runs, metric, key, {a, b})) throw ConfigError("compare: " + *problem);
  const int metric_column = require_column(runs, metric, "metric", runs_result_columns());
  const int status_column = require_column(runs, "status", "column", runs.header);
  const int id_column = require_column(runs, "run_id", "column", runs.header);
  const auto linked = linked_keys(all_runs, key, key_column);  // runs has all_runs' header
  std::vector<std::string> not_facets = where_keys;
  not_facets.insert(not_facets.end(), {key, kSeedKey});
  not_facets.insert(not_facets.end(), linked.begin(), linked.end());
  table.facets = by ? *by : keys_except(runs, not_facets);
  if (std::find(table.facets.begin(), table.facets.end(), key) != table.facets.end())
    throw ConfigError(fmt::format("compare: '{}' cannot be both the compared key and a --by key", key));
  const auto facet_columns = key_indices(runs, table.facets);
  std::vector<std::string> not_matched = linked;
  not_matched.push_back(key);
  const auto match_keys = keys_except(runs, not_matched);  // a pair agrees on all of these (the seed included)
  const auto match_columns = key_indices(runs, match_keys);

  // For every combination of the other keys: the row with key=a and the row with key=b.
  struct Pair { std::vector<std::string> facet; int a = -1, b = -1; };
  std::map<std::vector<std::string>, Pair> pairs;
  std::vector<std::vector<std::string>> order;
  std::vector<std::string> problems;
  bool any_a = false, any_b = false;
  for (int i = 0; i < static_cast<int>(runs.rows.size()); ++i) {
    const auto& row = runs.rows[i];
    const std::string& value = row[key_column];
    const bool is_a = same_value(value, a), is_b = same_value(value, b);
    if (!is_a && !is_b) continue;
    any_a |= is_a;
    any_b |= is_b;
    auto match = cells(row, match_columns);
    auto [it, inserted] = pairs.try_emplace(match, Pair{cells(row, facet_columns)});
    if (inserted) order.push_back(match);
    int& slot = is_a ? it->second.a : it->second.b;
    if (slot >= 0)
      problems.push_back(fmt::format("runs {} and {} both have {}={} and {}: they differ in a key runs.csv does "
                                     "not show (collect with the config to keep one plan)",
                                     runs.rows[slot][id_column], row[id_column], key, value,
                                     describe_keys(match_keys, match)));
    slot = i;
  }
  if (!any_a || !any_b)
    throw ConfigError(fmt::format("compare: no run has {}={}", key, any_a ? b : a));
  for (const auto& match : order) {
    const Pair& p = pairs.at(match);
    if (p.a < 0 || p.b < 0)
      problems.push_back(fmt::format("unpaired: no run with {}={} and {} (its partner is run {})", key,
                                     p.a < 0 ? a : b, describe_keys(match_keys, match),
                                     runs.rows[p.a < 0 ? p.b : p.a][id_column]));
  }
  if (!problems.empty()) {
    if (problems.size() > 10) {
      const auto more = problems.size() - 10;
      problems.resize(10);
      problems.push_back(fmt::format("... and {} more", more));
    }
    throw ConfigError(problems);
  }

  std::vector<std::vector<std::string>> facet_order;
  for (const auto& match : order) {
    const auto& facet = pairs.at(match).facet;
    if (std::find(facet_order.begin(), facet_order.end(), facet) == facet_order.end()) facet_order.push_back(facet);
  }
  auto value_of = [&](int row) -> std::optional<double> {
    if (runs.rows[row][status_column] == "diverged") return diverged_as;
    if (runs.rows[row][status_column] != "ok") return std::nullopt;
    const auto v = parse_number(runs.rows[row][metric_column]);
    return v && std::isfinite(*v) ? v : std::nullopt;
  };
  for (const auto& facet : facet_order) {
    FacetComparison row{facet, {}, 0};
    std::vector<double> values_a, values_b;
    for (const auto& match : order) {
      const Pair& p = pairs.at(match);
      if (p.facet != facet) continue;
      const auto va = value_of(p.a), vb = value_of(p.b);
      if (!va || !vb) {
        ++row.excluded;
        continue;
      }
      if (comparison.log_ratio && (*va <= 0 || *vb <= 0))
        throw ConfigError(fmt::format("{} of run {} is {}: a ratio needs values > 0", metric,
                                      runs.rows[*va <= 0 ? p.a : p.b][id_column], *va <= 0 ? *va : *vb));
      values_a.push_back(comparison.log_ratio ? std::log(*va) : *va);
      values_b.push_back(comparison.log_ratio ? std::log(*vb) : *vb);
    }
    row.result = stats::compare_paired(values_a, values_b);
    table.rows.push_back(std::move(row));
  }
  return table;
}

std::string summary_csv(const SummaryTable& table) {
  std::vector<std::string> header;
  for (const auto& key : table.keys) header.push_back(csv_escape(key));
  for (const char* c : {"metric", "n", "mean", "sd", "ci95_low", "ci95_high", "min", "max", "n_diverged",
                        "n_failed", "n_no_value"})
    header.push_back(c);
  std::string out = csv_line(header);
  for (const auto& r : table.rows) {
    std::vector<std::string> row;
    for (const auto& v : r.group) row.push_back(csv_escape(v));
    const auto& d = r.value;
    row.insert(row.end(), {csv_escape(r.metric), std::to_string(d.n), csv_number(d.mean), csv_number(d.sd),
                           csv_number(d.ci_low), csv_number(d.ci_high), csv_number(d.min), csv_number(d.max),
                           std::to_string(r.diverged), std::to_string(r.failed), std::to_string(r.no_value)});
    out += csv_line(row);
  }
  return out;
}

std::string summary_markdown(const SummaryTable& table) {
  std::vector<std::string> header = table.keys;
  header.insert(header.end(), {"metric", "n", "mean", "sd", "95% CI", "min", "max", "diverged", "failed", "no value"});
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : table.rows) {
    std::vector<std::string> row = r.group;
    const auto& d = r.value;
    const std::string ci = d.n >= 2 ? fmt::format("[{}, {}]", md_number(d.ci_low), md_number(d.ci_high)) : "";
    row.insert(row.end(), {r.metric, std::to_string(d.n), md_number(d.mean), md_number(d.sd), ci, md_number(d.min),
                           md_number(d.max), std::to_string(r.diverged), std::to_string(r.failed),
                           std::to_string(r.no_value)});
    rows.push_back(std::move(row));
  }
  return md_table(header, rows);
}

std::string comparison_csv(const ComparisonTable& table) {
  std::vector<std::string> header;
  for (const auto& key : table.facets) header.push_back(csv_escape(key));
  header.insert(header.end(), {"metric", "key", "a", "b", "n"});
  // a log-ratio comparison: the ratio exp(mean) and its interval; the sd is of ln(A / B)
  header.insert(header.end(), {table.log_ratio ? "ratio" : "mean_diff", table.log_ratio ? "sd_log_ratio" : "sd_diff"});
  header.insert(header.end(), {"ci95_low", "ci95_high", "p", "p_method", "n_excluded"});
  const auto shown = [&](double x) { return table.log_ratio ? std::exp(x) : x; };
  std::string out = csv_line(header);
  for (const auto& r : table.rows) {
    std::vector<std::string> row;
    for (const auto& v : r.facet) row.push_back(csv_escape(v));
    const auto& d = r.result.difference;
    row.insert(row.end(), {csv_escape(table.metric), csv_escape(table.key), csv_escape(table.a), csv_escape(table.b),
                           std::to_string(d.n), csv_number(shown(d.mean)), csv_number(d.sd), csv_number(shown(d.ci_low)),
                           csv_number(shown(d.ci_high)), csv_number(r.result.p),
                           r.result.p_exact ? "exact" : "monte_carlo", std::to_string(r.excluded)});
    out += csv_line(row);
  }
  return out;
}

std::string comparison_markdown(const ComparisonTable& table) {
  std::vector<std::string> header = table.facets;
  const std::string diff = table.log_ratio
                               ? fmt::format("{} ({}={} / {}, geometric mean)", table.metric, table.key, table.a, table.b)
                               : fmt::format("{} ({}={} minus {})", table.metric, table.key, table.a, table.b);
  header.insert(header.end(), {"n", diff, table.log_ratio ? "sd of ln" : "sd", "95% CI", "p (sign-flip)",
                               "excluded pairs"});
  const auto shown = [&](double x) { return table.log_ratio ? std::exp(x) : x; };
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : table.rows) {
    std::vector<std::string> row = r.facet;
    const auto& d = r.result.difference;
    const std::string ci =
        d.n >= 2 ? fmt::format("[{}, {}]", md_number(shown(d.ci_low)), md_number(shown(d.ci_high))) : "";
    row.insert(row.end(), {std::to_string(d.n), md_number(shown(d.mean)), md_number(d.sd), ci,
                           md_number(r.result.p) + (r.result.p_exact ? "" : " (Monte Carlo)"),
                           std::to_string(r.excluded)});
    rows.push_back(std::move(row));
  }
  return md_table(header, rows);
}

}  // namespace bnlab
