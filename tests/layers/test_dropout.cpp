// dropout: kept fraction and scale, eval and p = 0 as identity, backward through the same mask,
// padded blocked layouts, finite differences with a re-seeded mask.
#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "layers/dropout.hpp"
#include "layers/layer_check.hpp"

using namespace bnlab;
using tag = dnnl::memory::format_tag;

TEST_CASE("dropout keeps 1-p of the values, scaled by 1/(1-p)", "[layers][dropout]") {
  for (const double p : {0.1, 0.5, 0.8}) {
    INFO("p = " << p);
    Dropout dropout(p, 7);
    const std::int64_t n = 200, c = 1000;
    Tensor src = Tensor::plain({n, c});
    const auto x = test::random_normal(n * c, 1);
    src.from_vector(x);
    const auto y = dropout.forward(src, Mode::train).to_vector();
    Tensor diff_dst = Tensor::plain({n, c});
    diff_dst.fill(1.0f);
    const auto dx = dropout.backward(diff_dst).to_vector();
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    std::size_t kept = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      const bool keep = dx[i] != 0.0f;  // the backward mask says which values were kept
      kept += keep;
      if (keep) {
        CHECK(y[i] == x[i] * scale);
        CHECK(dx[i] == scale);
      } else {
        CHECK(y[i] == 0.0f);
      }
    }
    const double fraction = static_cast<double>(kept) / static_cast<double>(y.size());
    CHECK(fraction == Approx(1.0 - p).margin(0.005));  // ~5 standard deviations at n*c = 2e5
  }
}

TEST_CASE("dropout draws a new mask every training forward, reproducible by seed", "[layers][dropout]") {
  Tensor src = Tensor::plain({10, 100});
  src.fill(1.0f);
  Dropout a(0.5, 3), b(0.5, 3);
  const auto first = a.forward(src, Mode::train).to_vector();
  const auto second = a.forward(src, Mode::train).to_vector();
  CHECK(first != second);
  CHECK(b.forward(src, Mode::train).to_vector() == first);  // same seed, same mask
  a.reseed(3);
  CHECK(a.forward(src, Mode::train).to_vector() == first);
}

TEST_CASE("dropout is the identity in eval and for p = 0", "[layers][dropout]") {
  Tensor src = Tensor::plain({4, 5});
  src.from_vector(test::random_normal(20, 2));
  Dropout dropout(0.5, 1);
  CHECK(&dropout.forward(src, Mode::eval) == &src);
  Dropout off(0.0, 1);
  CHECK(&off.forward(src, Mode::train) == &src);
  CHECK(&off.forward(src, Mode::eval) == &src);
  Tensor diff_dst = Tensor::plain({4, 5});
  CHECK(&off.backward(diff_dst) == &diff_dst);
}

TEST_CASE("dropout on a padded blocked layout keeps the padding zero", "[layers][dropout]") {
  const dnnl::memory::desc md({2, 20, 3, 3}, dnnl::memory::data_type::f32, tag::nChw16c);
  Dropout dropout(0.3, 5);
  Tensor src(md);
  const auto x = test::random_normal(2 * 20 * 9, 3);
  src.from_vector(x);
  const Tensor& dst = dropout.forward(src, Mode::train);
  CHECK(dst.desc() == md);
  const auto y = dst.to_vector();
  for (std::size_t i = 0; i < y.size(); ++i) CHECK((y[i] == 0.0f || y[i] == Approx(x[i] / 0.7)));
  // buffer: (N, 2 channel blocks, 3, 3, 16); channels 20..31 of the second block are padding
  const float* raw = dst.data();
  for (int n = 0; n < 2; ++n)
    for (int s = 0; s < 9; ++s)
      for (int c = 4; c < 16; ++c) CHECK(raw[((n * 2 + 1) * 9 + s) * 16 + c] == 0.0f);
}

TEST_CASE("dropout gradients match finite differences with a fixed mask", "[layers][dropout][gradcheck]") {
  for (const auto& md : {plain_desc({4, 30}), dnnl::memory::desc({2, 16, 3, 3}, dnnl::memory::data_type::f32,
                                                                 tag::nChw16c)}) {
    Dropout dropout(0.4, 9);
    test::GradCheckOptions opt;
    opt.before_forward = [&] { dropout.reseed(9); };
    test::check_layer_gradients(dropout, md, opt);
  }
}

TEST_CASE("dropout rejects p outside 0 <= p < 1", "[layers][dropout]") {
  CHECK_THROWS_AS(Dropout(1.0, 1), ConfigError);
  CHECK_THROWS_AS(Dropout(-0.1, 1), ConfigError);
  Dropout dropout(0.5, 1);
  Tensor t = Tensor::plain({2, 2});
  CHECK_THROWS_AS(dropout.backward(t), Error);
}
