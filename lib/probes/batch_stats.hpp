// batch_stats: how well a mini-batch estimates the statistics BN normalizes with — the mechanism
// behind BN's dependence on batch size (Ioffe 2017; Wu & He 2018).
//
// After the update of every `every`-th step and of the last step, at the current weights: the
// first `samples` training images are forwarded in Mode::eval (running statistics, so a sample's
// features do not depend on the other samples it is batched with, and no state changes). For each
// norm layer (Layer::is_norm(), in network order; `layer` counts them from 0, which is the hidden
// layer it belongs to in the builder's networks) the probe takes the per-channel population mean
// mu and biased variance var of the norm's INPUT over those samples (a conv channel over N*H*W).
// Then, for each batch size B, it draws `draws` mini-batches of B distinct samples (bnlab::Rng
// seeded from train.seed; the training streams are not touched) and measures, per channel,
//   mean error = |mu_B - mu| / sqrt(var + eps)      (in population standard deviations; eps = 1e-5)
//   var error  = |var_B / var - 1|                  (var_B biased, as BN's training forward uses)
// reported as the mean and the 90th percentile over (draw, channel) pairs. Channels whose
// population variance is 0 are left out of the var error.
// A layer with running statistics (buffers running_mean / running_var: BN and its variants) also
// gets one row with an empty batch_size and draws: the same errors for running_mean and
// running_var against the population (p90 over channels; running_var averages unbiased batch
// variances, m/(m-1) of the biased ones, which is part of what the row measures). A network
// without norm layers gives no rows.
// For norms that do not normalize with batch statistics (layer, group) the rows still describe
// what a batch of B would estimate; only BN-like layers use such estimates.
#pragma once

#include <cstdint>
#include <vector>

#include "core/random.hpp"
#include "data/dataset.hpp"
#include "probes/probe.hpp"
#include "probes/settings.hpp"
#include "train/train_config.hpp"

namespace bnlab {

class BatchStats : public Probe {
 public:
  static constexpr const char* kName = "batch_stats";
  static constexpr const char* kSummary =
      "error of mini-batch mean/variance (and of the running statistics) against the population statistics of "
      "each norm layer's input, by batch size";
  static constexpr double kEps = 1e-5;  // the scale of the mean error: sqrt(var + kEps)
  struct Settings {
    std::int64_t every = 500;
    std::int64_t samples = 10000;
    std::vector<std::int64_t> batch_sizes;  // resolved: {train.batch_size} for [0]
    std::int64_t draws = 200;
    std::uint64_t seed = 1;                 // train.seed
  };
  static Settings read(SettingsReader& reader, const TrainConfig& train);
  static std::vector<std::string> columns() {
    return {"step", "layer", "batch_size", "draws", "mean_error", "mean_error_p90", "var_error", "var_error_p90"};
  }

  BatchStats(Network& net, const Dataset& train, Settings settings);
  std::string name() const override { return kName; }
  const ProbeTable& table() const override { return table_; }
  void after_update(StepContext& ctx) override;
  // Measures at the current weights and appends the rows for `step`.
  void measure(std::int64_t step);

 private:
  Network& net_;
  const Dataset& data_;
  Settings settings_;
  std::int64_t samples_;          // min(samples, training set size)
  Rng rng_;
  std::vector<std::int64_t> order_;  // sample indices, partially shuffled for each draw
  ProbeTable table_;
};

}  // namespace bnlab
