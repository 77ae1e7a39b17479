// core/layout: the described layout of every kind bnlab's kernels read, checked element by
// element against where oneDNN itself puts each value (a reorder from plain nchw of the values
// 0, 1, 2, ... into the layout), including channel counts that leave a padded last block.
#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "core/layout.hpp"
#include "core/tensor.hpp"

using namespace bnlab;

namespace {
// A tensor in md whose element (n, c, h, w) holds its row-major index.
Tensor indices_in(const dnnl::memory::desc& md) {
  Tensor plain = Tensor::plain(md.dims());
  std::vector<float> values(static_cast<std::size_t>(plain.numel()));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i);
  plain.from_vector(values);
  Tensor out(md);
  copy_into(plain.mem(), out.mem());
  return out;
}
}  // namespace

TEST_CASE("describe_layout gives oneDNN's offset of every element", "[core][layout]") {
  const auto [kind, channels] = GENERATE(table<LayoutKind, std::int64_t>({
      {LayoutKind::nchw, 5}, {LayoutKind::nhwc, 5}, {LayoutKind::nChw8c, 8}, {LayoutKind::nChw8c, 11},
      {LayoutKind::nChw16c, 16}, {LayoutKind::nChw16c, 20}}));
  const std::int64_t n = 3, h = 4, w = 3;
  const auto md = layout_desc({n, channels, h, w}, kind);
  const Layout l = describe_layout(md);
  INFO(to_string(kind) << " C=" << channels);
  REQUIRE(l.kind == kind);
  CHECK(l.spatial() == h * w);
  CHECK(l.padded_channels() >= channels);
  CHECK(static_cast<std::size_t>(l.n * l.floats_per_sample()) * sizeof(float) == md.get_size());
  const Tensor t = indices_in(md);
  const float* data = t.data();
  std::int64_t mismatches = 0;
  for (std::int64_t in = 0; in < n; ++in)
    for (std::int64_t ic = 0; ic < channels; ++ic)
      for (std::int64_t ih = 0; ih < h; ++ih)
        for (std::int64_t iw = 0; iw < w; ++iw) {
          const auto index = static_cast<float>(((in * channels + ic) * h + ih) * w + iw);
          mismatches += data[l.offset(in, ic, ih, iw)] != index;
        }
  CHECK(mismatches == 0);
}

TEST_CASE("describe_layout of a 2-D (N, C) tensor", "[core][layout]") {
  const auto md = layout_desc({4, 6}, LayoutKind::nc);
  CHECK(md == plain_desc({4, 6}));
  const Layout l = describe_layout(md);
  CHECK(l.kind == LayoutKind::nc);
  CHECK(l.outer() == 4);
  CHECK(l.block == 6);
  const Tensor t = indices_in(md);
  CHECK(t.data()[l.offset(2, 5)] == 17.0f);
}

TEST_CASE("describe_layout says other for layouts the kernels cannot read", "[core][layout]") {
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  CHECK(describe_layout(dnnl::memory::desc({2, 3, 4, 5}, dt::f32, tag::chwn)).kind == LayoutKind::other);
  CHECK(describe_layout(dnnl::memory::desc({2, 3, 4, 5}, dt::s8, tag::nchw)).kind == LayoutKind::other);
  CHECK(describe_layout(dnnl::memory::desc({2, 3, 4}, dt::f32, tag::abc)).kind == LayoutKind::other);
  CHECK_FALSE(describe_layout(dnnl::memory::desc({2, 3}, dt::f32, tag::ba)).known());
}

TEST_CASE("with_batch keeps the layout and changes N", "[core][layout]") {
  for (auto kind : {LayoutKind::nchw, LayoutKind::nhwc, LayoutKind::nChw8c, LayoutKind::nChw16c}) {
    const auto chunk = with_batch(layout_desc({8, 20, 3, 3}, kind), 3);
    CHECK(chunk == layout_desc({3, 20, 3, 3}, kind));
  }
  CHECK(with_batch(plain_desc({8, 20}), 5) == plain_desc({5, 20}));
  using tag = dnnl::memory::format_tag;
  const dnnl::memory::desc n_inside({8, 20, 3, 3}, dnnl::memory::data_type::f32, tag::chwn);
  CHECK_THROWS_AS(with_batch(n_inside, 3), ShapeError);
  CHECK_THROWS_AS(layout_desc({8, 20}, LayoutKind::nchw), ShapeError);
}
