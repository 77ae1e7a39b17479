// How much memory a network of a model config will take, from shapes alone: nothing is allocated
// and no primitive is built, so a config that asks for 100 GB is refused in microseconds instead of
// failing after a minute of swapping (`bnlab validate` and every run check it; docs/cli.md, "Limits").
//
// The count follows what the layers keep (lib/layers): per layer and sample, the training forward
// keeps its output and backward its diff_src (the size of its input); max pooling adds its
// workspace and a convolution a reordered copy of its input; evaluation keeps one output per
// layer for a batch of kEvalChunk samples. Channels after a convolution are counted padded to 16
// (oneDNN's blocked nChw16c layout). Parameters count three times: value, gradient, SGD momentum.
// Measured against peak RSS in docs/cli.md ("Limits"): within 2x, on the high side for small models.
#pragma once

#include <cstdint>
#include <string>

#include "model/model_config.hpp"

namespace bnlab {

// Samples per evaluation forward (train/loss.hpp's Evaluator default batch).
inline constexpr std::int64_t kEvalChunk = 100;

struct ModelMemory {
  double params_mb = 0;       // parameter values
  double optimizer_mb = 0;    // their gradients and SGD momentum
  double train_mb = 0;        // activations and their gradients for one training batch
  double eval_mb = 0;         // activations for one evaluation batch
  std::int64_t params = 0;    // number of parameters
  double total_mb() const { return params_mb + optimizer_mb + train_mb + eval_mb; }
};

// input_shape: (C, H, W) of one sample. Throws ConfigError for a cnn with more conv blocks than the
// image can halve (as build_model does), a layers network that does not plan (layer_plan.hpp; its
// rows are counted the same way) and for an unknown arch. Sums in double: an absurd width
// gives an absurd number, never an overflow.
ModelMemory estimate_model_memory(const ModelConfig& model, std::int64_t channels, std::int64_t height,
                                  std::int64_t width, std::int64_t num_classes, std::int64_t train_batch,
                                  std::int64_t eval_batch = kEvalChunk, const NormConfig& norm = NormConfig{});

}  // namespace bnlab
