// eltwise (relu, sigmoid, tanh): values against the formulas in plain and blocked layouts,
// finite-difference gradients, the error for an unknown activation, and primitive reuse.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/errors.hpp"
#include "layers/eltwise.hpp"
#include "layers/layer_check.hpp"

using namespace bnlab;
using test::desc4;
using tag = dnnl::memory::format_tag;

namespace {

// y and dy/dx of each activation.
double value(const std::string& act, double x) {
  if (act == "relu") return x > 0 ? x : 0;
  if (act == "sigmoid") return 1 / (1 + std::exp(-x));
  return std::tanh(x);
}
double slope(const std::string& act, double x) {
  const double y = value(act, x);
  if (act == "relu") return x > 0 ? 1 : 0;
  if (act == "sigmoid") return y * (1 - y);
  return 1 - y * y;
}

// Standard normal values pushed at least 0.1 away from 0 (ReLU's kink).
std::vector<float> normal_away_from_zero(std::size_t n, Rng& rng) {
  std::vector<float> out(n);
  for (auto& v : out) {
    const double x = rng.normal();
    v = static_cast<float>(x + (x < 0 ? -0.1 : 0.1));
  }
  return out;
}

}  // namespace

TEST_CASE("eltwise computes the activation and its derivative in any layout", "[layers][eltwise]") {
  const std::vector<dnnl::memory::desc> shapes = {plain_desc({4, 7}), desc4(2, 3, 4, 5, tag::nchw),
                                                  desc4(2, 20, 3, 3, tag::nChw16c), desc4(2, 8, 3, 3, tag::nhwc)};
  for (const std::string act : {"relu", "sigmoid", "tanh"}) {
    for (const auto& md : shapes) {
      INFO(act << " on " << to_string(md.dims()));
      Eltwise layer(act);
      CHECK(layer.kind() == act);
      Tensor src(md);
      const auto n = static_cast<std::size_t>(src.numel());
      const auto x = test::random_normal(n, 5, 2.0);
      src.from_vector(x);
      const Tensor& dst = layer.forward(src, Mode::train);
      CHECK(dst.desc() == md);
      const auto y = dst.to_vector();
      const auto dy = test::random_normal(n, 6);
      Tensor diff_dst(md);
      diff_dst.from_vector(dy);
      const Tensor& diff_src = layer.backward(diff_dst);
      CHECK(diff_src.desc() == md);
      const auto dx = diff_src.to_vector();
      const auto e = layer.forward(src, Mode::eval).to_vector();
      for (std::size_t i = 0; i < n; ++i) {
        INFO("x = " << x[i]);
        CHECK(y[i] == Approx(value(act, x[i])).margin(1e-6));
        CHECK(e[i] == Approx(value(act, x[i])).margin(1e-6));
        CHECK(dx[i] == Approx(dy[i] * slope(act, x[i])).margin(1e-5));
      }
    }
  }
}

TEST_CASE("eltwise gradients match finite differences", "[layers][eltwise][gradcheck]") {
  for (const std::string act : {"relu", "sigmoid", "tanh"}) {
    for (const auto& md : {plain_desc({3, 10}), desc4(2, 16, 3, 3, tag::nChw16c)}) {
      INFO(act << " on " << to_string(md.dims()));
      Eltwise layer(act);
      test::GradCheckOptions opt;
      opt.make_src = normal_away_from_zero;
      test::check_layer_gradients(layer, md, opt);
    }
  }
}

TEST_CASE("eltwise rejects an unknown activation and lists the valid ones", "[layers][eltwise]") {
  CHECK_THROWS_AS(Eltwise("gelu"), ConfigError);
  CHECK_THROWS_WITH(Eltwise("Relu"), Catch::Contains("relu, sigmoid, tanh") && Catch::Contains("'Relu'"));
  CHECK(activation_kinds() == std::vector<std::string>{"relu", "sigmoid", "tanh"});
}

TEST_CASE("eltwise builds its primitives once per input shape", "[layers][eltwise]") {
  for (const std::string act : {"relu", "sigmoid", "tanh"}) {
    Eltwise layer(act);
    Tensor src(desc4(2, 16, 4, 4, tag::nChw16c));
    Tensor diff_dst(layer.forward(src, Mode::train).desc());
    layer.backward(diff_dst);
    layer.forward(src, Mode::eval);
    const auto before = primitive_creations();
    for (int i = 0; i < 3; ++i) {
      layer.forward(src, Mode::train);
      layer.forward(src, Mode::eval);
      layer.backward(diff_dst);
    }
    CHECK(primitive_creations() == before);
    INFO(act << " impl train " << layer.impl(Mode::train) << ", eval " << layer.impl(Mode::eval));
    SUCCEED();
  }
}

TEST_CASE("eltwise backward wants the dst descriptor forward returned", "[layers][eltwise]") {
  Eltwise layer("relu");
  Tensor src(desc4(2, 16, 4, 4, tag::nChw16c));
  layer.forward(src, Mode::train);
  Tensor plain = Tensor::plain({2, 16, 4, 4});
  CHECK_THROWS_AS(layer.backward(plain), ShapeError);
}
