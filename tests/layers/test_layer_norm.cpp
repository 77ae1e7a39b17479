// layer_norm: hand-computed values, a naive double-precision reference (per-sample statistics
// over all features, per-channel gamma/beta) for forward and backward on 2-D (oneDNN's primitive)
// and 4-D inputs (the group kernel with one group) in plain and blocked layouts, finite-difference
// gradients, identical modes, and networks with layer norm that train deterministically.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/errors.hpp"
#include "layers/group_norm.hpp"
#include "layers/layer_check.hpp"
#include "layers/layer_norm.hpp"
#include "model/norms.hpp"
#include "layers/softmax_cross_entropy.hpp"
#include "model/builder.hpp"
#include "train/sgd.hpp"

using namespace bnlab;
using test::check_close;
using test::desc4;
using tag = dnnl::memory::format_tag;

namespace {

// Naive layer norm over row-major (N, C, S) data (S = H*W, 1 for 2-D), in double: statistics
// over the C·S values of each sample, gamma/beta indexed by channel.
struct LayerNormReference {
  std::vector<double> y, dx, dgamma, dbeta;
};
LayerNormReference layer_norm_reference(const std::vector<float>& x, const std::vector<float>& gamma,
                                        const std::vector<float>& beta, const std::vector<float>& dy, std::int64_t n,
                                        std::int64_t c, std::int64_t s, double eps) {
  LayerNormReference r;
  r.y.assign(x.size(), 0);
  r.dx.assign(x.size(), 0);
  r.dgamma.assign(c, 0);
  r.dbeta.assign(c, 0);
  const std::int64_t m = c * s;
  for (std::int64_t i = 0; i < n; ++i) {
    double mean = 0, var = 0;
    for (std::int64_t j = 0; j < m; ++j) mean += x[i * m + j] / static_cast<double>(m);
    for (std::int64_t j = 0; j < m; ++j) var += std::pow(x[i * m + j] - mean, 2) / static_cast<double>(m);
    const double rstd = 1.0 / std::sqrt(var + eps);
    std::vector<double> xhat(m), dxhat(m);
    double mean_dxhat = 0, mean_dxhat_xhat = 0;
    for (std::int64_t j = 0; j < m; ++j) {
      const std::int64_t ch = j / s;
      xhat[j] = (x[i * m + j] - mean) * rstd;
      dxhat[j] = gamma[ch] * dy[i * m + j];
      r.y[i * m + j] = gamma[ch] * xhat[j] + beta[ch];
      r.dgamma[ch] += dy[i * m + j] * xhat[j];
      r.dbeta[ch] += dy[i * m + j];
      mean_dxhat += dxhat[j] / static_cast<double>(m);
      mean_dxhat_xhat += dxhat[j] * xhat[j] / static_cast<double>(m);
    }
    for (std::int64_t j = 0; j < m; ++j) r.dx[i * m + j] = rstd * (dxhat[j] - mean_dxhat - xhat[j] * mean_dxhat_xhat);
  }
  return r;
}

}  // namespace

TEST_CASE("layer_norm on a hand-computed example", "[layers][layer_norm]") {
  // x = (0, 0, 2, 2) in one sample: mean 1, variance 1, xhat = (-1, -1, 1, 1); the same values
  // as 2-D (1, 4) features and as 4-D (1, 2, 1, 2) with 2 channels of 2 values.
  for (const bool four_d : {false, true}) {
    INFO((four_d ? "4-D" : "2-D"));
    const std::int64_t c = four_d ? 2 : 4;
    LayerNorm ln(c);
    ln.gamma().value.from_vector(four_d ? std::vector<float>{2, 0.5} : std::vector<float>{2, 2, 0.5, 0.5});
    ln.beta().value.from_vector(four_d ? std::vector<float>{1, 0} : std::vector<float>{1, 1, 0, 0});
    Tensor src(four_d ? desc4(1, 2, 1, 2) : plain_desc({1, 4}));
    src.from_vector({0, 0, 2, 2});
    const Tensor& dst = ln.forward(src, Mode::train);
    const std::vector<float> want_y = {-1, -1, 0.5, 0.5};  // gamma·xhat + beta
    const auto y = dst.to_vector();
    for (std::size_t i = 0; i < 4; ++i) CHECK(y[i] == Approx(want_y[i]).epsilon(1e-4).margin(1e-4));

    // dy = 1 on the first value: dxhat = (2, 0, 0, 0), mean(dxhat) = 1/2, mean(dxhat·xhat) = -1/2,
    // dx = dxhat - 1/2 + xhat/2 = (1, -1, 0, 0).
    Tensor diff(dst.desc());
    diff.from_vector({1, 0, 0, 0});
    const auto dx = ln.backward(diff).to_vector();
    const std::vector<float> want_dx = {1, -1, 0, 0};
    for (std::size_t i = 0; i < 4; ++i) CHECK(dx[i] == Approx(want_dx[i]).margin(1e-4));
    const auto dgamma = ln.gamma().grad.to_vector(), dbeta = ln.beta().grad.to_vector();
    CHECK(dgamma[0] == Approx(-1.0).epsilon(1e-4));  // Σ dy·xhat over the first channel
    CHECK(dbeta[0] == 1.0f);
    CHECK(dgamma[1] == 0.0f);
    CHECK(dbeta[1] == 0.0f);
  }
}

TEST_CASE("layer_norm matches a naive reference on 2-D and 4-D inputs", "[layers][layer_norm]") {
  struct Case {
    std::int64_t n, c, h, w;
    bool four_d;
    tag layout;
  };
  const Case cases[] = {
      {6, 5, 1, 1, false, tag::ab},     {2, 100, 1, 1, false, tag::ab},   {3, 1, 1, 1, false, tag::ab},
      {3, 4, 5, 5, true, tag::nchw},    {2, 8, 3, 3, true, tag::nhwc},    {2, 20, 4, 4, true, tag::nChw16c},
      {2, 8, 3, 3, true, tag::nChw4c},
  };
  for (const auto& tc : cases) {
    const std::int64_t s = tc.h * tc.w;
    const auto md = tc.four_d ? desc4(tc.n, tc.c, tc.h, tc.w, tc.layout) : plain_desc({tc.n, tc.c});
    INFO(to_string(md.dims()) << " layout " << static_cast<int>(tc.layout));
    LayerNorm ln(tc.c);
    const auto gamma = test::random_normal(tc.c, 5, 0.5);
    const auto beta = test::random_normal(tc.c, 6, 0.5);
    ln.gamma().value.from_vector(gamma);
    ln.beta().value.from_vector(beta);
    auto x = test::random_normal(tc.n * tc.c * s, 7, 2.0);
    for (auto& v : x) v -= 4.0f;
    Tensor src(md);
    src.from_vector(x);

    const Tensor& dst = ln.forward(src, Mode::train);
    CHECK(dst.dims() == md.dims());
    const auto dy = test::random_normal(x.size(), 8);
    Tensor diff_dst(dst.desc());
    diff_dst.from_vector(dy);
    const Tensor& diff_src = ln.backward(diff_dst);
    CHECK(diff_src.desc() == md);

    const auto ref = layer_norm_reference(x, gamma, beta, dy, tc.n, tc.c, s, 1e-5);
    check_close(dst.to_vector(), ref.y, 1e-4);
    check_close(diff_src.to_vector(), ref.dx, 2e-4);
    check_close(ln.gamma().grad.to_vector(), ref.dgamma, 1e-3);
    check_close(ln.beta().grad.to_vector(), ref.dbeta, 1e-3);
  }
}

TEST_CASE("layer_norm on (N, C) agrees with group norm of one group", "[layers][layer_norm]") {
  // The two code paths (oneDNN's primitive for 2-D, the group kernel for 4-D) compute one formula.
  const std::int64_t n = 8, c = 48;
  LayerNorm ln(c);
  GroupNormOptions one_group;
  one_group.group_size = c;
  GroupNorm gn(c, one_group);
  const auto gamma = test::random_normal(c, 11, 0.5), beta = test::random_normal(c, 12, 0.5);
  for (Layer* l : std::initializer_list<Layer*>{&ln, &gn}) {
    l->params()[0]->value.from_vector(gamma);
    l->params()[1]->value.from_vector(beta);
  }
  Tensor src = Tensor::plain({n, c}), diff = Tensor::plain({n, c});
  src.from_vector(test::random_normal(n * c, 13, 3.0));
  diff.from_vector(test::random_normal(n * c, 14));
  const auto y_ln = ln.forward(src, Mode::train).to_vector(), y_gn = gn.forward(src, Mode::train).to_vector();
  const auto dx_ln = ln.backward(diff).to_vector(), dx_gn = gn.backward(diff).to_vector();
  for (std::size_t i = 0; i < y_ln.size(); ++i) {
    CHECK(y_ln[i] == Approx(y_gn[i]).margin(1e-5));
    CHECK(dx_ln[i] == Approx(dx_gn[i]).margin(1e-5));
  }
  const auto dg_ln = ln.gamma().grad.to_vector(), dg_gn = gn.gamma().grad.to_vector();
  for (std::int64_t ch = 0; ch < c; ++ch) CHECK(dg_ln[ch] == Approx(dg_gn[ch]).margin(1e-4));
  INFO("oneDNN layer_normalization implementation: " << ln.impl());
  CHECK(!ln.impl().empty());
}

TEST_CASE("layer_norm gradients match finite differences", "[layers][layer_norm][gradcheck]") {
  const std::vector<dnnl::memory::desc> shapes = {plain_desc({3, 5}), plain_desc({2, 16}), desc4(2, 3, 3, 3, tag::nchw),
                                                  desc4(2, 16, 2, 2, tag::nChw16c), desc4(2, 4, 2, 2, tag::nhwc)};
  for (const auto& md : shapes) {
    INFO("shape " << to_string(md.dims()));
    const auto c = md.dims()[1];
    LayerNorm ln(c);
    ln.gamma().value.from_vector(test::random_normal(c, 3, 0.5));
    ln.beta().value.from_vector(test::random_normal(c, 4, 0.5));
    test::GradCheckOptions opt;
    opt.eps = 1e-3;
    test::check_layer_gradients(ln, md, opt);
  }
}

TEST_CASE("layer_norm: every mode gives the same output and none disturbs the backward",
          "[layers][layer_norm]") {
  for (const auto& md : {plain_desc({5, 12}), desc4(3, 16, 3, 3, tag::nChw16c)}) {
    INFO(to_string(md.dims()));
    const auto c = md.dims()[1];
    LayerNorm ln(c), twin(c);
    const auto gamma = test::random_normal(c, 31, 0.5);
    ln.gamma().value.from_vector(gamma);
    twin.gamma().value.from_vector(gamma);
    const std::size_t n = md.get_size() / sizeof(float);
    Tensor a(md), b(md), diff(md);
    a.from_vector(test::random_normal(n, 32, 2.0));
    b.from_vector(test::random_normal(n, 33, 3.0));
    diff.from_vector(test::random_normal(n, 34));

    const auto y_train = ln.forward(a, Mode::train).to_vector();
    CHECK(ln.forward(a, Mode::eval).to_vector() == y_train);
    CHECK(ln.forward(a, Mode::eval_batch_stats).to_vector() == y_train);
    ln.forward(b, Mode::eval);
    ln.forward(b, Mode::eval_batch_stats);
    const auto dx = ln.backward(diff).to_vector();
    twin.forward(a, Mode::train);
    CHECK(twin.backward(diff).to_vector() == dx);
    CHECK(twin.gamma().grad.to_vector() == ln.gamma().grad.to_vector());
    CHECK(twin.beta().grad.to_vector() == ln.beta().grad.to_vector());
    CHECK(ln.buffers().empty());
  }
}

TEST_CASE("layer_norm rejects a wrong width and a backward before training", "[layers][layer_norm]") {
  LayerNorm ln(8);
  CHECK_THROWS_AS(ln.forward(Tensor::plain({2, 6}), Mode::train), ShapeError);
  CHECK_THROWS_AS(ln.forward(Tensor(desc4(2, 6, 2, 2)), Mode::train), ShapeError);
  CHECK_THROWS_AS(ln.backward(Tensor::plain({2, 8})), Error);
  Rng rng(1);
  CHECK(make_norm("layer", 10, NormConfig{}, false, rng)->kind() == "layer_norm");
}

TEST_CASE("networks with layer norm train deterministically", "[layers][layer_norm][model]") {
  for (const char* arch : {"mlp", "cnn"}) {
    INFO(arch);
    ModelConfig m;
    m.arch = arch;
    m.norm = "layer";
    m.hidden = {16, 10};
    m.channels = {8, 12};
    auto train = [&] {
      auto net = build_model(m, {}, {}, {1, 8, 8}, 4, 5);
      std::size_t norms = 0;
      for (std::size_t i = 0; i < net->size(); ++i) norms += net->layer(i).kind() == "layer_norm";
      CHECK(norms == 2);
      Tensor input = Tensor::plain(net->input_dims(6));
      input.from_vector(test::random_normal(6 * 64, 9));
      const std::vector<std::int32_t> labels = {0, 1, 2, 3, 0, 1};
      SoftmaxCrossEntropy loss;
      Sgd sgd(net->params(), 0.9, 0.0);
      std::vector<double> losses;
      for (int step = 0; step < 15; ++step) {
        losses.push_back(loss.forward(net->forward(input, Mode::train), labels.data()));
        net->backward(loss.backward());
        sgd.step(0.05);
      }
      return losses;
    };
    const auto a = train(), b = train();
    CHECK(a == b);
    CHECK(a.back() < 0.5 * a.front());
  }
}
