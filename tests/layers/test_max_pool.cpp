// max_pool: forward and backward against naive loops (even and odd sizes, plain and blocked),
// the layout kept from src, finite-difference gradients, and primitive reuse.
#include <catch2/catch.hpp>

#include <numeric>

#include "core/errors.hpp"
#include "layers/layer_check.hpp"
#include "layers/max_pool.hpp"

using namespace bnlab;
using test::desc4;
using tag = dnnl::memory::format_tag;

namespace {

// Distinct values 0.05 apart in random order: every window has a unique max that a +-0.01
// perturbation cannot change.
std::vector<float> distinct(std::size_t n, Rng& rng) {
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = 0.05f * static_cast<float>(i) - 0.025f * static_cast<float>(n);
  rng.shuffle(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("max_pool matches a naive loop and routes the gradient to the max", "[layers][max_pool]") {
  struct Case {
    std::int64_t n, c, h, w, k, s;
    tag layout;
  };
  const Case cases[] = {
      {2, 3, 6, 6, 2, 2, tag::nchw},   {1, 2, 7, 7, 2, 2, tag::nchw},      // 7x7 -> 3x3 (floor)
      {2, 2, 7, 5, 3, 2, tag::nchw},   {2, 20, 4, 6, 2, 2, tag::nChw16c},  // blocked, padded channels
      {2, 8, 5, 5, 2, 2, tag::nhwc},   {1, 1, 4, 4, 2, 1, tag::nchw},      // overlapping windows
      {2, 12, 5, 4, 2, 2, tag::nChw8c},                                     // blocks of 8 (AVX2's conv)
  };
  for (const auto& tc : cases) {
    INFO("(" << tc.n << "," << tc.c << "," << tc.h << "," << tc.w << ") k=" << tc.k << " s=" << tc.s);
    const auto md = desc4(tc.n, tc.c, tc.h, tc.w, tc.layout);
    MaxPool2d pool(tc.k, tc.s);
    Tensor src(md);
    Rng rng(3);
    const auto x = distinct(static_cast<std::size_t>(src.numel()), rng);
    src.from_vector(x);
    const Tensor& dst = pool.forward(src, Mode::train);
    const std::int64_t oh = (tc.h - tc.k) / tc.s + 1, ow = (tc.w - tc.k) / tc.s + 1;
    REQUIRE(dst.dims() == Dims{tc.n, tc.c, oh, ow});
    CHECK(dst.desc() == desc4(tc.n, tc.c, oh, ow, tc.layout));  // the src layout is kept

    const auto dy = test::random_normal(static_cast<std::size_t>(dst.numel()), 4);
    std::vector<float> y_ref(dy.size());
    std::vector<double> dx_ref(x.size(), 0.0);
    for (std::int64_t n = 0; n < tc.n; ++n)
      for (std::int64_t c = 0; c < tc.c; ++c)
        for (std::int64_t i = 0; i < oh; ++i)
          for (std::int64_t j = 0; j < ow; ++j) {
            std::int64_t best = -1;
            for (std::int64_t ky = 0; ky < tc.k; ++ky)
              for (std::int64_t kx = 0; kx < tc.k; ++kx) {
                const auto at = ((n * tc.c + c) * tc.h + i * tc.s + ky) * tc.w + j * tc.s + kx;
                if (best < 0 || x[at] > x[best]) best = at;
              }
            const auto out = ((n * tc.c + c) * oh + i) * ow + j;
            y_ref[out] = x[best];
            dx_ref[best] += dy[out];
          }
    CHECK(dst.to_vector() == y_ref);
    CHECK(pool.forward(src, Mode::eval).to_vector() == y_ref);

    Tensor diff_dst(dst.desc());
    diff_dst.from_vector(dy);
    const Tensor& diff_src = pool.backward(diff_dst);
    CHECK(diff_src.desc() == md);
    const auto dx = diff_src.to_vector();
    for (std::size_t i = 0; i < dx.size(); ++i) CHECK(dx[i] == Approx(dx_ref[i]).margin(1e-6));
  }
}

TEST_CASE("max_pool gradients match finite differences", "[layers][max_pool][gradcheck]") {
  for (const auto& md : {desc4(2, 3, 4, 4, tag::nchw), desc4(2, 16, 5, 5, tag::nChw16c)}) {
    INFO(to_string(md.dims()));
    MaxPool2d pool;
    test::GradCheckOptions opt;
    opt.make_src = distinct;
    test::check_layer_gradients(pool, md, opt);
  }
}

TEST_CASE("max_pool builds its primitives once per input shape", "[layers][max_pool]") {
  MaxPool2d pool;
  Tensor src(desc4(2, 16, 8, 8, tag::nChw16c));
  Tensor diff_dst(pool.forward(src, Mode::train).desc());
  pool.backward(diff_dst);
  pool.forward(src, Mode::eval);
  const auto before = primitive_creations();
  for (int i = 0; i < 3; ++i) {
    pool.forward(src, Mode::train);
    pool.forward(src, Mode::eval);
    pool.backward(diff_dst);
  }
  CHECK(primitive_creations() == before);
  INFO("impl train " << pool.impl(Mode::train) << ", eval " << pool.impl(Mode::eval));
  SUCCEED();
}

TEST_CASE("max_pool trains 2x2/stride-2 windows through its own loops, others through oneDNN", "[layers][max_pool]") {
  // The naive-loop test above checks both paths' values (nchw, nhwc, padded nChw16c; k2 s1).
  for (const auto t : {tag::nhwc, tag::nChw16c, tag::nChw8c}) {
    MaxPool2d pool(2, 2);
    pool.forward(Tensor(desc4(2, 20, 6, 5, t)), Mode::train);
    CHECK(pool.impl(Mode::train) == "bnlab:pool2x2");
  }
  MaxPool2d plain(2, 2);  // channel blocks of one float: oneDNN is faster
  plain.forward(Tensor(desc4(2, 20, 6, 5, tag::nchw)), Mode::train);
  CHECK(plain.impl(Mode::train) != "bnlab:pool2x2");
  MaxPool2d overlapping(2, 1);
  overlapping.forward(Tensor(desc4(2, 16, 6, 6, tag::nChw16c)), Mode::train);
  CHECK(overlapping.impl(Mode::train) != "bnlab:pool2x2");
}

TEST_CASE("max_pool rejects inputs it cannot pool", "[layers][max_pool]") {
  CHECK_THROWS_AS(MaxPool2d(0, 2), ShapeError);
  MaxPool2d pool(3, 2);
  Tensor tiny = Tensor::plain({1, 1, 2, 2});
  CHECK_THROWS_AS(pool.forward(tiny, Mode::train), ShapeError);
  Tensor flat = Tensor::plain({4, 9});
  CHECK_THROWS_AS(pool.forward(flat, Mode::train), ShapeError);
  CHECK_THROWS_AS(MaxPool2d().backward(flat), Error);
}
