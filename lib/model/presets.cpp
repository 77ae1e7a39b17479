#include "model/presets.hpp"

#include <cmath>

#include "core/errors.hpp"
#include "model/layer_plan.hpp"

namespace bnlab {

namespace {

using nlohmann::json;

json conv(std::int64_t out, std::int64_t stride = 1) { return {{"conv", {{"out", out}, {"kernel", 3}, {"stride", stride}}}}; }
json norm() { return {{"norm", json::object()}}; }
json relu() { return {{"activation", {{"function", "relu"}}}}; }
json activation() { return {{"activation", json::object()}}; }
json named(std::string name, json entry) {
  entry["name"] = std::move(name);
  return entry;
}

json resnet(const ModelConfig& model) {
  if (model.depth < 8 || (model.depth - 2) % 6 != 0)
    throw ConfigError("model.depth: " + std::to_string(model.depth) +
                      " is not 6n + 2 with n >= 1 (8, 14, 20, 32, 44, 56, 110: He et al. 2016's CIFAR ResNets)");
  const std::int64_t blocks = (model.depth - 2) / 6;
  const bool pre = model.block == "pre_activation";
  auto width = [&](int stage) {
    return std::max<std::int64_t>(1, std::llround(16.0 * static_cast<double>(1 << stage) * model.width_multiplier));
  };
  json layers = json::array({conv(width(0))});
  if (!pre) {
    layers.push_back(norm());
    layers.push_back(relu());
  }
  for (int stage = 0; stage < 3; ++stage) {
    json stage_layers = json::array();
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::int64_t stride = stage > 0 && b == 0 ? 2 : 1;
      json body = pre ? json::array({norm(), relu(), conv(width(stage), stride), norm(), relu(), conv(width(stage))})
                      : json::array({conv(width(stage), stride), norm(), relu(), conv(width(stage)), norm()});
      json block = {{"body", body}, {"shortcut", "auto"}, {"activation", pre ? "none" : "relu"}};
      stage_layers.push_back(named("block" + std::to_string(b + 1), {{"residual", block}}));
    }
    layers.push_back(named("stage" + std::to_string(stage + 1), {{"sequence", stage_layers}}));
  }
  if (pre) {
    layers.push_back(norm());
    layers.push_back(relu());
  }
  layers.push_back({{"global_avg_pool", json::object()}});
  return layers;
}

// The norm and the activation after a conv or linear, in model.norm_position's order.
void norm_activation(json& layers, const ModelConfig& model) {
  const bool pre = model.norm_position == "pre_activation";
  if (pre) layers.push_back(norm());
  layers.push_back(activation());
  if (!pre) layers.push_back(norm());
}

// A hidden linear layer as mlp and cnn build it (builder.cpp).
void dense(json& layers, const ModelConfig& model, std::int64_t width) {
  layers.push_back({{"linear", {{"out", width}}}});
  norm_activation(layers, model);
  layers.push_back({{"dropout", json::object()}});
}

json mlp(const ModelConfig& model) {
  json layers = json::array();
  for (const auto width : model.hidden) dense(layers, model, width);
  return layers;
}

json cnn(const ModelConfig& model) {
  json layers = json::array();
  for (const auto c : model.channels) {
    layers.push_back({{"conv", {{"out", c}, {"kernel", 3}, {"padding", 1}}}});
    norm_activation(layers, model);
    layers.push_back({{"max_pool", {{"kernel", 2}}}});
  }
  layers.push_back({{"flatten", json::object()}});
  for (const auto width : model.fc) dense(layers, model, width);
  return layers;
}

json vgg(const ModelConfig& model) {
  json layers = json::array();
  for (std::size_t s = 0; s < model.channels.size(); ++s) {
    json stage = json::array();
    for (std::int64_t i = 0; i < model.convs_per_stage; ++i) {
      stage.push_back(conv(model.channels[s]));
      norm_activation(stage, model);
    }
    stage.push_back({{"max_pool", {{"kernel", 2}}}});
    layers.push_back(named("stage" + std::to_string(s + 1), {{"sequence", stage}}));
  }
  layers.push_back({{"flatten", json::object()}});
  for (const auto width : model.fc) dense(layers, model, width);
  return layers;
}

}  // namespace

bool is_layers_arch(const std::string& arch) { return arch == "layers" || arch == "resnet" || arch == "vgg"; }

json preset_layers(const ModelConfig& model) {
  if (model.arch == "layers") return model.layers;
  if (model.arch == "resnet") return resnet(model);
  if (model.arch == "vgg") return vgg(model);
  if (model.arch == "mlp") return mlp(model);
  if (model.arch == "cnn") return cnn(model);
  throw ConfigError("model.arch: unknown architecture '" + model.arch + "'");
}

std::vector<LayerSpec> planned_layers(const ModelConfig& model, const NormConfig& norm, const Dims& input,
                                      std::int64_t num_classes) {
  const std::string path = model.arch == "layers" ? "model.layers" : "model.arch '" + model.arch + "' layers";
  std::vector<std::string> problems;
  std::vector<LayerSpec> layers = parse_layers(preset_layers(model), path, problems);
  if (!problems.empty()) throw ConfigError(problems);
  plan_layers(layers, model, norm, input, num_classes);
  return layers;
}

std::vector<LayerRow> model_rows(const ModelConfig& model, const NormConfig& norm, const Dims& input,
                                 std::int64_t num_classes) {
  Dims shape = input;
  if (model.arch == "mlp") shape = {input[0] * input[1] * input[2]};  // the mlp's input is flat
  return layer_rows(planned_layers(model, norm, shape, num_classes));
}

}  // namespace bnlab
