// Builds a Network from the model config (docs/networks.md: "model"):
//   mlp: per hidden width h: linear(h) -> [norm -> act | act -> norm] -> [dropout]; linear(classes)
//   cnn: per channel count c: conv3x3 pad 1 (c) -> [norm -> act | act -> norm] -> maxpool 2;
//        flatten; per fc width: linear -> [norm -> act | act -> norm] -> [dropout]; linear(classes)
//   layers, resnet, vgg: the planned layer entries (presets.hpp, layer_plan.hpp, layer_builder.hpp)
// A conv/linear directly followed by a norm has no bias (the norm's beta replaces it).
// With a pre-activation norm followed by ReLU the norm layer applies the ReLU itself where its
// kind can (model/norms.hpp: batch norm, fused into its oneDNN primitive where oneDNN has a fast
// kernel for that, batch_norm.hpp; group norm, in its own kernel), unless model.fuse_norm_relu is
// false (the user turned it off): then a separate ReLU layer follows.
#pragma once

#include <memory>

#include "layers/norm.hpp"
#include "model/model_config.hpp"
#include "model/network.hpp"

namespace bnlab {

// input_shape: one sample's dims as the data set has them, (C, H, W).
std::unique_ptr<Network> build_model(const ModelConfig& model, const NormConfig& norm, const InitConfig& init,
                                     const Dims& input_shape, std::int64_t num_classes, std::uint64_t seed);

// The hidden layers of any network: its conv2d and linear leaves in forward order, all but the
// last (the classifier). mlp: the hidden layers; cnn: the conv blocks, then the fc layers; a
// network of layer entries: every conv and linear, inside blocks and on projection shortcuts too,
// in the order `bnlab model` lists them (docs/networks.md, "Hidden layers and units").
std::vector<Leaf> hidden_leaves(Network& net);

// The pre-activation of hidden layer `hidden` (0-based, as hidden_leaves() counts): the output of
// the norm right after it in its Sequence (pre_activation norm: the input of the activation, or of
// a residual add), else the conv/linear output itself. The one way a probe asks for it: a norm
// that applies the ReLU itself is told to keep norm and ReLU as separate steps (a fused kernel
// never writes the pre-activation; same numbers), so make it before the first forward.
class PreActivation {
 public:
  PreActivation(Network& net, std::size_t hidden);
  // The pre-activation of the last forward in `mode`; nullptr before one.
  const Tensor* read(Mode mode) const;

 private:
  Leaf output_of_{};                 // the layer whose output it is, or
  const Norm* norm_ = nullptr;       // the norm that applies the ReLU itself
};

}  // namespace bnlab
