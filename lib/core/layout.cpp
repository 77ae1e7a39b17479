#include "core/layout.hpp"

#include "core/errors.hpp"
#include "core/tensor.hpp"

namespace bnlab {

namespace {
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

std::int64_t blocks_of(std::int64_t channels, std::int64_t block) { return (channels + block - 1) / block; }
}  // namespace

std::string to_string(LayoutKind kind) {
  switch (kind) {
    case LayoutKind::nc: return "nc";
    case LayoutKind::nchw: return "nchw";
    case LayoutKind::nhwc: return "nhwc";
    case LayoutKind::nChw8c: return "nChw8c";
    case LayoutKind::nChw16c: return "nChw16c";
    case LayoutKind::other: break;
  }
  return "other";
}

dnnl::memory::desc layout_desc(const dnnl::memory::dims& dims, LayoutKind kind) {
  const bool two_d = kind == LayoutKind::nc;
  if (kind != LayoutKind::other && dims.size() == (two_d ? 2u : 4u)) {
    switch (kind) {
      case LayoutKind::nc: return dnnl::memory::desc(dims, dt::f32, tag::nc);
      case LayoutKind::nchw: return dnnl::memory::desc(dims, dt::f32, tag::nchw);
      case LayoutKind::nhwc: return dnnl::memory::desc(dims, dt::f32, tag::nhwc);
      case LayoutKind::nChw8c: return dnnl::memory::desc(dims, dt::f32, tag::nChw8c);
      case LayoutKind::nChw16c: return dnnl::memory::desc(dims, dt::f32, tag::nChw16c);
      case LayoutKind::other: break;
    }
  }
  throw ShapeError("layout_desc: no " + to_string(kind) + " layout for dims " + to_string(dims));
}

Layout describe_layout(const dnnl::memory::desc& md) {
  const auto d = md.dims();
  Layout l;
  if (d.size() == 2) {
    l.n = d[0];
    l.c = d[1];
    if (md == layout_desc(d, LayoutKind::nc)) {
      l.kind = LayoutKind::nc;
      l.block = d[1];
      l.cblocks = 1;
    }
    return l;
  }
  if (d.size() != 4) return l;
  l.n = d[0];
  l.c = d[1];
  l.h = d[2];
  l.w = d[3];
  // Checked in this order so that a descriptor two kinds describe alike gets the first.
  const struct {
    LayoutKind kind;
    std::int64_t block;  // 0: all channels
  } kinds[] = {{LayoutKind::nchw, 1}, {LayoutKind::nhwc, 0}, {LayoutKind::nChw16c, 16}, {LayoutKind::nChw8c, 8}};
  for (const auto& k : kinds)
    if (md == layout_desc(d, k.kind)) {
      l.kind = k.kind;
      l.block = k.block ? k.block : l.c;
      l.cblocks = blocks_of(l.c, l.block);
      return l;
    }
  return l;
}

dnnl::memory::desc with_batch(const dnnl::memory::desc& md, std::int64_t n) {
  const Layout l = describe_layout(md);
  if (!l.known())
    throw ShapeError("with_batch: layout of dims " + to_string(md.dims()) +
                     " is not one of nc, nchw, nhwc, nChw8c, nChw16c");
  auto dims = md.dims();
  dims[0] = n;
  return layout_desc(dims, l.kind);
}

}  // namespace bnlab
