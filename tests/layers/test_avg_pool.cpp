// avg_pool and global_avg_pool: forward and backward against naive loops (plain and blocked,
// overlapping windows), the layout kept from src, finite-difference gradients, primitive reuse.
#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "layers/avg_pool.hpp"
#include "layers/layer_check.hpp"

using namespace bnlab;
using test::desc4;
using tag = dnnl::memory::format_tag;

namespace {

struct Case {
  std::int64_t n, c, h, w, k, s;  // k = 0: global
  tag layout;
};

// Naive average pooling over row-major nchw data and its gradient for dy, in double.
void avg_pool_reference(const Case& tc, const std::vector<float>& x, const std::vector<float>& dy,
                        std::vector<double>& y, std::vector<double>& dx) {
  const auto kh = tc.k ? tc.k : tc.h, kw = tc.k ? tc.k : tc.w, s = tc.k ? tc.s : 1;
  const auto oh = (tc.h - kh) / s + 1, ow = (tc.w - kw) / s + 1;
  y.assign(static_cast<std::size_t>(tc.n * tc.c * oh * ow), 0.0);
  dx.assign(x.size(), 0.0);
  for (std::int64_t n = 0; n < tc.n; ++n)
    for (std::int64_t c = 0; c < tc.c; ++c)
      for (std::int64_t i = 0; i < oh; ++i)
        for (std::int64_t j = 0; j < ow; ++j) {
          const auto yi = static_cast<std::size_t>(((n * tc.c + c) * oh + i) * ow + j);
          for (std::int64_t ky = 0; ky < kh; ++ky)
            for (std::int64_t kx = 0; kx < kw; ++kx) {
              const auto xi = static_cast<std::size_t>(((n * tc.c + c) * tc.h + i * s + ky) * tc.w + j * s + kx);
              y[yi] += x[xi] / static_cast<double>(kh * kw);
              dx[xi] += dy[yi] / static_cast<double>(kh * kw);
            }
        }
}

std::unique_ptr<AvgPool2d> make_pool(const Case& tc) {
  return tc.k ? std::make_unique<AvgPool2d>(tc.k, tc.s) : AvgPool2d::global();
}

}  // namespace

TEST_CASE("avg_pool and global_avg_pool match naive loops", "[layers][avg_pool]") {
  const Case cases[] = {
      {2, 3, 6, 6, 2, 2, tag::nchw},      {1, 2, 7, 7, 2, 2, tag::nchw},      // 7x7 -> 3x3 (floor)
      {2, 2, 7, 5, 3, 2, tag::nchw},      {2, 20, 4, 6, 2, 2, tag::nChw16c},  // blocked, padded channels
      {1, 1, 4, 4, 3, 1, tag::nchw},                                          // overlapping windows
      {2, 3, 5, 7, 0, 0, tag::nchw},      {2, 20, 8, 8, 0, 0, tag::nChw16c},  // global
      {3, 8, 4, 4, 0, 0, tag::nhwc},
  };
  for (const auto& tc : cases) {
    INFO("(" << tc.n << "," << tc.c << "," << tc.h << "," << tc.w << ") k=" << tc.k << " s=" << tc.s);
    const auto md = desc4(tc.n, tc.c, tc.h, tc.w, tc.layout);
    auto pool = make_pool(tc);
    CHECK(pool->kind() == (tc.k ? "avg_pool" : "global_avg_pool"));
    Tensor src(md);
    const auto x = test::random_normal(static_cast<std::size_t>(src.numel()), 5);
    src.from_vector(x);
    const Tensor& dst = pool->forward(src, Mode::train);
    const auto dy = test::random_normal(static_cast<std::size_t>(dst.numel()), 6);
    std::vector<double> y, dx;
    avg_pool_reference(tc, x, dy, y, dx);
    const auto oh = tc.k ? (tc.h - tc.k) / tc.s + 1 : 1, ow = tc.k ? (tc.w - tc.k) / tc.s + 1 : 1;
    REQUIRE(dst.dims() == Dims{tc.n, tc.c, oh, ow});
    CHECK(dst.desc() == desc4(tc.n, tc.c, oh, ow, tc.layout));  // the src layout is kept
    test::check_close(dst.to_vector(), y, 1e-5);
    test::check_close(pool->forward(src, Mode::eval).to_vector(), y, 1e-5);

    Tensor diff_dst(dst.desc());
    diff_dst.from_vector(dy);
    const Tensor& diff_src = pool->backward(diff_dst);
    CHECK(diff_src.desc() == md);
    test::check_close(diff_src.to_vector(), dx, 1e-5);
  }
}

TEST_CASE("avg_pool gradients match finite differences", "[layers][avg_pool][gradcheck]") {
  AvgPool2d pool(3, 2);
  test::check_layer_gradients(pool, desc4(2, 3, 7, 7));
  auto global = AvgPool2d::global();
  test::check_layer_gradients(*global, desc4(2, 16, 4, 4, tag::nChw16c));
}

TEST_CASE("avg_pool builds its primitives once per input shape", "[layers][avg_pool]") {
  auto pool = AvgPool2d::global();
  Tensor src(desc4(2, 4, 6, 6));
  Tensor diff_dst(pool->forward(src, Mode::train).desc());
  pool->backward(diff_dst);
  pool->forward(src, Mode::eval);
  const auto before = primitive_creations();
  for (int i = 0; i < 3; ++i) {
    pool->forward(src, Mode::train);
    pool->forward(src, Mode::eval);
    pool->backward(diff_dst);
  }
  CHECK(primitive_creations() == before);
  Tensor larger(desc4(2, 4, 8, 8));  // a new input size: a new global window
  CHECK(pool->forward(larger, Mode::eval).dims() == Dims{2, 4, 1, 1});
  CHECK(primitive_creations() > before);
}

TEST_CASE("avg_pool rejects inputs it cannot pool", "[layers][avg_pool]") {
  CHECK_THROWS_AS(AvgPool2d(0, 2), ShapeError);
  CHECK_THROWS_AS(AvgPool2d(2, 0), ShapeError);
  AvgPool2d pool(3, 1);
  Tensor small(desc4(1, 2, 2, 2));
  CHECK_THROWS_AS(pool.forward(small, Mode::train), ShapeError);
  Tensor flat = Tensor::plain({2, 3});
  CHECK_THROWS_AS(AvgPool2d::global()->forward(flat, Mode::eval), ShapeError);
  Tensor any = Tensor::plain({1, 2, 1, 1});
  CHECK_THROWS_AS(AvgPool2d::global()->backward(any), Error);
}
