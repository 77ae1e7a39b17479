// Shared by the probes that look at hidden units (unit_ablation, scale_invariance,
// activation_percentiles) and at norm layers (Mode::eval_batch_stats): finding a network's hidden
// layers and their norms, before the network exists (from the config) and in it, scoring a
// network on the first samples of a data set, and rank statistics.
//
// A hidden layer (model/builder.hpp hidden_leaves) is a conv2d or linear layer that is not the
// classifier, counted 0-based in forward order (mlp: its hidden layers; cnn: conv blocks, then fc
// layers; a network of layer entries: every conv and linear, inside blocks and on projection
// shortcuts too). Settings name one by that index or by its path name. Its units are its output
// channels (conv) or outputs (linear); its norm is the first norm after it in the same Sequence
// before the next conv2d/linear or block, if any (mlp and cnn: the norm of that hidden layer,
// pre- or post-activation; a residual body's last conv: the body's last norm; a projection: the
// shortcut's norm).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "layers/softmax_cross_entropy.hpp"
#include "model/model_config.hpp"
#include "model/network.hpp"
#include "probes/settings.hpp"

namespace bnlab {

struct HiddenLayer {
  Leaf leaf;                    // the conv2d/linear layer; leaf.path is its path name
  bool conv = false;            // conv2d (else linear)
  Param* weight = nullptr;      // (out, in) or (out, in, k, k)
  Param* bias = nullptr;        // (out), or nullptr (a layer followed by a pre-activation norm)
  Layer* norm = nullptr;        // its norm (above), or nullptr
  Leaf next;                    // the next conv2d/linear layer (the classifier after the last)
};

// Every hidden layer of `net`, in order.
std::vector<HiddenLayer> hidden_layers(Network& net);

// The hidden layers as a config describes them, for checking settings before the network exists:
// planned as `bnlab model` plans it (model/presets.hpp model_rows), in the same order.
struct PlannedHidden {
  std::string path;
  bool conv = false;
  std::int64_t width = 0;       // units: output channels or outputs
  // A linear layer at the top level of the network whose next conv2d/linear is a linear layer at
  // the top level too: what unit_ablation needs (it zeroes a unit's column of that layer's weight
  // and re-runs the network from there).
  bool feeds_linear = false;
};
struct HiddenPlan {
  std::vector<PlannedHidden> layers;
  bool planned = true;          // false: the network does not plan (the config rules say why)
  bool show_paths = false;      // a network of layer entries: messages name the paths
};
HiddenPlan plan_hidden_layers(const ModelConfig& model, const NormConfig& norm, const Dims& input,
                              std::int64_t num_classes);

// The hidden layer `ref` names, as an index into plan.layers: an index in [0, n) (with
// negative_from_end, [-n, n) with -1 the last), or a hidden layer's path name. A problem at `key`
// and nullopt otherwise (an unknown path lists the first valid ones).
std::optional<std::size_t> resolve_hidden_layer(SettingsReader& reader, const std::string& key, const LayerRef& ref,
                                                const HiddenPlan& plan, bool negative_from_end);

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
