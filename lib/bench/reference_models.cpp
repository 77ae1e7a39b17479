#include "bench/reference_models.hpp"

#include <algorithm>

#include "core/errors.hpp"
#include "model/norm_kinds.hpp"

namespace bnlab {

const std::vector<std::string>& reference_model_names() {
  static const std::vector<std::string> names{"mlp", "cnn"};
  return names;
}

const std::vector<std::string>& reference_norm_kinds() { return norm_kinds(); }

ModelConfig reference_model(const std::string& name, const std::string& norm) {
  if (std::find(norm_kinds().begin(), norm_kinds().end(), norm) == norm_kinds().end()) throw ConfigError("bench: unknown norm '" + norm + "'");
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
  } else {
    throw ConfigError("bench: unknown reference model '" + name + "' (valid: mlp, cnn)");
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
