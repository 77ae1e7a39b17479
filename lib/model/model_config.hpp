// The `model`, `norm` and `init` sections of a run config (docs/config.md: "Config reference").
// Defaults live here only.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bnlab {

struct ModelConfig {
  std::string arch = "mlp";                          // mlp | cnn | lstm | layers | resnet | vgg
  std::vector<std::int64_t> hidden{100, 100, 100};   // mlp: hidden layer widths
  std::vector<std::int64_t> channels{16, 32};        // cnn: conv3x3 -> norm -> act -> maxpool2 per entry
  std::vector<std::int64_t> fc{};                    // cnn: hidden fully connected layers after the convs
  std::string activation = "relu";                   // relu | sigmoid | tanh
  std::string norm = "batch";                        // none | batch | ... (see norm registry)
  std::string norm_position = "pre_activation";      // pre_activation | post_activation
  double dropout = 0.0;                              // drop probability after each hidden activation
  bool fuse_norm_relu = true;                        // pre-activation batch/group norm applies the ReLU (builder.hpp)
  nlohmann::json layers = nlohmann::json::array();   // layers: the network's entries (layer_spec.hpp)
  std::int64_t depth = 20;                           // resnet: 6n + 2 layers (n blocks per stage)
  double width_multiplier = 1.0;                     // resnet: stage widths 16, 32, 64 times this
  std::string block = "post_activation";             // resnet: post_activation (He 2016a) | pre_activation (2016b)
  bool zero_init_residual = false;                   // every residual block's last norm starts with gamma 0
  std::int64_t convs_per_stage = 2;                  // vgg: conv3x3 -> norm -> act per stage, then maxpool2
  std::int64_t lstm_hidden = 128;                    // lstm: hidden units H of every LSTM layer
  std::int64_t lstm_layers = 1;                      // lstm: stacked LSTM layers
  std::string sequence = "rows";                     // lstm: rows | pixels | permuted_pixels (layers/image_sequence.hpp)
  std::int64_t permutation_seed = 0;                 // lstm, permuted_pixels: seed of the fixed pixel order
};

struct NormConfig {
  double eps = 1e-5;
  double momentum = 0.1;          // PyTorch meaning: running = (1-momentum)*running + momentum*batch
  std::int64_t group_size = 4;    // group norm: channels per group
  std::int64_t ghost_batch_size = 16;
  // batch renorm: r in [1/rmax, rmax], d in [-dmax, dmax], both ramped up from 1 / 0 over the
  // first renorm_warmup_steps training steps. 200: the running averages (memory ~1/momentum = 10
  // steps) have long caught up with the fast-moving early network, yet the 2-epoch batch-size
  // studies (312 steps at batch 128) still run mostly with the full clipping range.
  double renorm_rmax = 3.0;
  double renorm_dmax = 5.0;
  std::int64_t renorm_warmup_steps = 200;
  // noisy batch norm (Santurkar et al. 2018): per step mu ~ U(-range, range), sigma ~ U(1, max);
  // per channel shift ~ U(mu - spread, mu + spread), scale ~ N(sigma, std).
  double noise_shift_range = 0.5;
  double noise_scale_max = 1.25;
  double noise_shift_spread = 0.1;
  double noise_scale_std = 0.1;
};

struct InitConfig {
  std::string scheme = "he";      // normal | uniform | xavier | he
  std::optional<double> std;      // normal: standard deviation (required); uniform: half-width = std*sqrt(3)
};

}  // namespace bnlab
