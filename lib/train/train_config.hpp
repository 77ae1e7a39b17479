// The `optimizer` and `train` sections of a run config (docs/config.md: "Config reference").
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
  // Schedule over a run's steps (lr_at): a linear warm-up over the first warmup_epochs' worth of
  // steps (Goyal et al. 2017), then the lr constant or decayed to 0 by a cosine (Loshchilov &
  // Hutter 2017, without restarts).
  double warmup_epochs = 0;
  std::string schedule = "constant";          // constant | cosine

  // The learning rate actually used for a batch size (before the schedule).
  double effective_lr(std::int64_t batch_size) const;
  // The learning rate of training step `step` (1-based) of `total`, with `steps_per_epoch` steps in
  // an epoch: base = effective_lr(batch_size), W = round(warmup_epochs * steps_per_epoch) (at most
  // total), then
  //   step <= W:       base * step / W                       (the first step uses base / W)
  //   after, constant: base
  //   after, cosine:   base * (1 + cos(pi * (step - W - 1) / (total - W))) / 2
  // (PyTorch's LinearLR(start_factor=1/W) then CosineAnnealingLR(T_max=total-W, eta_min=0)).
  double lr_at(std::int64_t step, std::int64_t total, std::int64_t steps_per_epoch, std::int64_t batch_size) const;
};

// Longest run and most samples a config may ask for (checked by the schema and the trainer): far
// beyond any real run (1e15 steps of 0.1 ms are 3,000 years), yet every step and sample count fits
// an int64, so an absurd `epochs: 2e16` is refused instead of overflowing into a 0-step run.
inline constexpr double kMaxSteps = 1e15;
inline constexpr double kMaxSamples = 1e18;

struct TrainConfig {
  std::int64_t batch_size = 60;
  std::optional<std::int64_t> steps;         // exactly one of steps / epochs
  std::optional<double> epochs = 2;
  std::int64_t eval_every = 250;
  std::int64_t seed = 1;
  std::optional<double> target_accuracy = 0.8;
  double divergence_loss = 1000;
  std::optional<std::int64_t> max_memory_mb;  // refuse a run estimated above this (null: the machine's memory)
  // Precise BN after training (train/precise_bn.hpp): training images for the population
  // statistics (0: off) and the batch of that pass (0: batch_size).
  std::int64_t precise_bn_samples = 0;
  std::int64_t precise_bn_batch = 0;
};

// The steps a run trains: `steps`, or ceil(epochs * full batches per epoch), in double so that no
// value can overflow (compare with kMaxSteps before converting).
double planned_steps_exact(const TrainConfig& train, std::int64_t train_samples);
// Full batches in one epoch of train_samples (at least 1).
std::int64_t steps_per_epoch(std::int64_t batch_size, std::int64_t train_samples);

}  // namespace bnlab
