// The shapes walk of builder.cpp, counting floats instead of building layers.
#include "model/memory_estimate.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "model/layer_plan.hpp"
#include "model/presets.hpp"

namespace bnlab {

namespace {

constexpr double kMb = 1024.0 * 1024.0;
constexpr double kFloat = 4.0;

double padded16(double channels) { return 16.0 * static_cast<double>((static_cast<std::int64_t>(channels) + 15) / 16); }

// Floats per sample kept by the layers, and parameters.
struct Count {
  double train = 0;   // training forward outputs + backward diff_src + extras, per sample
  double eval = 0;    // evaluation outputs, per sample
  double params = 0;

  // A layer from `in` to `out` values per sample; `extra`: what else it keeps per training sample.
  void layer(double in, double out, double extra = 0) {
    train += in + out + extra;
    eval += out;
  }
};

// norm -> activation (or the other way round) -> dropout after a layer of `width` values per
// sample, `features` of them normalized (channels or units).
void norm_activation_dropout(Count& n, const ModelConfig& model, double width, double features, bool dropout) {
  if (model.norm != "none") {
    n.layer(width, width);
    n.params += 2 * features;  // gamma, beta (running statistics are smaller still)
  }
  n.layer(width, width);
  if (dropout && model.dropout > 0) n.layer(width, width, width);  // + its mask
}

void dense_stack(Count& n, const ModelConfig& model, const std::vector<std::int64_t>& widths, double& features,
                 bool bias) {
  for (const auto h : widths) {
    const double out = static_cast<double>(h);
    n.params += features * out + (bias ? out : 0);
    n.layer(features, out);
    norm_activation_dropout(n, model, out, out, true);
    features = out;
  }
}

// The rows of a planned layers network (classifier included). Image tensors are counted with
// their channels padded to 16 (the blocked layout a convolution picks) except the data's own.
void planned_stack(Count& n, const std::vector<LayerRow>& rows) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const LayerRow& r = rows[i];
    const double out_pad = r.shape.size() == 3 ? padded16(static_cast<double>(r.shape[0])) / static_cast<double>(r.shape[0]) : 1;
    const double in_pad = i == 0 ? 1 : out_pad;  // a layer's input has about its output's channels
    n.layer(r.in_values * in_pad, r.out_values * out_pad, r.extra_values * out_pad);
    n.params += static_cast<double>(r.params);
  }
}

}  // namespace

ModelMemory estimate_model_memory(const ModelConfig& model, std::int64_t channels, std::int64_t height,
                                  std::int64_t width, std::int64_t num_classes, std::int64_t train_batch,
                                  std::int64_t eval_batch, const NormConfig& norm) {
  Count n;
  const bool bias = model.norm == "none" || model.norm_position == "post_activation";
  const double sample = static_cast<double>(channels) * static_cast<double>(height) * static_cast<double>(width);
  n.layer(0, sample);  // the batch's input tensor (trainer) and the chunk's (evaluator)
  double features = sample;
  if (model.arch == "mlp") {
    dense_stack(n, model, model.hidden, features, bias);
  } else if (model.arch == "cnn") {
    double c_in = static_cast<double>(channels);
    std::int64_t h = height, w = width;
    bool first = true;
    for (const auto c : model.channels) {
      if (h < 2 || w < 2)
        throw ConfigError("model.channels: too many conv blocks for " + std::to_string(height) + "x" +
                          std::to_string(width) + " images (each halves the size)");
      const double area = static_cast<double>(h) * static_cast<double>(w);
      const double in = (first ? c_in : padded16(c_in)) * area, out = padded16(static_cast<double>(c)) * area;
      n.params += static_cast<double>(c) * c_in * 9 + (bias ? static_cast<double>(c) : 0);
      n.layer(in, out, in);  // + the input reordered to the convolution's layout
      norm_activation_dropout(n, model, out, static_cast<double>(c), false);
      h /= 2;
      w /= 2;
      const double pooled = padded16(static_cast<double>(c)) * static_cast<double>(h) * static_cast<double>(w);
      n.layer(out, pooled, pooled);  // + the workspace of the max positions
      c_in = static_cast<double>(c);
      first = false;
    }
    features = c_in * static_cast<double>(h) * static_cast<double>(w);
    n.layer(features, features);  // flatten: a plain copy of the blocked data
    dense_stack(n, model, model.fc, features, bias);
  } else if (is_layers_arch(model.arch)) {
    planned_stack(n, layer_rows(planned_layers(model, norm, {channels, height, width}, num_classes)));
    features = 0;  // the classifier is one of the rows
  } else if (model.arch == "lstm") {
    // Per sample: the sequence copy, then per layer the buffers of layers/lstm.cpp (train: zx,
    // gates, d_gates and, with a hidden-path norm, d_zh and the norms' saved xhat at 4H per step;
    // hs, cs, tanh(c) at H per step; diff_src; eval: zx and hs).
    const bool rows = model.sequence == "rows";
    const double steps = rows ? static_cast<double>(height) : sample;
    double in = rows ? static_cast<double>(channels * width) : 1.0;
    n.layer(sample, sample, sample);  // + its diff_src
    const double h = static_cast<double>(model.lstm_hidden);
    const double gate_arrays = model.norm == "none" ? 3 : model.norm == "batch_input" ? 4 : 6;
    for (std::int64_t l = 0; l < model.lstm_layers; ++l) {
      n.params += 4 * h * (in + h + 1) + (model.norm == "none" ? 0 : 10 * h);
      n.train += steps * (in + 4 * h * gate_arrays + 3 * h + (model.norm == "none" ? 0 : h));
      n.eval += steps * (4 * h + h);
      in = h;
    }
    features = h;
  } else {
    throw ConfigError("model.arch: unknown architecture '" + model.arch + "'");
  }
  const double classes = static_cast<double>(num_classes);
  if (features > 0) {
    n.params += features * classes + classes;
    n.layer(features, classes);
  }
  n.train += 2 * classes;  // the loss's log-probabilities and diff_logits

  ModelMemory m;
  m.params = n.params < 9e18 ? static_cast<std::int64_t>(n.params) : INT64_MAX;
  m.params_mb = n.params * kFloat / kMb;
  m.optimizer_mb = 2 * m.params_mb;
  m.train_mb = n.train * static_cast<double>(train_batch) * kFloat / kMb;
  m.eval_mb = n.eval * static_cast<double>(eval_batch) * kFloat / kMb;
  return m;
}

}  // namespace bnlab
