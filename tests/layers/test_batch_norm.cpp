// batch_norm: hand-computed values, a naive-loop reference for forward, backward and running
// statistics on 2-D and 4-D inputs in plain, nhwc and blocked layouts, eval with running
// statistics, finite-difference gradients, and no slow reference kernel.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/errors.hpp"
#include "layers/batch_norm.hpp"
#include "layers/layer_check.hpp"

using namespace bnlab;
using test::check_close;
using test::desc4;
using tag = dnnl::memory::format_tag;

namespace {

// Naive BN over row-major (N, C, S) data (S = H*W, 1 for 2-D), in double.
struct BatchNormReference {
  std::vector<double> mean, var, y, dx, dgamma, dbeta;
};
BatchNormReference batch_norm_reference(const std::vector<float>& x, const std::vector<float>& gamma,
                                        const std::vector<float>& beta, const std::vector<float>& dy, std::int64_t n,
                                        std::int64_t c, std::int64_t s, double eps, bool relu) {
  BatchNormReference r;
  r.mean.assign(c, 0);
  r.var.assign(c, 0);
  r.y.assign(x.size(), 0);
  r.dx.assign(x.size(), 0);
  r.dgamma.assign(c, 0);
  r.dbeta.assign(c, 0);
  const double m = static_cast<double>(n * s);
  auto at = [&](std::int64_t i, std::int64_t ch, std::int64_t k) { return (i * c + ch) * s + k; };
  for (std::int64_t ch = 0; ch < c; ++ch) {
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < s; ++k) r.mean[ch] += x[at(i, ch, k)] / m;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < s; ++k) r.var[ch] += std::pow(x[at(i, ch, k)] - r.mean[ch], 2) / m;
    const double inv = 1.0 / std::sqrt(r.var[ch] + eps);
    double sum_g = 0, sum_gx = 0;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < s; ++k) {
        const auto j = at(i, ch, k);
        const double xhat = (x[j] - r.mean[ch]) * inv;
        const double pre = gamma[ch] * xhat + beta[ch];
        r.y[j] = relu ? std::max(pre, 0.0) : pre;
        const double g = relu && pre <= 0 ? 0.0 : dy[j];
        sum_g += g;
        sum_gx += g * xhat;
      }
    r.dgamma[ch] = sum_gx;
    r.dbeta[ch] = sum_g;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < s; ++k) {
        const auto j = at(i, ch, k);
        const double xhat = (x[j] - r.mean[ch]) * inv;
        const double pre = gamma[ch] * xhat + beta[ch];
        const double g = relu && pre <= 0 ? 0.0 : dy[j];
        r.dx[j] = gamma[ch] * inv * (g - sum_g / m - xhat * sum_gx / m);
      }
  }
  return r;
}

}  // namespace

TEST_CASE("batch_norm on a hand-computed example (PyTorch semantics)", "[layers][batch_norm]") {
  // One channel, x = 1, 2, 3, 4: mean 2.5, biased variance 1.25, unbiased 5/3.
  BatchNorm bn(1);
  Tensor src = Tensor::plain({4, 1});
  src.from_vector({1, 2, 3, 4});
  const auto y = bn.forward(src, Mode::train).to_vector();
  const double inv = 1.0 / std::sqrt(1.25 + 1e-5);
  CHECK(y[0] == Approx(-1.5 * inv));
  CHECK(y[1] == Approx(-0.5 * inv));
  CHECK(y[3] == Approx(1.5 * inv));
  CHECK(bn.batch_mean().to_vector()[0] == Approx(2.5));
  CHECK(bn.batch_var().to_vector()[0] == Approx(1.25));
  // running_mean = 0.9*0 + 0.1*2.5; running_var = 0.9*1 + 0.1*(5/3)
  CHECK(bn.running_mean().to_vector()[0] == Approx(0.25));
  CHECK(bn.running_var().to_vector()[0] == Approx(0.9 + 0.1 * 5.0 / 3.0));
  // eval uses the running statistics
  const auto e = bn.forward(src, Mode::eval).to_vector();
  const double rinv = 1.0 / std::sqrt(0.9 + 0.1 * 5.0 / 3.0 + 1e-5);
  CHECK(e[0] == Approx((1 - 0.25) * rinv));
  CHECK(e[3] == Approx((4 - 0.25) * rinv));
}

TEST_CASE("batch_norm matches a naive reference in every layout", "[layers][batch_norm]") {
  struct Case {
    const char* name;
    std::int64_t n, c, h, w;
    bool four_d;
    tag layout;
    bool relu;
  };
  const Case cases[] = {
      {"2-D nc", 6, 5, 1, 1, false, tag::ab, false},
      {"2-D nc batch 2", 2, 3, 1, 1, false, tag::ab, false},
      {"2-D nc fused relu", 8, 4, 1, 1, false, tag::ab, true},
      {"4-D nchw (reordered)", 3, 4, 5, 5, true, tag::nchw, false},
      {"4-D nhwc", 2, 8, 3, 3, true, tag::nhwc, false},
      {"4-D nChw16c", 2, 20, 4, 4, true, tag::nChw16c, false},
      {"4-D nChw16c fused relu", 4, 16, 3, 3, true, tag::nChw16c, true},
  };
  for (const auto& tc : cases) {
    INFO(tc.name);
    const std::int64_t s = tc.h * tc.w;
    const auto md = tc.four_d ? desc4(tc.n, tc.c, tc.h, tc.w, tc.layout) : plain_desc({tc.n, tc.c});
    BatchNormOptions options;
    options.momentum = 0.3;
    options.relu = tc.relu;
    BatchNorm bn(tc.c, options);
    const auto gamma = test::random_normal(tc.c, 5, 0.5);
    auto beta = test::random_normal(tc.c, 6, 0.5);
    bn.gamma().value.from_vector(gamma);
    bn.beta().value.from_vector(beta);
    const auto x = test::random_normal(tc.n * tc.c * s, 7, 2.0);
    Tensor src(md);
    src.from_vector(x);

    const Tensor& dst = bn.forward(src, Mode::train);
    CHECK(dst.desc().dims() == md.dims());
    const auto dy = test::random_normal(x.size(), 8);
    Tensor diff_dst(dst.desc());
    diff_dst.from_vector(dy);
    const Tensor& diff_src = bn.backward(diff_dst);
    CHECK(diff_src.desc() == md);

    const auto ref = batch_norm_reference(x, gamma, beta, dy, tc.n, tc.c, s, 1e-5, tc.relu);
    check_close(dst.to_vector(), ref.y, 1e-4);
    check_close(diff_src.to_vector(), ref.dx, 1e-4);
    check_close(bn.gamma().grad.to_vector(), ref.dgamma, 1e-3);
    check_close(bn.beta().grad.to_vector(), ref.dbeta, 1e-3);
    const double m = static_cast<double>(tc.n * s);
    std::vector<double> rmean(tc.c), rvar(tc.c);
    for (std::int64_t ch = 0; ch < tc.c; ++ch) {
      rmean[ch] = 0.3 * ref.mean[ch];
      rvar[ch] = 0.7 + 0.3 * ref.var[ch] * m / (m - 1);
    }
    check_close(bn.running_mean().to_vector(), rmean, 1e-5);
    check_close(bn.running_var().to_vector(), rvar, 1e-4);
  }
}

TEST_CASE("batch_norm training output has zero mean and unit variance per channel", "[layers][batch_norm]") {
  BatchNorm bn(3);
  Tensor src(desc4(8, 3, 4, 4, tag::nchw));
  auto x = test::random_normal(8 * 3 * 16, 21, 3.0);
  for (auto& v : x) v += 5.0f;
  src.from_vector(x);
  const auto y = bn.forward(src, Mode::train).to_vector();
  for (int ch = 0; ch < 3; ++ch) {
    double sum = 0, sq = 0;
    for (int i = 0; i < 8; ++i)
      for (int k = 0; k < 16; ++k) {
        const double v = y[(i * 3 + ch) * 16 + k];
        sum += v;
        sq += v * v;
      }
    CHECK(sum / 128 == Approx(0.0).margin(1e-5));
    CHECK(sq / 128 == Approx(1.0).epsilon(1e-4));
  }
}

TEST_CASE("batch_norm gradients match finite differences", "[layers][batch_norm][gradcheck]") {
  const std::vector<dnnl::memory::desc> shapes = {plain_desc({2, 3}), plain_desc({7, 4}),
                                                  desc4(2, 3, 3, 3, tag::nchw), desc4(3, 16, 2, 2, tag::nChw16c)};
  for (const auto& md : shapes) {
    INFO("shape " << to_string(md.dims()));
    BatchNorm bn(md.dims()[1]);
    bn.gamma().value.from_vector(test::random_normal(md.dims()[1], 3, 0.5));
    test::GradCheckOptions opt;
    opt.eps = 1e-3;
    // batch 2 normalizes each pair to +-1: the loss is flat in x up to float rounding, keep eps large
    if (md.dims()[0] == 2 && md.dims().size() == 2) opt.eps = 1e-2;
    test::check_layer_gradients(bn, md, opt);
  }
}

TEST_CASE("batch_norm runs on a jit kernel, never the reference one", "[layers][batch_norm]") {
  for (const auto& md : {plain_desc({60, 100}), desc4(4, 32, 14, 14, tag::nchw), desc4(4, 32, 14, 14, tag::nChw16c)}) {
    BatchNorm bn(md.dims()[1]);
    Tensor src(md);
    bn.forward(src, Mode::train);
    bn.forward(src, Mode::eval);
    INFO(to_string(md.dims()) << " train: " << bn.impl(Mode::train) << " eval: " << bn.impl(Mode::eval));
    CHECK(bn.impl(Mode::train).find("jit") != std::string::npos);
    CHECK(bn.impl(Mode::eval).find("jit") != std::string::npos);
  }
}

TEST_CASE("batch_norm refuses to train on one value per channel", "[layers][batch_norm]") {
  BatchNorm bn(4);
  Tensor src = Tensor::plain({1, 4});
  CHECK_THROWS_AS(bn.forward(src, Mode::train), ShapeError);
  CHECK_NOTHROW(bn.forward(src, Mode::eval));
}

TEST_CASE("batch_norm in eval_batch_stats mode normalizes like training and changes no state",
          "[layers][batch_norm]") {
  for (bool relu : {false, true}) {
    for (const auto& md : {plain_desc({6, 5}), desc4(4, 16, 3, 3, tag::nChw16c)}) {
      INFO(to_string(md.dims()) << (relu ? " fused relu" : ""));
      BatchNorm bn(md.dims()[1], {.relu = relu});
      bn.gamma().value.from_vector(test::random_normal(md.dims()[1], 31, 0.5));
      const std::size_t n = md.get_size() / sizeof(float);
      Tensor a(md), b(md);
      a.from_vector(test::random_normal(n, 32, 2.0));
      b.from_vector(test::random_normal(n, 33, 3.0));

      // A training step on a, with the backward pending.
      bn.forward(a, Mode::train);
      const auto rmean = bn.running_mean().to_vector(), rvar = bn.running_var().to_vector();
      const auto bmean = bn.batch_mean().to_vector(), bvar = bn.batch_var().to_vector();

      // eval_batch_stats on b equals what training on b gives, against the reference.
      const auto y = bn.forward(b, Mode::eval_batch_stats).to_vector();
      const auto ref = batch_norm_reference(b.to_vector(), bn.gamma().value.to_vector(), bn.beta().value.to_vector(),
                                            std::vector<float>(n, 0.0f), md.dims()[0], md.dims()[1],
                                            md.dims().size() == 4 ? md.dims()[2] * md.dims()[3] : 1, 1e-5, relu);
      check_close(y, ref.y, 1e-4);  // to_vector() is row-major, like the reference

      // ...and disturbed nothing: running statistics, the saved batch statistics, the backward.
      CHECK(bn.running_mean().to_vector() == rmean);
      CHECK(bn.running_var().to_vector() == rvar);
      CHECK(bn.batch_mean().to_vector() == bmean);
      CHECK(bn.batch_var().to_vector() == bvar);
      BatchNorm twin(md.dims()[1], {.relu = relu});
      twin.gamma().value.from_vector(bn.gamma().value.to_vector());
      const auto dy = test::random_normal(n, 34);
      Tensor diff(md);
      diff.from_vector(dy);
      const auto dx = bn.backward(diff).to_vector();
      twin.forward(a, Mode::train);
      CHECK(twin.backward(diff).to_vector() == dx);
      CHECK(twin.gamma().grad.to_vector() == bn.gamma().grad.to_vector());
    }
  }
}
