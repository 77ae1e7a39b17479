// The landscape probe: the quantities along the gradient of a quadratic loss 0.5 wᵀAw, where they
// are known in closed form; settings errors with JSON paths; the table on a real network (shape,
// f = 0 row equal to the training loss, distances proportional to f).
#include <catch2/catch.hpp>

#include <cmath>

#include "model/builder.hpp"
#include "probes/landscape.hpp"
#include "probes/probe_training.hpp"
#include "probes/registry.hpp"
#include "train/trainer.hpp"

using namespace bnlab;
using nlohmann::json;

namespace {

using Vec = std::vector<double>;

Vec mul(const std::vector<Vec>& a, const Vec& x) {
  Vec y(x.size(), 0.0);
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t j = 0; j < x.size(); ++j) y[i] += a[i][j] * x[j];
  return y;
}
double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

TEST_CASE("landscape along the gradient of a quadratic matches the closed form", "[probes][landscape]") {
  // L(w) = 0.5 wᵀAw, g = Aw. Along w_f = w - f·lr·g:
  //   L_f = L - f·lr·gᵀg + 0.5 (f·lr)² gᵀAg,  ||w_f - w|| = f·lr·||g||,
  //   ||g_f - g|| = f·lr·||Ag||,  per distance ||Ag|| / ||g|| (the same for every f).
  const std::vector<Vec> a = {{4, 1, 0}, {1, 3, -1}, {0, -1, 2}};  // symmetric positive definite
  const Vec w = {1.0, -2.0, 0.5};
  auto loss_and_grad = [&](const Vec& at) {
    LossAndGrad out;
    out.grad = mul(a, at);
    out.loss = 0.5 * dot(at, out.grad);
    return out;
  };
  const LossAndGrad at_w = loss_and_grad(w);
  const Vec& g = at_w.grad;
  const Vec ag = mul(a, g);
  const double lr = 0.05;
  const Vec factors = {0.5, 1, 2, 3, 4};
  const auto points = landscape_along_gradient(w, at_w, lr, factors, loss_and_grad);
  REQUIRE(points.size() == factors.size() + 1);
  CHECK(points[0].factor == 0);
  CHECK(points[0].loss == at_w.loss);
  CHECK(points[0].distance == 0);
  CHECK(points[0].grad_change == 0);
  CHECK(std::isnan(points[0].grad_change_per_distance));
  for (std::size_t i = 0; i < factors.size(); ++i) {
    const auto& p = points[i + 1];
    const double s = factors[i] * lr;
    INFO("f = " << factors[i]);
    CHECK(p.factor == factors[i]);
    CHECK(p.loss == Approx(at_w.loss - s * dot(g, g) + 0.5 * s * s * dot(g, ag)).epsilon(1e-12));
    CHECK(p.distance == Approx(s * std::sqrt(dot(g, g))).epsilon(1e-12));
    CHECK(p.grad_change == Approx(s * std::sqrt(dot(ag, ag))).epsilon(1e-12));
    CHECK(p.grad_change_per_distance == Approx(std::sqrt(dot(ag, ag) / dot(g, g))).epsilon(1e-12));
  }
  // A quadratic's gradient change per distance is at most its largest eigenvalue (here < 5.5).
  CHECK(points.back().grad_change_per_distance < 5.5);
}

TEST_CASE("landscape settings are checked with their JSON paths", "[probes][landscape]") {
  const TrainConfig train;
  const ModelConfig model;
  CHECK(check_probes(json::parse(R"({"landscape": {}})"), model, train).empty());
  CHECK(check_probes(json::parse(R"({"landscape": {"factors": [0.25, 8], "every": 5}})"), model, train).empty());
  CHECK(check_probes(json::parse(R"({"landscape": {"factors": [1, 0]}})"), model, train) ==
        std::vector<std::string>{"probes.landscape.factors[1]: must be > 0 (f = 0 is always recorded)"});
  CHECK(check_probes(json::parse(R"({"landscape": {"factors": [-1]}})"), model, train) ==
        std::vector<std::string>{"probes.landscape.factors[0]: must be a number in [0, 1000], got -1"});
  CHECK(check_probes(json::parse(R"({"landscape": {"factors": 2}})"), model, train) ==
        std::vector<std::string>{"probes.landscape.factors: must be a non-empty list of numbers, got 2"});
  CHECK(check_probes(json::parse(R"({"landscape": {"every": -3}})"), model, train) ==
        std::vector<std::string>{"probes.landscape.every: must be an integer >= 1, got -3"});
  const std::string md = probe_reference_markdown();
  CHECK(md.find("`landscape`") != std::string::npos);
  CHECK(md.find("`factors` (default `[0.5,1,2,3,4]`)") != std::string::npos);
  CHECK(md.find("`ics`") != std::string::npos);
}

TEST_CASE("landscape records f = 0 and every factor at step 1 and every k steps", "[probes][landscape]") {
  for (const double dropout : {0.0, 0.3}) {
    INFO("dropout " << dropout);
    ModelConfig model;
    model.hidden = {24, 16};
    model.dropout = dropout;
    const auto run = test::probed_run(model, json::parse(R"({"landscape": {"factors": [1, 2, 4], "every": 20}})"), 40);
    const auto& t = run.probes.at(0)->table();
    CHECK(t.columns ==
          std::vector<std::string>{"step", "factor", "loss", "distance", "grad_change", "grad_change_per_distance"});
    REQUIRE(t.rows.size() == 3 * 4);  // steps 1, 20, 40; f = 0, 1, 2, 4
    for (std::size_t s = 0; s < 3; ++s) {
      const auto* rows = &t.rows[4 * s];
      const double step = s == 0 ? 1 : 20.0 * static_cast<double>(s);
      for (std::size_t i = 0; i < 4; ++i) CHECK(rows[i][0] == step);
      CHECK(rows[0][1] == 0);
      // Without dropout the f = 0 point is the training step itself; with dropout it is recomputed
      // with other masks, so only close.
      if (dropout == 0)
        CHECK(rows[0][2] == run.losses[static_cast<std::size_t>(step) - 1]);
      else
        CHECK(rows[0][2] == Approx(run.losses[static_cast<std::size_t>(step) - 1]).epsilon(0.5));
      CHECK(std::isnan(rows[0][5]));
      const double per_unit = rows[1][3] / 1.0;  // distance = f·lr·||g||
      CHECK(per_unit > 0);
      CHECK(rows[2][3] == Approx(2 * per_unit).epsilon(1e-4));
      CHECK(rows[3][3] == Approx(4 * per_unit).epsilon(1e-4));
      for (std::size_t i = 1; i < 4; ++i) {
        CHECK(rows[i][4] > 0);
        CHECK(rows[i][5] == Approx(rows[i][4] / rows[i][3]));
      }
    }
  }
}
