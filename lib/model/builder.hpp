// Builds a Network from the model config (README: "model"):
//   mlp: per hidden width h: linear(h) -> [norm -> act | act -> norm] -> [dropout]; linear(classes)
//   cnn: per channel count c: conv3x3 pad 1 (c) -> [norm -> act | act -> norm] -> maxpool 2;
//        flatten; per fc width: linear -> [norm -> act | act -> norm] -> [dropout]; linear(classes)
// A conv/linear directly followed by a norm has no bias (the norm's beta replaces it).
// With pre-activation BN followed by ReLU the two run as one oneDNN primitive (fuse_norm_relu),
// unless model.fuse_norm_relu is false (the user turned it off), options.fuse_norm_relu is false
// (probes that read the pre-activation ask for that) or oneDNN has no fast fused kernel for the
// shape (after a linear layer whose width is not a multiple of 16; see builder.cpp).
#pragma once

#include <memory>

#include "model/model_config.hpp"
#include "model/network.hpp"

namespace bnlab {

struct BuildOptions {
  bool fuse_norm_relu = true;
};

// input_shape: one sample's dims as the data set has them, (C, H, W).
std::unique_ptr<Network> build_model(const ModelConfig& model, const NormConfig& norm, const InitConfig& init,
                                     const Dims& input_shape, std::int64_t num_classes, std::uint64_t seed,
                                     const BuildOptions& options = {});

// The layer index of the pre-activation (input of the activation function) of hidden layer
// `hidden` (0-based, counting mlp hidden layers or cnn conv blocks then fc layers): the norm
// output with pre_activation BN, else the linear/conv output. Needs fuse_norm_relu off.
std::size_t pre_activation_layer(const Network& net, std::size_t hidden);

}  // namespace bnlab
