// An experiment (a config file: one base config and its sweep), its expansion into runs, and the
// run id that names each run's results folder.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "experiment/claims.hpp"
#include "experiment/config.hpp"

namespace bnlab {

// More runs than this in one experiment is a config error (a typo in a sweep, not a plan).
inline constexpr std::size_t kMaxRuns = 100000;
// Problems listed for one config; more are counted in a last line "... and N more problems".
inline constexpr std::size_t kMaxProblems = 50;

struct SweepAxis {
  std::string key;                        // dotted config path: "optimizer.lr"
  std::vector<nlohmann::json> values;     // validated, in canonical form (see check_value)
  bool zipped = false;                    // varies together with the axis before it (a zip group:
                                          // same number of values, the i-th run of the group
                                          // takes the i-th value of each)
};

// A combination of swept values left out of the plan (sweep.exclude): a run is excluded when its
// value on every listed axis is the listed one.
struct Exclusion {
  std::vector<std::pair<std::size_t, std::size_t>> values;  // (axis index, value index) pairs
};

struct Experiment {
  std::string name, description;
  nlohmann::json base;                    // the file's config with --set applied and without "sweep"
                                          // (not filled with defaults: expand resolves each run)
  std::vector<SweepAxis> sweep;           // in the file's order (a zip group's keys where "zip" is)
  std::vector<Exclusion> exclude;         // sweep.exclude
  nlohmann::ordered_json file;            // the config as resolved from the file: extends merged,
                                          // --set applied, sweep and claims included (plan --resolved)
  std::vector<Claim> claims;              // what the experiment expects (claims.hpp); not part of a run
};

struct PlannedRun {
  std::size_t index;                      // position in plan order, 0-based
  std::string run_id;                     // run_id(resolved)
  std::vector<std::pair<std::string, nlohmann::json>> swept;  // this run's value of each axis
  RunConfig config;
  nlohmann::json resolved;                // to_json(config)
  nlohmann::json annotations = nlohmann::json::object();  // what `run` records with the run in
                                          // plan.json and status.json (note, tags, command_line);
                                          // never part of the run id
};

// Reads, parses and validates a config file with --set overrides applied (overrides.hpp). Every
// problem is reported at once (ConfigError::problems()), each starting with its JSON path
// (sweep values at "sweep.<key>[i]"); an unreadable file or a syntax error is one problem
// "<file>[:<line>:<column>]: ...". Each sweep value is checked on its own, and rules between keys
// (steps/epochs, init.std, data.dir, cnn channels) on every combination of the axes they read.
Experiment load_experiment(const std::string& path, const std::vector<std::string>& sets = {});

// The same from text; `source_name` names it in syntax errors.
Experiment parse_experiment(const std::string& text, const std::string& source_name,
                            const std::vector<std::string>& sets = {});

// Number of runs: the product of the axes' sizes (a zip group counts once), less the excluded
// combinations (1 without a sweep). Saturates at SIZE_MAX.
std::size_t run_count(const Experiment& experiment);

// For every run of the plan, in plan order, the index of its value on each axis. Throws ConfigError
// past kMaxRuns combinations.
std::vector<std::vector<std::size_t>> plan_points(const std::vector<SweepAxis>& axes,
                                                  const std::vector<Exclusion>& exclude);

// The runs, in plan order: the cartesian product of the axes with the first axis outermost (varies
// slowest) and the last fastest, like itertools.product and Hydra; a zip group is one axis whose
// values are tuples; excluded combinations are left out and the rest numbered 0, 1, 2, ... Setting a sweep axis on
// train.steps (or train.epochs) unsets the other for that run unless it is an axis too, as --set does.
// Throws ConfigError if a run is invalid or two runs share a run id (neither happens to an
// Experiment from load/parse_experiment) or there are more than kMaxRuns.
std::vector<PlannedRun> expand(const Experiment& experiment);

// A short stable name of a resolved run config: the 64-bit FNV-1a hash of the canonical JSON text
// (keys sorted, no spaces: nlohmann::json::dump()) of `resolved` without "description",
// "plot" and "train.max_memory_mb" (editing a description or a limit must not orphan finished runs), xor-folded to 48 bits, as 12 lowercase hex digits.
// Same config -> same id whatever the key order of the file; any value change -> another id.
std::string run_id(const nlohmann::json& resolved);

}  // namespace bnlab
