#include "bench/reference_models.hpp"

#include <algorithm>

#include "core/errors.hpp"
#include "model/norm_kinds.hpp"
#include "model/presets.hpp"

namespace bnlab {

const std::vector<std::string>& reference_model_names() {
  static const std::vector<std::string> names{"mlp", "cnn", "lstm", "resnet20"};
  return names;
}

const std::vector<std::string>& reference_norm_kinds() { return model_norm_values(); }

ModelConfig reference_model(const std::string& name, const std::string& norm) {
  const auto& known = model_norm_values();
  if (std::find(known.begin(), known.end(), norm) == known.end()) throw ConfigError("bench: unknown norm '" + norm + "'");
  const auto& valid = name == "lstm" ? lstm_norm_kinds() : norm_kinds();
  if (std::find(valid.begin(), valid.end(), norm) == valid.end())
    throw ConfigError("bench: no norm '" + norm + "' for the reference model '" + name + "'");
  ModelConfig m;
  m.norm = norm;
  m.norm_position = "pre_activation";
  if (name == "mlp") {
    m.arch = "mlp";
    m.hidden = {100, 100, 100};
    m.activation = "sigmoid";
  } else if (name == "cnn") {
    m.arch = "cnn";
    m.channels = {32, 64};
    m.fc = {128};
    m.activation = "relu";
  } else if (name == "lstm") {
    m.arch = "lstm";
    m.lstm_hidden = 128;
    m.lstm_layers = 1;
    m.sequence = "rows";
  } else if (name == "resnet20") {
    m.arch = "resnet";
    m.depth = 20;
    m.block = "post_activation";
    m.activation = "relu";
  } else {
    throw ConfigError("bench: unknown reference model '" + name + "' (valid: mlp, cnn, lstm, resnet20)");
  }
  return m;
}

ModelFlops model_flops(const ModelConfig& model, const Dims& input_shape, std::int64_t classes) {
  if (input_shape.size() != 3) throw ShapeError("model_flops: input shape must be (C, H, W)");
  ModelFlops flops;
  if (model.arch == "lstm") {
    // Per layer and step: W_x·x_t (4H x D) and W_h·h_{t-1} (4H x H). Backward computes dx of the
    // first layer too (the image_sequence layer below discards it), so nothing is subtracted.
    const std::int64_t steps = model.sequence == "rows" ? input_shape[1] : product(input_shape);
    std::int64_t in = model.sequence == "rows" ? input_shape[0] * input_shape[2] : 1;
    double lstm_macs = 0;
    for (std::int64_t l = 0; l < model.lstm_layers; ++l) {
      lstm_macs += static_cast<double>(steps * 4 * model.lstm_hidden * (in + model.lstm_hidden));
      in = model.lstm_hidden;
    }
    const double classifier = static_cast<double>(in * classes);
    flops.forward = 2 * (lstm_macs + classifier);
    flops.train_step = 3 * flops.forward;
    return flops;
  }
  // The matrix products of the per-layer count `bnlab model` prints.
  const auto rows = model_rows(model, NormConfig{}, input_shape, classes);
  const auto is_product = [](const LayerRow& row) { return row.kind == "conv2d" || row.kind == "linear"; };
  for (const auto& row : rows)
    if (is_product(row)) flops.forward += row.flops;
  // forward + backward_weights + backward_data, the network's first layer without the latter.
  flops.train_step = 3 * flops.forward - (!rows.empty() && is_product(rows.front()) ? rows.front().flops : 0.0);
  return flops;
}

}  // namespace bnlab
