// Small hand-built networks with blocks, shared by the block tests and the no-allocation test:
// what a ResNet stage and an Inception-style module look like, at sizes a test runs in moments.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "layers/avg_pool.hpp"
#include "layers/batch_norm.hpp"
#include "layers/conv2d.hpp"
#include "layers/flatten.hpp"
#include "layers/linear.hpp"
#include "layers/softmax_cross_entropy.hpp"
#include "model/blocks.hpp"
#include "model/init.hpp"
#include "model/model_config.hpp"
#include "model/network.hpp"
#include "train/sgd.hpp"

namespace bnlab::test {

// The Fashion-MNIST image shape the model tests plan networks for.
inline const Dims kImage{1, 28, 28};

// A model.arch "layers" config with these layer entries (model.layers).
inline ModelConfig layers_model(const nlohmann::json& layers) {
  ModelConfig m;
  m.arch = "layers";
  m.layers = layers;
  return m;
}

// `steps` SGD steps (lr 0.05, momentum 0.9) on one fixed batch; the loss before the first and at
// the last step. A network whose backward is wrong does not fit a fixed batch.
inline std::pair<double, double> fit_fixed_batch(Network& net, const Tensor& input,
                                                 const std::vector<std::int32_t>& labels, int steps) {
  SoftmaxCrossEntropy loss;
  Sgd sgd(net.params(), 0.9, 0.0);
  double first = 0, last = 0;
  for (int step = 0; step < steps; ++step) {
    last = loss.forward(net.forward(input, Mode::train), labels.data());
    if (step == 0) first = last;
    net.backward(loss.backward());
    sgd.step(0.05);
  }
  return {first, last};
}

// conv3x3(in -> out, stride) -> BN + ReLU -> conv3x3(out -> out) -> BN, the body of a basic block.
inline void basic_body(Sequence& body, std::int64_t in, std::int64_t out, std::int64_t stride) {
  body.add(std::make_unique<Conv2d>(in, out, Conv2dOptions{3, stride, 1, false}), "conv1");
  body.add(std::make_unique<BatchNorm>(out, BatchNormOptions{1e-5, 0.1, true}), "norm1");
  body.add(std::make_unique<Conv2d>(out, out, Conv2dOptions{3, 1, 1, false}), "conv2");
  body.add(std::make_unique<BatchNorm>(out), "norm2");
}

// A residual block in -> out with the given stride; a projection shortcut (1x1 conv with stride
// + BN) when the shape changes.
inline std::unique_ptr<Residual> basic_block(std::int64_t in, std::int64_t out, std::int64_t stride) {
  auto block = std::make_unique<Residual>(/*relu=*/true);
  basic_body(block->body(), in, out, stride);
  if (in != out || stride != 1) {
    block->shortcut().add(std::make_unique<Conv2d>(in, out, Conv2dOptions{1, stride, 0, false}), "conv");
    block->shortcut().add(std::make_unique<BatchNorm>(out), "norm");
  }
  return block;
}

// Three branches on `in` channels: 1x1 conv (a), 3x3 conv (b), and the identity.
inline std::unique_ptr<Branches> inception_block(std::int64_t in, std::int64_t a, std::int64_t b) {
  auto block = std::make_unique<Branches>();
  block->add_branch().add(std::make_unique<Conv2d>(in, a, Conv2dOptions{1, 1, 0, true}), "conv");
  block->add_branch().add(std::make_unique<Conv2d>(in, b, Conv2dOptions{3, 1, 1, true}), "conv");
  block->add_branch();
  return block;
}

// (1, 12, 12) images: conv 16 -> BN+ReLU -> stage1 (identity block) -> stage2 (projection,
// stride 2, 32) -> branches (8 + 8 + 32) -> global average pool -> flatten -> linear(10).
inline std::unique_ptr<Network> small_resnet(std::uint64_t seed = 1) {
  auto net = std::make_unique<Network>(Dims{1, 12, 12});
  net->add(std::make_unique<Conv2d>(1, 16, Conv2dOptions{3, 1, 1, false}), "stem");
  net->add(std::make_unique<BatchNorm>(16, BatchNormOptions{1e-5, 0.1, true}), "stem_norm");
  net->add(basic_block(16, 16, 1), "stage1");
  net->add(basic_block(16, 32, 2), "stage2");
  net->add(inception_block(32, 8, 8), "mixed");
  net->add(AvgPool2d::global(), "pool");
  net->add(std::make_unique<Flatten>(), "flatten");
  net->add(std::make_unique<Linear>(48, 10, true), "fc");
  initialize(*net, InitConfig{}, seed);
  return net;
}

}  // namespace bnlab::test
