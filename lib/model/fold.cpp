#include "model/fold.hpp"

#include <cmath>

#include "core/errors.hpp"
#include "layers/batch_norm.hpp"
#include "layers/linear.hpp"
#include "model/builder.hpp"

namespace bnlab {

namespace {

// Plain BN only: the variants (batch_renorm, ...) are BatchNorms too but normalize otherwise.
bool is_batch_norm(const Layer& layer) { return layer.kind() == "batch_norm"; }
bool is_affine(const Layer& layer) { return layer.kind() == "linear" || layer.kind() == "conv2d"; }

Param* find_param(Layer& layer, const std::string& name) {
  for (Param* p : layer.params())
    if (p->name == name) return p;
  return nullptr;
}

// Copies `from`'s params into `to` (same kind, same shapes); a bias `to` has and `from` lacks
// becomes 0. With `bn`, folds it in: W'_c = W_c * s_c, b'_c = beta_c + (b_c - mean_c) * s_c.
void copy_params(Layer& from, Layer& to, BatchNorm* bn) {
  std::vector<double> scale, shift;
  if (bn) {
    const auto gamma = bn->gamma().value.to_vector(), beta = bn->beta().value.to_vector();
    const auto mean = bn->running_mean().to_vector(), var = bn->running_var().to_vector();
    for (std::size_t c = 0; c < gamma.size(); ++c) {
      scale.push_back(static_cast<double>(gamma[c]) / std::sqrt(static_cast<double>(var[c]) + bn->eps()));
      shift.push_back(static_cast<double>(beta[c]) - static_cast<double>(mean[c]) * scale.back());
    }
  }
  for (Param* dst : to.params()) {
    const Param* src = find_param(from, dst->name);
    std::vector<float> values(static_cast<std::size_t>(dst->value.numel()), 0.0f);
    if (src) {
      if (src->value.dims() != dst->value.dims())
        throw ShapeError("fold_batch_norm: " + to.kind() + " " + dst->name + " is " + to_string(dst->value.dims()) +
                         " in the folded network, " + to_string(src->value.dims()) + " in the trained one");
      values = src->value.to_vector();
    } else if (dst->name != "bias") {
      throw ShapeError("fold_batch_norm: the trained " + from.kind() + " has no param '" + dst->name + "'");
    }
    if (bn) {
      // Output channel c is the slowest-varying index of a linear (out, in) and a conv
      // (out, in, k, k) weight and the only index of a bias.
      const auto channels = static_cast<std::int64_t>(scale.size());
      if (dst->value.dims().at(0) != channels)
        throw ShapeError("fold_batch_norm: " + to.kind() + " has " + std::to_string(dst->value.dims().at(0)) +
                         " outputs, the batch norm after it " + std::to_string(channels) + " channels");
      const std::size_t per_channel = values.size() / scale.size();
      for (std::size_t i = 0; i < values.size(); ++i) {
        const std::size_t c = i / per_channel;
        const double v = static_cast<double>(values[i]) * scale[c];
        values[i] = static_cast<float>(dst->name == "bias" ? v + shift[c] : v);
      }
    }
    dst->value.from_vector(values);
  }
}

}  // namespace

bool foldable(const ModelConfig& model) { return model.norm == "batch" && model.norm_position == "pre_activation"; }

std::unique_ptr<Network> fold_batch_norm(Network& net, const ModelConfig& model) {
  if (model.norm != "batch")
    throw ConfigError("model.norm: only 'batch' is folded into the layer before it, got '" + model.norm + "'" +
                      (model.norm == "none" ? std::string(" (nothing to fold)") : std::string()));
  if (model.norm_position != "pre_activation")
    throw ConfigError("model.norm_position: batch norm folds only when it directly follows the linear/conv layer "
                      "(pre_activation), got '" + model.norm_position + "'");
  if (net.size() == 0 || net.layer(net.size() - 1).kind() != "linear")
    throw ShapeError("fold_batch_norm: the network must end with a linear classifier");

  ModelConfig plain = model;
  plain.norm = "none";
  Dims input = net.input_shape();
  if (input.size() == 1) input = {input[0], 1, 1};  // an mlp flattens (C, H, W) anyway
  const auto classes = dynamic_cast<Linear&>(net.layer(net.size() - 1)).out_features();
  auto folded = build_model(plain, NormConfig{}, InitConfig{}, input, classes, /*seed=*/0);

  // Both networks have the same structure without the norm layers: their leaf layers match
  // one by one in forward order, whatever blocks hold them.
  const auto leaves = net.leaves(), targets = folded->leaves();
  std::size_t j = 0;  // the folded network's leaf matching leaves[i]
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    Layer& layer = *leaves[i].layer;
    const std::string& path = leaves[i].path;
    if (layer.is_norm()) {
      if (!is_batch_norm(layer))
        throw ConfigError("model.norm: layer " + path + " is a " + layer.kind() +
                          ", which cannot be folded (only batch norm can)");
      if (!leaves[i].previous() || !is_affine(*leaves[i].previous()))
        throw ConfigError("model.norm_position: the batch norm at layer " + path +
                          " does not directly follow a linear/conv layer, so it cannot be folded");
      if (const auto* bn = dynamic_cast<const BatchNorm*>(&layer); bn && bn->relu()) {
        if (j >= targets.size() || targets[j].layer->kind() != "relu")
          throw ShapeError("fold_batch_norm: a batch norm with ReLU without a relu in the folded network");
        ++j;  // the fused ReLU becomes a separate one
      }
      continue;
    }
    if (j >= targets.size() || targets[j].layer->kind() != layer.kind())
      throw ShapeError("fold_batch_norm: layer " + path + " (" + layer.kind() +
                       ") has no counterpart in the model built without norm; was `net` built from `model`?");
    BatchNorm* bn = nullptr;
    const bool norm_follows = i + 1 < leaves.size() && leaves[i + 1].previous() == &layer;
    if (is_affine(layer) && norm_follows && is_batch_norm(*leaves[i + 1].layer)) {
      bn = dynamic_cast<BatchNorm*>(leaves[i + 1].layer);
      if (!bn) throw ConfigError("model.norm: layer " + leaves[i + 1].path + " calls itself " +
                                 leaves[i + 1].layer->kind() + " but is not a BatchNorm; it cannot be folded");
    }
    copy_params(layer, *targets[j].layer, bn);
    ++j;
  }
  if (j != targets.size())
    throw ShapeError("fold_batch_norm: the model built without norm has " + std::to_string(targets.size() - j) +
                     " more layers than `net`; was `net` built from `model`?");
  return folded;
}

}  // namespace bnlab
