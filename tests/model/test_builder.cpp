// The model builder: layer sequence, bias rules, and seeded initializers with the right scale.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/errors.hpp"
#include "layers/linear.hpp"
#include "model/builder.hpp"

using namespace bnlab;

namespace {
std::string kinds(const Network& net) {
  std::string out;
  for (std::size_t i = 0; i < net.size(); ++i) {
    if (i) out += ' ';  // (not `(i ? " " : "") + kind`: GCC 12 warns falsely on it)
    out += net.layer(i).kind();
  }
  return out;
}
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
  CHECK(kinds(*net) == "linear batch_norm sigmoid linear batch_norm sigmoid linear");
  // a linear followed by a norm has no bias; the classifier has one
  CHECK(static_cast<Linear&>(net->layer(0)).bias() == nullptr);
  CHECK(static_cast<Linear&>(net->layer(6)).bias() != nullptr);

  m.norm_position = "post_activation";
  net = build_model(m, {}, {}, {1, 4, 4}, 3, 1);
  CHECK(kinds(*net) == "linear sigmoid batch_norm linear sigmoid batch_norm linear");
  CHECK(static_cast<Linear&>(net->layer(0)).bias() != nullptr);

  m.norm = "none";
  m.dropout = 0.5;
  net = build_model(m, {}, {}, {1, 4, 4}, 3, 1);
  CHECK(kinds(*net) == "linear sigmoid dropout linear sigmoid dropout linear");
}

TEST_CASE("batch norm followed by relu is fused unless asked not to", "[model]") {
  ModelConfig m;
  m.hidden = {16};
  m.activation = "relu";
  auto net = build_model(m, {}, {}, {1, 2, 2}, 2, 1);
  CHECK(kinds(*net) == "linear batch_norm_relu linear");
  BuildOptions no_fuse;
  no_fuse.fuse_norm_relu = false;
  net = build_model(m, {}, {}, {1, 2, 2}, 2, 1, no_fuse);
  CHECK(kinds(*net) == "linear batch_norm relu linear");
  CHECK(pre_activation_layer(*net, 0) == 1);
}

TEST_CASE("a linear layer's BN+ReLU is fused only where oneDNN has a fast kernel (width % 16 == 0)", "[model]") {
  ModelConfig m;
  m.hidden = {100, 32};
  m.activation = "relu";
  auto net = build_model(m, {}, {}, {1, 2, 2}, 2, 1);
  CHECK(kinds(*net) == "linear batch_norm relu linear batch_norm_relu linear");
  m.arch = "cnn";
  m.channels = {5};
  m.fc = {10};
  net = build_model(m, {}, {}, {1, 4, 4}, 2, 1);  // after a conv the layout is blocked: always fused
  CHECK(kinds(*net) == "conv2d batch_norm_relu max_pool flatten linear batch_norm relu linear");
}

TEST_CASE("cnn layer sequence", "[model]") {
  ModelConfig m;
  m.arch = "cnn";
  m.channels = {4, 8};
  m.fc = {16};
  m.norm = "none";
  auto net = build_model(m, {}, {}, {1, 8, 8}, 10, 1);
  CHECK(kinds(*net) == "conv2d relu max_pool conv2d relu max_pool flatten linear relu linear");
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
