// The hidden-layer probes (unit_ablation, scale_invariance, activation_percentiles) on every
// network: the hidden layers a config plans are the built network's, in the same order and by
// the same path names; a ResNet's layers addressed by path give the rows of their index; a unit
// ablation on a layer list; a wrong path or an ablation that cannot be done is a settings problem.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "model/builder.hpp"
#include "probes/probe_training.hpp"
#include "probes/registry.hpp"
#include "probes/unit_tools.hpp"
#include "model/small_nets.hpp"
#include "train/trainer.hpp"

using namespace bnlab;
using nlohmann::json;

namespace {

ModelConfig resnet8() {
  ModelConfig m;
  m.arch = "resnet";
  m.depth = 8;
  m.width_multiplier = 0.25;  // widths 4, 8, 16
  return m;
}

using test::kImage;
using test::layers_model;

// conv(4) -> norm -> relu -> maxpool -> flatten -> linear(12) -> norm -> relu -> classifier
ModelConfig conv_then_fc() {
  return layers_model(json::parse(R"([{"conv": {"out": 4}}, {"norm": {}}, {"activation": {}}, {"max_pool": {}},
                                      {"flatten": {}}, {"linear": {"out": 12}}, {"norm": {}}, {"activation": {}}])"));
}

std::vector<std::string> probe_problems(const char* probes, const ModelConfig& model) {
  return check_probes(json::parse(probes), model, TrainConfig{});
}

}  // namespace

TEST_CASE("the hidden layers a config plans are the network's, path for path", "[probes][layers]") {
  std::vector<ModelConfig> models;
  for (const std::string position : {"pre_activation", "post_activation"}) {
    ModelConfig mlp;
    mlp.hidden = {24, 16};
    mlp.norm_position = position;
    ModelConfig cnn = mlp;
    cnn.arch = "cnn";
    cnn.channels = {4, 8};
    cnn.fc = {12};
    ModelConfig resnet = resnet8();
    resnet.block = position;
    models.insert(models.end(), {mlp, cnn, resnet});
  }
  ModelConfig vgg;
  vgg.arch = "vgg";
  vgg.channels = {4, 8};
  vgg.fc = {16};
  models.push_back(vgg);
  models.push_back(conv_then_fc());
  models.push_back(layers_model(json::parse(R"([{"conv": {"out": 4}}, {"branches": [[{"conv": {"out": 2, "kernel": 1}}],
                                                [{"conv": {"out": 2}}, {"norm": {}}]]}])")));
  for (const auto& model : models) {
    INFO(model.arch << " " << model.norm_position << " " << model.block);
    const HiddenPlan plan = plan_hidden_layers(model, {}, kImage, 10);
    auto net = build_model(model, {}, {}, kImage, 10, 1);
    const auto hidden = hidden_layers(*net);
    REQUIRE(plan.planned);
    REQUIRE(plan.layers.size() == hidden.size());
    for (std::size_t k = 0; k < hidden.size(); ++k) {
      CHECK(plan.layers[k].path == hidden[k].leaf.path);
      CHECK(plan.layers[k].conv == hidden[k].conv);
      CHECK(plan.layers[k].width == hidden[k].weight->value.dims()[0]);
      if (model.arch == "mlp" || model.arch == "cnn") CHECK(hidden[k].norm != nullptr);  // pre or post activation
    }
  }
}

TEST_CASE("scale_invariance and activation_percentiles address a ResNet's layers by path", "[probes][layers]") {
  const ModelConfig model = resnet8();
  auto net = build_model(model, {}, {}, kImage, 10, 5);
  const auto run = test::train_with_probes(*net, model, json::parse(R"({
      "scale_invariance": {"layers": ["stage2.block1.shortcut.conv2d1", "stage3.block1.body.conv2d2"],
                           "factors": [2], "samples": 60, "batch_size": 30},
      "activation_percentiles": {"layer": "stage2.block1.body.conv2d1", "units": [7], "every": 10}})"), 20);
  const auto& probes = run.probes;
  REQUIRE(probes.size() == 2);
  for (const auto& probe : probes) {
    const auto& rows = probe->table().rows;
    if (probe->name() == "scale_invariance") {
      REQUIRE(rows.size() == 2);
      CHECK(rows[0][0] == 5);  // hidden layer 5: the projection of stage 2
      CHECK(rows[1][0] == 7);  // hidden layer 7: stage 3's last conv
      for (const auto& r : rows) CHECK(r[3] < 5e-3);  // each conv feeds a BN: batch statistics ignore its scale
    } else {
      REQUIRE(rows.size() == 3 * 3);  // steps 1, 10, 20; unit 7; percentiles 15, 50, 85
      CHECK(rows[0][1] == 3);         // hidden layer 3: stage 2's first conv
      CHECK(rows[0][4] < 0);          // step 1: the BN output (before its ReLU) straddles 0
      CHECK(rows[2][4] > 0);
    }
  }
}

TEST_CASE("unit_ablation on a layer list: by path or by index, the same rows", "[probes][layers]") {
  const ModelConfig model = conv_then_fc();
  std::vector<std::vector<double>> by_path, by_index;
  for (const char* layers : {R"(["linear1"])", "[1]"}) {
    auto net = build_model(model, {}, {}, kImage, 10, 5);
    const std::string probes = std::string(R"({"unit_ablation": {"samples": 100, "layers": )") + layers + "}}";
    const auto made = test::train_with_probes(*net, model, json::parse(probes), 20).probes;
    (by_path.empty() ? by_path : by_index) = made.at(0)->table().rows;
  }
  REQUIRE(by_path.size() == 12);  // one row per unit of linear1
  CHECK(by_path[0][0] == 1);      // hidden layer 1 (conv2d1 is 0)
  CHECK(by_path == by_index);
}

TEST_CASE("unit_ablation refuses a unit that does not feed a linear layer directly", "[probes][layers]") {
  // linear1 feeds the residual block; the block's linear feeds the add: no column to zero.
  const ModelConfig model = layers_model(json::parse(R"([{"flatten": {}}, {"linear": {"out": 8}},
      {"residual": {"body": [{"linear": {"out": 8}}, {"norm": {}}]}}])"));
  CHECK(probe_problems(R"({"unit_ablation": {}})", model) ==
        std::vector<std::string>{"probes.unit_ablation.layers: the model has no fully connected hidden layer"});
  CHECK(probe_problems(R"({"unit_ablation": {"layers": ["linear1"]}})", model) ==
        std::vector<std::string>{"probes.unit_ablation.layers[0]: hidden layer 0 (linear1) does not feed a linear "
                                 "layer directly at the top level of the network (an ablation zeroes the unit's "
                                 "column of that layer's weight)"});
  CHECK(probe_problems(R"({"scale_invariance": {"layers": ["residual1.body.linear1"]}})", model).empty());
  // A network that does not plan: its own problem is reported by the config rules, not by the probe.
  const ModelConfig too_deep = layers_model(json::parse(R"([{"max_pool": {"kernel": 64}}])"));
  CHECK(probe_problems(R"({"scale_invariance": {"layers": ["nothing"]}})", too_deep).empty());
}

TEST_CASE("ics counts a ResNet's weight layers from its plan", "[probes][layers][ics]") {
  // ResNet-8: 9 hidden layers and the classifier (the mlp/cnn count of channels and fc said 3)
  CHECK(probe_problems(R"({"ics": {"layers": [0, 9]}})", resnet8()).empty());
  CHECK(probe_problems(R"({"ics": {"layers": [10]}})", resnet8()) ==
        std::vector<std::string>{"probes.ics.layers[0]: the model has 10 weight layers (valid: 0 .. 9), got 10"});
}
