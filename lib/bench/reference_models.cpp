#include "bench/reference_models.hpp"

#include <algorithm>

#include "core/errors.hpp"
#include "model/norm_kinds.hpp"

namespace bnlab {

const std::vector<std::string>& reference_model_names() {
  static const std::vector<std::string> names{"mlp", "cnn", "lstm"};
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
  } else {
    throw ConfigError("bench: unknown reference model '" + name + "' (valid: mlp, cnn, lstm)");
  }
  return m;
}

ModelFlops model_flops(const ModelConfig& model, const Dims& input_shape, std::int64_t classes) {
  if (input_shape.size() != 3) throw ShapeError("model_flops: input shape must be (C, H, W)");
  std::vector<double> macs;  // per conv/linear layer, in order
  std::int64_t features = 0;
  if (model.arch == "mlp") {
    features = product(input_shape);
    for (const auto h : model.hidden) {
      macs.push_back(static_cast<double>(features * h));
      features = h;
    }
  } else if (model.arch == "cnn") {
    std::int64_t c = input_shape[0], h = input_shape[1], w = input_shape[2];
    for (const auto out : model.channels) {
      macs.push_back(static_cast<double>(h * w * out * c * 9));  // conv3x3 pad 1 keeps h, w
      c = out;
      h /= 2;
      w /= 2;
    }
    features = c * h * w;
    for (const auto f : model.fc) {
      macs.push_back(static_cast<double>(features * f));
      features = f;
    }
  } else if (model.arch == "lstm") {
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
    ModelFlops flops;
    flops.forward = 2 * (lstm_macs + classifier);
    flops.train_step = 3 * flops.forward;
    return flops;
  } else {
    throw ConfigError("model_flops: unknown architecture '" + model.arch + "'");
  }
  macs.push_back(static_cast<double>(features * classes));
  ModelFlops flops;
  for (const double m : macs) flops.forward += 2 * m;
  flops.train_step = 3 * flops.forward - 2 * macs.front();
  return flops;
}

}  // namespace bnlab
