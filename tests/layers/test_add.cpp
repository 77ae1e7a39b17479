// add: the residual add (with and without its ReLU) against naive loops in agreeing and differing
// layouts, finite-difference gradients for both summands, and no primitive rebuilt per step.
#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "layers/add.hpp"
#include "layers/layer_check.hpp"

using namespace bnlab;
using test::desc4;
using tag = dnnl::memory::format_tag;

namespace {

// The Add seen as a one-input Layer for the gradient check: src is summand `side` (0 = a,
// 1 = b), the other summand is a fixed tensor.
class AddOneSide : public Layer {
 public:
  AddOneSide(bool relu, int side, const dnnl::memory::desc& other_md) : add_(relu), side_(side), other_(other_md) {
    // small (std 0.1): src, at least 0.5 from zero, decides the sign of a + b
    other_.from_vector(test::random_normal(static_cast<std::size_t>(other_.numel()), 9, 0.1));
  }
  std::string kind() const override { return "add"; }
  const Tensor& forward(const Tensor& src, Mode mode) override {
    return side_ == 0 ? add_.forward(src, other_, mode) : add_.forward(other_, src, mode);
  }
  const Tensor& backward(const Tensor& diff_dst, bool) override {
    const auto [a, b] = add_.backward(diff_dst);
    return side_ == 0 ? *a : *b;
  }

 private:
  Add add_;
  int side_;
  Tensor other_;
};

// Values at least 0.5 from zero, so with the small other summand a +-0.01 step never crosses the
// ReLU's kink in a + b.
std::vector<float> signed_half_to_two(std::size_t n, Rng& rng) {
  std::vector<float> out(n);
  for (auto& v : out) v = static_cast<float>((rng.uniform(0.0, 1.0) < 0.5 ? -1 : 1) * rng.uniform(0.5, 2.0));
  return out;
}

}  // namespace

TEST_CASE("add sums two tensors, applies its ReLU, and hands both the gradient", "[layers][add]") {
  struct Case {
    const char* name;
    tag a_layout, b_layout;
    std::int64_t c;
    bool relu;
  };
  const Case cases[] = {
      {"plain, no relu", tag::nchw, tag::nchw, 3, false},
      {"plain, relu", tag::nchw, tag::nchw, 3, true},
      {"blocked, relu (a residual stage)", tag::nChw16c, tag::nChw16c, 16, true},
      {"blocked body, plain shortcut", tag::nChw16c, tag::nchw, 20, true},
      {"nhwc and blocked", tag::nhwc, tag::nChw16c, 8, false},
  };
  for (const auto& tc : cases) {
    INFO(tc.name);
    const std::int64_t n = 2, h = 3, w = 4;
    Tensor a(desc4(n, tc.c, h, w, tc.a_layout)), b(desc4(n, tc.c, h, w, tc.b_layout));
    const auto x = test::random_normal(static_cast<std::size_t>(a.numel()), 1);
    const auto z = test::random_normal(static_cast<std::size_t>(b.numel()), 2);
    a.from_vector(x);
    b.from_vector(z);
    Add add(tc.relu);
    const Tensor& dst = add.forward(a, b, Mode::train);
    CHECK(dst.desc() == a.desc());  // a's layout
    const auto dy = test::random_normal(x.size(), 3);
    std::vector<double> y(x.size()), dx(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double sum = static_cast<double>(x[i]) + z[i];
      y[i] = tc.relu ? std::max(sum, 0.0) : sum;
      dx[i] = !tc.relu || sum > 0 ? dy[i] : 0.0;
    }
    test::check_close(dst.to_vector(), y, 1e-6);
    test::check_close(add.forward(a, b, Mode::eval).to_vector(), y, 1e-6);
    Tensor diff_dst(dst.desc());
    diff_dst.from_vector(dy);
    const auto [diff_a, diff_b] = add.backward(diff_dst);
    CHECK(diff_a->desc() == a.desc());
    CHECK(diff_b->desc() == b.desc());
    test::check_close(diff_a->to_vector(), dx, 1e-6);
    test::check_close(diff_b->to_vector(), dx, 1e-6);
  }
}

TEST_CASE("add gradients match finite differences", "[layers][add][gradcheck]") {
  test::GradCheckOptions options;
  options.make_src = signed_half_to_two;
  for (const bool relu : {false, true})
    for (const int side : {0, 1}) {
      INFO("relu " << relu << " side " << side);
      AddOneSide layer(relu, side, desc4(2, 16, 3, 3, tag::nchw));
      test::check_layer_gradients(layer, desc4(2, 16, 3, 3, tag::nChw16c), options);
    }
}

TEST_CASE("add builds its primitives once per shape and rejects mismatched summands", "[layers][add]") {
  Add add(true);
  Tensor a(desc4(2, 16, 4, 4, tag::nChw16c)), b(desc4(2, 16, 4, 4, tag::nchw));
  Tensor diff_dst(add.forward(a, b, Mode::train).desc());
  add.backward(diff_dst);
  add.forward(a, b, Mode::eval);
  const auto before = primitive_creations();
  for (int i = 0; i < 3; ++i) {
    add.forward(a, b, Mode::train);
    add.forward(a, b, Mode::eval);
    add.backward(diff_dst);
  }
  CHECK(primitive_creations() == before);

  Tensor other(desc4(2, 16, 2, 2));
  CHECK_THROWS_WITH(add.forward(a, other, Mode::train),
                    "add: the summands differ in shape, (2,16,4,4) and (2,16,2,2)");
  Add fresh;
  CHECK_THROWS_AS(fresh.backward(diff_dst), Error);
}

TEST_CASE("add on a blocked layout runs a JIT kernel with its ReLU fused", "[layers][add]") {
  // The residual add of every block of a ResNet: both summands in the convolution's layout.
  Add add(true);
  Tensor a(desc4(8, 32, 14, 14, tag::nChw16c)), b(desc4(8, 32, 14, 14, tag::nChw16c));
  add.forward(a, b, Mode::train);
  INFO("impl " << add.impl(Mode::train));
  CHECK(add.impl(Mode::train).find("ref") == std::string::npos);
}
