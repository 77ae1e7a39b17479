// A run config (one point of a sweep) and an experiment (the config file: base + sweep).
// Parsing validates the whole v1 schema and reports every problem with its JSON path.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "data/data_config.hpp"
#include "model/model_config.hpp"
#include "train/train_config.hpp"

namespace bnlab {

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
};

}  // namespace bnlab
