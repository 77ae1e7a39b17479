// The ics probe: the norms and cosine by hand, G and G' on a linear->linear->softmax-CE network
// against a naive double-precision reference (SGD with momentum and weight decay applied to the
// first layer by hand), everything restored afterwards, settings errors and the table's shape.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/random.hpp"
#include "layers/linear.hpp"
#include "model/builder.hpp"
#include "probes/ics.hpp"
#include "probes/probe_training.hpp"
#include "probes/registry.hpp"
#include "train/trainer.hpp"

using namespace bnlab;
using nlohmann::json;
using test::probe_mlp;

namespace {

using Vec = std::vector<double>;

// Naive reference of z = (x W1ᵀ + b1) W2ᵀ + b2 with mean softmax cross-entropy: dL/dW2 (K, H).
Vec reference_dw2(const Vec& x, const std::vector<std::int32_t>& labels, const Vec& w1, const Vec& b1, const Vec& w2,
                  const Vec& b2, std::size_t n, std::size_t in, std::size_t hid, std::size_t k) {
  Vec dw2(k * hid, 0.0);
  for (std::size_t s = 0; s < n; ++s) {
    Vec h(hid), z(k);
    for (std::size_t j = 0; j < hid; ++j) {
      h[j] = b1[j];
      for (std::size_t i = 0; i < in; ++i) h[j] += x[s * in + i] * w1[j * in + i];
    }
    double zmax = -1e300;
    for (std::size_t c = 0; c < k; ++c) {
      z[c] = b2[c];
      for (std::size_t j = 0; j < hid; ++j) z[c] += h[j] * w2[c * hid + j];
      zmax = std::max(zmax, z[c]);
    }
    double sum = 0;
    for (std::size_t c = 0; c < k; ++c) sum += std::exp(z[c] - zmax);
    for (std::size_t c = 0; c < k; ++c) {
      const double dz = (std::exp(z[c] - zmax) / sum - (static_cast<std::int32_t>(c) == labels[s] ? 1.0 : 0.0)) /
                        static_cast<double>(n);
      for (std::size_t j = 0; j < hid; ++j) dw2[c * hid + j] += dz * h[j];
    }
  }
  return dw2;
}

Vec as_double(const Tensor& t) {
  const auto v = t.to_vector();
  return Vec(v.begin(), v.end());
}

double norm(const Vec& a) {
  double s = 0;
  for (double v : a) s += v * v;
  return std::sqrt(s);
}

}  // namespace

TEST_CASE("ics_stats: norms and cosine by hand", "[probes][ics]") {
  const auto s = ics_stats({3, 4}, {3, 0});
  CHECK(s.grad_norm == Approx(5));
  CHECK(s.diff_norm == Approx(4));
  CHECK(s.cosine == Approx(9.0 / 15.0));
  const auto same = ics_stats({1, -2, 2}, {1, -2, 2});
  CHECK(same.diff_norm == 0);
  CHECK(same.cosine == Approx(1));
  CHECK(ics_stats({-1, 0}, {2, 0}).cosine == Approx(-1));
  CHECK(std::isnan(ics_stats({0, 0}, {1, 0}).cosine));
}

TEST_CASE("ics: G' of the second layer after the first took its SGD update, against a double reference",
          "[probes][ics]") {
  const std::size_t n = 4, in = 3, hid = 2, k = 3;
  Network net({static_cast<std::int64_t>(in)});
  net.add(std::make_unique<Linear>(in, hid, true));
  net.add(std::make_unique<Linear>(hid, k, true));
  Rng rng(7);
  for (Param* p : net.params()) {
    std::vector<float> v(static_cast<std::size_t>(p->value.numel()));
    for (auto& x : v) x = static_cast<float>(rng.uniform(-1, 1));
    p->value.from_vector(v);
  }
  Tensor input = Tensor::plain({static_cast<std::int64_t>(n), static_cast<std::int64_t>(in)});
  std::vector<float> xs(n * in);
  for (auto& x : xs) x = static_cast<float>(rng.uniform(-2, 2));
  input.from_vector(xs);
  const std::vector<std::int32_t> labels = {0, 2, 1, 2};
  const double lr = 0.3, momentum = 0.9, wd = 0.01;
  Sgd sgd(net.params(), momentum, wd);
  SoftmaxCrossEntropy loss_fn;
  auto pass = [&] {
    const double loss = loss_fn.forward(net.forward(input, Mode::train), labels.data());
    net.backward(loss_fn.backward());
    return loss;
  };
  pass();
  sgd.step(lr);  // a first step, so the velocities the probe must use (and restore) are not zero
  const double loss = pass();

  // Reference: params 0..3 are W1 (2,3), b1 (2), W2 (3,2), b2 (3).
  std::vector<Vec> w, g, v;
  std::vector<std::vector<float>> before_value, before_grad, before_velocity;
  for (std::size_t p = 0; p < sgd.size(); ++p) {
    w.push_back(as_double(sgd.param(p).value));
    g.push_back(as_double(sgd.param(p).grad));
    v.push_back(Vec(sgd.velocity(p).begin(), sgd.velocity(p).end()));
    before_value.push_back(sgd.param(p).value.to_vector());
    before_grad.push_back(sgd.param(p).grad.to_vector());
    before_velocity.push_back(sgd.velocity(p));
  }
  const Vec x(xs.begin(), xs.end());
  const Vec G = reference_dw2(x, labels, w[0], w[1], w[2], w[3], n, in, hid, k);
  for (std::size_t i = 0; i < G.size(); ++i) REQUIRE(G[i] == Approx(g[2][i]).epsilon(1e-4));  // the reference is right
  Vec moved[2];
  for (std::size_t p = 0; p < 2; ++p) {  // PyTorch SGD: v = m v + g + wd w; w -= lr v
    moved[p] = w[p];
    for (std::size_t i = 0; i < w[p].size(); ++i) moved[p][i] -= lr * (momentum * v[p][i] + g[p][i] + wd * w[p][i]);
  }
  const Vec G2 = reference_dw2(x, labels, moved[0], moved[1], w[2], w[3], n, in, hid, k);
  Vec diff(G.size());
  double dot = 0;
  for (std::size_t i = 0; i < G.size(); ++i) {
    diff[i] = G[i] - G2[i];
    dot += G[i] * G2[i];
  }
  REQUIRE(norm(diff) > 0.05 * norm(G));  // the first layer's step really shifts the second's gradient

  Ics probe(net, {{}, 1});
  StepContext ctx{2, 2, lr, loss, net, sgd, loss_fn, input, labels.data()};
  probe.after_backward(ctx);
  const auto& rows = probe.table().rows;
  REQUIRE(rows.size() == 2);
  // Layer 0 has nothing before it: G' = G.
  CHECK(rows[0][1] == 0);
  CHECK(rows[0][3] == Approx(norm(g[0])));
  CHECK(rows[0][4] == 0);
  CHECK(rows[0][5] == Approx(1));
  const auto& r = rows[1];  // step, layer, net_layer, grad_norm, diff_norm, cosine
  CHECK(r[0] == 2);
  CHECK(r[1] == 1);
  CHECK(r[2] == 1);
  CHECK(r[3] == Approx(norm(G)).epsilon(1e-5));
  CHECK(r[4] == Approx(norm(diff)).epsilon(1e-4));
  CHECK(r[5] == Approx(dot / (norm(G) * norm(G2))).epsilon(1e-5));

  // Everything the probe touched is back, bit for bit.
  for (std::size_t p = 0; p < sgd.size(); ++p) {
    CHECK(sgd.param(p).value.to_vector() == before_value[p]);
    CHECK(sgd.param(p).grad.to_vector() == before_grad[p]);
    CHECK(sgd.velocity(p) == before_velocity[p]);
  }
}

namespace {

// The first probe's table after a 40-step probed run.
ProbeTable table_after_40_steps(const ModelConfig& model, const json& probes) {
  return test::probed_run(model, probes, 40).probes.at(0)->table();
}

}  // namespace

TEST_CASE("ics settings are checked with their JSON paths", "[probes][ics]") {
  const TrainConfig train;
  const auto model = probe_mlp("batch");  // 3 weight layers
  CHECK(check_probes(json::parse(R"({"ics": {}})"), model, train).empty());
  CHECK(check_probes(json::parse(R"({"ics": {"layers": [2, 0], "every": 3}})"), model, train).empty());
  CHECK(check_probes(json::parse(R"({"ics": {"layers": [3]}})"), model, train) ==
        std::vector<std::string>{"probes.ics.layers[0]: the model has 3 weight layers (valid: 0 .. 2), got 3"});
  CHECK(check_probes(json::parse(R"({"ics": {"layers": [-1]}})"), model, train) ==
        std::vector<std::string>{"probes.ics.layers[0]: must be an integer >= 0, got -1"});
  CHECK(check_probes(json::parse(R"({"ics": {"every": 0, "step": 1}})"), model, train) ==
        (std::vector<std::string>{"probes.ics.every: must be an integer >= 1, got 0",
                                  "probes.ics.step: unknown setting (valid: layers, every)"}));
  ModelConfig cnn = model;
  cnn.arch = "cnn";
  cnn.channels = {8, 8};
  cnn.fc = {16};  // 2 convs + 1 fc + output = 4 weight layers
  CHECK(check_probes(json::parse(R"({"ics": {"layers": [3]}})"), cnn, train).empty());
  CHECK(check_probes(json::parse(R"({"ics": {"layers": [4]}})"), cnn, train).size() == 1);
}

TEST_CASE("ics records every chosen weight layer at step 1 and every k steps", "[probes][ics]") {
  for (const auto& model : {probe_mlp("batch"), probe_mlp("none", "relu", 0.3)}) {
    INFO(model.norm << " dropout " << model.dropout);
    const auto t = table_after_40_steps(model, json::parse(R"({"ics": {"every": 20}})"));
    CHECK(t.columns == std::vector<std::string>{"step", "layer", "net_layer", "grad_norm", "diff_norm", "cosine"});
    REQUIRE(t.rows.size() == 3 * 3);  // steps 1, 20, 40; 3 weight layers
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      const auto& row = t.rows[r];
      REQUIRE(row.size() == 6);
      CHECK(row[0] == (r < 3 ? 1 : r < 6 ? 20 : 40));
      CHECK(row[1] == static_cast<double>(r % 3));
      CHECK(row[3] > 0);
      CHECK(row[5] <= 1 + 1e-9);
      if (r % 3 == 0) {
        CHECK(row[4] == 0);  // the first layer: nothing before it moves
      } else {
        CHECK(row[4] > 0);
        CHECK(row[2] > t.rows[r - 1][2]);  // network indices increase
      }
    }
  }
  const auto some =
      table_after_40_steps(probe_mlp("batch"), json::parse(R"({"ics": {"layers": [2, 1, 2], "every": 40}})"));
  REQUIRE(some.rows.size() == 2 * 2);  // steps 1, 40; layers 1, 2 (sorted, once each)
  CHECK(some.rows[0][1] == 1);
  CHECK(some.rows[1][1] == 2);
}
