// batch_renorm: hand-computed values, a naive double reference (forward, backward with r and d
// held constant, running statistics) on 2-D and 4-D layouts, equality with BN when rmax = 1 and
// dmax = 0, active clipping, the stop-gradient, warm-up, eval_batch_stats, finite differences.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"
#include "layers/batch_norm.hpp"
#include "layers/batch_renorm.hpp"
#include "layers/layer_check.hpp"

using namespace bnlab;
using test::check_close;
using test::desc4;
using tag = dnnl::memory::format_tag;

namespace {

// Naive batch renorm over row-major (N, C, S) data, in double.
struct BatchRenormReference {
  std::vector<double> y, dx, dgamma, dbeta, r, d, rmean, rvar;
};
BatchRenormReference batch_renorm_reference(const std::vector<float>& x, const std::vector<float>& gamma,
                                            const std::vector<float>& beta, const std::vector<float>& dy,
                                            const std::vector<float>& rmean, const std::vector<float>& rvar,
                                            std::int64_t n, std::int64_t c, std::int64_t s, double rmax, double dmax,
                                            double eps, double momentum) {
  BatchRenormReference out;
  out.y.assign(x.size(), 0);
  out.dx.assign(x.size(), 0);
  out.dgamma.assign(c, 0);
  out.dbeta.assign(c, 0);
  out.r.assign(c, 0);
  out.d.assign(c, 0);
  out.rmean.assign(c, 0);
  out.rvar.assign(c, 0);
  const double m = static_cast<double>(n * s);
  auto at = [&](std::int64_t i, std::int64_t ch, std::int64_t k) { return (i * c + ch) * s + k; };
  for (std::int64_t ch = 0; ch < c; ++ch) {
    double mean = 0, var = 0;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < s; ++k) mean += x[at(i, ch, k)] / m;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < s; ++k) var += std::pow(x[at(i, ch, k)] - mean, 2) / m;
    const double sigma_b = std::sqrt(var + eps), sigma = std::sqrt(rvar[ch] + eps);
    const double r = std::clamp(sigma_b / sigma, 1.0 / rmax, rmax);
    const double d = std::clamp((mean - rmean[ch]) / sigma, -dmax, dmax);
    out.r[ch] = r;
    out.d[ch] = d;
    double sum_g = 0, sum_gx = 0;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < s; ++k) {
        const auto j = at(i, ch, k);
        const double xhat = (x[j] - mean) / sigma_b;
        out.y[j] = gamma[ch] * (xhat * r + d) + beta[ch];
        sum_g += dy[j];
        sum_gx += dy[j] * xhat;
        out.dgamma[ch] += dy[j] * (xhat * r + d);
      }
    out.dbeta[ch] = sum_g;
    // r, d constant: y = (gamma r) xhat + const, so dx is BN's backward with scale gamma r.
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < s; ++k) {
        const auto j = at(i, ch, k);
        const double xhat = (x[j] - mean) / sigma_b;
        out.dx[j] = gamma[ch] * r / sigma_b * (dy[j] - sum_g / m - xhat * sum_gx / m);
      }
    out.rmean[ch] = (1 - momentum) * rmean[ch] + momentum * mean;
    out.rvar[ch] = (1 - momentum) * rvar[ch] + momentum * var * m / (m - 1);
  }
  return out;
}

BatchRenormOptions renorm_config(double rmax, double dmax, std::int64_t warmup, double momentum = 0.1) {
  BatchRenormOptions cfg;
  cfg.rmax = rmax;
  cfg.dmax = dmax;
  cfg.warmup_steps = warmup;
  cfg.momentum = momentum;
  return cfg;
}

}  // namespace

TEST_CASE("batch_renorm on hand-computed examples", "[layers][batch_renorm]") {
  // One channel, x = 1, 2, 3, 4: mu_B = 2.5, var_B = 1.25; running stats at init (0, 1).
  const double eps = 1e-5, sigma_b = std::sqrt(1.25 + eps), sigma = std::sqrt(1.0 + eps);
  Tensor src = Tensor::plain({4, 1});
  src.from_vector({1, 2, 3, 4});
  SECTION("unclipped: r = sigma_B / sigma, d = mu_B / sigma, so y = x / sigma (the running-statistics formula)") {
    BatchRenorm rn(1, renorm_config(3, 5, 0));
    const auto y = rn.forward(src, Mode::train).to_vector();
    for (int i = 0; i < 4; ++i) CHECK(y[i] == Approx((i + 1) / sigma).epsilon(1e-6));
    CHECK(rn.r()[0] == Approx(sigma_b / sigma));
    CHECK(rn.d()[0] == Approx(2.5 / sigma));
    // running statistics as BN: 0.1 * 2.5, 0.9 + 0.1 * 5/3
    CHECK(rn.running_mean().to_vector()[0] == Approx(0.25));
    CHECK(rn.running_var().to_vector()[0] == Approx(0.9 + 0.1 * 5.0 / 3.0));
    CHECK(rn.num_batches_tracked().to_vector()[0] == 1.0f);
  }
  SECTION("clipped: rmax = 1.05, dmax = 1") {
    BatchRenorm rn(1, renorm_config(1.05, 1, 0));
    const auto y = rn.forward(src, Mode::train).to_vector();
    CHECK(rn.r()[0] == Approx(1.05));
    CHECK(rn.d()[0] == Approx(1.0));
    for (int i = 0; i < 4; ++i) CHECK(y[i] == Approx((i + 1 - 2.5) / sigma_b * 1.05 + 1.0).epsilon(1e-6));
  }
}

TEST_CASE("batch_renorm matches a naive reference in every layout", "[layers][batch_renorm]") {
  struct Case {
    const char* name;
    std::int64_t n, c, h, w;
    bool four_d;
    tag layout;
  };
  const Case cases[] = {
      {"2-D nc", 6, 5, 1, 1, false, tag::ab},
      {"4-D nchw", 3, 4, 5, 5, true, tag::nchw},
      {"4-D nhwc", 2, 8, 3, 3, true, tag::nhwc},
      {"4-D nChw16c", 2, 20, 4, 4, true, tag::nChw16c},
  };
  for (const auto& tc : cases) {
    INFO(tc.name);
    const std::int64_t s = tc.h * tc.w;
    const auto md = tc.four_d ? desc4(tc.n, tc.c, tc.h, tc.w, tc.layout) : plain_desc({tc.n, tc.c});
    // Limits such that some channels clip and some do not.
    BatchRenorm rn(tc.c, renorm_config(1.5, 0.5, 0, 0.3));
    const auto gamma = test::random_normal(tc.c, 5, 0.5), beta = test::random_normal(tc.c, 6, 0.5);
    rn.gamma().value.from_vector(gamma);
    rn.beta().value.from_vector(beta);
    // Even channels near the batch statistics (x has variance 4): r and d free; odd channels far:
    // r = sqrt(4 / 40) clips to 1/rmax, d = (0 - 3) / sqrt(40) clips to -dmax.
    std::vector<float> rmean(tc.c), rvar(tc.c);
    const auto jitter = test::random_normal(tc.c, 9, 0.1);
    for (std::int64_t ch = 0; ch < tc.c; ++ch) {
      rmean[ch] = ch % 2 ? 3.0f : jitter[ch];
      rvar[ch] = ch % 2 ? 40.0f : 4.0f + jitter[ch];
    }
    rn.running_mean().from_vector(rmean);
    rn.running_var().from_vector(rvar);
    const auto x = test::random_normal(tc.n * tc.c * s, 7, 2.0);
    Tensor src(md);
    src.from_vector(x);
    const Tensor& dst = rn.forward(src, Mode::train);
    const auto dy = test::random_normal(x.size(), 8);
    Tensor diff_dst(dst.desc());
    diff_dst.from_vector(dy);
    const Tensor& diff_src = rn.backward(diff_dst);
    CHECK(diff_src.desc() == md);

    const auto ref = batch_renorm_reference(x, gamma, beta, dy, rmean, rvar, tc.n, tc.c, s, 1.5, 0.5, 1e-5, 0.3);
    int clipped = 0, free = 0;
    for (std::int64_t ch = 0; ch < tc.c; ++ch) {
      const bool r_clipped = std::abs(ref.r[ch] - 1.5) < 1e-9 || std::abs(ref.r[ch] - 1 / 1.5) < 1e-9;
      (r_clipped || std::abs(ref.d[ch]) == 0.5 ? clipped : free) += 1;
    }
    CHECK(clipped > 0);  // the case exercises the clipping...
    CHECK(free > 0);     // ...and the unclipped path
    check_close(std::vector<float>(rn.r().begin(), rn.r().end()), ref.r, 1e-5);
    check_close(std::vector<float>(rn.d().begin(), rn.d().end()), ref.d, 1e-5);
    check_close(dst.to_vector(), ref.y, 1e-4);
    check_close(diff_src.to_vector(), ref.dx, 1e-4);
    check_close(rn.gamma().grad.to_vector(), ref.dgamma, 1e-3);
    check_close(rn.beta().grad.to_vector(), ref.dbeta, 1e-3);
    check_close(rn.running_mean().to_vector(), ref.rmean, 1e-5);
    check_close(rn.running_var().to_vector(), ref.rvar, 1e-4);

    // eval: BN with the running statistics
    const auto e = rn.forward(src, Mode::eval).to_vector();
    std::vector<double> want(x.size());
    for (std::int64_t i = 0; i < tc.n; ++i)
      for (std::int64_t ch = 0; ch < tc.c; ++ch)
        for (std::int64_t k = 0; k < s; ++k) {
          const auto j = (i * tc.c + ch) * s + k;
          want[j] = gamma[ch] * (x[j] - ref.rmean[ch]) / std::sqrt(ref.rvar[ch] + 1e-5) + beta[ch];
        }
    check_close(e, want, 1e-4);
  }
}

TEST_CASE("batch_renorm with rmax = 1 and dmax = 0 is BN bit for bit", "[layers][batch_renorm]") {
  for (const auto& md : {plain_desc({6, 5}), desc4(3, 16, 3, 3, tag::nChw16c)}) {
    INFO(to_string(md.dims()));
    const auto c = md.dims()[1];
    // Once with the limits set so, once by the first warm-up step of the default config.
    for (const BatchRenormOptions& cfg : {renorm_config(1, 0, 0), BatchRenormOptions{}}) {
      BatchRenorm rn(c, cfg);
      BatchNorm bn(c, {cfg.eps, cfg.momentum});
      const auto gamma = test::random_normal(c, 40, 0.5), beta = test::random_normal(c, 41, 0.5);
      rn.gamma().value.from_vector(gamma);
      rn.beta().value.from_vector(beta);
      bn.gamma().value.from_vector(gamma);
      bn.beta().value.from_vector(beta);
      const int steps = cfg.warmup_steps == 0 ? 3 : 1;
      for (int step = 0; step < steps; ++step) {
        Tensor src(md);
        src.from_vector(test::random_normal(md.get_size() / sizeof(float), 42 + step, 2.0));
        // eval_batch_stats first: with the default config only step 0 has rmax = 1, dmax = 0.
        CHECK(rn.forward(src, Mode::eval_batch_stats).to_vector() == bn.forward(src, Mode::eval_batch_stats).to_vector());
        const auto y = rn.forward(src, Mode::train).to_vector();
        CHECK(y == bn.forward(src, Mode::train).to_vector());
        Tensor diff(md);
        diff.from_vector(test::random_normal(md.get_size() / sizeof(float), 50 + step));
        CHECK(rn.backward(diff).to_vector() == bn.backward(diff).to_vector());
        CHECK(rn.gamma().grad.to_vector() == bn.gamma().grad.to_vector());
        CHECK(rn.beta().grad.to_vector() == bn.beta().grad.to_vector());
        CHECK(rn.running_mean().to_vector() == bn.running_mean().to_vector());
        CHECK(rn.running_var().to_vector() == bn.running_var().to_vector());
        CHECK(rn.forward(src, Mode::eval).to_vector() == bn.forward(src, Mode::eval).to_vector());
      }
    }
  }
}

TEST_CASE("batch_renorm clips r and d when running statistics are far from the batch's",
          "[layers][batch_renorm][gradcheck]") {
  for (const auto& md : {plain_desc({7, 4}), desc4(3, 16, 2, 2, tag::nChw16c)}) {
    INFO(to_string(md.dims()));
    const auto c = md.dims()[1];
    // momentum 0 keeps the running statistics (mean 50, var 1e4) fixed across the many forwards of
    // the gradient check: sigma_B / sigma ~ 0.01 -> r = 1/rmax, (mu_B - 50)/100 ~ -0.5 -> d = -dmax.
    BatchRenorm rn(c, renorm_config(2, 0.25, 0, 0.0));
    rn.gamma().value.from_vector(test::random_normal(c, 3, 0.5));
    rn.beta().value.from_vector(test::random_normal(c, 4, 0.5));
    rn.running_mean().fill(50.0f);
    rn.running_var().fill(1e4f);
    test::GradCheckOptions opt;
    opt.eps = 1e-3;
    // With r and d saturated they are constants in a neighbourhood, so finite differences of the
    // layer's true function must match the stop-gradient backward.
    test::check_layer_gradients(rn, md, opt);
    for (std::int64_t ch = 0; ch < c; ++ch) {
      CHECK(rn.r()[ch] == Approx(0.5));
      CHECK(rn.d()[ch] == Approx(-0.25));
    }
  }
}

TEST_CASE("batch_renorm does not backpropagate through r and d", "[layers][batch_renorm]") {
  // Unclipped, y = gamma (x - running_mean) / sigma + beta: each output depends on its own input
  // only, with slope gamma / sigma. The algorithm's gradient treats r, d as constants instead and
  // is r times BN's gradient, which mixes the batch: check that it is that, not the true slope.
  const std::int64_t n = 8, c = 3;
  BatchRenorm rn(c, renorm_config(1e6, 1e6, 0, 0.0));
  rn.running_mean().from_vector({0.5f, -1.0f, 2.0f});
  rn.running_var().from_vector({2.0f, 0.5f, 4.0f});
  const auto x = test::random_normal(n * c, 60, 1.5);
  Tensor src = Tensor::plain({n, c});
  src.from_vector(x);
  const auto y = rn.forward(src, Mode::train).to_vector();
  const std::vector<float> rm{0.5f, -1.0f, 2.0f}, rv{2.0f, 0.5f, 4.0f};
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t ch = 0; ch < c; ++ch)
      CHECK(y[i * c + ch] == Approx((x[i * c + ch] - rm[ch]) / std::sqrt(rv[ch] + 1e-5)).margin(1e-5));
  const auto dy = test::random_normal(n * c, 61);
  Tensor diff = Tensor::plain({n, c});
  diff.from_vector(dy);
  const auto dx = rn.backward(diff).to_vector();
  const auto ref = batch_renorm_reference(x, std::vector<float>(c, 1.0f), std::vector<float>(c, 0.0f), dy, rm, rv, n, c,
                                          1, 1e6, 1e6, 1e-5, 0.0);
  check_close(dx, ref.dx, 1e-5);
  double gap = 0;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t ch = 0; ch < c; ++ch)
      gap = std::max(gap, std::abs(dx[i * c + ch] - dy[i * c + ch] / std::sqrt(rv[ch] + 1e-5)));
  CHECK(gap > 0.1);
}

TEST_CASE("batch_renorm warms up rmax and dmax over the configured steps", "[layers][batch_renorm]") {
  const std::int64_t c = 2;
  BatchRenorm rn(c, renorm_config(3, 4, 10, 0.0));
  // Running statistics far from every batch: r and d sit at their current limits.
  rn.running_mean().fill(1e4f);  // d ~ -10: always beyond dmax_t <= 4
  rn.running_var().fill(1e6f);   // r ~ 1e-3: always below 1 / rmax_t
  Tensor src = Tensor::plain({6, c});
  src.from_vector(test::random_normal(6 * c, 70));
  for (int step = 0; step < 14; ++step) {
    const double f = std::min(1.0, step / 10.0);
    CHECK(rn.current_rmax() == Approx(1 + 2 * f));
    CHECK(rn.current_dmax() == Approx(4 * f));
    rn.forward(src, Mode::train);
    CHECK(rn.r()[0] == Approx(1 / (1 + 2 * f)));
    CHECK(rn.d()[1] == Approx(-4 * f));
  }
  // The step counter is a buffer: restoring it restores the schedule.
  auto buffers = rn.buffers();
  REQUIRE(buffers.size() == 3);
  CHECK(buffers[2].name == "num_batches_tracked");
  CHECK(buffers[2].value->to_vector() == std::vector<float>{14.0f});
  buffers[2].value->from_vector({5.0f});
  CHECK(rn.current_rmax() == Approx(2.0));
}

TEST_CASE("batch_renorm in eval_batch_stats mode uses the training formula and changes no state",
          "[layers][batch_renorm]") {
  for (const auto& md : {plain_desc({6, 5}), desc4(4, 16, 3, 3, tag::nChw16c)}) {
    INFO(to_string(md.dims()));
    const auto c = md.dims()[1];
    const std::size_t n = md.get_size() / sizeof(float);
    BatchRenorm rn(c, renorm_config(1.5, 0.5, 0, 0.2));
    rn.gamma().value.from_vector(test::random_normal(c, 80, 0.5));
    rn.running_mean().fill(0.7f);
    rn.running_var().fill(3.0f);
    Tensor a(md), b(md);
    a.from_vector(test::random_normal(n, 81, 2.0));
    b.from_vector(test::random_normal(n, 82, 1.0));
    rn.forward(a, Mode::train);
    const auto rmean = rn.running_mean().to_vector(), rvar = rn.running_var().to_vector();
    const auto r = rn.r(), d = rn.d();

    const auto y = rn.forward(b, Mode::eval_batch_stats).to_vector();
    const auto ref = batch_renorm_reference(b.to_vector(), rn.gamma().value.to_vector(), rn.beta().value.to_vector(),
                                            std::vector<float>(n, 0.0f), rmean, rvar, md.dims()[0], c,
                                            md.dims().size() == 4 ? 9 : 1, 1.5, 0.5, 1e-5, 0.2);
    check_close(y, ref.y, 1e-4);
    CHECK(rn.running_mean().to_vector() == rmean);
    CHECK(rn.running_var().to_vector() == rvar);
    CHECK(rn.num_batches_tracked().to_vector()[0] == 1.0f);
    CHECK(rn.r() == r);
    CHECK(rn.d() == d);

    // The pending backward is that of the training batch a, as if nothing happened in between.
    BatchRenorm twin(c, renorm_config(1.5, 0.5, 0, 0.2));
    twin.gamma().value.from_vector(rn.gamma().value.to_vector());
    twin.running_mean().fill(0.7f);
    twin.running_var().fill(3.0f);
    twin.forward(a, Mode::train);
    Tensor diff(md);
    diff.from_vector(test::random_normal(n, 83));
    rn.forward(b, Mode::eval);
    CHECK(rn.backward(diff).to_vector() == twin.backward(diff).to_vector());
    CHECK(rn.gamma().grad.to_vector() == twin.gamma().grad.to_vector());
  }
}

TEST_CASE("batch_renorm rejects bad limits", "[layers][batch_renorm]") {
  CHECK_THROWS_WITH(BatchRenorm(3, renorm_config(0.5, 1, 0)), Catch::Contains("batch_renorm: rmax must be >= 1"));
  CHECK_THROWS_WITH(BatchRenorm(3, renorm_config(2, -1, 0)), Catch::Contains("batch_renorm: dmax must be >= 0"));
  CHECK_THROWS_AS(BatchRenorm(3, renorm_config(2, 1, -1)), OptionError);
}
