// concat: channel concatenation against a naive loop for plain, blocked (aligned and unaligned
// channel counts) and mixed inputs, diff_src of each input cut back in its own descriptor,
// finite-difference gradients, and no primitive rebuilt per step.
#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "layers/concat.hpp"
#include "layers/layer_check.hpp"

using namespace bnlab;
using test::desc4;
using tag = dnnl::memory::format_tag;

namespace {

// The Concat seen as a one-input Layer for the gradient check: src goes in at position `side`
// between fixed tensors.
class ConcatOneSide : public Layer {
 public:
  ConcatOneSide(std::size_t side, const std::vector<dnnl::memory::desc>& others) : side_(side) {
    for (const auto& md : others) {
      fixed_.emplace_back(md);
      fixed_.back().from_vector(test::random_normal(static_cast<std::size_t>(fixed_.back().numel()), 9));
    }
  }
  std::string kind() const override { return "concat"; }
  const Tensor& forward(const Tensor& src, Mode mode) override {
    std::vector<const Tensor*> srcs;
    for (const auto& t : fixed_) srcs.push_back(&t);
    srcs.insert(srcs.begin() + static_cast<std::ptrdiff_t>(side_), &src);
    return concat_.forward(srcs, mode);
  }
  const Tensor& backward(const Tensor& diff_dst, bool) override { return concat_.backward(diff_dst)[side_]; }

 private:
  Concat concat_;
  std::size_t side_;
  std::vector<Tensor> fixed_;
};

}  // namespace

TEST_CASE("concat joins inputs on channels and cuts the gradient back", "[layers][concat]") {
  struct Case {
    const char* name;
    std::vector<std::pair<std::int64_t, tag>> inputs;  // channels, layout
  };
  const Case cases[] = {
      {"plain", {{2, tag::nchw}, {3, tag::nchw}}},
      {"blocked, whole blocks", {{16, tag::nChw16c}, {32, tag::nChw16c}}},
      {"blocked, split blocks (an Inception module's 8 + 12 + 4)", {{8, tag::nChw16c}, {12, tag::nChw16c}, {4, tag::nChw16c}}},
      {"mixed layouts", {{16, tag::nChw16c}, {5, tag::nchw}, {3, tag::nhwc}}},
  };
  for (const auto& tc : cases) {
    INFO(tc.name);
    const std::int64_t n = 2, h = 3, w = 2;
    std::vector<Tensor> srcs;
    std::vector<std::vector<float>> xs;
    std::int64_t total = 0;
    for (const auto& [c, layout] : tc.inputs) {
      srcs.emplace_back(desc4(n, c, h, w, layout));
      xs.push_back(test::random_normal(static_cast<std::size_t>(n * c * h * w), 10 + total));
      srcs.back().from_vector(xs.back());
      total += c;
    }
    std::vector<const Tensor*> ptrs;
    for (const auto& s : srcs) ptrs.push_back(&s);
    Concat concat;
    const Tensor& dst = concat.forward(ptrs, Mode::train);
    REQUIRE(dst.dims() == Dims{n, total, h, w});
    // y[n, off + c, y, x] = x_k[n, c, y, x]
    std::vector<double> y(static_cast<std::size_t>(n * total * h * w));
    const auto dy = test::random_normal(y.size(), 3);
    std::vector<std::vector<double>> dx(srcs.size());
    std::int64_t off = 0;
    for (std::size_t k = 0; k < srcs.size(); ++k) {
      const auto c_k = tc.inputs[k].first;
      dx[k].resize(xs[k].size());
      for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t c = 0; c < c_k; ++c)
          for (std::int64_t p = 0; p < h * w; ++p) {
            const auto src_i = static_cast<std::size_t>((i * c_k + c) * h * w + p);
            const auto dst_i = static_cast<std::size_t>((i * total + off + c) * h * w + p);
            y[dst_i] = xs[k][src_i];
            dx[k][src_i] = dy[dst_i];
          }
      off += c_k;
    }
    test::check_close(dst.to_vector(), y, 0);
    test::check_close(concat.forward(ptrs, Mode::eval).to_vector(), y, 0);
    Tensor diff_dst(dst.desc());
    diff_dst.from_vector(dy);
    const auto& diff_srcs = concat.backward(diff_dst);
    REQUIRE(diff_srcs.size() == srcs.size());
    for (std::size_t k = 0; k < srcs.size(); ++k) {
      INFO("input " << k << ", dst impl " << concat.impl(Mode::train));
      CHECK(diff_srcs[k].desc() == srcs[k].desc());
      test::check_close(diff_srcs[k].to_vector(), dx[k], 0);
    }
  }
}

TEST_CASE("concat gradients match finite differences", "[layers][concat][gradcheck]") {
  for (std::size_t side : {0, 1}) {
    INFO("side " << side);
    ConcatOneSide layer(side, {desc4(2, 12, 3, 3, tag::nChw16c)});
    test::check_layer_gradients(layer, desc4(2, 4, 3, 3, tag::nChw16c));
  }
}

TEST_CASE("concat builds its primitives once per shape and rejects mismatched inputs", "[layers][concat]") {
  Tensor a(desc4(2, 8, 4, 4, tag::nChw16c)), b(desc4(2, 4, 4, 4, tag::nChw16c));
  Concat concat;
  Tensor diff_dst(concat.forward({&a, &b}, Mode::train).desc());
  concat.backward(diff_dst);
  concat.forward({&a, &b}, Mode::eval);
  const auto before = primitive_creations();
  for (int i = 0; i < 3; ++i) {
    concat.forward({&a, &b}, Mode::train);
    concat.forward({&a, &b}, Mode::eval);
    concat.backward(diff_dst);
  }
  CHECK(primitive_creations() == before);

  Tensor smaller(desc4(2, 4, 2, 2));
  CHECK_THROWS_AS(concat.forward({&a, &smaller}, Mode::train), ShapeError);
  CHECK_THROWS_AS(Concat().forward({}, Mode::train), ShapeError);
  Concat fresh;
  CHECK_THROWS_AS(fresh.backward(diff_dst), Error);
}

TEST_CASE("concat keeps the branches' blocked layout and copies with a fast kernel", "[layers][concat]") {
  Tensor a(desc4(4, 16, 7, 7, tag::nChw16c)), b(desc4(4, 32, 7, 7, tag::nChw16c));
  Concat concat;
  const Tensor& dst = concat.forward({&a, &b}, Mode::train);
  INFO("impl " << concat.impl(Mode::train));
  CHECK(dst.desc() == desc4(4, 48, 7, 7, tag::nChw16c));
  CHECK(concat.impl(Mode::train).find("ref") == std::string::npos);
}
