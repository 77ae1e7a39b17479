// noisy_batch: zero noise is BN bit for bit; with noise, forward/backward against a naive double
// reference of s·BN(x) + m; the draws replayed from the seed in the documented order; noise only
// in training; determinism with a seed; finite differences with the noise held fixed.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/errors.hpp"
#include "layers/batch_norm.hpp"
#include "layers/layer_check.hpp"
#include "layers/noisy_batch_norm.hpp"
#include "model/norms.hpp"

using namespace bnlab;
using test::check_close;
using test::desc4;
using tag = dnnl::memory::format_tag;

namespace {

NoisyBatchNormOptions noise_config(double range, double scale_max, double spread, double scale_std) {
  NoisyBatchNormOptions cfg;
  cfg.shift_range = range;
  cfg.scale_max = scale_max;
  cfg.shift_spread = spread;
  cfg.scale_std = scale_std;
  return cfg;
}

// y = s_c (gamma_c xhat + beta_c) + m_c over row-major (N, C, S) data in double; backward by the
// chain rule: da = s dy, then BN's backward.
struct NoisyBatchNormReference {
  std::vector<double> y, dx, dgamma, dbeta;
};
NoisyBatchNormReference noisy_batch_norm_reference(const std::vector<float>& x, const std::vector<float>& gamma,
                                                   const std::vector<float>& beta, const std::vector<float>& s,
                                                   const std::vector<float>& m_noise, const std::vector<float>& dy,
                                                   std::int64_t n, std::int64_t c, std::int64_t sp, double eps) {
  NoisyBatchNormReference out;
  out.y.assign(x.size(), 0);
  out.dx.assign(x.size(), 0);
  out.dgamma.assign(c, 0);
  out.dbeta.assign(c, 0);
  const double m = static_cast<double>(n * sp);
  auto at = [&](std::int64_t i, std::int64_t ch, std::int64_t k) { return (i * c + ch) * sp + k; };
  for (std::int64_t ch = 0; ch < c; ++ch) {
    double mean = 0, var = 0;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < sp; ++k) mean += x[at(i, ch, k)] / m;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < sp; ++k) var += std::pow(x[at(i, ch, k)] - mean, 2) / m;
    const double inv = 1 / std::sqrt(var + eps);
    double sum_da = 0, sum_dax = 0;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < sp; ++k) {
        const auto j = at(i, ch, k);
        const double xhat = (x[j] - mean) * inv;
        out.y[j] = s[ch] * (gamma[ch] * xhat + beta[ch]) + m_noise[ch];
        const double da = s[ch] * dy[j];
        sum_da += da;
        sum_dax += da * xhat;
      }
    out.dgamma[ch] = sum_dax;
    out.dbeta[ch] = sum_da;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < sp; ++k) {
        const auto j = at(i, ch, k);
        const double xhat = (x[j] - mean) * inv;
        out.dx[j] = gamma[ch] * inv * (s[ch] * dy[j] - sum_da / m - xhat * sum_dax / m);
      }
  }
  return out;
}

}  // namespace

TEST_CASE("noisy_batch with zero noise is BN bit for bit", "[layers][noisy_batch_norm]") {
  for (const auto& md : {plain_desc({6, 5}), desc4(3, 16, 3, 3, tag::nChw16c), desc4(2, 4, 3, 3, tag::nchw)}) {
    INFO(to_string(md.dims()));
    const auto c = md.dims()[1];
    const std::size_t n = md.get_size() / sizeof(float);
    const auto cfg = noise_config(0, 1, 0, 0);
    NoisyBatchNorm noisy(c, cfg, 7);
    BatchNorm bn(c, {cfg.eps, cfg.momentum});
    for (Param* p : {&noisy.gamma(), &bn.gamma()}) p->value.from_vector(test::random_normal(c, 1, 0.5));
    for (Param* p : {&noisy.beta(), &bn.beta()}) p->value.from_vector(test::random_normal(c, 2, 0.5));
    for (int step = 0; step < 3; ++step) {
      Tensor src(md);
      src.from_vector(test::random_normal(n, 10 + step, 2.0));
      CHECK(noisy.forward(src, Mode::train).to_vector() == bn.forward(src, Mode::train).to_vector());
      CHECK(noisy.forward(src, Mode::eval).to_vector() == bn.forward(src, Mode::eval).to_vector());
      const Tensor& y = bn.forward(src, Mode::eval_batch_stats);
      CHECK(noisy.forward(src, Mode::eval_batch_stats).to_vector() == y.to_vector());
      Tensor diff(y.desc());
      diff.from_vector(test::random_normal(n, 20 + step));
      CHECK(noisy.backward(diff).to_vector() == bn.backward(diff).to_vector());
      CHECK(noisy.gamma().grad.to_vector() == bn.gamma().grad.to_vector());
      CHECK(noisy.beta().grad.to_vector() == bn.beta().grad.to_vector());
      CHECK(noisy.running_mean().to_vector() == bn.running_mean().to_vector());
      CHECK(noisy.running_var().to_vector() == bn.running_var().to_vector());
    }
  }
}

TEST_CASE("noisy_batch matches a naive reference with its noise", "[layers][noisy_batch_norm]") {
  struct Case {
    const char* name;
    dnnl::memory::desc md;
  };
  const Case cases[] = {{"2-D nc", plain_desc({6, 5})},
                        {"4-D nchw", desc4(3, 4, 5, 5, tag::nchw)},
                        {"4-D nChw16c", desc4(2, 20, 4, 4, tag::nChw16c)}};
  for (const auto& tc : cases) {
    INFO(tc.name);
    const auto dims = tc.md.dims();
    const auto c = dims[1];
    const std::int64_t sp = dims.size() == 4 ? dims[2] * dims[3] : 1;
    NoisyBatchNormOptions cfg = noise_config(0.5, 1.25, 0.1, 0.1);
    cfg.momentum = 0.3;
    const std::uint64_t seed = 1234;
    NoisyBatchNorm noisy(c, cfg, seed);
    const auto gamma = test::random_normal(c, 5, 0.5), beta = test::random_normal(c, 6, 0.5);
    noisy.gamma().value.from_vector(gamma);
    noisy.beta().value.from_vector(beta);
    const auto x = test::random_normal(dims[0] * c * sp, 7, 2.0);
    Tensor src(tc.md);
    src.from_vector(x);
    const Tensor& dst = noisy.forward(src, Mode::train);

    // The draws, replayed in the documented order from the same seed.
    Rng replay(seed);
    const double mu = replay.uniform(-0.5, 0.5), sigma = replay.uniform(1.0, 1.25);
    std::vector<float> m(c), s(c);
    for (auto& v : m) v = static_cast<float>(replay.uniform(mu - 0.1, mu + 0.1));
    for (auto& v : s) v = static_cast<float>(replay.normal(sigma, 0.1));
    CHECK(noisy.noise_shift() == m);
    CHECK(noisy.noise_scale() == s);
    for (std::int64_t ch = 0; ch < c; ++ch) {
      CHECK(std::abs(m[ch] - mu) <= 0.1 + 1e-7);
      CHECK(s[ch] != 1.0f);
    }

    const auto dy = test::random_normal(x.size(), 8);
    Tensor diff_dst(dst.desc());
    diff_dst.from_vector(dy);
    const Tensor& diff_src = noisy.backward(diff_dst);
    CHECK(diff_src.desc() == tc.md);
    const auto ref = noisy_batch_norm_reference(x, gamma, beta, s, m, dy, dims[0], c, sp, 1e-5);
    check_close(dst.to_vector(), ref.y, 1e-4);
    check_close(diff_src.to_vector(), ref.dx, 1e-4);
    check_close(noisy.gamma().grad.to_vector(), ref.dgamma, 1e-3);
    check_close(noisy.beta().grad.to_vector(), ref.dbeta, 1e-3);
    // Running statistics are BN's, untouched by the noise (it comes after normalization).
    BatchNorm bn(c, {cfg.eps, cfg.momentum});
    bn.forward(src, Mode::train);
    CHECK(noisy.running_mean().to_vector() == bn.running_mean().to_vector());
    CHECK(noisy.running_var().to_vector() == bn.running_var().to_vector());
  }
}

TEST_CASE("noisy_batch noise is redrawn every training step, only in training, and deterministic",
          "[layers][noisy_batch_norm]") {
  const auto md = desc4(4, 16, 3, 3, tag::nChw16c);
  const std::size_t n = md.get_size() / sizeof(float);
  const NoisyBatchNormOptions cfg;  // default noise
  NoisyBatchNorm a(16, cfg, 99), b(16, cfg, 99), other(16, cfg, 100);
  BatchNorm bn(16, {cfg.eps, cfg.momentum});
  Tensor src(md);
  src.from_vector(test::random_normal(n, 3, 1.0));
  std::vector<float> last_scale;
  for (int step = 0; step < 3; ++step) {
    const auto ya = a.forward(src, Mode::train).to_vector();
    CHECK(ya == b.forward(src, Mode::train).to_vector());            // same seed, same noise
    CHECK(ya != other.forward(src, Mode::train).to_vector());        // another seed, other noise
    CHECK(a.noise_scale() != last_scale);                            // a fresh draw each step
    last_scale = a.noise_scale();
    bn.forward(src, Mode::train);
    // eval and eval_batch_stats: plain BN, and they draw nothing.
    const Rng before = *a.rng();
    CHECK(a.forward(src, Mode::eval).to_vector() == bn.forward(src, Mode::eval).to_vector());
    CHECK(a.forward(src, Mode::eval_batch_stats).to_vector() == bn.forward(src, Mode::eval_batch_stats).to_vector());
    Rng after = *a.rng(), copy = before;
    CHECK(after.next() == copy.next());
  }
  // Restoring the generator (what probes do) replays the same noise.
  const Rng saved = *a.rng();
  const auto y1 = a.forward(src, Mode::train).to_vector();
  *a.rng() = saved;
  CHECK(a.forward(src, Mode::train).to_vector() == y1);
}

TEST_CASE("noisy_batch gradients match finite differences with the noise held fixed",
          "[layers][noisy_batch_norm][gradcheck]") {
  for (const auto& md : {plain_desc({7, 4}), desc4(3, 16, 2, 2, tag::nChw16c)}) {
    INFO(to_string(md.dims()));
    const auto c = md.dims()[1];
    NoisyBatchNorm noisy(c, noise_config(0.5, 1.5, 0.2, 0.2), 5);
    noisy.gamma().value.from_vector(test::random_normal(c, 3, 0.5));
    noisy.beta().value.from_vector(test::random_normal(c, 4, 0.5));
    const Rng start = *noisy.rng();
    test::GradCheckOptions opt;
    opt.eps = 1e-3;
    opt.before_forward = [&] { *noisy.rng() = start; };  // every evaluation draws the same noise
    test::check_layer_gradients(noisy, md, opt);
  }
}

TEST_CASE("noisy_batch is built by the norm registry with its own generator", "[layers][noisy_batch_norm]") {
  Rng rng(3);
  auto layer = make_norm("noisy_batch", 8, NormConfig{}, false, rng);
  REQUIRE(layer);
  CHECK(layer->is_norm());
  CHECK(layer->kind() == "noisy_batch_norm");
  CHECK(layer->rng() != nullptr);
  CHECK(layer->buffers().size() == 2);
  CHECK_THROWS_WITH(NoisyBatchNorm(3, noise_config(-1, 1.25, 0.1, 0.1), 1), Catch::Contains("shift_range must be >= 0"));
  CHECK_THROWS_WITH(NoisyBatchNorm(3, noise_config(0.5, 0.9, 0.1, 0.1), 1), Catch::Contains("scale_max must be >= 1"));
  CHECK_THROWS_AS(NoisyBatchNorm(3, noise_config(0.5, 1.25, -0.1, 0.1), 1), OptionError);
  CHECK_THROWS_AS(NoisyBatchNorm(3, noise_config(0.5, 1.25, 0.1, -0.1), 1), OptionError);
  for (const char* kind : {"batch_renorm", "ghost_batch"}) {
    auto l = make_norm(kind, 8, NormConfig{}, false, rng);
    REQUIRE(l);
    CHECK(l->is_norm());
    CHECK(l->params().size() == 2);
  }
}
