// conv2d: forward and backward (diff_src, diff_weights, diff_bias) against naive loops in several
// shapes and layouts, finite-difference gradients, and no primitive rebuilt in the steady state.
#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "layers/conv2d.hpp"
#include "layers/layer_check.hpp"

using namespace bnlab;
using test::check_close;
using test::desc4;
using tag = dnnl::memory::format_tag;

namespace {

struct Shape {
  std::int64_t n, in, h, w, out, k, p;
  bool bias;
  std::int64_t stride = 1;
  std::int64_t oh() const { return (h + 2 * p - k) / stride + 1; }
  std::int64_t ow() const { return (w + 2 * p - k) / stride + 1; }
  Conv2dOptions options() const { return {k, stride, p, bias}; }
};

// Naive strided convolution and its gradients over row-major nchw / oihw data, in double.
struct Conv2dReference {
  std::vector<double> y, dx, dw, db;
};
Conv2dReference conv2d_reference(const Shape& s, const std::vector<float>& x, const std::vector<float>& w,
                                 const std::vector<float>& b, const std::vector<float>& dy) {
  Conv2dReference r;
  const auto oh = s.oh(), ow = s.ow();
  r.y.assign(s.n * s.out * oh * ow, 0);
  r.dx.assign(x.size(), 0);
  r.dw.assign(w.size(), 0);
  r.db.assign(s.out, 0);
  auto xi = [&](auto n, auto c, auto y, auto x_) { return ((n * s.in + c) * s.h + y) * s.w + x_; };
  auto wi = [&](auto o, auto c, auto ky, auto kx) { return ((o * s.in + c) * s.k + ky) * s.k + kx; };
  for (std::int64_t n = 0; n < s.n; ++n)
    for (std::int64_t o = 0; o < s.out; ++o)
      for (std::int64_t y = 0; y < oh; ++y)
        for (std::int64_t x_ = 0; x_ < ow; ++x_) {
          const auto yi = ((n * s.out + o) * oh + y) * ow + x_;
          double acc = s.bias ? b[o] : 0.0;
          for (std::int64_t c = 0; c < s.in; ++c)
            for (std::int64_t ky = 0; ky < s.k; ++ky)
              for (std::int64_t kx = 0; kx < s.k; ++kx) {
                const auto iy = y * s.stride + ky - s.p, ix = x_ * s.stride + kx - s.p;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                acc += static_cast<double>(w[wi(o, c, ky, kx)]) * x[xi(n, c, iy, ix)];
                r.dx[xi(n, c, iy, ix)] += static_cast<double>(w[wi(o, c, ky, kx)]) * dy[yi];
                r.dw[wi(o, c, ky, kx)] += static_cast<double>(x[xi(n, c, iy, ix)]) * dy[yi];
              }
          r.y[yi] = acc;
          r.db[o] += dy[yi];
        }
  return r;
}

}  // namespace

TEST_CASE("conv2d forward and backward match naive loops", "[layers][conv2d]") {
  struct Case {
    const char* name;
    Shape s;
    tag layout;
  };
  const Case cases[] = {
      {"1 channel, pad 1, bias", {1, 1, 5, 5, 2, 3, 1, true}, tag::nchw},
      {"batch 2, pad 0, no bias, non-square", {2, 3, 6, 7, 4, 3, 0, false}, tag::nchw},
      {"batch 2, 16 outputs, pad 1, bias", {2, 4, 5, 5, 16, 3, 1, true}, tag::nchw},
      {"batch 3, 1x1 kernel, 16 -> 20", {3, 16, 4, 4, 20, 1, 0, false}, tag::nchw},
      {"batch 2, 5x5 kernel, pad 2, bias", {2, 3, 6, 6, 5, 5, 2, true}, tag::nchw},
      {"blocked nChw16c src (after a conv), 16 -> 32", {2, 16, 6, 6, 32, 3, 1, false}, tag::nChw16c},
      {"nhwc src, 8 -> 16", {2, 8, 5, 5, 16, 3, 1, true}, tag::nhwc},
      {"stride 2, pad 1, 3x3, odd size", {2, 3, 7, 7, 16, 3, 1, false, 2}, tag::nchw},
      {"stride 2, 1x1 projection, blocked src", {2, 16, 8, 8, 32, 1, 0, false, 2}, tag::nChw16c},
      {"stride 3, pad 0, non-square", {1, 2, 8, 7, 4, 3, 0, true, 3}, tag::nchw},
  };
  for (const auto& tc : cases) {
    const Shape& s = tc.s;
    INFO(tc.name);
    Conv2d conv(s.in, s.out, s.options());
    const auto w = test::random_normal(s.out * s.in * s.k * s.k, 11, 0.5);
    const auto b = test::random_normal(s.out, 12);
    const auto x = test::random_normal(s.n * s.in * s.h * s.w, 13);
    const auto dy = test::random_normal(s.n * s.out * s.oh() * s.ow(), 14);
    conv.weight().value.from_vector(w);
    if (s.bias) conv.bias()->value.from_vector(b);
    const auto md = desc4(s.n, s.in, s.h, s.w, tc.layout);
    Tensor src(md);
    src.from_vector(x);
    const auto ref = conv2d_reference(s, x, w, b, dy);

    const Tensor& dst = conv.forward(src, Mode::train);
    CHECK(dst.dims() == Dims{s.n, s.out, s.oh(), s.ow()});
    check_close(dst.to_vector(), ref.y, 1e-4);
    check_close(conv.forward(src, Mode::eval).to_vector(), ref.y, 1e-4);

    Tensor diff_dst(dst.desc());
    diff_dst.from_vector(dy);
    const Tensor& diff_src = conv.backward(diff_dst);
    CHECK(diff_src.desc() == md);
    check_close(diff_src.to_vector(), ref.dx, 1e-4);
    CHECK(conv.weight().grad.is_plain());
    check_close(conv.weight().grad.to_vector(), ref.dw, 1e-3);
    if (s.bias) check_close(conv.bias()->grad.to_vector(), ref.db, 1e-3);
  }
}

TEST_CASE("conv2d gradients match finite differences", "[layers][conv2d][gradcheck]") {
  struct Case {
    Shape s;
    tag layout;
  };
  const Case cases[] = {
      {{2, 3, 5, 5, 4, 3, 1, true}, tag::nchw},
      {{2, 4, 4, 4, 16, 3, 1, true}, tag::nchw},       // 16 outputs: a blocked dst on AVX-512
      {{1, 16, 3, 3, 16, 3, 0, false}, tag::nChw16c},  // blocked src, as after another conv
      {{2, 3, 6, 6, 16, 3, 1, false, 2}, tag::nchw},     // stride 2 (a residual stage's first conv)
      {{2, 16, 4, 4, 16, 1, 0, false, 2}, tag::nChw16c}, // 1x1 stride-2 projection shortcut
  };
  for (const auto& [s, layout] : cases) {
    INFO("n=" << s.n << " in=" << s.in << " out=" << s.out << " k=" << s.k << " p=" << s.p << " s=" << s.stride
                << " bias=" << s.bias);
    Conv2d conv(s.in, s.out, s.options());
    conv.weight().value.from_vector(test::random_normal(s.out * s.in * s.k * s.k, 3, 0.5));
    if (s.bias) conv.bias()->value.from_vector(test::random_normal(s.out, 4));
    test::check_layer_gradients(conv, desc4(s.n, s.in, s.h, s.w, layout));
    INFO("forward impl " << conv.impl(Mode::train));
    SUCCEED();
  }
}

TEST_CASE("conv2d keeps a plain PyTorch-layout weight and lets the primitive pick dst", "[layers][conv2d]") {
  Conv2d conv(3, 16, {3, 1, 1, false});
  REQUIRE(conv.params().size() == 1);
  CHECK(conv.bias() == nullptr);
  CHECK(conv.weight().value.dims() == Dims{16, 3, 3, 3});
  CHECK(conv.weight().value.is_plain());
  CHECK(conv.weight().decay);
  Conv2d with_bias(3, 16, {3, 1, 1, true});
  REQUIRE(with_bias.params().size() == 2);
  CHECK(with_bias.params()[1]->name == "bias");
  CHECK_FALSE(with_bias.params()[1]->decay);
  Tensor src(desc4(2, 3, 8, 8));
  const Tensor& dst = conv.forward(src, Mode::train);
  INFO("impl " << conv.impl(Mode::train) << ", dst plain: " << dst.is_plain());
  CHECK(dst.dims() == Dims{2, 16, 8, 8});
}

TEST_CASE("conv2d builds its primitives once per input shape", "[layers][conv2d]") {
  Conv2d conv(4, 16, {3, 1, 1, true});
  Tensor src(desc4(2, 4, 6, 6));
  src.from_vector(test::random_normal(2 * 4 * 36, 1));
  Tensor diff_dst(conv.forward(src, Mode::train).desc());
  diff_dst.fill(1.0f);
  conv.backward(diff_dst);
  conv.forward(src, Mode::eval);
  const auto before = primitive_creations();
  for (int i = 0; i < 3; ++i) {
    conv.forward(src, Mode::train);
    conv.forward(src, Mode::eval);
    conv.backward(diff_dst);
    conv.backward(diff_dst, false);
  }
  CHECK(primitive_creations() == before);
  Tensor bigger(desc4(3, 4, 6, 6));  // a new batch size rebuilds
  conv.forward(bigger, Mode::train);
  CHECK(primitive_creations() > before);
}

TEST_CASE("conv2d without diff_src still fills the parameter gradients", "[layers][conv2d]") {
  Conv2d conv(1, 2, {3, 1, 1, true});
  Tensor src(desc4(2, 1, 4, 4));
  src.fill(1.0f);
  Tensor diff_dst(conv.forward(src, Mode::train).desc());
  diff_dst.fill(1.0f);
  CHECK(conv.backward(diff_dst, false).empty());
  // db = number of output positions per channel; dW[0,0,1,1] (the centre tap) sees every input
  CHECK(conv.bias()->grad.to_vector()[0] == Approx(2 * 16));
  CHECK(conv.weight().grad.to_vector()[4] == Approx(2 * 16));
}

TEST_CASE("conv2d rejects bad shapes", "[layers][conv2d]") {
  CHECK_THROWS_AS(Conv2d(0, 4, {3, 1, 1, true}), ShapeError);
  CHECK_THROWS_AS(Conv2d(3, 4, {3, 1, -1, true}), ShapeError);
  CHECK_THROWS_AS(Conv2d(3, 4, {3, 0, 1, true}), ShapeError);
  Conv2d conv(3, 4, {3, 1, 0, true});
  Tensor wrong_channels(desc4(2, 2, 5, 5));
  CHECK_THROWS_AS(conv.forward(wrong_channels, Mode::train), ShapeError);
  Tensor too_small(desc4(2, 3, 2, 2));
  Conv2d strided(3, 4, {3, 2, 0, true});
  CHECK(strided.forward(Tensor(desc4(1, 3, 6, 6)), Mode::eval).dims() == Dims{1, 4, 2, 2});  // floor((6-3)/2)+1
  CHECK_THROWS_AS(conv.forward(too_small, Mode::train), ShapeError);
  Tensor flat = Tensor::plain({2, 3});
  CHECK_THROWS_AS(conv.forward(flat, Mode::train), ShapeError);
  Conv2d fresh(3, 4, {3, 1, 1, true});
  Tensor any = Tensor::plain({2, 4, 5, 5});
  CHECK_THROWS_AS(fresh.backward(any), Error);
}

TEST_CASE("conv2d: an evaluation between forward and backward disturbs nothing", "[layers][conv2d]") {
  const Shape s{2, 3, 5, 5, 16, 3, 1, true};
  Conv2d conv(s.in, s.out, s.options());
  conv.weight().value.from_vector(test::random_normal(s.out * s.in * 9, 1, 0.5));
  Tensor src(desc4(s.n, s.in, s.h, s.w)), other(desc4(s.n, s.in, s.h, s.w));
  src.from_vector(test::random_normal(src.numel(), 2));
  other.from_vector(test::random_normal(other.numel(), 3));
  Tensor diff_dst(conv.forward(src, Mode::train).desc());
  diff_dst.from_vector(test::random_normal(diff_dst.numel(), 4));
  const auto dx = conv.backward(diff_dst).to_vector();
  const auto dw = conv.weight().grad.to_vector();

  conv.forward(src, Mode::train);
  conv.forward(other, Mode::eval);
  CHECK(conv.backward(diff_dst).to_vector() == dx);
  CHECK(conv.weight().grad.to_vector() == dw);
}
