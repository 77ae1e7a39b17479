// The model builder: layer sequence, bias rules, and seeded initializers with the right scale.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"
#include "layers/batch_norm.hpp"
#include "layers/linear.hpp"
#include "model/builder.hpp"
#include "model/layer_kinds.hpp"
#include "model/norms.hpp"

using namespace bnlab;
using test::layer_kinds;

namespace {
double stddev(const std::vector<float>& v) {
  double mean = 0, sq = 0;
  for (float x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (float x : v) sq += (x - mean) * (x - mean);
  return std::sqrt(sq / static_cast<double>(v.size()));
}
}  // namespace

TEST_CASE("mlp layer sequence follows norm and position", "[model]") {
  ModelConfig m;
  m.hidden = {8, 6};
  m.activation = "sigmoid";
  m.norm = "batch";
  auto net = build_model(m, {}, {}, {1, 4, 4}, 3, 1);
  CHECK(layer_kinds(*net) == "linear batch_norm sigmoid linear batch_norm sigmoid linear");
  // a linear followed by a norm has no bias; the classifier has one
  CHECK(static_cast<Linear&>(net->layer(0)).bias() == nullptr);
  CHECK(static_cast<Linear&>(net->layer(6)).bias() != nullptr);

  m.norm_position = "post_activation";
  net = build_model(m, {}, {}, {1, 4, 4}, 3, 1);
  CHECK(layer_kinds(*net) == "linear sigmoid batch_norm linear sigmoid batch_norm linear");
  CHECK(static_cast<Linear&>(net->layer(0)).bias() != nullptr);

  m.norm = "none";
  m.dropout = 0.5;
  net = build_model(m, {}, {}, {1, 4, 4}, 3, 1);
  CHECK(layer_kinds(*net) == "linear sigmoid dropout linear sigmoid dropout linear");
}

TEST_CASE("batch and group norm followed by relu apply it themselves unless model.fuse_norm_relu is off",
          "[model]") {
  ModelConfig m;
  m.hidden = {16};
  m.activation = "relu";
  auto net = build_model(m, {}, {}, {1, 2, 2}, 2, 1);
  CHECK(layer_kinds(*net) == "linear batch_norm+relu linear");
  m.norm = "group";
  CHECK(layer_kinds(*build_model(m, {}, {}, {1, 2, 2}, 2, 1)) == "linear group_norm+relu linear");
  m.norm = "layer";  // no relu option: a ReLU layer follows
  CHECK(layer_kinds(*build_model(m, {}, {}, {1, 2, 2}, 2, 1)) == "linear layer_norm relu linear");
  m.norm = "group";
  m.activation = "tanh";
  CHECK(layer_kinds(*build_model(m, {}, {}, {1, 2, 2}, 2, 1)) == "linear group_norm tanh linear");
  m.activation = "relu";
  m.norm_position = "post_activation";
  CHECK(layer_kinds(*build_model(m, {}, {}, {1, 2, 2}, 2, 1)) == "linear relu group_norm linear");
  m.norm_position = "pre_activation";
  m.fuse_norm_relu = false;
  CHECK(layer_kinds(*build_model(m, {}, {}, {1, 2, 2}, 2, 1)) == "linear group_norm relu linear");
  m.norm = "batch";
  net = build_model(m, {}, {}, {1, 2, 2}, 2, 1);
  CHECK(layer_kinds(*net) == "linear batch_norm relu linear");
}

TEST_CASE("only the norm kinds with a relu option are asked to apply the ReLU", "[model]") {
  CHECK(norm_applies_relu("batch"));
  CHECK(norm_applies_relu("group"));
  for (const char* kind : {"none", "layer", "batch_renorm", "ghost_batch", "noisy_batch"}) {
    INFO(kind);
    CHECK_FALSE(norm_applies_relu(kind));
  }
  CHECK_THROWS_AS(norm_applies_relu("batchnorm"), ConfigError);
  Rng rng(1);
  CHECK_THROWS_WITH(make_norm("layer", 8, NormConfig{}, true, rng),
                    "make_norm: norm 'layer' cannot apply ReLU (ask norm_applies_relu)");
  CHECK(dynamic_cast<const Norm&>(*make_norm("group", 8, NormConfig{}, true, rng)).relu());
}

TEST_CASE("BN+ReLU is fused where oneDNN's fused kernel is JIT, else run as two steps", "[model]") {
  ModelConfig m;
  m.hidden = {100, 32};
  m.activation = "relu";
  auto net = build_model(m, {}, {}, {1, 2, 2}, 2, 1);
  CHECK(layer_kinds(*net) == "linear batch_norm+relu linear batch_norm+relu linear");
  Tensor input = Tensor::plain(net->input_dims(8));
  input.fill(0.5f);
  net->forward(input, Mode::train);
  // oneDNN 2.6 fuses (N, C) BN+ReLU with a JIT kernel only for C % 16 == 0; it says so itself
  const auto& wide = dynamic_cast<const BatchNorm&>(net->layer(1));
  const auto& fast = dynamic_cast<const BatchNorm&>(net->layer(3));
  CHECK_FALSE(wide.relu_fused(Mode::train));
  CHECK(wide.impl(Mode::train).find("jit") != std::string::npos);
  CHECK(fast.relu_fused(Mode::train));
  m.arch = "cnn";
  m.channels = {5};
  m.fc = {10};
  net = build_model(m, {}, {}, {1, 4, 4}, 2, 1);
  CHECK(layer_kinds(*net) == "conv2d batch_norm+relu max_pool flatten linear batch_norm+relu linear");
  net->forward(Tensor::plain(net->input_dims(8)), Mode::train);
  CHECK(dynamic_cast<const BatchNorm&>(net->layer(1)).relu_fused(Mode::train));  // blocked after a conv
}

TEST_CASE("the pre-activation of a hidden layer, with and without a ReLU inside the norm", "[model]") {
  const std::string norm = GENERATE("batch", "group");
  INFO("model.norm = " << norm);
  ModelConfig m;
  m.hidden = {16, 16};
  m.activation = "relu";
  m.norm = norm;
  Tensor input = Tensor::plain({4, 4});
  input.from_vector({1, -2, 3, 0.5, -1, 2, 0, 1, 3, 1, -2, 2, 0, 0, 1, -1});
  std::vector<float> separate;
  for (const bool fuse : {false, true}) {
    m.fuse_norm_relu = fuse;
    auto net = build_model(m, {}, {}, {1, 2, 2}, 2, 1);
    const PreActivation pre(*net, 1);
    CHECK(pre.read(Mode::train) == nullptr);  // before a forward
    net->forward(input, Mode::train);
    REQUIRE(pre.read(Mode::train) != nullptr);
    const auto values = pre.read(Mode::train)->to_vector();
    CHECK(std::any_of(values.begin(), values.end(), [](float v) { return v < 0; }));  // before the ReLU
    if (fuse) CHECK(values == separate);
    separate = values;
  }
  CHECK_THROWS_AS(PreActivation(*build_model(m, {}, {}, {1, 2, 2}, 2, 1), 2), ConfigError);
}

TEST_CASE("cnn layer sequence", "[model]") {
  ModelConfig m;
  m.arch = "cnn";
  m.channels = {4, 8};
  m.fc = {16};
  m.norm = "none";
  auto net = build_model(m, {}, {}, {1, 8, 8}, 10, 1);
  CHECK(layer_kinds(*net) == "conv2d relu max_pool conv2d relu max_pool flatten linear relu linear");
  m.channels = {4, 4, 4, 4};
  CHECK_THROWS_AS(build_model(m, {}, {}, {1, 8, 8}, 10, 1), ConfigError);
}

TEST_CASE("initializers are seeded and have the documented scale", "[model][init]") {
  ModelConfig m;
  m.hidden = {400};
  m.norm = "none";
  auto weights = [&](const InitConfig& init, std::uint64_t seed) {
    auto net = build_model(m, {}, init, {1, 20, 20}, 10, seed);
    return static_cast<Linear&>(net->layer(0)).weight().value.to_vector();  // (400, 400)
  };
  InitConfig he;
  CHECK(weights(he, 3) == weights(he, 3));
  CHECK(weights(he, 3) != weights(he, 4));
  CHECK(stddev(weights(he, 3)) == Approx(std::sqrt(2.0 / 400)).epsilon(0.02));
  InitConfig xavier{"xavier", std::nullopt};
  CHECK(stddev(weights(xavier, 3)) == Approx(std::sqrt(2.0 / 800)).epsilon(0.02));  // U(-a,a): a²/3
  InitConfig normal{"normal", 0.3};
  CHECK(stddev(weights(normal, 3)) == Approx(0.3).epsilon(0.02));
  InitConfig uniform{"uniform", 0.3};
  CHECK(stddev(weights(uniform, 3)) == Approx(0.3).epsilon(0.02));
  InitConfig missing_std{"normal", std::nullopt};
  CHECK_THROWS_AS(weights(missing_std, 3), ConfigError);
}
