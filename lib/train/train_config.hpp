// The `optimizer` and `train` sections of a run config (README: "Config reference").
// Defaults live here only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bnlab {

struct OptimizerConfig {
  double lr = 0.1;
  double momentum = 0.9;
  double weight_decay = 0.0;
  std::optional<std::int64_t> lr_base_batch;  // when set, lr is scaled by batch_size / lr_base_batch
  std::string lr_scaling = "linear";          // linear | sqrt

  // The learning rate actually used for a batch size.
  double effective_lr(std::int64_t batch_size) const;
};

struct TrainConfig {
  std::int64_t batch_size = 60;
  std::optional<std::int64_t> steps;         // exactly one of steps / epochs
  std::optional<double> epochs = 2;
  std::int64_t eval_every = 250;
  std::int64_t seed = 1;
  std::optional<double> target_accuracy = 0.8;
  double divergence_loss = 1000;
};

}  // namespace bnlab
