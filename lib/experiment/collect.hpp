// Rebuilds <dir>/runs.csv and <dir>/metrics.csv from the run folders under <dir>/runs/ — after a
// local run, or after shards wrote into a shared folder from several machines. Only finished runs
// whose files are whole are collected (run_check.hpp); unfinished folders, stray files and
// temporaries are skipped, and damaged files are reported by name (one warning each) and skipped.
// Rows are in plan order (plan.json's index), then by run_id.
//
// Columns: run_id, status, the swept keys (the union of every run's, in order of first
// appearance), then the keys whose values differ between the collected runs although no plan
// swept them (runs of several plans merged: e.g. optimizer.lr changed between two invocations),
// found by comparing the runs' config.json, then the summary columns.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bnlab {

// runs.csv columns after run_id, status and the swept keys: the run's results (docs/results.md),
// the probes' results (probe.hpp) last. The one list of them: summary, compare and claims derive
// theirs from it.
const std::vector<std::string>& runs_summary_columns();

// Of those, the measured numbers (what `bnlab summary` and `compare` take as --metric; claims
// take these less the ones selected on the test set): all but steps_to_target_on, threads, error,
// note and tags.
const std::vector<std::string>& runs_result_columns();

struct CollectOptions {
  // Collect only these runs (one plan's, every shard); all runs in the folder when unset.
  std::optional<std::set<std::string>> run_ids;
};

struct CollectResult {
  std::size_t runs = 0;       // rows in runs.csv
  std::size_t ok = 0, diverged = 0, failed = 0;
  std::size_t skipped = 0;    // folders not collected: unfinished or damaged
  std::size_t damaged = 0;    // of those, with a damaged file (reported)
  std::size_t other_plans = 0;  // finished runs left out because they are not in `run_ids`
  std::vector<std::string> differing_keys;  // unswept keys that differ between the collected runs
};

CollectResult collect(const std::filesystem::path& experiment_dir, const CollectOptions& options = {});

}  // namespace bnlab
