#include "model/builder.hpp"

#include "core/errors.hpp"
#include "core/random.hpp"
#include "layers/conv2d.hpp"
#include "layers/dropout.hpp"
#include "layers/eltwise.hpp"
#include "layers/flatten.hpp"
#include "layers/image_sequence.hpp"
#include "layers/linear.hpp"
#include "layers/lstm.hpp"
#include "layers/max_pool.hpp"
#include "model/init.hpp"
#include "model/layer_builder.hpp"
#include "model/presets.hpp"
#include "model/norms.hpp"

namespace bnlab {

namespace {

// Adds norm and activation in the configured order after a conv/linear producing `width` channels.
// A pre-activation norm followed by ReLU applies it itself where the norm kind can (norms.hpp).
void add_norm_and_activation(Network& net, const ModelConfig& model, const NormConfig& norm, std::int64_t width,
                             Rng& rng) {
  const bool pre = model.norm_position == "pre_activation";
  const bool relu_in_norm =
      pre && model.fuse_norm_relu && model.activation == "relu" && norm_applies_relu(model.norm);
  auto norm_layer = make_norm(model.norm, width, norm, relu_in_norm, rng);
  if (pre && norm_layer) net.add(std::move(norm_layer));
  if (!relu_in_norm) net.add(std::make_unique<Eltwise>(model.activation));
  if (!pre && norm_layer) net.add(std::move(norm_layer));
}

void add_dropout(Network& net, const ModelConfig& model, Rng& rng) {
  if (model.dropout > 0) net.add(std::make_unique<Dropout>(model.dropout, rng.next()));
}

// Runs fn (which adds the layers of one config entry), naming that entry in an allocation failure:
// "model.hidden[0] (linear 784 -> 2000000): cannot allocate 5981 MB for a tensor (2000000,784)".
template <class Fn>
void named(const std::string& entry, Fn&& fn) {
  try {
    fn();
  } catch (const MemoryError& e) {
    throw MemoryError(entry + ": " + e.what());
  }
}

std::string entry_name(const char* key, std::size_t i, const std::string& layer) {
  return std::string(key) + "[" + std::to_string(i) + "] (" + layer + ")";
}

LstmVariant lstm_variant(const std::string& norm) {
  if (norm == "none") return LstmVariant::plain;
  if (norm == "batch_input") return LstmVariant::batch_input;
  if (norm == "batch") return LstmVariant::batch;
  if (norm == "layer") return LstmVariant::layer;
  throw ConfigError("model.norm: '" + norm + "' has no LSTM variant (with model.arch 'lstm': none, batch_input, "
                    "batch or layer)");
}

// The image read as a sequence (rows or pixels), LSTM layers, the classifier on the last h.
void add_lstm(Network& net, const ModelConfig& model, const NormConfig& norm, const Dims& input_shape,
              std::int64_t num_classes, std::uint64_t seed) {
  const bool rows = model.sequence == "rows";
  if (rows && input_shape[0] != 1)
    throw ConfigError("model.sequence: 'rows' reads one-channel images, these have " + std::to_string(input_shape[0]));
  if (!rows && model.sequence != "pixels" && model.sequence != "permuted_pixels")
    throw ConfigError("model.sequence: unknown order '" + model.sequence + "'");
  if (model.lstm_layers < 1) throw ConfigError("model.lstm_layers: must be >= 1");
  ImageSequenceOptions order{rows ? input_shape[1] : product(input_shape), rows ? input_shape[2] : 1, std::nullopt};
  if (model.sequence == "permuted_pixels") order.permutation_seed = static_cast<std::uint64_t>(model.permutation_seed);
  net.add(std::make_unique<ImageSequence>(order), "sequence");
  const auto variant = lstm_variant(model.norm);
  std::int64_t in = order.width;
  for (std::int64_t l = 0; l < model.lstm_layers; ++l) {
    LstmOptions o;
    o.input = in;
    o.hidden = model.lstm_hidden;
    o.steps = order.steps;
    o.variant = variant;
    o.return_sequence = l + 1 < model.lstm_layers;
    o.eps = norm.eps;
    o.momentum = norm.momentum;
    o.seed = derive_seed(seed, 0x157a0 + static_cast<std::uint64_t>(l));
    named("model.lstm_layers[" + std::to_string(l) + "] (lstm " + std::to_string(in) + " -> " +
              std::to_string(o.hidden) + ")",
          [&] { net.add(std::make_unique<Lstm>(o), "lstm" + std::to_string(l + 1)); });
    in = o.hidden;
  }
  named("the classifier (linear " + std::to_string(in) + " -> " + std::to_string(num_classes) + ")",
        [&] { net.add(std::make_unique<Linear>(in, num_classes, true), "classifier"); });
}

}  // namespace

std::unique_ptr<Network> build_model(const ModelConfig& model, const NormConfig& norm, const InitConfig& init,
                                     const Dims& input_shape, std::int64_t num_classes, std::uint64_t seed) {
  if (input_shape.size() != 3) throw ShapeError("build_model: input shape must be (C, H, W)");
  Rng rng(derive_seed(seed, 0xb11d));
  // A layer directly followed by a norm (pre-activation) has no bias.
  const bool bias = model.norm == "none" || model.norm_position == "post_activation";
  std::unique_ptr<Network> net;

  if (model.arch == "mlp") {
    std::int64_t width = input_shape[0] * input_shape[1] * input_shape[2];
    net = std::make_unique<Network>(Dims{width});
    for (std::size_t i = 0; i < model.hidden.size(); ++i) {
      const auto h = model.hidden[i];
      named(entry_name("model.hidden", i, "linear " + std::to_string(width) + " -> " + std::to_string(h)), [&] {
        net->add(std::make_unique<Linear>(width, h, bias));
        add_norm_and_activation(*net, model, norm, h, rng);
        add_dropout(*net, model, rng);
      });
      width = h;
    }
    named("the classifier (linear " + std::to_string(width) + " -> " + std::to_string(num_classes) + ")",
          [&] { net->add(std::make_unique<Linear>(width, num_classes, true)); });
  } else if (model.arch == "cnn") {
    net = std::make_unique<Network>(input_shape);
    std::int64_t channels = input_shape[0], height = input_shape[1], width = input_shape[2];
    for (std::size_t i = 0; i < model.channels.size(); ++i) {
      const auto c = model.channels[i];
      if (height < 2 || width < 2)
        throw ConfigError("model.channels: too many conv blocks for " + std::to_string(input_shape[1]) + "x" +
                          std::to_string(input_shape[2]) + " images (each halves the size)");
      named(entry_name("model.channels", i, "conv3x3 " + std::to_string(channels) + " -> " + std::to_string(c)), [&] {
        net->add(std::make_unique<Conv2d>(channels, c, Conv2dOptions{3, 1, 1, bias}));
        add_norm_and_activation(*net, model, norm, c, rng);
        net->add(std::make_unique<MaxPool2d>(2, 2));
      });
      channels = c;
      height /= 2;
      width /= 2;
    }
    net->add(std::make_unique<Flatten>());
    std::int64_t features = channels * height * width;
    for (std::size_t i = 0; i < model.fc.size(); ++i) {
      const auto h = model.fc[i];
      named(entry_name("model.fc", i, "linear " + std::to_string(features) + " -> " + std::to_string(h)), [&] {
        net->add(std::make_unique<Linear>(features, h, bias));
        add_norm_and_activation(*net, model, norm, h, rng);
        add_dropout(*net, model, rng);
      });
      features = h;
    }
    named("the classifier (linear " + std::to_string(features) + " -> " + std::to_string(num_classes) + ")",
          [&] { net->add(std::make_unique<Linear>(features, num_classes, true)); });
  } else if (is_layers_arch(model.arch)) {
    net = std::make_unique<Network>(input_shape);
    build_planned(*net, planned_layers(model, norm, input_shape, num_classes), norm, rng);
  } else if (model.arch == "lstm") {
    net = std::make_unique<Network>(input_shape);
    add_lstm(*net, model, norm, input_shape, num_classes, seed);
  } else {
    throw ConfigError("model.arch: unknown architecture '" + model.arch + "'");
  }
  initialize(*net, init, seed);  // the LSTM layers initialize their own weights (lstm.hpp)
  return net;
}

std::vector<Leaf> hidden_leaves(Network& net) {
  std::vector<Leaf> weights;
  for (const Leaf& leaf : net.leaves())
    if (leaf.layer->kind() == "conv2d" || leaf.layer->kind() == "linear") weights.push_back(leaf);
  if (!weights.empty()) weights.pop_back();  // the classifier
  return weights;
}

PreActivation::PreActivation(Network& net, std::size_t hidden) {
  const auto layers = hidden_leaves(net);
  if (hidden >= layers.size())
    throw ConfigError("no hidden layer " + std::to_string(hidden) + " in this network (it has " +
                      std::to_string(layers.size()) + ")");
  const Leaf& weight = layers[hidden];
  output_of_ = weight;
  if (weight.index + 1 < weight.parent->size()) {
    Layer& next = weight.parent->layer(weight.index + 1);
    if (auto* norm = dynamic_cast<Norm*>(&next)) {
      output_of_ = Leaf{weight.path, &next, weight.parent, weight.index + 1};
      if (norm->relu()) {
        norm->keep_pre_activation();
        norm_ = norm;
      }
    }
  }
}

const Tensor* PreActivation::read(Mode mode) const {
  if (!norm_) return output_of_.output(mode);
  return norm_->pre_activation(mode);
}

}  // namespace bnlab
