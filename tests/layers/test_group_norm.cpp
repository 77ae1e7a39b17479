// group_norm: hand-computed values, a naive double-precision reference for forward and backward
// on 2-D and 4-D inputs in every layout the kernel reads (and one it reorders), group sizes from
// 1 (instance norm) to C, finite-difference gradients, identical modes, the group_size check in
// the layer and in config validation, and networks with group norm that train deterministically.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "core/errors.hpp"
#include "experiment/config_test_util.hpp"
#include "layers/group_norm.hpp"
#include "layers/layer_check.hpp"
#include "model/norms.hpp"
#include "layers/softmax_cross_entropy.hpp"
#include "model/builder.hpp"
#include "train/sgd.hpp"

using namespace bnlab;
using test::check_close;
using test::desc4;
using tag = dnnl::memory::format_tag;

namespace {

// Naive group norm over row-major (N, C, S) data (S = H*W, 1 for 2-D), in double.
struct GroupNormReference {
  std::vector<double> y, dx, dgamma, dbeta;
};
GroupNormReference group_norm_reference(const std::vector<float>& x, const std::vector<float>& gamma,
                                        const std::vector<float>& beta, const std::vector<float>& dy, std::int64_t n,
                                        std::int64_t c, std::int64_t s, std::int64_t group_size, double eps) {
  GroupNormReference r;
  r.y.assign(x.size(), 0);
  r.dx.assign(x.size(), 0);
  r.dgamma.assign(c, 0);
  r.dbeta.assign(c, 0);
  const double m = static_cast<double>(group_size * s);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t g = 0; g < c / group_size; ++g) {
      // the group's values are contiguous in row-major (N, C, S)
      const std::int64_t begin = (i * c + g * group_size) * s, end = begin + group_size * s;
      auto channel = [&](std::int64_t j) { return (j / s) % c; };
      double mean = 0, var = 0;
      for (auto j = begin; j < end; ++j) mean += x[j] / m;
      for (auto j = begin; j < end; ++j) var += (x[j] - mean) * (x[j] - mean) / m;
      const double rstd = 1.0 / std::sqrt(var + eps);
      double mean_dxhat = 0, mean_dxhat_xhat = 0;
      for (auto j = begin; j < end; ++j) {
        const double xhat = (x[j] - mean) * rstd;
        r.y[j] = gamma[channel(j)] * xhat + beta[channel(j)];
        r.dgamma[channel(j)] += dy[j] * xhat;
        r.dbeta[channel(j)] += dy[j];
        mean_dxhat += gamma[channel(j)] * dy[j] / m;
        mean_dxhat_xhat += gamma[channel(j)] * dy[j] * xhat / m;
      }
      for (auto j = begin; j < end; ++j) {
        const double xhat = (x[j] - mean) * rstd;
        r.dx[j] = rstd * (gamma[channel(j)] * dy[j] - mean_dxhat - xhat * mean_dxhat_xhat);
      }
    }
  return r;
}

GroupNormOptions with_group_size(std::int64_t group_size) {
  GroupNormOptions options;
  options.group_size = group_size;
  return options;
}

}  // namespace

TEST_CASE("group_norm on a hand-computed example", "[layers][group_norm]") {
  // 1 sample, 4 channels of 2 values (H = 1, W = 2), group_size 2: groups {c0, c1}, {c2, c3}.
  //   group 0: c0 = (0, 0), c1 = (2, 2) -> mean 1, variance 1, xhat = -1 -1 | 1 1
  //   group 1: c2 = (1, 5), c3 = (1, 5) -> mean 3, variance 4, xhat = -1 1 | -1 1
  GroupNorm gn(4, with_group_size(2));
  REQUIRE(gn.groups() == 2);
  gn.gamma().value.from_vector({1, 2, 0.5, 1});
  gn.beta().value.from_vector({0, 1, 0, -1});
  Tensor src(desc4(1, 4, 1, 2));
  src.from_vector({0, 0, 2, 2, 1, 5, 1, 5});
  const Tensor& dst = gn.forward(src, Mode::train);
  const std::vector<float> want_y = {-1, -1, 3, 3, -0.5, 0.5, -2, 0};  // gamma·xhat + beta
  const auto y = dst.to_vector();
  for (std::size_t i = 0; i < y.size(); ++i) CHECK(y[i] == Approx(want_y[i]).epsilon(1e-4).margin(1e-4));
  CHECK(gn.kernel().mean() == std::vector<float>{1, 3});
  CHECK(gn.kernel().rstd()[0] == Approx(1.0).epsilon(1e-4));
  CHECK(gn.kernel().rstd()[1] == Approx(0.5).epsilon(1e-4));

  // dy = 1 on the first value only. Group 0: dxhat = (1, 0, 0, 0), mean(dxhat) = 1/4,
  // mean(dxhat·xhat) = -1/4, dx = dxhat - 1/4 + xhat/4 = (0.5, -0.5, 0, 0); group 1 gets nothing.
  Tensor diff(dst.desc());
  diff.from_vector({1, 0, 0, 0, 0, 0, 0, 0});
  const auto dx = gn.backward(diff).to_vector();
  const std::vector<float> want_dx = {0.5, -0.5, 0, 0, 0, 0, 0, 0};
  for (std::size_t i = 0; i < dx.size(); ++i) CHECK(dx[i] == Approx(want_dx[i]).margin(1e-4));
  const auto dgamma = gn.gamma().grad.to_vector(), dbeta = gn.beta().grad.to_vector();
  CHECK(dgamma[0] == Approx(-1.0).epsilon(1e-4));  // Σ dy·xhat
  CHECK(dbeta[0] == 1.0f);
  for (int c = 1; c < 4; ++c) {
    CHECK(dgamma[c] == 0.0f);
    CHECK(dbeta[c] == 0.0f);
  }
}

TEST_CASE("group_norm matches a naive reference in every layout and group size", "[layers][group_norm]") {
  struct Case {
    std::int64_t n, c, h, w, group_size;
    bool four_d;
    tag layout;
  };
  const Case cases[] = {
      {6, 8, 1, 1, 1, false, tag::ab},     {6, 8, 1, 1, 2, false, tag::ab},     {6, 8, 1, 1, 8, false, tag::ab},
      {2, 3, 1, 1, 3, false, tag::ab},     {3, 8, 5, 5, 1, true, tag::nchw},    {3, 8, 5, 5, 4, true, tag::nchw},
      {3, 8, 5, 5, 8, true, tag::nchw},    {2, 12, 3, 3, 3, true, tag::nhwc},   {2, 12, 3, 3, 12, true, tag::nhwc},
      {2, 20, 4, 4, 4, true, tag::nChw16c}, {2, 20, 4, 4, 5, true, tag::nChw16c},  // groups straddle blocks
      {2, 20, 4, 4, 20, true, tag::nChw16c}, {2, 32, 3, 3, 1, true, tag::nChw16c}, {2, 16, 3, 2, 2, true, tag::nChw8c},
      {2, 8, 3, 3, 2, true, tag::nChw4c},  // not read directly: reordered to nchw and back
  };
  for (const auto& tc : cases) {
    const std::int64_t s = tc.h * tc.w;
    const auto md = tc.four_d ? desc4(tc.n, tc.c, tc.h, tc.w, tc.layout) : plain_desc({tc.n, tc.c});
    INFO(to_string(md.dims()) << " layout " << static_cast<int>(tc.layout) << " group_size " << tc.group_size);
    GroupNorm gn(tc.c, with_group_size(tc.group_size));
    const auto gamma = test::random_normal(tc.c, 5, 0.5);
    const auto beta = test::random_normal(tc.c, 6, 0.5);
    gn.gamma().value.from_vector(gamma);
    gn.beta().value.from_vector(beta);
    auto x = test::random_normal(tc.n * tc.c * s, 7, 2.0);
    for (auto& v : x) v += 3.0f;  // a mean far from 0
    Tensor src(md);
    src.from_vector(x);

    const Tensor& dst = gn.forward(src, Mode::train);
    CHECK(dst.dims() == md.dims());
    const auto dy = test::random_normal(x.size(), 8);
    Tensor diff_dst(dst.desc());
    diff_dst.from_vector(dy);
    const Tensor& diff_src = gn.backward(diff_dst);
    CHECK(diff_src.desc() == md);

    const auto ref = group_norm_reference(x, gamma, beta, dy, tc.n, tc.c, s, tc.group_size, 1e-5);
    check_close(dst.to_vector(), ref.y, 1e-4);
    check_close(diff_src.to_vector(), ref.dx, 2e-4);
    check_close(gn.gamma().grad.to_vector(), ref.dgamma, 1e-3);
    check_close(gn.beta().grad.to_vector(), ref.dbeta, 1e-3);
    if (tc.layout == tag::nChw16c && tc.c % 16 != 0) {
      // The padding channels of a blocked output stay 0 (the next conv reads them).
      const auto bytes = dst.desc().get_size();
      std::vector<float> raw(bytes / sizeof(float));
      std::memcpy(raw.data(), dst.data(), bytes);
      const std::int64_t blocks = (tc.c + 15) / 16;
      for (std::int64_t i = 0; i < tc.n; ++i)
        for (std::int64_t k = 0; k < s; ++k)
          for (std::int64_t lane = tc.c % 16; lane < 16; ++lane)
            CHECK(raw[((i * blocks + blocks - 1) * s + k) * 16 + lane] == 0.0f);
    }
  }
}

TEST_CASE("group_norm output has zero mean and unit variance per sample and group", "[layers][group_norm]") {
  GroupNorm gn(6, with_group_size(3));
  Tensor src(desc4(4, 6, 5, 5, tag::nchw));
  auto x = test::random_normal(4 * 6 * 25, 21, 3.0);
  for (auto& v : x) v += 5.0f;
  src.from_vector(x);
  const auto y = gn.forward(src, Mode::train).to_vector();
  for (int i = 0; i < 4; ++i)
    for (int g = 0; g < 2; ++g) {
      double sum = 0, sq = 0;
      for (int k = 0; k < 75; ++k) {
        const double v = y[(i * 6 + g * 3) * 25 + k];
        sum += v;
        sq += v * v;
      }
      CHECK(sum / 75 == Approx(0.0).margin(1e-5));
      CHECK(sq / 75 == Approx(1.0).epsilon(1e-4));
    }
}

TEST_CASE("group_norm statistics stay exact when the mean is far larger than the spread",
          "[layers][group_norm]") {
  // x = 1000 + 0.05·z: Σx² - (Σx)²/m in float would lose the variance entirely.
  for (const auto& md : {desc4(2, 16, 4, 4, tag::nChw16c), desc4(2, 8, 4, 4, tag::nchw)}) {
    INFO(to_string(md.dims()));
    const auto c = md.dims()[1];
    GroupNorm gn(c, with_group_size(4));
    auto x = test::random_normal(md.get_size() / sizeof(float), 51, 0.05);
    for (auto& v : x) v += 1000.0f;
    Tensor src(md);
    src.from_vector(x);
    const auto y = gn.forward(src, Mode::train).to_vector();
    const std::vector<float> ones(c, 1.0f), zeros(c, 0.0f), dy(x.size(), 0.0f);
    const auto ref = group_norm_reference(x, ones, zeros, dy, 2, c, 16, 4, 1e-5);
    check_close(y, ref.y, 2e-3);
  }
}

TEST_CASE("group_norm gradients match finite differences", "[layers][group_norm][gradcheck]") {
  struct Case {
    dnnl::memory::desc md;
    std::int64_t group_size;
  };
  const Case cases[] = {{plain_desc({4, 6}), 3},          {plain_desc({3, 8}), 8},
                        {desc4(2, 4, 3, 3, tag::nchw), 2}, {desc4(2, 4, 3, 3, tag::nchw), 1},
                        {desc4(2, 6, 2, 3, tag::nhwc), 3}, {desc4(3, 16, 2, 2, tag::nChw16c), 4},
                        {desc4(2, 20, 2, 2, tag::nChw16c), 10}};
  for (const auto& tc : cases) {
    INFO("shape " << to_string(tc.md.dims()) << " group_size " << tc.group_size);
    const auto c = tc.md.dims()[1];
    GroupNorm gn(c, with_group_size(tc.group_size));
    gn.gamma().value.from_vector(test::random_normal(c, 3, 0.5));
    gn.beta().value.from_vector(test::random_normal(c, 4, 0.5));
    test::GradCheckOptions opt;
    opt.eps = 1e-3;
    test::check_layer_gradients(gn, tc.md, opt);
  }
}

TEST_CASE("group_norm: every mode gives the same output and none disturbs the backward",
          "[layers][group_norm]") {
  for (const auto& md : {plain_desc({5, 8}), desc4(3, 16, 3, 3, tag::nChw16c)}) {
    INFO(to_string(md.dims()));
    const auto c = md.dims()[1];
    GroupNorm gn(c, with_group_size(4)), twin(c, with_group_size(4));
    const auto gamma = test::random_normal(c, 31, 0.5);
    gn.gamma().value.from_vector(gamma);
    twin.gamma().value.from_vector(gamma);
    const std::size_t n = md.get_size() / sizeof(float);
    Tensor a(md), b(md), diff(md);
    a.from_vector(test::random_normal(n, 32, 2.0));
    b.from_vector(test::random_normal(n, 33, 3.0));
    diff.from_vector(test::random_normal(n, 34));

    const auto y_train = gn.forward(a, Mode::train).to_vector();
    const auto y_eval = gn.forward(a, Mode::eval).to_vector();
    const auto y_stats = gn.forward(a, Mode::eval_batch_stats).to_vector();
    CHECK(y_eval == y_train);
    CHECK(y_stats == y_train);
    // Other inputs in eval and eval_batch_stats between the training forward and its backward.
    gn.forward(b, Mode::eval);
    gn.forward(b, Mode::eval_batch_stats);
    const auto dx = gn.backward(diff).to_vector();
    twin.forward(a, Mode::train);
    CHECK(twin.backward(diff).to_vector() == dx);
    CHECK(twin.gamma().grad.to_vector() == gn.gamma().grad.to_vector());
    CHECK(twin.beta().grad.to_vector() == gn.beta().grad.to_vector());
    CHECK(gn.buffers().empty());  // no running statistics
  }
}

TEST_CASE("group_norm without diff_src still computes the parameter gradients", "[layers][group_norm]") {
  const auto md = desc4(2, 8, 3, 3, tag::nchw);
  GroupNorm gn(8, with_group_size(2)), twin(8, with_group_size(2));
  Tensor src(md), diff(md);
  src.from_vector(test::random_normal(144, 41));
  diff.from_vector(test::random_normal(144, 42));
  gn.forward(src, Mode::train);
  twin.forward(src, Mode::train);
  CHECK(gn.backward(diff, false).empty());
  CHECK_FALSE(twin.backward(diff, true).empty());
  CHECK(gn.gamma().grad.to_vector() == twin.gamma().grad.to_vector());
  CHECK(gn.beta().grad.to_vector() == twin.beta().grad.to_vector());
}

TEST_CASE("group_norm: group_size must divide the channels", "[layers][group_norm]") {
  try {
    GroupNorm gn(6, with_group_size(4));
    FAIL("no error for 6 channels in groups of 4");
  } catch (const OptionError& e) {
    const std::string what = e.what();
    CHECK(what.find("group_size") != std::string::npos);
    CHECK(what.find("norm.") == std::string::npos);  // a layer names no config path
    CHECK(what.find("4") != std::string::npos);
    CHECK(what.find("6") != std::string::npos);
  }
  Rng rng(1);
  NormConfig config;
  config.group_size = 4;
  CHECK_THROWS_AS(make_norm("group", 10, config, false, rng), OptionError);
  CHECK(make_norm("group", 12, config, false, rng)->kind() == "group_norm");
  GroupNorm gn(8, with_group_size(4));
  Tensor wrong = Tensor::plain({2, 6});
  CHECK_THROWS_AS(gn.forward(wrong, Mode::train), ShapeError);
  CHECK_THROWS_AS(GroupNorm(8, with_group_size(4)).backward(Tensor::plain({2, 8})), Error);
}

TEST_CASE("config validation finds a group_size that does not divide a width, in every sweep run",
          "[layers][group_norm][config]") {
  using testing::config_with;
  using testing::problems_of;
  CHECK(problems_of(config_with(R"("model": {"norm": "group", "hidden": [16, 32]}, "norm": {"group_size": 8})")).empty());
  CHECK(problems_of(config_with(R"("model": {"norm": "group", "hidden": [16, 30]})")) ==
        std::vector<std::string>{"norm.group_size: 4 does not divide the width 30 of model.hidden[1] "
                                 "(model.norm 'group' needs whole groups of channels)"});
  // Only group norm cares; cnn widths are channels and fc.
  CHECK(problems_of(config_with(R"("model": {"norm": "batch", "hidden": [30]})")).empty());
  CHECK(problems_of(config_with(R"("model": {"arch": "cnn", "norm": "group", "channels": [16, 32], "fc": [10]})")) ==
        std::vector<std::string>{"norm.group_size: 4 does not divide the width 10 of model.fc[0] "
                                 "(model.norm 'group' needs whole groups of channels)"});
  // Swept: reported for the combinations that break it.
  const auto problems = problems_of(config_with(
      R"("model": {"arch": "cnn", "channels": [16, 24]}, "sweep": {"model.norm": ["batch", "group"], "norm.group_size": [4, 16]})"));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("norm.group_size: 16 does not divide the width 24 of model.channels[1]") == 0);
  CHECK(problems[0].find("model.norm=\"group\"") != std::string::npos);
  CHECK(problems[0].find("norm.group_size=16") != std::string::npos);
}

TEST_CASE("networks with group norm train deterministically", "[layers][group_norm][model]") {
  for (const char* arch : {"mlp", "cnn"}) {
    INFO(arch);
    ModelConfig m;
    m.arch = arch;
    m.norm = "group";
    m.hidden = {16, 8};
    m.channels = {8, 16};
    auto train = [&] {
      auto net = build_model(m, NormConfig{}, {}, {1, 8, 8}, 4, 5);  // group_size 4
      std::size_t norms = 0;
      for (std::size_t i = 0; i < net->size(); ++i) norms += net->layer(i).kind() == "group_norm";
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
    CHECK(a.back() < 0.5 * a.front());  // one fixed batch: it must fit
  }
}
