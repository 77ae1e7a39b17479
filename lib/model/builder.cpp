#include "model/builder.hpp"

#include "core/errors.hpp"
#include "core/random.hpp"
#include "layers/conv2d.hpp"
#include "layers/dropout.hpp"
#include "layers/eltwise.hpp"
#include "layers/flatten.hpp"
#include "layers/linear.hpp"
#include "layers/max_pool.hpp"
#include "model/norms.hpp"
#include "model/init.hpp"

namespace bnlab {

namespace {

// Whether oneDNN 2.6 has a fast kernel for BN with fused ReLU on this output. After a conv the
// data is blocked (nChw16c, channels padded): always. After a linear layer BN sees (N, C) as nhwc,
// and with fuse_norm_relu only C % 16 == 0 gets a JIT kernel: C = 100 falls to the reference
// nspc_bnorm (0.14 ms forward + 0.17 ms backward at batch 60 against 0.03 + 0.05 unfused, measured
// with ONEDNN_VERBOSE; the ReLU MLP's step went from 1.96 to ~0.6 ms unfused). The separate ReLU
// computes the same values.
bool fast_fused_norm_relu(bool after_conv, std::int64_t width) { return after_conv || width % 16 == 0; }

// Adds norm and activation in the configured order after a conv/linear producing `width` channels.
void add_norm_and_activation(Network& net, const ModelConfig& model, const NormConfig& norm, std::int64_t width,
                             bool after_conv, const BuildOptions& options, Rng& rng) {
  const bool pre = model.norm_position == "pre_activation";
  const bool fuse = pre && options.fuse_norm_relu && model.fuse_norm_relu && model.norm == "batch" &&
                    model.activation == "relu" && fast_fused_norm_relu(after_conv, width);
  auto norm_layer = make_norm(model.norm, width, norm, fuse, rng);
  if (pre && norm_layer) net.add(std::move(norm_layer));
  if (!fuse) net.add(std::make_unique<Eltwise>(model.activation));
  if (!pre && norm_layer) net.add(std::move(norm_layer));
}

void add_dropout(Network& net, const ModelConfig& model, Rng& rng) {
  if (model.dropout > 0) net.add(std::make_unique<Dropout>(model.dropout, rng.next()));
}

}  // namespace

std::unique_ptr<Network> build_model(const ModelConfig& model, const NormConfig& norm, const InitConfig& init,
                                     const Dims& input_shape, std::int64_t num_classes, std::uint64_t seed,
                                     const BuildOptions& options) {
  if (input_shape.size() != 3) throw ShapeError("build_model: input shape must be (C, H, W)");
  Rng rng(derive_seed(seed, 0xb11d));
  // A layer directly followed by a norm (pre-activation) has no bias.
  const bool bias = model.norm == "none" || model.norm_position == "post_activation";
  std::unique_ptr<Network> net;

  if (model.arch == "mlp") {
    std::int64_t width = input_shape[0] * input_shape[1] * input_shape[2];
    net = std::make_unique<Network>(Dims{width});
    for (const auto h : model.hidden) {
      net->add(std::make_unique<Linear>(width, h, bias));
      add_norm_and_activation(*net, model, norm, h, /*after_conv=*/false, options, rng);
      add_dropout(*net, model, rng);
      width = h;
    }
    net->add(std::make_unique<Linear>(width, num_classes, true));
  } else if (model.arch == "cnn") {
    net = std::make_unique<Network>(input_shape);
    std::int64_t channels = input_shape[0], height = input_shape[1], width = input_shape[2];
    for (const auto c : model.channels) {
      if (height < 2 || width < 2)
        throw ConfigError("model.channels: too many conv blocks for " + std::to_string(input_shape[1]) + "x" +
                          std::to_string(input_shape[2]) + " images (each halves the size)");
      net->add(std::make_unique<Conv2d>(channels, c, 3, 1, bias));
      add_norm_and_activation(*net, model, norm, c, /*after_conv=*/true, options, rng);
      net->add(std::make_unique<MaxPool2d>(2, 2));
      channels = c;
      height /= 2;
      width /= 2;
    }
    net->add(std::make_unique<Flatten>());
    std::int64_t features = channels * height * width;
    for (const auto h : model.fc) {
      net->add(std::make_unique<Linear>(features, h, bias));
      add_norm_and_activation(*net, model, norm, h, /*after_conv=*/false, options, rng);
      add_dropout(*net, model, rng);
      features = h;
    }
    net->add(std::make_unique<Linear>(features, num_classes, true));
  } else {
    throw ConfigError("model.arch: unknown architecture '" + model.arch + "'");
  }
  initialize(*net, init, seed);
  return net;
}

std::size_t pre_activation_layer(const Network& net, std::size_t hidden) {
  // Walk the layers: each activation layer ends one hidden layer; its pre-activation is the
  // layer just before it.
  std::size_t seen = 0;
  for (std::size_t i = 1; i < net.size(); ++i) {
    const auto kind = net.layer(i).kind();
    if (kind == "relu" || kind == "sigmoid" || kind == "tanh") {
      if (seen == hidden) return i - 1;
      ++seen;
    }
  }
  throw ConfigError("no hidden layer " + std::to_string(hidden) + " with a separate activation in this network");
}

}  // namespace bnlab
