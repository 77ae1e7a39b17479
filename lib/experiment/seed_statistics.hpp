// What `bnlab summary` and `bnlab compare` compute from an experiment's runs.csv: statistics over
// seeds, grouped by the swept keys, and paired comparisons between two values of one key.
//
// A runs.csv column is a key when it is neither run_id, status nor a result column
// (runs_summary_columns()); the seed key is `train.seed`. Only runs with status `ok` and a value
// for the metric enter a mean; diverged and failed runs, and ok runs without a value (e.g.
// steps_to_target of a run that never reached the target), are counted in their own columns.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/csv.hpp"
#include "stats/paired.hpp"

namespace bnlab {

inline constexpr const char* kSeedKey = "train.seed";

// The key columns of a runs.csv table, in column order.
std::vector<std::string> key_columns(const CsvTable& runs);

struct GroupSummary {
  std::vector<std::string> group;  // values of the grouping keys, as in runs.csv
  std::string metric;
  stats::Description value;        // over ok runs with a value
  std::size_t diverged = 0, failed = 0, no_value = 0;
};

struct SummaryTable {
  std::vector<std::string> keys;   // the grouping keys
  std::vector<GroupSummary> rows;  // groups in order of first appearance, metrics in the given order
};

// by: the grouping keys (empty: one group of all runs); unset = every key but the seed. Unknown keys
// or metrics: ConfigError naming the valid ones.
SummaryTable summarize_runs(const CsvTable& runs, const std::vector<std::string>& metrics,
                            const std::optional<std::vector<std::string>>& by = std::nullopt);

struct FacetComparison {
  std::vector<std::string> facet;  // values of the facet keys
  stats::PairedComparison result;  // of metric(key=a) - metric(key=b), one pair per seed/condition
  std::size_t excluded = 0;        // pairs left out: a side diverged, failed or has no value
};

struct ComparisonTable {
  std::string metric, key, a, b;
  std::vector<std::string> facets;  // the facet keys
  std::vector<FacetComparison> rows;
  bool log_ratio = false;           // rows compare ln(metric): rendered as ratios exp(mean), exp(interval)
};

struct Comparison {
  std::string metric, key, a, b;                     // metric(key=a) - metric(key=b); a, b as in runs.csv
  std::optional<std::vector<std::string>> by = std::nullopt;  // facet keys (empty: pool all); unset =
                                                     // every key but `key` and the seed
  std::optional<double> diverged_as = std::nullopt;  // a diverged run's value; unset: its pair is left out
  bool log_ratio = false;                            // compare ln(metric) instead: the differences are
                                                     // ln(A / B); a value <= 0 is a ConfigError
  std::vector<std::pair<std::string, std::string>> where = {};  // only the runs with these key values (as
                                                     // runs_where); the default facets leave them out
};

// The runs whose `where` keys hold the given values: the same text, or the same number ("0.10" is
// the cell "0.1"). A key that is not a column of `runs` keeps no run.
CsvTable runs_where(const CsvTable& runs, const std::vector<std::pair<std::string, std::string>>& where);

// Pairs the runs with key=a and key=b that agree on every other key (the seed included; keys zipped
// with `key`, which change with it in every run of runs.csv, are left out of that), within
// each facet, among the runs of `where` (its keys must be keys of runs.csv, other than `key`). A run
// without its partner is a ConfigError that names the missing runs.
ComparisonTable compare_runs(const CsvTable& runs, const Comparison& comparison);

// Rendering: CSV (the dialect of every bnlab CSV) or a Markdown table.
std::string summary_csv(const SummaryTable& table);
std::string summary_markdown(const SummaryTable& table);
std::string comparison_csv(const ComparisonTable& table);
std::string comparison_markdown(const ComparisonTable& table);

}  // namespace bnlab
