// ghost_batch: hand-computed values, a naive double reference (per ghost batch forward and
// backward, running statistics updated once per ghost batch in order) on 2-D and 4-D layouts,
// batch <= ghost size is BN bit for bit, the one-value error, eval_batch_stats, eval, finite differences.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"
#include "experiment/config_test_util.hpp"
#include "layers/batch_norm.hpp"
#include "layers/ghost_batch_norm.hpp"
#include "layers/layer_check.hpp"

using namespace bnlab;
using test::check_close;
using test::desc4;
using tag = dnnl::memory::format_tag;

namespace {

GhostBatchNormOptions ghost_config(std::int64_t g, double momentum = 0.1) {
  GhostBatchNormOptions cfg;
  cfg.ghost_batch_size = g;
  cfg.momentum = momentum;
  return cfg;
}

// Naive ghost BN over row-major (N, C, S) data in double: BN per chunk of g samples.
struct GhostBatchNormReference {
  std::vector<double> y, dx, dgamma, dbeta, rmean, rvar;
};
GhostBatchNormReference ghost_batch_norm_reference(const std::vector<float>& x, const std::vector<float>& gamma,
                                                   const std::vector<float>& beta, const std::vector<float>& dy,
                                                   std::int64_t n, std::int64_t c, std::int64_t s, std::int64_t g,
                                                   double eps, double momentum) {
  GhostBatchNormReference out;
  out.y.assign(x.size(), 0);
  out.dx.assign(x.size(), 0);
  out.dgamma.assign(c, 0);
  out.dbeta.assign(c, 0);
  out.rmean.assign(c, 0);
  out.rvar.assign(c, 1);
  auto at = [&](std::int64_t i, std::int64_t ch, std::int64_t k) { return (i * c + ch) * s + k; };
  for (std::int64_t first = 0; first < n; first += g) {
    const std::int64_t last = std::min(n, first + g);
    const double m = static_cast<double>((last - first) * s);
    for (std::int64_t ch = 0; ch < c; ++ch) {
      double mean = 0, var = 0;
      for (std::int64_t i = first; i < last; ++i)
        for (std::int64_t k = 0; k < s; ++k) mean += x[at(i, ch, k)] / m;
      for (std::int64_t i = first; i < last; ++i)
        for (std::int64_t k = 0; k < s; ++k) var += std::pow(x[at(i, ch, k)] - mean, 2) / m;
      const double inv = 1 / std::sqrt(var + eps);
      double sum_g = 0, sum_gx = 0;
      for (std::int64_t i = first; i < last; ++i)
        for (std::int64_t k = 0; k < s; ++k) {
          const auto j = at(i, ch, k);
          const double xhat = (x[j] - mean) * inv;
          out.y[j] = gamma[ch] * xhat + beta[ch];
          sum_g += dy[j];
          sum_gx += dy[j] * xhat;
        }
      out.dgamma[ch] += sum_gx;
      out.dbeta[ch] += sum_g;
      for (std::int64_t i = first; i < last; ++i)
        for (std::int64_t k = 0; k < s; ++k) {
          const auto j = at(i, ch, k);
          const double xhat = (x[j] - mean) * inv;
          out.dx[j] = gamma[ch] * inv * (dy[j] - sum_g / m - xhat * sum_gx / m);
        }
      out.rmean[ch] = (1 - momentum) * out.rmean[ch] + momentum * mean;
      out.rvar[ch] = (1 - momentum) * out.rvar[ch] + momentum * var * m / (m - 1);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("ghost_batch on a hand-computed example", "[layers][ghost_batch_norm]") {
  // One channel, x = 1, 2 | 3, 4 | 10, 20 with ghost batches of 2: each pair normalizes to
  // -+0.5 / sqrt(var + eps) with var 0.25, 0.25, 25.
  GhostBatchNorm gbn(1, ghost_config(2));
  Tensor src = Tensor::plain({6, 1});
  src.from_vector({1, 2, 3, 4, 10, 20});
  const auto y = gbn.forward(src, Mode::train).to_vector();
  CHECK(gbn.chunks() == 3);
  const double a = 0.5 / std::sqrt(0.25 + 1e-5), b = 5 / std::sqrt(25 + 1e-5);
  const std::vector<double> want{-a, a, -a, a, -b, b};
  check_close(y, want, 1e-5);
  // Running statistics, one update per ghost batch in order: means 1.5, 3.5, 15; unbiased
  // variances 0.5, 0.5, 50.
  CHECK(gbn.running_mean().to_vector()[0] == Approx(((0.1 * 1.5) * 0.9 + 0.1 * 3.5) * 0.9 + 0.1 * 15));
  CHECK(gbn.running_var().to_vector()[0] == Approx(((0.9 + 0.05) * 0.9 + 0.05) * 0.9 + 5.0));
}

TEST_CASE("ghost_batch matches a naive reference in every layout", "[layers][ghost_batch_norm]") {
  struct Case {
    const char* name;
    std::int64_t n, c, h, w, g;
    bool four_d;
    tag layout;
  };
  const Case cases[] = {
      {"2-D nc, 4+4+2", 10, 5, 1, 1, 4, false, tag::ab},
      {"2-D nc, 3+3", 6, 3, 1, 1, 3, false, tag::ab},
      {"4-D nchw, 2+2+1", 5, 4, 3, 3, 2, true, tag::nchw},
      {"4-D nhwc, 3+1", 4, 8, 3, 3, 3, true, tag::nhwc},
      {"4-D nChw16c, 3+3+1", 7, 20, 4, 4, 3, true, tag::nChw16c},
      {"4-D nChw8c, 2+2", 4, 12, 2, 3, 2, true, tag::nChw8c},
  };
  for (const auto& tc : cases) {
    INFO(tc.name);
    const std::int64_t s = tc.h * tc.w;
    const auto md = tc.four_d ? desc4(tc.n, tc.c, tc.h, tc.w, tc.layout) : plain_desc({tc.n, tc.c});
    GhostBatchNorm gbn(tc.c, ghost_config(tc.g, 0.3));
    const auto gamma = test::random_normal(tc.c, 5, 0.5), beta = test::random_normal(tc.c, 6, 0.5);
    gbn.gamma().value.from_vector(gamma);
    gbn.beta().value.from_vector(beta);
    const auto x = test::random_normal(tc.n * tc.c * s, 7, 2.0);
    Tensor src(md);
    src.from_vector(x);
    const Tensor& dst = gbn.forward(src, Mode::train);
    CHECK(dst.dims() == md.dims());
    const auto dy = test::random_normal(x.size(), 8);
    Tensor diff_dst(dst.desc());
    diff_dst.from_vector(dy);
    const Tensor& diff_src = gbn.backward(diff_dst);
    CHECK(diff_src.desc() == md);
    const auto ref = ghost_batch_norm_reference(x, gamma, beta, dy, tc.n, tc.c, s, tc.g, 1e-5, 0.3);
    check_close(dst.to_vector(), ref.y, 1e-4);
    check_close(diff_src.to_vector(), ref.dx, 1e-4);
    check_close(gbn.gamma().grad.to_vector(), ref.dgamma, 1e-3);
    check_close(gbn.beta().grad.to_vector(), ref.dbeta, 1e-3);
    check_close(gbn.running_mean().to_vector(), ref.rmean, 1e-5);
    check_close(gbn.running_var().to_vector(), ref.rvar, 1e-4);

    // eval: the whole batch with the running statistics
    const auto e = gbn.forward(src, Mode::eval).to_vector();
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

TEST_CASE("ghost_batch with batch <= ghost size is BN bit for bit", "[layers][ghost_batch_norm]") {
  for (const auto& md : {plain_desc({6, 5}), desc4(4, 16, 3, 3, tag::nChw16c), desc4(3, 4, 2, 2, tag::nchw)}) {
    for (std::int64_t g : {md.dims()[0], md.dims()[0] + 5}) {
      INFO(to_string(md.dims()) << " ghost " << g);
      const auto c = md.dims()[1];
      const std::size_t n = md.get_size() / sizeof(float);
      GhostBatchNorm gbn(c, ghost_config(g));
      BatchNorm bn(c, {ghost_config(g).eps, ghost_config(g).momentum});
      for (Param* p : {&gbn.gamma(), &bn.gamma()}) p->value.from_vector(test::random_normal(c, 1, 0.5));
      for (Param* p : {&gbn.beta(), &bn.beta()}) p->value.from_vector(test::random_normal(c, 2, 0.5));
      for (int step = 0; step < 2; ++step) {
        Tensor src(md);
        src.from_vector(test::random_normal(n, 10 + step, 2.0));
        const Tensor& y = gbn.forward(src, Mode::train);
        const Tensor& ybn = bn.forward(src, Mode::train);
        CHECK(y.desc() == ybn.desc());
        CHECK(y.to_vector() == ybn.to_vector());
        CHECK(gbn.forward(src, Mode::eval_batch_stats).to_vector() == bn.forward(src, Mode::eval_batch_stats).to_vector());
        CHECK(gbn.forward(src, Mode::eval).to_vector() == bn.forward(src, Mode::eval).to_vector());
        Tensor diff(ybn.desc());
        diff.from_vector(test::random_normal(n, 20 + step));
        CHECK(gbn.backward(diff).to_vector() == bn.backward(diff).to_vector());
        CHECK(gbn.gamma().grad.to_vector() == bn.gamma().grad.to_vector());
        CHECK(gbn.beta().grad.to_vector() == bn.beta().grad.to_vector());
        CHECK(gbn.running_mean().to_vector() == bn.running_mean().to_vector());
        CHECK(gbn.running_var().to_vector() == bn.running_var().to_vector());
      }
    }
  }
}

TEST_CASE("ghost_batch refuses a ghost size below 1, a wrong width and backward before forward",
          "[layers][ghost_batch_norm]") {
  CHECK_THROWS_AS(GhostBatchNorm(4, ghost_config(0)), OptionError);
  GhostBatchNorm gbn(4, ghost_config(2));
  Tensor diff = Tensor::plain({4, 4});
  CHECK_THROWS_AS(gbn.backward(diff), Error);
  Tensor wrong = Tensor::plain({4, 3});
  CHECK_THROWS_AS(gbn.forward(wrong, Mode::train), ShapeError);
  // A layout with N innermost cannot be cut into chunks of consecutive samples.
  GhostBatchNorm gbn4(4, ghost_config(2));
  Tensor n_inside(desc4(4, 4, 2, 2, tag::chwn));
  CHECK_THROWS_AS(gbn4.forward(n_inside, Mode::train), ShapeError);
}

TEST_CASE("ghost_batch refuses a ghost batch with one value per channel", "[layers][ghost_batch_norm]") {
  GhostBatchNorm gbn(4, ghost_config(2));
  Tensor src = Tensor::plain({5, 4});  // 2 + 2 + 1
  try {
    gbn.forward(src, Mode::train);
    FAIL("no error");
  } catch (const ShapeError& e) {
    const std::string what = e.what();
    CHECK(what.find("ghost_batch_size") != std::string::npos);
    CHECK(what.find("batch of 5") != std::string::npos);
  }
  CHECK_THROWS_AS(gbn.forward(src, Mode::eval_batch_stats), ShapeError);
  CHECK_NOTHROW(gbn.forward(src, Mode::eval));
  // One sample of a 4-D input still has H*W values per channel.
  GhostBatchNorm conv(4, ghost_config(2));
  Tensor img(desc4(5, 4, 2, 2));
  img.from_vector(test::random_normal(80, 4));
  CHECK_NOTHROW(conv.forward(img, Mode::train));
  CHECK(conv.chunks() == 3);
}

TEST_CASE("ghost_batch in eval_batch_stats mode uses per-ghost-batch statistics and changes no state",
          "[layers][ghost_batch_norm]") {
  for (const auto& md : {plain_desc({10, 5}), desc4(5, 16, 3, 3, tag::nChw16c)}) {
    INFO(to_string(md.dims()));
    const auto c = md.dims()[1];
    const std::size_t n = md.get_size() / sizeof(float);
    const std::int64_t s = md.dims().size() == 4 ? 9 : 1;
    GhostBatchNorm gbn(c, ghost_config(2));
    gbn.gamma().value.from_vector(test::random_normal(c, 31, 0.5));
    Tensor a(md), b(md);
    a.from_vector(test::random_normal(n, 32, 2.0));
    b.from_vector(test::random_normal(n, 33, 3.0));
    gbn.forward(a, Mode::train);
    const auto rmean = gbn.running_mean().to_vector(), rvar = gbn.running_var().to_vector();
    const auto y = gbn.forward(b, Mode::eval_batch_stats).to_vector();
    const auto ref =
        ghost_batch_norm_reference(b.to_vector(), gbn.gamma().value.to_vector(), gbn.beta().value.to_vector(),
                                   std::vector<float>(n, 0.0f), md.dims()[0], c, s, 2, 1e-5, 0.1);
    check_close(y, ref.y, 1e-4);
    CHECK(gbn.running_mean().to_vector() == rmean);
    CHECK(gbn.running_var().to_vector() == rvar);
    // The pending backward is still that of a.
    GhostBatchNorm twin(c, ghost_config(2));
    twin.gamma().value.from_vector(gbn.gamma().value.to_vector());
    const Tensor& ya = twin.forward(a, Mode::train);
    Tensor diff(ya.desc());
    diff.from_vector(test::random_normal(n, 34));
    CHECK(gbn.backward(diff).to_vector() == twin.backward(diff).to_vector());
    CHECK(gbn.gamma().grad.to_vector() == twin.gamma().grad.to_vector());
  }
}

TEST_CASE("ghost_batch gradients match finite differences", "[layers][ghost_batch_norm][gradcheck]") {
  const std::vector<std::pair<dnnl::memory::desc, std::int64_t>> cases = {
      {plain_desc({8, 4}), 3}, {desc4(5, 16, 2, 2, tag::nChw16c), 2}, {desc4(4, 3, 3, 3, tag::nchw), 3}};
  for (const auto& [md, g] : cases) {
    INFO(to_string(md.dims()) << " ghost " << g);
    GhostBatchNorm gbn(md.dims()[1], ghost_config(g));
    gbn.gamma().value.from_vector(test::random_normal(md.dims()[1], 3, 0.5));
    test::GradCheckOptions opt;
    opt.eps = 1e-3;
    test::check_layer_gradients(gbn, md, opt);
  }
}

TEST_CASE("config validation finds a batch that leaves a ghost batch of one sample on (N, C) data",
          "[layers][ghost_batch_norm][config]") {
  using testing::config_with;
  using testing::problems_of;
  const std::string expected =
      "norm.ghost_batch_size: a batch of 33 in ghost batches of 16 leaves a last ghost batch of 1 sample, whose "
      "statistics are undefined (choose train.batch_size and norm.ghost_batch_size so that batch_size % "
      "ghost_batch_size != 1)";
  CHECK(problems_of(config_with(R"("model": {"norm": "ghost_batch"}, "train": {"batch_size": 33, "steps": 5})")) ==
        std::vector<std::string>{expected});
  CHECK(problems_of(config_with(R"("model": {"norm": "ghost_batch"}, "train": {"batch_size": 32, "steps": 5})")).empty());
  // a cnn without fc layers normalizes only (N, C, H, W) data: one sample has H·W values
  CHECK(problems_of(config_with(R"("model": {"arch": "cnn", "norm": "ghost_batch", "fc": []},)"
                                R"( "train": {"batch_size": 33, "steps": 5})")).empty());
  CHECK(problems_of(config_with(R"("model": {"norm": "batch"}, "train": {"batch_size": 33, "steps": 5})")).empty());

  // A network of layer entries: the rule finds a ghost batch norm on features wherever it sits,
  // also when the entry names its kind itself, and names the entry.
  const std::string features = R"("model": {"arch": "layers", "norm": "batch", "layers": [{"conv": {"out": 4}},)"
                               R"( {"norm": {}}, {"activation": {}}, {"flatten": {}}, {"residual": {"body":)"
                               R"( [{"linear": {"out": 8}}, {"norm": {"kind": "ghost_batch"}}]}}]}, )";
  CHECK(problems_of(config_with(features + R"("train": {"batch_size": 33, "steps": 5})")) ==
        std::vector<std::string>{
            "norm.ghost_batch_size: a batch of 33 in ghost batches of 16 leaves a last ghost batch of 1 sample at "
            "model.layers[4].residual.body[1].norm (a ghost batch norm on features), whose statistics are undefined (choose "
            "train.batch_size and norm.ghost_batch_size so that batch_size % ghost_batch_size != 1)"});
  CHECK(problems_of(config_with(features + R"("train": {"batch_size": 32, "steps": 5})")).empty());
  // after global average pooling one sample has one value per channel too
  CHECK(problems_of(config_with(R"("model": {"arch": "resnet", "depth": 8, "norm": "ghost_batch", "block":)"
                                R"( "pre_activation"}, "train": {"batch_size": 33, "steps": 5})")).empty());
  CHECK(problems_of(config_with(R"("model": {"arch": "layers", "norm": "ghost_batch", "layers": [{"conv": {"out": 4}},)"
                                R"( {"global_avg_pool": {}}, {"norm": {}}]}, "train": {"batch_size": 33, "steps": 5})"))
            .size() == 1);
  // ghost batch norms on conv outputs only: H·W values per sample
  CHECK(problems_of(config_with(R"("model": {"arch": "resnet", "depth": 8, "norm": "ghost_batch"},)"
                                R"( "train": {"batch_size": 33, "steps": 5})")).empty());
}
