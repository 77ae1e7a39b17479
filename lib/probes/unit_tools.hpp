// Shared by the probes that look at hidden units (unit_ablation, scale_invariance) and at norm
// layers (Mode::eval_batch_stats): finding a network's hidden weight layers and their norms, scoring a
// network on the first samples of a data set, and rank statistics.
//
// A hidden layer (0-based, the order of the model config: cnn conv blocks, then fc layers; mlp
// hidden layers) is a conv2d/linear layer that is not the classifier. Its norm is the first norm
// layer (Layer::is_norm()) after it and before the next conv2d/linear, if any.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "layers/softmax_cross_entropy.hpp"
#include "model/model_config.hpp"
#include "model/network.hpp"

namespace bnlab {

class SettingsReader;

struct HiddenLayer {
  std::size_t index = 0;        // network index of the conv2d/linear layer
  bool conv = false;            // conv2d (else linear)
  Param* weight = nullptr;      // (out, in) or (out, in, k, k)
  Param* bias = nullptr;        // (out), or nullptr (a layer followed by a pre-activation norm)
  Layer* norm = nullptr;        // its norm layer, or nullptr
  std::size_t next = 0;         // network index of the next conv2d/linear layer
};

// Every hidden layer of `net`, in order.
std::vector<HiddenLayer> hidden_layers(Network& net);

// What the model config says the hidden layers are: true for a conv block, false for a fully
// connected layer, in the same order as hidden_layers() (for checking settings before a network exists).
std::vector<bool> hidden_layers_are_conv(const ModelConfig& model);

// The probes that number hidden layers from the mlp/cnn config (unit_ablation, scale_invariance,
// activation_percentiles) refuse a network of layer entries (model.arch layers, resnet, vgg),
// whose "hidden layers" the config does not number: a problem at probes.<name>.<key>. True when
// the model is refused.
bool refuse_layers_network(SettingsReader& reader, const ModelConfig& model, const std::string& key);

// A param's "gamma" entry c, or NaN when the layer is null or has no gamma.
double gamma_of(Layer* norm, std::int64_t c);

// Logits and scores of the first `n` samples of `data` in `mode`, forwarded in chunks of `chunk`
// (Mode::eval_batch_stats normalizes each chunk by its own statistics).
struct Scores {
  std::vector<float> logits;  // (n, classes) row-major
  double loss = 0;            // mean cross-entropy
  double accuracy = 0;
};
Scores score(Network& net, const Dataset& data, Mode mode, std::int64_t n, std::int64_t chunk,
             SoftmaxCrossEntropy& loss_fn);

// Ranks 1..n of `values`, ties sharing the average of the ranks they span ({10, 20, 20} -> {1, 2.5, 2.5}).
std::vector<double> average_ranks(const std::vector<double>& values);

// Spearman's rank correlation: Pearson's correlation of the average ranks. NaN when fewer than 2
// values, when either side is constant, or when a value is NaN.
double spearman(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace bnlab
