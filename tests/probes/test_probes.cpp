// Probes: the percentile arithmetic by hand, settings checked with JSON paths, tables of the right
// shape and values, and the promise that a probe never changes the training trajectory.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"
#include "data/dataset.hpp"
#include "model/builder.hpp"
#include "probes/activation_percentiles.hpp"
#include "util/percentile.hpp"
#include "probes/inference_cost.hpp"
#include "probes/probe_training.hpp"
#include "probes/registry.hpp"
#include "train/trainer.hpp"

using namespace bnlab;
using nlohmann::json;
using test::probe_data;
using test::probe_mlp;
using test::probed_run;
using test::ProbedRun;

namespace {

// One conv layer of 8 channels and a fully connected layer of 16 units.
ModelConfig small_cnn(const std::string& norm) {
  ModelConfig m;
  m.arch = "cnn";
  m.channels = {8};
  m.fc = {16};
  m.norm = norm;
  m.activation = "relu";
  return m;
}

bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  return std::any_of(problems.begin(), problems.end(), [&](const auto& p) { return p.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("percentiles interpolate between order statistics like numpy", "[probes]") {
  const std::vector<float> v = {1, 2, 3, 4};
  CHECK(percentile_of_sorted(v, 0) == 1.0);
  CHECK(percentile_of_sorted(v, 100) == 4.0);
  CHECK(percentile_of_sorted(v, 50) == Approx(2.5));
  CHECK(percentile_of_sorted(v, 15) == Approx(1.45));  // position 0.45
  CHECK(percentile_of_sorted(v, 85) == Approx(3.55));  // position 2.55
  CHECK(percentile_of_sorted(std::vector<float>{7.0f}, 33) == 7.0);
}

TEST_CASE("probe settings are checked with their JSON paths", "[probes]") {
  const TrainConfig train;
  const auto model = probe_mlp("batch", "sigmoid");  // two hidden layers of 24 and 16
  CHECK(check_probes(json::object(), model, train).empty());
  CHECK(check_probes(json::parse(R"({"activation_percentiles": {}, "train_mode_accuracy": {}})"), model, train).empty());
  CHECK(check_probes(json::parse(R"({"activation_percentiles": {"layer": -2, "units": [23]}})"), model, train).empty());

  const auto problems = check_probes(json::parse(R"({
      "activation_percentile": {},
      "activation_percentiles": {"every": 0, "percentiles": [50, 101], "layer": 2, "colour": 1},
      "train_mode_accuracy": {"split": "tset", "samples": 10}})"),
                                     model, train);
  INFO(json(problems).dump(1));
  CHECK(mentions(problems, "probes.activation_percentile: unknown probe (valid: activation_percentiles, train_mode_accuracy"));
  CHECK(mentions(problems, "probes.activation_percentiles.every: must be an integer >= 1, got 0"));
  CHECK(mentions(problems, "probes.activation_percentiles.percentiles[1]: must be a number in [0, 100], got 101"));
  CHECK(mentions(problems, "probes.activation_percentiles.layer: the model has 2 hidden layers (valid: -2 .. 1), got 2"));
  CHECK(mentions(problems, "probes.activation_percentiles.colour: unknown setting"));
  CHECK(mentions(problems, "probes.train_mode_accuracy.split: must be one of test, train"));
  CHECK(mentions(problems, "probes.train_mode_accuracy.samples: must be at least the batch size 60, got 10"));
  CHECK(problems.size() == 7);

  const auto units = check_probes(json::parse(R"({"activation_percentiles": {"layer": 1, "units": [0, 16]}})"), model, train);
  CHECK(units == std::vector<std::string>{"probes.activation_percentiles.units[1]: hidden layer 1 has 16 units, got 16"});
  CHECK(check_probes(json::parse(R"({"activation_percentiles": 5})"), model, train).size() == 1);
  CHECK_THROWS_AS(make_probes(json::parse(R"({"nope": {}})"), {*build_model(model, {}, {}, {1, 28, 28}, 10, 1),
                                                               probe_data().train, probe_data().test, model, train}),
                  ConfigError);
}

TEST_CASE("a probe never changes the training trajectory", "[probes]") {
  const json all = json::parse(R"({"activation_percentiles": {"every": 7, "units": [0, 3]},
                                   "train_mode_accuracy": {"samples": 90}})");
  for (const auto& model : {probe_mlp("batch", "relu"), probe_mlp("batch", "sigmoid", 0.2), probe_mlp("none", "tanh"),
                            small_cnn("batch")}) {
    INFO(model.arch << " " << model.norm << " " << model.activation << " dropout " << model.dropout);
    const std::int64_t steps = model.arch == "cnn" ? 30 : 60;  // conv evaluations are the slow part
    const ProbedRun plain = probed_run(model, json::object(), steps);
    const ProbedRun probed = probed_run(model, all, steps);
    REQUIRE(plain.losses.size() == static_cast<std::size_t>(steps));
    CHECK(probed.losses == plain.losses);  // bit for bit
    REQUIRE(probed.result.history.size() == plain.result.history.size());
    for (std::size_t i = 0; i < plain.result.history.size(); ++i) {
      CHECK(probed.result.history[i].test_loss == plain.result.history[i].test_loss);
      CHECK(probed.result.history[i].train_acc == plain.result.history[i].train_acc);
    }
  }
}

TEST_CASE("activation_percentiles records every unit and percentile at step 1 and every k steps", "[probes]") {
  const ProbedRun run = probed_run(probe_mlp("batch", "sigmoid"), json::parse(R"({"activation_percentiles":
      {"layer": -1, "units": [2, 5], "percentiles": [0, 15, 50, 85, 100], "every": 25}})"));
  const auto& t = run.probes.at(0)->table();
  CHECK(t.columns == std::vector<std::string>{"step", "layer", "unit", "percentile", "value"});
  REQUIRE(t.rows.size() == 3 * 2 * 5);  // steps 1, 25, 50; 2 units; 5 percentiles
  CHECK(t.rows.front()[0] == 1);
  CHECK(t.rows.back()[0] == 50);
  for (std::size_t r = 0; r < t.rows.size(); r += 5) {
    CHECK(t.rows[r][1] == 1);  // -1 resolved to the last hidden layer
    CHECK((t.rows[r][2] == 2 || t.rows[r][2] == 5));
    for (std::size_t k = 1; k < 5; ++k) CHECK(t.rows[r + k][4] >= t.rows[r + k - 1][4]);  // monotone in p
  }
  // Step 1 with BN (gamma 1, beta 0): the watched pre-activation is the BN output, standardized over
  // the batch of 30, so it straddles 0 and stays within about sqrt(29) of it.
  CHECK(t.rows[0][4] < 0);
  CHECK(t.rows[4][4] > 0);
  CHECK(t.rows[4][4] < 5.4);
}

TEST_CASE("activation_percentiles watches conv channels over all positions", "[probes]") {
  const ProbedRun run = probed_run(
      small_cnn("none"), json::parse(R"({"activation_percentiles": {"layer": 0, "units": [7], "every": 10}})"), 20);
  const auto& t = run.probes.at(0)->table();
  REQUIRE(t.rows.size() == 3 * 3);  // steps 1, 10, 20
  CHECK(t.rows[0][2] == 7);
  CHECK(t.rows[0][4] < t.rows[2][4]);  // 15th < 85th over 30*28*28 values
}

TEST_CASE("train_mode_accuracy compares running and batch statistics at every evaluation", "[probes]") {
  const json probe = json::parse(R"({"train_mode_accuracy": {"samples": 100, "batch_size": 0}})");
  const ProbedRun with_bn = probed_run(probe_mlp("batch", "relu"), probe);
  const auto& t = with_bn.probes.at(0)->table();
  CHECK(t.columns ==
        std::vector<std::string>{"step", "batch_size", "samples", "eval_loss", "eval_acc", "batch_stats_loss", "batch_stats_acc"});
  REQUIRE(t.rows.size() == with_bn.result.history.size());  // steps 20, 40, 60
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    CHECK(t.rows[i][0] == with_bn.result.history[i].step);
    CHECK(t.rows[i][1] == 30);
    CHECK(t.rows[i][2] == 90);  // 100 rounded down to whole batches
    CHECK(t.rows[i][4] >= 0);
    CHECK(t.rows[i][6] <= 1);
  }
  CHECK(t.rows.back()[3] != t.rows.back()[5]);  // running and batch statistics differ with BN

  // Without a norm layer the two modes are the same computation.
  const ProbedRun no_norm = probed_run(probe_mlp("none", "relu", 0.3), probe);
  for (const auto& row : no_norm.probes.at(0)->table().rows) {
    CHECK(row[3] == row[5]);
    CHECK(row[4] == row[6]);
  }
}

TEST_CASE("the config reference documents every probe and its settings", "[probes]") {
  const std::string md = probe_reference_markdown();
  for (const auto& name : probe_names()) CHECK(md.find("`" + name + "`") != std::string::npos);
  CHECK(md.find("`every` (default `50`)") != std::string::npos);
  CHECK(md.find("`percentiles` (default `[15,50,85]`)") != std::string::npos);
  // and the runs.csv columns a probe adds
  for (const auto& column : probe_result_columns()) CHECK(md.find("`" + column.name + "`, ") != std::string::npos);
}

TEST_CASE("probe settings: every other error path names its key", "[probes]") {
  TrainConfig train;
  const auto model = probe_mlp("batch", "relu");
  auto problems_of = [&](const char* text, const ModelConfig& m) { return check_probes(json::parse(text), m, train); };
  CHECK(problems_of(R"({"activation_percentiles": {"units": []}})", model) ==
        std::vector<std::string>{"probes.activation_percentiles.units: must be a non-empty list of integers, got []"});
  CHECK(problems_of(R"({"activation_percentiles": {"units": [1, -1]}})", model) ==
        std::vector<std::string>{"probes.activation_percentiles.units[1]: must be an integer >= 0, got -1"});
  CHECK(problems_of(R"({"activation_percentiles": {"percentiles": 50}})", model) ==
        std::vector<std::string>{"probes.activation_percentiles.percentiles: must be a non-empty list of numbers, got 50"});
  CHECK(problems_of(R"({"activation_percentiles": {"every": 2.5}})", model) ==
        std::vector<std::string>{"probes.activation_percentiles.every: must be an integer >= 1, got 2.5"});
  ModelConfig logistic = model;
  logistic.hidden = {};
  CHECK(problems_of(R"({"activation_percentiles": {}})", logistic) ==
        std::vector<std::string>{"probes.activation_percentiles.layer: the model has no hidden layer to watch"});
  // A network of layer entries: hidden layers by index or by path name, checked against the plan.
  ModelConfig resnet = model;
  resnet.arch = "resnet";
  resnet.depth = 8;  // stem, 3 blocks of 2 convs, 2 projections: 9 hidden layers
  CHECK(problems_of(R"({"activation_percentiles": {"layer": "stage2.block1.shortcut.conv2d1", "units": [31]},
                        "scale_invariance": {"layers": [8, "conv2d1", "stage3.block1.body.conv2d2"]}})", resnet).empty());
  CHECK(problems_of(R"({"activation_percentiles": {"layer": "stage1.block1.body.conv2d1", "units": [16]}})", resnet) ==
        std::vector<std::string>{"probes.activation_percentiles.units[0]: hidden layer 1 has 16 units, got 16"});
  CHECK(problems_of(R"({"scale_invariance": {"layers": ["stage1.block1.conv2d1"]}})", resnet) ==
        std::vector<std::string>{
            "probes.scale_invariance.layers[0]: 'stage1.block1.conv2d1' is not a hidden layer of this network (a conv2d "
            "or linear other than the classifier, by its path in `bnlab model`; valid: conv2d1, "
            "stage1.block1.body.conv2d1, stage1.block1.body.conv2d2, stage2.block1.body.conv2d1, "
            "stage2.block1.body.conv2d2, stage2.block1.shortcut.conv2d1, ... (3 more))"});
  CHECK(problems_of(R"({"activation_percentiles": {"layer": "linear1"}})", resnet) ==  // the classifier
        std::vector<std::string>{"probes.activation_percentiles.layer: 'linear1' is not a hidden layer of this network "
                                 "(a conv2d or linear other than the classifier, by its path in `bnlab model`; valid: "
                                 "conv2d1, stage1.block1.body.conv2d1, stage1.block1.body.conv2d2, "
                                 "stage2.block1.body.conv2d1, stage2.block1.body.conv2d2, "
                                 "stage2.block1.shortcut.conv2d1, ... (3 more))"});
  CHECK(problems_of(R"({"scale_invariance": {"layers": [9]}})", resnet) ==
        std::vector<std::string>{"probes.scale_invariance.layers[0]: the model has 9 hidden layers (valid: 0 .. 8), got 9"});
  CHECK(problems_of(R"({"unit_ablation": {}})", resnet) ==  // a ResNet has no fully connected hidden layer
        std::vector<std::string>{"probes.unit_ablation.layers: the model has no fully connected hidden layer"});
  CHECK(problems_of(R"({"unit_ablation": {"layers": ["conv2d1"]}})", resnet) ==
        std::vector<std::string>{"probes.unit_ablation.layers[0]: hidden layer 0 (conv2d1) is a conv block; only fully "
                                 "connected units can be ablated"});
  CHECK(problems_of(R"({"unit_ablation": {"layers": [0.5, ""]}})", resnet) ==
        std::vector<std::string>{"probes.unit_ablation.layers[0]: must be an integer >= 0 or a layer path name, got 0.5",
                                 "probes.unit_ablation.layers[1]: must be an integer >= 0 or a layer path name, got \"\"",
                                 "probes.unit_ablation.layers: the model has no fully connected hidden layer"});  // the default []
  CHECK(problems_of(R"({"activation_percentiles": {"layer": true}})", resnet) ==
        std::vector<std::string>{"probes.activation_percentiles.layer: must be an integer or a layer path name, got true"});
  // mlp and cnn take path names too ("linear2": hidden layer 1 of the mlp).
  CHECK(problems_of(R"({"activation_percentiles": {"layer": "linear2", "units": [15]}})", model).empty());
  train.batch_size = 1;
  CHECK(problems_of(R"({"train_mode_accuracy": {}})", model) ==
        std::vector<std::string>{"probes.train_mode_accuracy.batch_size: batch statistics need a batch of at least 2, got 1"});
}

TEST_CASE("train_mode_accuracy refuses a data set smaller than one batch", "[probes]") {
  TrainConfig train;
  train.batch_size = 500;  // the synthetic test set has 400 samples
  const auto model = probe_mlp("batch", "relu");
  auto net = build_model(model, {}, {}, {1, 28, 28}, 10, 1);
  CHECK_THROWS_WITH(make_probes(json::parse(R"({"train_mode_accuracy": {"samples": 1000}})"),
                                {*net, probe_data().train, probe_data().test, model, train}),
                    Catch::Contains("the test set has 400 samples, fewer than one batch of 500"));
}

TEST_CASE("ics and landscape never change the training trajectory", "[probes][ics][landscape]") {
  // They run extra training passes on perturbed weights: BN running statistics, dropout masks,
  // velocities and grads must all be put back. Fused BN+ReLU (no probe here asks for the
  // pre-activation), no norm, dropout, and a conv net.
  const json ics = json::parse(R"({"ics": {"every": 7}})");
  const json landscape = json::parse(R"({"landscape": {"every": 7, "factors": [0.5, 4]}})");
  for (const auto& model : {probe_mlp("batch", "relu"), probe_mlp("none", "relu"), probe_mlp("batch", "relu", 0.2),
                            probe_mlp("none", "tanh", 0.3), small_cnn("batch")}) {
    INFO(model.arch << " " << model.norm << " " << model.activation << " dropout " << model.dropout);
    const std::int64_t steps = model.arch == "cnn" ? 15 : 30;
    const ProbedRun plain = probed_run(model, json::object(), steps);
    for (const auto& probe : {ics, landscape}) {
      INFO(probe.dump());
      const ProbedRun probed = probed_run(model, probe, steps);
      CHECK(!probed.probes.at(0)->table().rows.empty());
      CHECK(probed.losses == plain.losses);  // bit for bit
      REQUIRE(probed.result.history.size() == plain.result.history.size());
      for (std::size_t i = 0; i < plain.result.history.size(); ++i) {
        CHECK(probed.result.history[i].test_loss == plain.result.history[i].test_loss);
        CHECK(probed.result.history[i].train_loss == plain.result.history[i].train_loss);
      }
      CHECK(probed.result.observer_s.size() == 2);  // the probe and the loss log, each timed
      CHECK(probed.result.observer_s[0] > 0);
    }
  }
}

TEST_CASE("inference_cost times the trained and the folded net once, at the end, without moving training", "[probes][inference_cost]") {
  const json probe = json::parse(R"({"inference_cost": {"repeats": 3, "min_time_ms": 1, "samples": 100}})");
  for (const auto& model : {probe_mlp("batch", "relu"), small_cnn("batch")}) {
    INFO(model.arch);
    const std::int64_t steps = model.arch == "cnn" ? 20 : 60;  // mlp: 3 evaluations, rows at the last only
    const ProbedRun plain = probed_run(model, json::object(), steps);
    const ProbedRun probed = probed_run(model, probe, steps);
    CHECK(probed.losses == plain.losses);  // bit for bit
    REQUIRE(probed.result.history.size() == plain.result.history.size());
    CHECK(probed.result.history.back().test_loss == plain.result.history.back().test_loss);

    const auto& t = probed.probes.at(0)->table();
    CHECK(t.columns == InferenceCost::columns());
    REQUIRE(t.rows.size() == 2);  // only the final evaluation, of the 3; unfolded then folded
    for (std::size_t i = 0; i < 2; ++i) {
      CHECK(t.rows[i][0] == steps);
      CHECK(t.rows[i][1] == static_cast<double>(i));
      CHECK(t.rows[i][2] == 30);  // train.batch_size
      CHECK(t.rows[i][3] == 3);
      CHECK(t.rows[i][4] > 0);
      CHECK(t.rows[i][5] <= t.rows[i][4]);
      CHECK(t.rows[i][6] == 90);  // 100 rounded down to whole batches
    }
    CHECK(std::isnan(t.rows[0][7]));
    CHECK(t.rows[1][7] <= 1e-5 * t.rows[1][8]);  // folding keeps the logits
    CHECK(t.rows[1][8] > 0.5);
    // runs.csv's results: the two medians
    using Results = std::vector<std::pair<std::string, double>>;
    CHECK(probed.probes.at(0)->results() ==
          Results{{"inference_cost_ms", t.rows[0][4]}, {"inference_cost_folded_ms", t.rows[1][4]}});
  }
  // Without BN there is nothing to fold: one row.
  const ProbedRun no_norm = probed_run(probe_mlp("none", "relu"), probe);
  const auto& t = no_norm.probes.at(0)->table();
  REQUIRE(t.rows.size() == 1);
  CHECK(t.rows[0][1] == 0);
  CHECK(t.rows[0][4] > 0);
  CHECK(std::isnan(t.rows[0][7]));
  // ... so the network as deployed, "folded", is the trained one: the same time.
  auto results = no_norm.probes.at(0)->results();
  REQUIRE(results.size() == 2);
  CHECK(results[0].second == t.rows[0][4]);
  CHECK(results[1].second == t.rows[0][4]);
  // A norm that does not fold (layer norm) has no folded time: an empty cell.
  results = probed_run(probe_mlp("layer", "relu"), probe, 20).probes.at(0)->results();
  CHECK(results[0].second > 0);
  CHECK(std::isnan(results[1].second));
  // A batch larger than the test set (400 images) repeats them.
  const ProbedRun big =
      probed_run(probe_mlp("batch", "relu"),
                 json::parse(R"({"inference_cost": {"batch_size": 500, "repeats": 1, "min_time_ms": 0}})"), 20);
  const auto& b = big.probes.at(0)->table();
  REQUIRE(b.rows.size() == 2);
  CHECK(b.rows[1][2] == 500);
  CHECK(b.rows[1][6] == 500);
  CHECK(b.rows[1][7] <= 1e-5 * b.rows[1][8]);
  const json bad = json::parse(R"({"inference_cost": {"repeats": 0, "batch_size": -1}})");
  CHECK(check_probes(bad, probe_mlp("batch", "relu"), {}) ==
        std::vector<std::string>{"probes.inference_cost.batch_size: must be an integer >= 0, got -1",
                                 "probes.inference_cost.repeats: must be an integer in [1, 100000], got 0"});
}

TEST_CASE("percentile sorts its input; mean_of averages; both NaN for no values", "[probes]") {
  std::vector<double> v = {4, 1, 3, 2};
  CHECK(percentile(v, 90) == Approx(3.7));  // position 2.7 of 1,2,3,4
  CHECK(v == std::vector<double>{1, 2, 3, 4});
  CHECK(mean_of({1.0, 2.0, 6.0}) == Approx(3.0));
  std::vector<double> none;
  CHECK(std::isnan(percentile(none, 50)));
  CHECK(std::isnan(mean_of(none)));
}
