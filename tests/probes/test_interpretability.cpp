// unit_ablation and scale_invariance: Spearman's rho by hand (ties included), an ablation that
// cannot matter has drop 0, every probe leaves the network bit-identical, BN's scale invariance
// holds with batch statistics and fails without BN, settings errors, the trajectory promise.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/errors.hpp"
#include "model/builder.hpp"
#include "probes/probe_training.hpp"
#include "probes/registry.hpp"
#include "probes/scale_invariance.hpp"
#include "probes/unit_ablation.hpp"
#include "probes/unit_tools.hpp"
#include "train/trainer.hpp"

using namespace bnlab;
using nlohmann::json;
using test::probe_data;
using test::probe_mlp;
using test::probe_train_config;
using test::probed_run;
using test::ProbedRun;

namespace {

// One conv layer of 8 channels, then fully connected layers of these widths.
ModelConfig cnn_with_fc(std::vector<std::int64_t> fc) {
  ModelConfig m;
  m.arch = "cnn";
  m.channels = {8};
  m.fc = std::move(fc);
  return m;
}

// Every parameter and buffer of the network, flattened.
std::vector<float> snapshot(Network& net) {
  std::vector<float> out;
  for (std::size_t i = 0; i < net.size(); ++i) {
    for (Param* p : net.layer(i).params()) {
      const auto v = p->value.to_vector();
      out.insert(out.end(), v.begin(), v.end());
    }
    for (const Buffer& b : net.layer(i).buffers()) {
      const auto v = b.value->to_vector();
      out.insert(out.end(), v.begin(), v.end());
    }
  }
  return out;
}

}  // namespace

TEST_CASE("average ranks share tied positions", "[interpretability]") {
  CHECK(average_ranks({10, 20, 20, 5}) == std::vector<double>{2, 3.5, 3.5, 1});
  CHECK(average_ranks({7, 7, 7}) == std::vector<double>{2, 2, 2});
  CHECK(average_ranks({}).empty());
}

TEST_CASE("spearman is Pearson's correlation of average ranks", "[interpretability]") {
  CHECK(spearman({1, 2, 3, 4}, {10, 20, 30, 1000}) == Approx(1.0));
  CHECK(spearman({1, 2, 3, 4}, {4, 3, 2, 1}) == Approx(-1.0));
  // y ranks {1, 2, 3.5, 5, 3.5}: sum dx*dy = 8, sum dx^2 = 10, sum dy^2 = 9.5 -> 8 / sqrt(95).
  CHECK(spearman({1, 2, 3, 4, 5}, {5, 6, 7, 8, 7}) == Approx(8.0 / std::sqrt(95.0)));
  // x ranks {1.5, 1.5, 3, 4}, y ranks {2, 1, 4, 3}: sum dx*dy = 0.5 + 1.5 + 0.75 + 0.75 = 3.5 -> 3.5 / sqrt(4.5 * 5).
  CHECK(spearman({0.1, 0.1, 0.5, 0.9}, {2, 1, 9, 4}) == Approx(3.5 / std::sqrt(22.5)));
  CHECK(std::isnan(spearman({1, 2, 3}, {4, 4, 4})));  // a constant side has no ranking
  CHECK(std::isnan(spearman({1}, {2})));
  CHECK(std::isnan(spearman({1, std::nan(""), 3}, {1, 2, 3})));
  CHECK_THROWS_AS(spearman({1, 2}, {1}), ShapeError);
}

TEST_CASE("unit_ablation: a unit nothing reads has drop 0, and the network is left bit-identical", "[interpretability]") {
  const auto model = probe_mlp("batch");
  ProbedRun run = probed_run(model, json::object(), 40);
  Network& net = *run.net;
  // Silence unit 3 of hidden layer 0 by hand: column 3 of the next linear layer's weight.
  const auto hidden = hidden_layers(net);
  REQUIRE(hidden.size() == 2);
  Param* next = hidden[0].next.layer->params().at(0);
  auto w = next->value.to_vector();  // (16, 24)
  for (std::int64_t o = 0; o < 16; ++o) w[static_cast<std::size_t>(o * 24 + 3)] = 0.0f;
  next->value.from_vector(w);

  UnitAblation::Settings s;
  s.layers = {0, 1};
  s.samples = 300;
  UnitAblation probe(net, probe_data().train, probe_data().test, probe_train_config(40), s);
  const auto before = snapshot(net);
  probe.measure();
  CHECK(snapshot(net) == before);

  const auto& t = probe.table();
  CHECK(t.columns == UnitAblation::columns());
  REQUIRE(t.rows.size() == 24 + 16);
  const auto& silent = t.rows[3];
  CHECK(silent[0] == 0);
  CHECK(silent[1] == 3);
  CHECK(silent[6] == 0.0);  // drop
  CHECK(silent[7] == 0.0);  // loss_increase
  // The base score is the network's own accuracy on those samples.
  Evaluator evaluate(100);
  const double accuracy = evaluate(net, probe_data().test, Mode::eval, 300).accuracy;
  CHECK(t.rows[0][4] == Approx(accuracy).margin(1.0 / 300));
  // Weight norms, gammas and the per-layer Spearman from the rows.
  const auto w0 = hidden[0].weight->value.to_vector();  // (24, 784)
  double sq = 0;
  for (std::size_t i = 0; i < 784; ++i) sq += static_cast<double>(w0[5 * 784 + i]) * w0[5 * 784 + i];
  CHECK(t.rows[5][2] == Approx(std::sqrt(sq)));
  CHECK(t.rows[5][3] == gamma_of(hidden[0].norm, 5));
  std::vector<double> norms, drops;
  bool some_drop = false;
  for (std::size_t r = 24; r < 40; ++r) {
    CHECK(t.rows[r][0] == 1);
    CHECK(t.rows[r][6] == Approx(t.rows[r][4] - t.rows[r][5]));
    norms.push_back(t.rows[r][2]);
    drops.push_back(t.rows[r][6]);
    some_drop = some_drop || t.rows[r][7] != 0;
  }
  CHECK(some_drop);  // ablating a used unit changes the loss
  const double rho = spearman(norms, drops);
  if (std::isnan(rho)) CHECK(std::isnan(t.rows[30][8]));
  else CHECK(t.rows[30][8] == rho);
  // runs.csv's unit_ablation_mean_spearman: each layer's once (24 rows of layer 0, 16 of layer 1)
  const auto results = probe.results();
  REQUIRE(results.size() == 1);
  CHECK(results[0].first == "unit_ablation_mean_spearman");
  if (std::isnan(rho) || std::isnan(t.rows[0][8])) CHECK(std::isnan(results[0].second));
  else CHECK(results[0].second == Approx((t.rows[0][8] + rho) / 2));

  // Without a norm the gamma column is empty.
  ProbedRun plain = probed_run(probe_mlp("none"), json::object(), 20);
  UnitAblation no_norm(*plain.net, probe_data().train, probe_data().test, probe_train_config(20), s);
  CHECK(std::isnan(no_norm.results()[0].second));  // nothing measured yet (a diverged run): an empty cell
  no_norm.measure();
  CHECK(std::isnan(no_norm.table().rows[0][3]));
}

TEST_CASE("scale_invariance: BN with batch statistics ignores a layer's weight scale, no BN does not", "[interpretability]") {
  ScaleInvariance::Settings s;
  s.layers = {0, 1};
  s.factors = {0.1, 2, 10};
  s.samples = 300;
  s.batch_size = 30;
  for (const std::string norm : {"batch", "none"}) {
    INFO(norm);
    ProbedRun run = probed_run(probe_mlp(norm), json::object(), 40);
    ScaleInvariance probe(*run.net, probe_data().train, probe_data().test, probe_train_config(40), s);
    const auto before = snapshot(*run.net);
    probe.measure();
    CHECK(snapshot(*run.net) == before);
    const auto& t = probe.table();
    CHECK(t.columns == ScaleInvariance::columns());
    REQUIRE(t.rows.size() == 6);
    for (const auto& r : t.rows) {
      INFO("layer " << r[0] << " factor " << r[1] << ": batch_stats rel " << r[3] << ", eval rel " << r[6]);
      if (norm == "batch") {
        CHECK(r[3] < 5e-3);      // only eps breaks it: eps / var(a W u) is ~1e-3 at a = 0.1
        CHECK(r[4] == 0.0);      // no prediction changes
        if (r[1] == 10) CHECK(r[6] > 1e-2);  // running statistics belong to the old scale
      } else {
        CHECK(r[3] > 0.05);
        CHECK(r[2] == r[5]);     // without norms the two modes are one computation
      }
    }
    // runs.csv's results: the largest relative change of each mode over layers and factors
    double batch_max = 0, eval_max = 0;
    for (const auto& r : t.rows) {
      batch_max = std::max(batch_max, r[3]);
      eval_max = std::max(eval_max, r[6]);
    }
    using Results = std::vector<std::pair<std::string, double>>;
    CHECK(probe.results() == Results{{"scale_invariance_batch_stats_max_rel", batch_max},
                                     {"scale_invariance_eval_max_rel", eval_max}});
  }
}

TEST_CASE("scale_invariance rescales conv layers too", "[interpretability]") {
  ScaleInvariance::Settings s;
  s.factors = {3};
  s.layers = {0};
  s.samples = 60;
  s.batch_size = 30;
  auto model = cnn_with_fc({});
  model.norm = "batch";
  auto net = build_model(model, {}, {}, {1, 28, 28}, 10, 5);
  ScaleInvariance probe(*net, probe_data().train, probe_data().test, probe_train_config(1), s);
  probe.measure();
  REQUIRE(probe.table().rows.size() == 1);
  CHECK(probe.table().rows[0][3] < 1e-3);
}

TEST_CASE("interpretability probe settings are checked with their JSON paths", "[interpretability]") {
  TrainConfig train;
  const auto model = probe_mlp("batch");
  auto problems_of = [&](const char* text, const ModelConfig& m) { return check_probes(json::parse(text), m, train); };
  CHECK(problems_of(R"({"unit_ablation": {}, "scale_invariance": {}})", model).empty());
  CHECK(problems_of(R"({"unit_ablation": {"layers": [1, 2]}})", model) ==
        std::vector<std::string>{"probes.unit_ablation.layers[1]: the model has 2 hidden layers (valid: 0 .. 1), got 2"});
  CHECK(problems_of(R"({"unit_ablation": {}})", cnn_with_fc({})) ==
        std::vector<std::string>{"probes.unit_ablation.layers: the model has no fully connected hidden layer"});
  CHECK(problems_of(R"({"unit_ablation": {"layers": [0]}})", cnn_with_fc({32})) ==
        std::vector<std::string>{
            "probes.unit_ablation.layers[0]: hidden layer 0 is a conv block; only fully connected units can be ablated"});
  CHECK(problems_of(R"({"unit_ablation": {"layers": [1]}})", cnn_with_fc({32})).empty());
  CHECK(problems_of(R"({"scale_invariance": {"layers": [0]}})", cnn_with_fc({})).empty());
  CHECK(problems_of(R"({"unit_ablation": {"samples": 0}})", model) ==
        std::vector<std::string>{"probes.unit_ablation.samples: must be an integer >= 1, got 0"});
  CHECK(problems_of(R"({"scale_invariance": {"factors": [2, 0, -1]}})", model) ==
        std::vector<std::string>{"probes.scale_invariance.factors[2]: must be a number in [0, 1000000], got -1"});
  CHECK(problems_of(R"({"scale_invariance": {"factors": [2, 0]}})", model) ==
        std::vector<std::string>{"probes.scale_invariance.factors[1]: must be > 0, got 0"});
  CHECK(problems_of(R"({"scale_invariance": {"samples": 10}})", model) ==
        std::vector<std::string>{"probes.scale_invariance.samples: must be at least the batch size 60, got 10"});
  CHECK(problems_of(R"({"scale_invariance": {"batch_size": 1, "mode": 1}})", model) ==
        std::vector<std::string>{"probes.scale_invariance.batch_size: batch statistics need a batch of at least 2, got 1",
                                 "probes.scale_invariance.mode: unknown setting (valid: layers, factors, samples, batch_size)"});
}

TEST_CASE("unit_ablation and scale_invariance run after the last step and never change the trajectory",
          "[interpretability]") {
  const json probes = json::parse(R"({"unit_ablation": {"samples": 200}, "scale_invariance": {"samples": 90, "factors": [2]}})");
  for (const std::string norm : {"batch", "none"}) {
    INFO(norm);
    const ProbedRun plain = probed_run(probe_mlp(norm), json::object());
    const ProbedRun probed = probed_run(probe_mlp(norm), probes);
    CHECK(probed.losses == plain.losses);  // bit for bit
    REQUIRE(probed.result.history.size() == plain.result.history.size());
    for (std::size_t i = 0; i < plain.result.history.size(); ++i)
      CHECK(probed.result.history[i].test_loss == plain.result.history[i].test_loss);
    CHECK(snapshot(*probed.net) == snapshot(*plain.net));
    REQUIRE(probed.probes.size() == 2);
    for (const auto& probe : probed.probes)  // once, at the end: every unit; one layer-factor pair per hidden layer
      CHECK(probe->table().rows.size() == (probe->name() == "unit_ablation" ? 24u + 16u : 2u));
  }
}
