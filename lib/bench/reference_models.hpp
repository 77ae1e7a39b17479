// The reference models of `bnlab bench` (issues 4 and 12) and their FLOP counts.
//   mlp: 784-100-100-100-10, sigmoid (Ioffe & Szegedy 2015, Fig. 1; the quickstart's network)
//   cnn: conv3x3(1->32)-BN-ReLU-maxpool2, conv3x3(32->64)-BN-ReLU-maxpool2,
//        linear(3136->128)-BN-ReLU, linear(128->10)
//   resnet20: the resnet preset at depth 20 (He et al. 2016's CIFAR ResNet-20: a conv3x3(16) stem,
//        three stages of 3 post-activation blocks at widths 16, 32, 64, projection shortcuts where
//        the shape changes, global average pooling, linear(64->10)) on the same 1x28x28 images
// "with BN" puts batch norm before every hidden activation (pre_activation); "without" drops it
// (and the layers before it get a bias).
//
// FLOP counts cover the matrix products only (linear, convolution: 2 FLOP per multiply-add), taken
// from the conv2d and linear rows of the per-layer count `bnlab model` prints (model/presets.hpp
// model_rows: one count for both); BN, activations, pooling, the residual adds and the loss are a
// few FLOP per element, memory-bound, and not counted.
//   forward:  Σ over conv/linear layers of 2 · MACs
//   training: forward + backward_weights (same MACs) + backward_data (same MACs, skipped for the
//             first layer, whose input needs no gradient) = 3 · forward − 2 · MACs(first layer)
// For the cnn: forward 8.48 MFLOP per sample, training step 25.0 MFLOP per sample; resnet20 on
// 28x28: forward 62.0 MFLOP, training step 185.9 MFLOP per sample.
//   lstm: 28 rows of 28 pixels -> LSTM(128) -> linear(128->10) (model.norm none: plain; batch:
//        BN-LSTM; batch_input, layer), the PyTorch comparison's nn.LSTM(28, 128); its FLOPs are
//        the T·(4H·D + 4H·H) products of every step, 2·(28·512·156 + 1280) = 4.47 MFLOP forward.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/model_config.hpp"
#include "core/tensor.hpp"

namespace bnlab {

const std::vector<std::string>& reference_model_names();  // mlp, cnn, lstm, resnet20

// The model.norm values a reference model can be built with (all of them; "none" first; the lstm
// takes none, batch_input, batch and layer, the others every value but batch_input).
const std::vector<std::string>& reference_norm_kinds();

// The config of a reference model with `norm` (pre-activation); throws ConfigError for an unknown
// name or norm.
ModelConfig reference_model(const std::string& name, const std::string& norm);

inline const Dims kReferenceInputShape{1, 28, 28};  // one sample (C, H, W)
inline constexpr std::int64_t kReferenceClasses = 10;

struct ModelFlops {
  double forward = 0;     // per sample
  double train_step = 0;  // per sample: forward + backward
};

// From the config, any input shape: lstm from its steps' products, every other arch from the
// conv2d/linear rows of model_rows (throws ConfigError as planning a network does).
ModelFlops model_flops(const ModelConfig& model, const Dims& input_shape, std::int64_t classes);

}  // namespace bnlab
