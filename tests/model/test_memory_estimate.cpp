// The memory estimate from shapes (model/memory_estimate.hpp) counts the parameters the builder
// really makes, grows with batch and width, and a failed allocation names its layer.
#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "model/builder.hpp"
#include "model/memory_estimate.hpp"

using namespace bnlab;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

std::int64_t built_params(const ModelConfig& model) {
  auto net = build_model(model, NormConfig{}, InitConfig{}, {1, 28, 28}, 10, 1);
  return net->num_params();
}

ModelMemory estimate(const ModelConfig& model, std::int64_t batch = 60) {
  return estimate_model_memory(model, 1, 28, 28, 10, batch);
}

}  // namespace

TEST_CASE("memory estimate: the parameter count is the built network's", "[model][memory]") {
  ModelConfig mlp;  // 784-100-100-100-10, BN
  CHECK(estimate(mlp).params == built_params(mlp));
  mlp.norm = "none";
  mlp.hidden = {37, 5};
  CHECK(estimate(mlp).params == built_params(mlp));
  mlp.norm = "layer";
  mlp.norm_position = "post_activation";
  mlp.dropout = 0.5;
  CHECK(estimate(mlp).params == built_params(mlp));

  ModelConfig cnn;
  cnn.arch = "cnn";
  cnn.channels = {16, 32};
  cnn.fc = {64};
  CHECK(estimate(cnn).params == built_params(cnn));
  cnn.norm = "none";
  cnn.channels = {3, 5, 7};
  cnn.fc = {};
  CHECK(estimate(cnn).params == built_params(cnn));
}

TEST_CASE("memory estimate: activations grow with the batch, parameters three times over", "[model][memory]") {
  ModelConfig mlp;
  const auto small = estimate(mlp, 10), large = estimate(mlp, 1000);
  CHECK(large.train_mb == Approx(100 * small.train_mb));
  CHECK(large.params_mb == small.params_mb);
  CHECK(small.optimizer_mb == Approx(2 * small.params_mb));  // gradient + momentum
  CHECK(small.params_mb == Approx(static_cast<double>(small.params) * 4 / (1024.0 * 1024.0)));
  mlp.hidden = {2000000};
  CHECK(estimate(mlp).total_mb() > 6000 * 3);
}

TEST_CASE("memory estimate: a cnn deeper than the image can halve is a config error", "[model][memory]") {
  ModelConfig cnn;
  cnn.arch = "cnn";
  cnn.channels = {4, 4, 4, 4, 4, 4};  // 28 -> 14 -> 7 -> 3 -> 1 -> (no room)
  CHECK_THROWS_AS(estimate(cnn), ConfigError);
}

TEST_CASE("a tensor that cannot be allocated names its layer and its size", "[model][memory]") {
  // Before: oneDNN's bare "could not create a memory object".
  ModelConfig mlp;
  // A (2^46, 10) weight: 2.5 PiB, more than a process can address, so it fails even where the
  // kernel overcommits without limit.
  mlp.hidden = {10, std::int64_t{1} << 46};
  try {
    build_model(mlp, NormConfig{}, InitConfig{}, {1, 28, 28}, 10, 1);
    FAIL("no error");
  } catch (const MemoryError& e) {
    CHECK_THAT(e.what(), StartsWith("model.hidden[1] (linear 10 -> 70368744177664): cannot allocate 2684354560 MB for a "
                                    "tensor (70368744177664,10)"));
  }
}
