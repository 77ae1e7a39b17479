// Batch-norm folding for inference. In eval mode a BN directly after a linear/conv layer is an
// affine map per output channel c with fixed numbers (running statistics, gamma, beta), so it can
// be merged into that layer:
//   s_c  = gamma_c / sqrt(running_var_c + eps)
//   W'_c = W_c * s_c                       (row c of a linear weight, filter c of a conv weight)
//   b'_c = beta_c + (b_c - running_mean_c) * s_c     (b = 0 for a layer without bias)
// The folded network is the same model built with norm "none" (each linear/conv with a bias,
// a separate activation, no norm layer): it has exactly the layers, and so the cost, of the
// network without BN, and its eval-mode logits equal the BN network's eval-mode logits up to
// float rounding. A BN that applies ReLU itself leaves a separate ReLU. Other layers are copied with their
// params. The folded network is for inference only (Mode::eval); training it is possible but is
// training a different network.
//
// Only pre-activation batch norm folds: with post_activation the norm follows the nonlinearity;
// layer and group norms use the statistics of each sample, not fixed numbers; the BN variants
// (batch_renorm, ghost_batch, noisy_batch) are not handled here. Those throw ConfigError naming
// model.norm / model.norm_position.
#pragma once

#include <memory>

#include "model/model_config.hpp"
#include "model/network.hpp"

namespace bnlab {

// True when fold_batch_norm accepts a network built from `model` (norm "batch", pre_activation).
bool foldable(const ModelConfig& model);

// The folded copy of `net`, which build_model made from `model`. `net` is not changed (its
// forward state included). Throws ConfigError when !foldable(model) or when `net` has a norm
// layer that is not a batch norm directly after a linear/conv layer.
std::unique_ptr<Network> fold_batch_norm(Network& net, const ModelConfig& model);

}  // namespace bnlab
