// Networks from layer entries (model.arch "layers") and the presets that expand to them: parse
// and shape errors with their JSON paths, names that match the built network's paths, a cnn
// written as a layer list giving the cnn's numbers bit for bit, the norm taken from model.norm,
// zero-initialised block scales, and a ResNet-8 that fits a batch of synthetic images.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "core/errors.hpp"
#include "layers/norm.hpp"
#include "model/builder.hpp"
#include "model/layer_plan.hpp"
#include "model/presets.hpp"
#include "synthetic_data.hpp"
#include "model/small_nets.hpp"
#include "layers/softmax_cross_entropy.hpp"
#include "train/sgd.hpp"

using namespace bnlab;
using nlohmann::json;

namespace {


using test::kImage;
using test::layers_model;

std::string plan_error(const ModelConfig& m, const NormConfig& norm = {}) {
  try {
    planned_layers(m, norm, kImage, 10);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(planned)";
}

json conv(std::int64_t out, std::int64_t stride = 1) { return {{"conv", {{"out", out}, {"stride", stride}}}}; }
const json kNorm = {{"norm", json::object()}};
const json kRelu = {{"activation", json::object()}};

}  // namespace

TEST_CASE("layer entries: unknown types and options, missing and bad values name their JSON path", "[model][layers]") {
  CHECK(plan_error(layers_model(json::parse(R"([{"convv": {"out": 4}}])"))) ==
        "model.layers[0].convv: unknown layer type; one of conv, linear, norm, activation, max_pool, avg_pool, "
        "global_avg_pool, dropout, flatten, sequence, residual, branches (and \"name\")");
  const std::string e = plan_error(layers_model(json::parse(
      R"([{"conv": {"kernal": 3}}, {"norm": {"kind": "bach"}}, {"residual": {"body": [{"max_pool": {"kernel": 0}}]}}])")));
  CHECK_THAT(e, Catch::Contains("model.layers[0].conv.kernal: unknown option of conv; one of out, kernel, stride, padding, bias"));
  CHECK_THAT(e, Catch::Contains("model.layers[0].conv.out: required (output channels)"));
  CHECK_THAT(e, Catch::Contains("model.layers[1].norm.kind: \"bach\" is not one of none, batch"));
  CHECK_THAT(e, Catch::Contains("model.layers[2].residual.body[0].max_pool.kernel: must be >= 1"));
  CHECK_THAT(plan_error(layers_model(json::parse(R"([{"flatten": {}, "name": "a.b"}])"))),
             Catch::Contains("model.layers[0].name: expected 1 to 64 letters"));
}

TEST_CASE("layer shapes are checked before anything is built, with the shapes involved", "[model][layers]") {
  // The issue's example: an identity shortcut around a body that halves the size and doubles the channels.
  const json residual = {{"residual", {{"body", {conv(32, 2), kNorm}}, {"shortcut", "identity"}}}};
  CHECK(plan_error(layers_model({conv(16), kNorm, kRelu, conv(16), residual})) ==
        "model.layers[4].residual: body gives 32x14x14, shortcut 16x28x28 (an identity shortcut needs the same "
        "shape; \"shortcut\": \"auto\" projects)");
  // Too deep for 28x28: the fifth pooling has a 1x1 input. Nested entries give the full path.
  json pools = json::array();
  for (int i = 0; i < 5; ++i) pools.push_back({{"max_pool", json::object()}});
  CHECK(plan_error(layers_model({{{"sequence", pools}, {"name", "stage1"}}})) ==
        "model.layers[0].sequence[4].max_pool: a 2x2 window does not fit a 1x1 input (the network is too deep for its images)");
  CHECK_THAT(plan_error(layers_model({{{"flatten", json::object()}}, conv(4)})),
             Catch::Contains("model.layers[1].conv: needs an image input (C, H, W), got 784 features"));
  const json branches = {{"branches", {{conv(4)}, {conv(4, 2)}}}};
  CHECK_THAT(plan_error(layers_model(json::array({branches}))), Catch::Contains("model.layers[0].branches: branch 1 gives 4x28x28, branch 2 4x14x14"));
  NormConfig groups;
  groups.group_size = 4;
  ModelConfig m = layers_model({conv(6), {{"norm", {{"kind", "group"}}}}});
  CHECK_THAT(plan_error(m, groups), Catch::Contains("model.layers[1].norm: group norm over 6 channels: norm.group_size 4"));
  m.arch = "resnet";
  m.depth = 21;
  CHECK_THAT(plan_error(m), Catch::Contains("model.depth: 21 is not 6n + 2"));
}

TEST_CASE("the plan names every layer as the built network does", "[model][layers]") {
  for (const std::string norm : {"batch", "group", "layer", "none", "noisy_batch"}) {
    for (const std::string block : {"post_activation", "pre_activation"}) {
      INFO(norm << " " << block);
      ModelConfig m;
      m.arch = "resnet";
      m.depth = 8;
      m.block = block;
      m.norm = norm;
      auto planned = planned_layers(m, {}, kImage, 10);
      std::vector<std::string> planned_paths;
      for (const auto& row : layer_rows(planned))
        if (row.kind.rfind("residual", 0) != 0) planned_paths.push_back(row.path);
      auto net = build_model(m, {}, {}, kImage, 10, 1);
      std::vector<std::string> built_paths;
      for (const auto& leaf : net->leaves()) built_paths.push_back(leaf.path);
      CHECK(planned_paths == built_paths);
      std::int64_t params = 0;
      for (const auto& row : layer_rows(planned)) params += row.params;
      CHECK(params == net->num_params());
    }
  }
  ModelConfig m;
  m.arch = "resnet";
  m.depth = 20;
  auto net = build_model(m, {}, {}, kImage, 10, 1);
  CHECK(net->leaves()[5].path == "stage1.block1.body.batch_norm2");  // the stem's norm applies its ReLU
  bool projection = false;
  for (const auto& leaf : net->leaves()) projection |= leaf.path == "stage2.block1.shortcut.conv2d1";
  CHECK(projection);
  // He et al. 2016: ResNet-20 has 0.27M parameters (269,722 with option A; option B adds the two projections).
  m.depth = 20;
  CHECK(build_model(m, {}, {}, {3, 32, 32}, 10, 1)->num_params() == 272474);
}

TEST_CASE("a cnn written as layer entries gives the cnn's numbers bit for bit", "[model][layers]") {
  ModelConfig cnn;
  cnn.arch = "cnn";
  cnn.channels = {8, 16};
  cnn.fc = {20};
  cnn.dropout = 0.25;
  json layers = json::array();
  for (const auto c : cnn.channels) {
    layers.push_back({{"conv", {{"out", c}}}});
    layers.push_back(kNorm);
    layers.push_back(kRelu);
    layers.push_back({{"max_pool", json::object()}});
  }
  layers.push_back({{"flatten", json::object()}});
  layers.push_back({{"linear", {{"out", 20}}}});
  layers.push_back(kNorm);
  layers.push_back(kRelu);
  layers.push_back({{"dropout", json::object()}});
  ModelConfig listed = layers_model(layers);
  listed.dropout = cnn.dropout;
  auto a = build_model(cnn, {}, {}, kImage, 10, 5);
  auto b = build_model(listed, {}, {}, kImage, 10, 5);
  Tensor input = Tensor::plain(a->input_dims(8));
  std::vector<float> x(static_cast<std::size_t>(input.numel()));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 101) / 50.0f - 1.0f;
  input.from_vector(x);
  CHECK(a->forward(input, Mode::train).to_vector() == b->forward(input, Mode::train).to_vector());
}

TEST_CASE("norm entries take model.norm; an entry's own kind stays; zero_init_residual zeroes the last scale", "[model][layers]") {
  ModelConfig m = layers_model({conv(8), kNorm, kRelu, conv(8), {{"norm", {{"kind", "layer"}}}},
                                {{"residual", {{"body", {conv(8), kNorm, kRelu, conv(8), kNorm}}}}}});
  m.norm = "group";
  m.zero_init_residual = true;
  auto net = build_model(m, {}, {}, kImage, 10, 1);
  std::vector<std::string> kinds;
  for (const auto& leaf : net->leaves())
    if (auto* norm = dynamic_cast<Norm*>(leaf.layer)) {
      kinds.push_back(leaf.path + " " + norm->kind());
      const float gamma = norm->gamma().value.to_vector()[0];
      CHECK(gamma == (leaf.path == "residual1.body.group_norm2" ? 0.0f : 1.0f));
    }
  CHECK(kinds == std::vector<std::string>{"group_norm1 group_norm", "layer_norm1 layer_norm",
                                          "residual1.body.group_norm1 group_norm", "residual1.body.group_norm2 group_norm"});
}

TEST_CASE("a ResNet-8 learns: its loss on a fixed batch of synthetic images falls", "[model][layers][train]") {
  // 40 SGD steps on 32 synthetic images (the batch fixed: on the whole set a ResNet's global
  // pooling needs a few hundred steps to pick up the synthetic classes' positional patterns).
  ModelConfig m;
  m.arch = "resnet";
  m.depth = 8;
  m.width_multiplier = 0.5;
  const auto& data = testing::synthetic_split(1000, 200, 7);
  auto net = build_model(m, {}, {}, {1, 28, 28}, 10, 1);
  constexpr std::int64_t kBatch = 32;
  Tensor input = Tensor::plain(net->input_dims(kBatch));
  const auto sample = static_cast<std::size_t>(data.train.sample_size());
  std::vector<float> x(sample * kBatch);
  for (std::int64_t i = 0; i < kBatch; ++i) std::copy_n(data.train.image(i), sample, x.begin() + static_cast<std::ptrdiff_t>(sample) * i);
  input.from_vector(x);
  const std::vector<std::int32_t> labels(data.train.labels.begin(), data.train.labels.begin() + kBatch);
  const auto [first, last] = test::fit_fixed_batch(*net, input, labels, 40);
  INFO("loss " << first << " -> " << last);
  CHECK(last < 0.5 * first);
}
