// batch_stats: mini-batch and running statistics against population statistics the test
// computes itself — exact zeros when the "mini-batch" is the whole population, the textbook
// sqrt(2/(pi B)) for Gaussian inputs, hand-set running statistics, conv channels over N*H*W in
// a blocked layout — plus settings errors and the trajectory promise.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/errors.hpp"
#include "layers/batch_norm.hpp"
#include "layers/linear.hpp"
#include "model/builder.hpp"
#include "probes/batch_stats.hpp"
#include "probes/probe_training.hpp"
#include "probes/registry.hpp"
#include "synthetic_data.hpp"
#include "train/trainer.hpp"

using namespace bnlab;
using nlohmann::json;
using test::probed_run;
using test::ProbedRun;

namespace {

constexpr double kPi = 3.14159265358979323846;

// n samples of 3 features: N(0, 1), N(3, 2^2), the constant 1.5.
Dataset gaussian_features(std::int64_t n) {
  Dataset d;
  d.n = n;
  d.channels = 1;
  d.height = 1;
  d.width = 3;
  d.num_classes = 2;
  Rng rng(42);
  for (std::int64_t i = 0; i < n; ++i) {
    d.images.push_back(static_cast<float>(rng.normal()));
    d.images.push_back(static_cast<float>(rng.normal(3.0, 2.0)));
    d.images.push_back(1.5f);
    d.labels.push_back(static_cast<std::int32_t>(i % 2));
  }
  return d;
}

// identity linear (3 -> 3, so the norm sees the data itself) -> BN -> linear (3 -> 2).
std::unique_ptr<Network> identity_then_bn() {
  auto net = std::make_unique<Network>(Dims{3});
  auto first = std::make_unique<Linear>(3, 3, false);
  first->weight().value.from_vector({1, 0, 0, 0, 1, 0, 0, 0, 1});
  net->add(std::move(first));
  net->add(std::make_unique<BatchNorm>(3));
  net->add(std::make_unique<Linear>(3, 2, true));
  return net;
}

BatchStats::Settings settings(std::int64_t samples, std::vector<std::int64_t> batch_sizes, std::int64_t draws) {
  BatchStats::Settings s;
  s.samples = samples;
  s.batch_sizes = std::move(batch_sizes);
  s.draws = draws;
  s.seed = 7;
  return s;
}

// Rows of one table by batch size (NaN: the running-statistics row).
const std::vector<double>& row_for(const ProbeTable& t, double layer, double batch_size) {
  for (const auto& r : t.rows)
    if (r[1] == layer && (std::isnan(batch_size) ? std::isnan(r[2]) : r[2] == batch_size)) return r;
  FAIL("no row for layer " << layer << " batch size " << batch_size);
  static const std::vector<double> none;
  return none;
}

// An MLP (hidden 24, 16) or a CNN (conv 8, fc 16), by `arch`.
ModelConfig small_model(const std::string& arch, const std::string& norm) {
  ModelConfig m;
  m.arch = arch;
  m.hidden = {24, 16};
  m.channels = {8};
  m.fc = {16};
  m.norm = norm;
  return m;
}

}  // namespace

TEST_CASE("batch_stats: a batch that is the whole population has zero error", "[batch_stats]") {
  const Dataset data = gaussian_features(500);
  auto net = identity_then_bn();
  BatchStats probe(*net, data, settings(500, {500}, 3));
  probe.measure(4);
  const auto& t = probe.table();
  CHECK(t.columns == BatchStats::columns());
  REQUIRE(t.rows.size() == 2);  // batch 500, running statistics
  const auto& r = row_for(t, 0, 500);
  CHECK(r[0] == 4);
  CHECK(r[3] == 3);  // draws
  for (std::size_t c = 4; c < 8; ++c) CHECK(std::abs(r[c]) < 1e-9);
}

TEST_CASE("batch_stats: the mean error of Gaussian features is sqrt(2 / (pi B)) and shrinks with B", "[batch_stats]") {
  const std::int64_t n = 4000;
  const Dataset data = gaussian_features(n);
  auto net = identity_then_bn();
  BatchStats probe(*net, data, settings(n, {2, 8, 32, 128}, 1000));
  probe.measure(1);
  double last_mean = 1e9, last_var = 1e9;
  for (const double B : {2.0, 8.0, 32.0, 128.0}) {
    const auto& r = row_for(probe.table(), 0, B);
    // E|mu_B - mu| / sigma = sqrt(2 / (pi B)) (without-replacement correction sqrt((n-B)/(n-1)));
    // the constant channel contributes 0 to the average over 3 channels.
    const double expected = 2.0 / 3.0 * std::sqrt(2.0 / (kPi * B)) * std::sqrt((n - B) / (n - 1.0));
    INFO("B = " << B << ": mean error " << r[4] << ", expected " << expected << "; var error " << r[6]);
    CHECK(r[4] == Approx(expected).epsilon(0.08));
    CHECK(r[5] > r[4]);  // the 90th percentile lies above the mean of a half-normal
    CHECK(r[4] < last_mean);
    CHECK(r[6] < last_var);
    last_mean = r[4];
    last_var = r[6];
  }
  // B = 2: var_B / var = (x1 - x2)^2 / (4 var) = Z^2 / 2 with Z standard normal, and
  // E|Z^2/2 - 1| = (2 (erf(1) + 2 sqrt(2) phi(sqrt(2))) - 1) / 2 = 0.7578 (phi: the normal density).
  CHECK(row_for(probe.table(), 0, 2)[6] == Approx(0.7578).epsilon(0.05));
}

TEST_CASE("batch_stats: running statistics are scored on the same scale", "[batch_stats]") {
  const std::int64_t n = 300;
  const Dataset data = gaussian_features(n);
  auto net = identity_then_bn();
  // Population statistics by hand.
  std::vector<double> mu(3, 0.0), var(3, 0.0);
  for (std::int64_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) mu[c] += data.images[static_cast<std::size_t>(i * 3 + c)] / static_cast<double>(n);
  for (std::int64_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) var[c] += std::pow(data.images[static_cast<std::size_t>(i * 3 + c)] - mu[c], 2) / static_cast<double>(n);
  auto& bn = dynamic_cast<BatchNorm&>(net->layer(1));
  std::vector<float> running_mean(3), running_var(3);
  for (int c = 0; c < 3; ++c) {
    running_mean[c] = static_cast<float>(mu[c] + 0.5 * std::sqrt(var[c] + BatchStats::kEps));  // half a std off
    running_var[c] = static_cast<float>(1.2 * var[c]);                                        // 20% too large
  }
  bn.running_mean().from_vector(running_mean);
  bn.running_var().from_vector(running_var);
  BatchStats probe(*net, data, settings(n, {10}, 5));
  probe.measure(9);
  const auto& r = row_for(probe.table(), 0, std::nan(""));
  CHECK(std::isnan(r[3]));
  CHECK(r[4] == Approx(0.5).epsilon(1e-4));  // float running_mean: 1 ulp of 1.5 is 4e-5 of sqrt(eps)
  CHECK(r[5] == Approx(0.5).epsilon(1e-4));
  CHECK(r[6] == Approx(0.2).epsilon(1e-4));  // the constant channel (var 0) is left out
  CHECK(r[7] == Approx(0.2).epsilon(1e-4));
}

TEST_CASE("batch_stats: conv channels are pooled over N*H*W whatever the layout", "[batch_stats]") {
  const auto& data = testing::synthetic_split(1200, 400, 3);
  const auto model = small_model("cnn", "batch");
  auto net = build_model(model, {}, {}, {1, 28, 28}, 10, 5);
  REQUIRE(net->layer(1).is_norm());
  const std::int64_t n = 200;
  // Population of the first BN's input (the conv output) by a naive loop over one eval forward.
  Tensor input = Tensor::plain(net->input_dims(n));
  std::copy(data.train.images.begin(), data.train.images.begin() + n * data.train.sample_size(), input.data());
  net->forward(input, Mode::eval);
  const Tensor* conv_out = net->output(0, Mode::eval);
  const auto dims = conv_out->dims();  // (n, 8, 28, 28)
  REQUIRE(dims == Dims{n, 8, 28, 28});
  const auto v = conv_out->to_vector();
  const std::int64_t hw = dims[2] * dims[3];
  std::vector<float> mean(8), variance(8);
  for (std::int64_t c = 0; c < 8; ++c) {
    double s = 0, s2 = 0;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < hw; ++k) s += v[static_cast<std::size_t>((i * 8 + c) * hw + k)];
    const double m = s / static_cast<double>(n * hw);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < hw; ++k) s2 += std::pow(v[static_cast<std::size_t>((i * 8 + c) * hw + k)] - m, 2);
    mean[static_cast<std::size_t>(c)] = static_cast<float>(m);
    variance[static_cast<std::size_t>(c)] = static_cast<float>(s2 / static_cast<double>(n * hw));
  }
  auto& bn = dynamic_cast<BatchNorm&>(net->layer(1));
  bn.running_mean().from_vector(mean);
  bn.running_var().from_vector(variance);

  BatchStats probe(*net, data.train, settings(n, {n, 4}, 50));
  probe.measure(1);
  const auto& t = probe.table();
  // Two norm layers (conv block, fc layer), each with 2 batch sizes and a running row.
  REQUIRE(t.rows.size() == 6);
  const auto& whole = row_for(t, 0, static_cast<double>(n));
  CHECK(whole[4] < 1e-6);
  CHECK(whole[6] < 1e-6);
  const auto& running = row_for(t, 0, std::nan(""));
  CHECK(running[4] < 1e-5);  // the probe's population equals the naive one
  CHECK(running[6] < 1e-4);
  CHECK(row_for(t, 0, 4)[4] > 0.01);  // four images still see 4*784 values, but correlated ones
  CHECK(row_for(t, 1, 4)[4] > row_for(t, 0, 4)[4]);  // fc: only 4 values per channel
}

TEST_CASE("batch_stats settings are checked with their JSON paths", "[batch_stats]") {
  TrainConfig train;
  const auto model = small_model("mlp", "batch");
  CHECK(check_probes(json::parse(R"({"batch_stats": {}})"), model, train).empty());
  const auto problems = check_probes(
      json::parse(R"({"batch_stats": {"every": 0, "samples": 100, "batch_sizes": [0, 101, -1], "draws": 0, "size": 2}})"), model,
      train);
  INFO(json(problems).dump(1));
  CHECK(problems == std::vector<std::string>{
                        "probes.batch_stats.every: must be an integer >= 1, got 0",
                        "probes.batch_stats.batch_sizes[2]: must be an integer >= 0, got -1",
                        "probes.batch_stats.draws: must be an integer >= 1, got 0",
                        "probes.batch_stats.size: unknown setting (valid: every, samples, batch_sizes, draws)"});
  CHECK(check_probes(json::parse(R"({"batch_stats": {"samples": 100, "batch_sizes": [0, 101]}})"), model, train) ==
        std::vector<std::string>{"probes.batch_stats.batch_sizes[1]: must be at most samples (100), got 101"});
  train.batch_size = 200;  // [0] = train.batch_size, more than the samples
  CHECK(check_probes(json::parse(R"({"batch_stats": {"samples": 100}})"), model, train) ==
        std::vector<std::string>{"probes.batch_stats.batch_sizes[0]: must be at most samples (100), got 200"});
  // More samples asked than the training set has: the population is the whole set, and a batch larger than it is refused.
  const Dataset tiny = gaussian_features(50);
  auto net = identity_then_bn();
  CHECK_THROWS_WITH(BatchStats(*net, tiny, settings(1000, {60}, 1)),
                    Catch::Contains("the training set has 50 samples, fewer than the batch size 60"));
}

TEST_CASE("batch_stats never changes the training trajectory", "[batch_stats]") {
  const json probe = json::parse(R"({"batch_stats": {"every": 7, "samples": 600, "batch_sizes": [2, 0], "draws": 20}})");
  for (const auto& model : {small_model("mlp", "batch"), small_model("cnn", "batch"), small_model("mlp", "none")}) {
    INFO(model.arch << " " << model.norm);
    const std::int64_t steps = model.arch == "cnn" ? 30 : 60;
    const ProbedRun plain = probed_run(model, json::object(), steps);
    const ProbedRun probed = probed_run(model, probe, steps);
    CHECK(probed.losses == plain.losses);  // bit for bit
    REQUIRE(probed.result.history.size() == plain.result.history.size());
    for (std::size_t i = 0; i < plain.result.history.size(); ++i)
      CHECK(probed.result.history[i].test_loss == plain.result.history[i].test_loss);
    const auto& t = probed.probes.at(0)->table();
    // Steps 7, 14, ... and the last; per norm layer two batch sizes and the running row.
    const std::size_t points = static_cast<std::size_t>(steps / 7 + (steps % 7 != 0));
    const std::size_t norms = model.norm == "none" ? 0 : 2;
    CHECK(t.rows.size() == points * norms * 3);
    if (norms) {
      CHECK(t.rows.front()[0] == 7);
      CHECK(t.rows.back()[0] == static_cast<double>(steps));
      CHECK(row_for(t, 1, 30)[2] == 30);  // 0 resolved to train.batch_size
    }
  }
}
