// The probe tests' training run, built the way execute_run builds one: probes made from their
// config and attached as observers, every step's loss logged next to them. One definition, so
// that every probe test trains the same way (and the test files can share a unity build).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/builder.hpp"
#include "probes/registry.hpp"
#include "synthetic_data.hpp"
#include "train/trainer.hpp"

namespace bnlab::test {

// The probe tests' data: 1200 training and 400 test images of the synthetic set, seed 3.
inline const DataSplit& probe_data() { return testing::synthetic_split(1200, 400, 3); }

// An MLP with hidden layers of 24 and 16 units, small enough to train in moments.
inline ModelConfig probe_mlp(const std::string& norm, const std::string& activation = "relu", double dropout = 0.0) {
  ModelConfig m;
  m.arch = "mlp";
  m.hidden = {24, 16};
  m.norm = norm;
  m.activation = activation;
  m.dropout = dropout;
  return m;
}

// Every training loss, step by step.
struct LossLog : TrainObserver {
  std::vector<double> losses;
  void after_backward(StepContext& ctx) override { losses.push_back(ctx.loss); }
};

// Batches of 30, `steps` steps, an evaluation every 20 steps.
inline TrainConfig probe_train_config(std::int64_t steps) {
  TrainConfig train;
  train.batch_size = 30;
  train.steps = steps;
  train.epochs.reset();
  train.eval_every = 20;
  return train;
}

// What a probed run leaves: the network (when probed_run built it), its probes with their tables,
// the training result and every step's loss. The network is declared first so that it outlives
// the probes that refer to it.
struct ProbedRun {
  std::unique_ptr<Network> net;
  std::vector<std::unique_ptr<Probe>> probes;
  TrainResult result;
  std::vector<double> losses;
};

// Trains `net` (built from `model`) `steps` steps on probe_data() with SGD at lr 0.05 (momentum
// 0.9, the default) and the probes of the `probes` config attached.
inline ProbedRun train_with_probes(Network& net, const ModelConfig& model, const nlohmann::json& probes,
                                   std::int64_t steps) {
  const TrainConfig train = probe_train_config(steps);
  OptimizerConfig opt;
  opt.lr = 0.05;
  const auto& data = probe_data();
  Trainer trainer(net, data.train, data.test, train, opt);
  ProbedRun run;
  run.probes = make_probes(probes, {net, data.train, data.test, model, train});
  for (auto& p : run.probes) trainer.add_observer(p.get());
  LossLog log;
  trainer.add_observer(&log);
  run.result = trainer.run();
  run.losses = log.losses;
  return run;
}

// The same on the network `model` describes for 28x28 images and 10 classes (initialization
// seed 5), which the run keeps.
inline ProbedRun probed_run(const ModelConfig& model, const nlohmann::json& probes, std::int64_t steps = 60) {
  auto net = build_model(model, {}, {}, {1, 28, 28}, 10, 5);
  ProbedRun run = train_with_probes(*net, model, probes, steps);
  run.net = std::move(net);
  return run;
}

}  // namespace bnlab::test
