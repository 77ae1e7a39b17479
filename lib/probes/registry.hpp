// The probes a config can enable, by name: `"probes": {"<name>": {settings}}`. Each probe checks
// its own settings (every problem with its JSON path, as the schema does) and documents them in
// probe_reference_markdown() (README's config reference). To add a probe: one .hpp/.cpp pair in
// this folder and one entry in registry.cpp.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "model/model_config.hpp"
#include "model/network.hpp"
#include "probes/probe.hpp"
#include "train/train_config.hpp"

namespace bnlab {

// What a probe that reads a layer plans the network with, to check before the run that the layer
// exists (model/presets.hpp model_rows): the run's norm settings and one sample's shape.
struct ProbeNetwork {
  NormConfig norm{};
  Dims input{1, 28, 28};
  std::int64_t classes = 10;
};

// What a probe may be built from.
struct ProbeSetup {
  Network& net;
  const Dataset& train;
  const Dataset& test;
  const ModelConfig& model;
  const TrainConfig& train_config;
  NormConfig norm{};
};

// The names of every probe, in the order of the reference.
std::vector<std::string> probe_names();

// The runs.csv result columns of every probe (probe.hpp), in the order of the reference; a run
// without the probe leaves them empty.
std::vector<ProbeResultColumn> probe_result_columns();

// Problems of the `probes` section ("probes.activation_percentiles.every: must be >= 1"), in the
// context of the run's model (a probe that reads a hidden layer checks that it exists). Empty
// when valid.
std::vector<std::string> check_probes(const nlohmann::json& probes, const ModelConfig& model,
                                      const TrainConfig& train, const ProbeNetwork& network = {});

// Builds the enabled probes (settings already checked; throws ConfigError otherwise).
std::vector<std::unique_ptr<Probe>> make_probes(const nlohmann::json& probes, const ProbeSetup& setup);

// Markdown list of every probe with its settings and CSV columns.
std::string probe_reference_markdown();

}  // namespace bnlab
