// Precise BN (train/precise_bn.hpp): the population statistics a BN layer gathers are those of
// all its input values, computed naively in double; evaluate_precise_bn evaluates with them,
// measures the EMA gap and leaves the network as it found it.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "core/errors.hpp"
#include "core/random.hpp"
#include "layers/batch_norm.hpp"
#include "model/builder.hpp"
#include "synthetic_data.hpp"
#include "train/precise_bn.hpp"
#include "train/trainer.hpp"

using namespace bnlab;

namespace {

// Naive population mean and (biased) variance per channel of (N, C) or (N, C, H, W) plain batches.
struct Naive {
  std::vector<double> sum, sq;
  std::int64_t count = 0;
  explicit Naive(std::int64_t c) : sum(static_cast<std::size_t>(c)), sq(static_cast<std::size_t>(c)) {}
  void add(const float* x, std::int64_t n, std::int64_t c, std::int64_t hw) {
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < c; ++k)
        for (std::int64_t p = 0; p < hw; ++p) {
          const double v = x[(i * c + k) * hw + p];
          sum[static_cast<std::size_t>(k)] += v;
          sq[static_cast<std::size_t>(k)] += v * v;
        }
    count += n * hw;
  }
  double mean(std::size_t k) const { return sum[k] / static_cast<double>(count); }
  double var(std::size_t k) const { return sq[k] / static_cast<double>(count) - mean(k) * mean(k); }
};

struct Trained {
  std::unique_ptr<Network> net;
  const DataSplit& data = testing::synthetic_split(2000, 500, 3);
  explicit Trained(const std::string& norm, std::int64_t steps = 60) {
    ModelConfig model;
    model.hidden = {16, 8};
    model.norm = norm;
    net = build_model(model, {}, {}, {1, 28, 28}, 10, 1);
    TrainConfig train;
    train.batch_size = 20;
    train.steps = steps;
    train.epochs.reset();
    train.eval_every = 1000;
    Trainer(*net, data.train, data.test, train, OptimizerConfig{}).run();
  }
  std::vector<BatchNorm*> bns() {
    std::vector<BatchNorm*> out;
    for (const Leaf& leaf : net->leaves())
      if (auto* bn = dynamic_cast<BatchNorm*>(leaf.layer)) out.push_back(bn);
    return out;
  }
};

std::vector<float> values(const Tensor& t) { return {t.data(), t.data() + t.numel()}; }

}  // namespace

TEST_CASE("a BN layer gathers the exact population statistics of its eval_batch_stats inputs", "[precise_bn]") {
  const std::int64_t c = 3, h = 2, w = 3;
  for (const bool spatial : {false, true}) {
    INFO((spatial ? "(N, C, H, W)" : "(N, C)"));
    const std::int64_t hw = spatial ? h * w : 1;
    BatchNorm bn(c);
    BatchNorm::PopulationStats pop;
    bn.collect_population_stats(&pop);
    Naive naive(c);
    Rng rng(5);
    for (const std::int64_t n : {4, 2, 7, 3}) {  // batches of different sizes
      Tensor x = Tensor::plain(spatial ? Dims{n, c, h, w} : Dims{n, c});
      // A large mean against a small spread: the sum-of-squares formula would lose digits here.
      for (std::int64_t i = 0; i < x.numel(); ++i) x.data()[i] = 1000.0f + static_cast<float>(rng.normal());
      naive.add(x.data(), n, c, hw);
      bn.forward(x, Mode::eval_batch_stats);
    }
    Tensor x = Tensor::plain(spatial ? Dims{4, c, h, w} : Dims{4, c});
    x.fill(50.0f);
    bn.forward(x, Mode::train);  // neither a training nor an eval forward is gathered
    bn.forward(x, Mode::eval);
    bn.collect_population_stats(nullptr);
    bn.forward(x, Mode::eval_batch_stats);  // nor one after collecting stopped
    REQUIRE(pop.count == naive.count);
    for (std::size_t k = 0; k < static_cast<std::size_t>(c); ++k) {
      CHECK(pop.mean[k] == Approx(naive.mean(k)).epsilon(1e-6));  // oneDNN's batch means are float
      CHECK(pop.m2[k] / static_cast<double>(pop.count) == Approx(naive.var(k)).epsilon(1e-4));
    }
  }
}

TEST_CASE("population_statistics gives each BN layer the statistics of its input over the pass", "[precise_bn]") {
  Trained t("batch");
  const std::int64_t batch = 25, samples = 500;
  const auto pop = population_statistics(*t.net, t.data.train, samples, batch);
  // Naively: the same forwards, reading each BN layer's input.
  std::vector<Leaf> bn_leaves;
  for (const Leaf& leaf : t.net->leaves())
    if (dynamic_cast<BatchNorm*>(leaf.layer)) bn_leaves.push_back(leaf);
  REQUIRE(bn_leaves.size() == 2);
  REQUIRE(pop.size() == 2);
  std::vector<Naive> naive{Naive(16), Naive(8)};
  Tensor input = Tensor::plain(t.net->input_dims(batch));
  for (std::int64_t begin = 0; begin < samples; begin += batch) {
    std::memcpy(input.data(), t.data.train.image(begin),
                static_cast<std::size_t>(batch * t.data.train.sample_size()) * sizeof(float));
    t.net->forward(input, Mode::eval_batch_stats);
    for (std::size_t l = 0; l < 2; ++l) {
      const Tensor* in = bn_leaves[l].input(Mode::eval_batch_stats);
      REQUIRE(in != nullptr);
      naive[l].add(in->data(), batch, l == 0 ? 16 : 8, 1);
    }
  }
  for (std::size_t l = 0; l < 2; ++l) {
    INFO("layer " << l);
    CHECK(pop[l].count == samples);
    for (std::size_t k = 0; k < pop[l].mean.size(); ++k) {
      CHECK(pop[l].mean[k] == Approx(naive[l].mean(k)).margin(1e-6));
      CHECK(pop[l].m2[k] / static_cast<double>(samples) == Approx(naive[l].var(k)).epsilon(1e-4).margin(1e-6));
    }
  }
}

TEST_CASE("precise BN evaluates with the population statistics and restores the EMA ones", "[precise_bn]") {
  Trained t("batch");
  auto bns = t.bns();
  const auto mean0 = values(bns[0]->running_mean()), var0 = values(bns[0]->running_var());
  const auto mean1 = values(bns[1]->running_mean()), var1 = values(bns[1]->running_var());
  const PreciseBnConfig config{1010, 20};
  const PreciseBnResult r = evaluate_precise_bn(*t.net, t.data.train, t.data.test, nullptr, config, 30);
  // Untouched afterwards.
  CHECK(values(bns[0]->running_mean()) == mean0);
  CHECK(values(bns[0]->running_var()) == var0);
  CHECK(values(bns[1]->running_mean()) == mean1);
  CHECK(values(bns[1]->running_var()) == var1);
  CHECK(r.samples == 1000);  // rounded down to batches of 20
  REQUIRE(r.layers.size() == 2);
  CHECK(r.layers[0].channels == 16);
  CHECK(r.layers[1].channels == 8);
  CHECK(r.layers[0].path != r.layers[1].path);
  CHECK(r.layers[0].mean_gap > 0);  // 60 steps of EMA with momentum 0.1 are not the population
  CHECK(r.layers[0].mean_gap_p90 >= r.layers[0].mean_gap * 0.5);
  CHECK(std::isnan(r.val_precise.accuracy));  // no validation set

  // test_precise is the eval-mode evaluation with exactly those statistics ...
  const auto pop = population_statistics(*t.net, t.data.train, 1000, 20);
  for (std::size_t l = 0; l < 2; ++l)
    for (std::size_t k = 0; k < pop[l].mean.size(); ++k) {
      bns[l]->running_mean().data()[k] = static_cast<float>(pop[l].mean[k]);
      bns[l]->running_var().data()[k] = static_cast<float>(pop[l].m2[k] / 999.0);
    }
  const Evaluation with_precise = Evaluator()(*t.net, t.data.test, Mode::eval);
  CHECK(with_precise.accuracy == r.test_precise.accuracy);
  CHECK(with_precise.loss == r.test_precise.loss);
  // ... and with the running statistics already precise, the gaps vanish.
  const PreciseBnResult again = evaluate_precise_bn(*t.net, t.data.train, t.data.test, nullptr, config, 30);
  for (const auto& layer : again.layers) {
    CHECK(layer.mean_gap < 1e-4);
    CHECK(layer.var_gap < 1e-4);
  }
  // Batch statistics: the test set in batches of 30, the incomplete last one left out.
  CHECK(r.batch_stats_samples == 480);
  const Evaluation batch_stats = Evaluator(30)(*t.net, t.data.test, Mode::eval_batch_stats, 480);
  CHECK(batch_stats.accuracy == r.test_batch_stats.accuracy);
}

TEST_CASE("precise BN runs through the BN variants", "[precise_bn]") {
  for (const char* norm : {"batch_renorm", "ghost_batch", "noisy_batch"}) {
    INFO(norm);
    Trained t(norm, 20);
    const auto pop = population_statistics(*t.net, t.data.train, 400, 20);
    REQUIRE(pop.size() == 2);
    CHECK(pop[0].count == 400);
    const auto r = evaluate_precise_bn(*t.net, t.data.train, t.data.test, nullptr, {400, 20}, 20);
    CHECK(r.test_precise.accuracy > 0.1);
    CHECK(std::isfinite(r.layers[1].var_gap));
  }
}

TEST_CASE("precise BN refuses a network without BN and batches it cannot use", "[precise_bn]") {
  Trained none("none", 1);
  CHECK_FALSE(has_running_statistics(*none.net));
  CHECK_THROWS_AS(evaluate_precise_bn(*none.net, none.data.train, none.data.test, nullptr, {100, 10}, 10), ConfigError);
  CHECK_THROWS_WITH(evaluate_precise_bn(*none.net, none.data.train, none.data.test, nullptr, {100, 10}, 10),
                    Catch::Contains("no batch_norm layer"));
  Trained group("group", 1);
  CHECK_FALSE(has_running_statistics(*group.net));
  Trained bn("batch", 1);
  CHECK(has_running_statistics(*bn.net));
  CHECK_THROWS_WITH(evaluate_precise_bn(*bn.net, bn.data.train, bn.data.test, nullptr, {10, 20}, 20),
                    Catch::Contains("fewer than one batch of 20"));
  CHECK_THROWS_WITH(evaluate_precise_bn(*bn.net, bn.data.train, bn.data.test, nullptr, {100, 1}, 20),
                    Catch::Contains("at least 2"));
  CHECK_THROWS_WITH(evaluate_precise_bn(*bn.net, bn.data.train, bn.data.test, nullptr, {100, 10}, 600),
                    Catch::Contains("the test set has 500 images"));
}
