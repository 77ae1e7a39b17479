// A run config (one point of a sweep) and its JSON form. Parsing validates the whole v1 schema
// (schema.hpp) and reports every problem with its JSON path; the experiment level (the config file
// with its sweep and --set overrides) is in sweep.hpp.
#pragma once

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "data/data_config.hpp"
#include "model/model_config.hpp"
#include "train/train_config.hpp"

namespace bnlab {

// How scripts/plot.py draws the experiment; read by no C++ code and not part of the run id.
struct PlotConfig {
  std::optional<std::string> figure;  // a study figure of scripts/bnlab_plot/ (null: the generic sweep plot)
};

struct RunConfig {
  std::string name;
  std::string description;
  DataConfig data;
  ModelConfig model;
  NormConfig norm;
  InitConfig init;
  OptimizerConfig optimizer;
  TrainConfig train;
  nlohmann::json probes = nlohmann::json::object();  // probe name -> its settings; {} = none
  PlotConfig plot;
};

// Equal when every key of the schema has the same value (to_json(a) == to_json(b)).
bool operator==(const RunConfig& a, const RunConfig& b);
// The resolved JSON, for test failure messages and logs.
std::ostream& operator<<(std::ostream& out, const RunConfig& config);

// Parses a run config object: every key optional except `name`; a missing key keeps the struct's
// default. Throws ConfigError listing every problem (unknown keys, types, ranges, enum values,
// rules between keys). A top-level "sweep" is a problem here: sweeps belong to experiments.
//
// steps/epochs: exactly one must be set; null counts as unset. TrainConfig defaults epochs to 2,
// so a config that gives steps and leaves epochs out means steps only (epochs becomes unset);
// both set (non-null) is an error, and so is epochs: null with no steps.
RunConfig parse_run_config(const nlohmann::json& object);

// The fully resolved config: every schema key, null for an unset optional, `probes` as given.
// parse_run_config(to_json(c)) == c.
nlohmann::json to_json(const RunConfig& config);

// The non-throwing core of parse_run_config, shared with the experiment level. `config` holds
// every valid value (defaults elsewhere); `key_problems` are problems of single keys, in file
// order; `rule_problems` are those of config_rules() (schema.hpp) on the result.
// `bad_keys` are the dotted paths whose value was refused: a rule that reads one of them is not
// checked (it would see the default instead and report a problem that is not there).
struct ConfigCheck {
  RunConfig config;
  std::vector<std::string> key_problems;
  std::vector<std::string> bad_keys;
  std::vector<std::string> rule_problems;
};
ConfigCheck check_run_config(const nlohmann::ordered_json& object);

// The problems of config.probes, each probe's settings checked against the run's network (planned
// with its norm settings for its data's sample shape: a layer a probe names must exist).
std::vector<std::string> check_run_probes(const RunConfig& config);

}  // namespace bnlab
