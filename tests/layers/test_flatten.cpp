// flatten: nchw element order from plain, nhwc and blocked sources, the gradient back in the
// source's layout, finite differences, 2-D pass-through, and primitive reuse.
#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "layers/flatten.hpp"
#include "layers/layer_check.hpp"

using namespace bnlab;
using test::desc4;
using tag = dnnl::memory::format_tag;


TEST_CASE("flatten gives plain (N, C*H*W) in nchw order from any layout", "[layers][flatten]") {
  for (const tag layout : {tag::nchw, tag::nhwc, tag::nChw16c, tag::nChw8c}) {
    const auto md = desc4(3, 20, 3, 2, layout);  // 20 channels: the blocked layouts are padded
    INFO("layout " << static_cast<int>(layout));
    Flatten flatten;
    Tensor src(md);
    std::vector<float> x(static_cast<std::size_t>(src.numel()));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);  // value = nchw index
    src.from_vector(x);
    const Tensor& dst = flatten.forward(src, Mode::train);
    CHECK(dst.desc() == plain_desc({3, 20 * 3 * 2}));
    CHECK(dst.to_vector() == x);
    CHECK(flatten.forward(src, Mode::eval).to_vector() == x);
    if (layout == tag::nchw) CHECK(dst.data() == src.data());  // a plain src is only relabelled

    std::vector<float> dy(x.size());
    for (std::size_t i = 0; i < dy.size(); ++i) dy[i] = -static_cast<float>(i);
    Tensor diff_dst = Tensor::plain({3, 120});
    diff_dst.from_vector(dy);
    const Tensor& diff_src = flatten.backward(diff_dst);
    CHECK(diff_src.desc() == md);
    CHECK(diff_src.to_vector() == dy);
  }
}

TEST_CASE("flatten gradients match finite differences", "[layers][flatten][gradcheck]") {
  for (const auto& md : {desc4(2, 3, 2, 2, tag::nchw), desc4(2, 17, 2, 3, tag::nChw16c)}) {
    INFO(to_string(md.dims()));
    Flatten flatten;
    test::check_layer_gradients(flatten, md);
  }
}

TEST_CASE("flatten passes a 2-D plain input through", "[layers][flatten]") {
  Flatten flatten;
  Tensor src = Tensor::plain({4, 6});
  src.from_vector(test::random_normal(24, 1));
  const Tensor& dst = flatten.forward(src, Mode::train);
  CHECK(dst.desc() == src.desc());
  CHECK(dst.data() == src.data());
  Tensor diff_dst = Tensor::plain({4, 6});
  CHECK(flatten.backward(diff_dst).data() == diff_dst.data());
}

TEST_CASE("flatten builds its primitives once per input shape", "[layers][flatten]") {
  Flatten flatten;
  Tensor src(desc4(2, 32, 3, 3, tag::nChw16c));
  Tensor diff_dst(flatten.forward(src, Mode::train).desc());
  flatten.backward(diff_dst);
  flatten.forward(src, Mode::eval);
  const auto before = primitive_creations();
  for (int i = 0; i < 3; ++i) {
    flatten.forward(src, Mode::train);
    flatten.forward(src, Mode::eval);
    flatten.backward(diff_dst);
  }
  CHECK(primitive_creations() == before);
}

TEST_CASE("flatten rejects a 1-D input and a mismatched diff_dst", "[layers][flatten]") {
  Flatten flatten;
  Tensor vec = Tensor::plain({5});
  CHECK_THROWS_AS(flatten.forward(vec, Mode::train), ShapeError);
  CHECK_THROWS_AS(flatten.backward(vec), Error);
  Tensor src = Tensor::plain({2, 3, 2, 2});
  flatten.forward(src, Mode::train);
  Tensor wrong = Tensor::plain({2, 13});
  CHECK_THROWS_AS(flatten.backward(wrong), ShapeError);
}
