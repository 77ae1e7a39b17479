// What a memory descriptor's layout is, for the loops that read tensors directly (group norm,
// max pooling, ghost batch norm) instead of through a oneDNN primitive.
//
// Every layout bnlab's networks produce stores an (N, C[, H, W]) f32 tensor as
//   [N][C / block][H·W][block]        (the last channel block zero-padded up to `block`)
// which covers
//   nc       (N, C) row-major           block = C, cblocks = 1, spatial = 1
//   nchw     plain 4-D                   block = 1, cblocks = C
//   nhwc     channels last               block = C, cblocks = 1
//   nChw8c   channel blocks of 8         block = 8, cblocks = ⌈C/8⌉   (convolution on AVX2)
//   nChw16c  channel blocks of 16        block = 16, cblocks = ⌈C/16⌉ (convolution on AVX-512)
// so one offset formula serves them all:
//   offset(n, c, h, w) = ((n·cblocks + c / block)·spatial + h·W + w)·block + c % block.
// Any other descriptor (another data type, an offset, padded N, strides oneDNN invented) is
// LayoutKind::other; a kernel then reorders to one of the above or uses a oneDNN primitive.
// This header includes oneDNN's and stays in core/ with the other code that touches dnnl.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <string>

namespace bnlab {

enum class LayoutKind { other, nc, nchw, nhwc, nChw8c, nChw16c };

std::string to_string(LayoutKind kind);

struct Layout {
  LayoutKind kind = LayoutKind::other;
  std::int64_t n = 0, c = 0, h = 1, w = 1;  // logical dims (h = w = 1 for a 2-D tensor)
  std::int64_t block = 0;    // channels stored together innermost (0 for other)
  std::int64_t cblocks = 0;  // ⌈C / block⌉

  bool known() const { return kind != LayoutKind::other; }
  std::int64_t spatial() const { return h * w; }
  // [outer][spatial][block] rows: sample o / cblocks, channel block o % cblocks.
  std::int64_t outer() const { return n * cblocks; }
  std::int64_t padded_channels() const { return cblocks * block; }  // Cpad >= C
  std::int64_t floats_per_sample() const { return cblocks * spatial() * block; }
  std::int64_t offset(std::int64_t in, std::int64_t ic, std::int64_t ih = 0, std::int64_t iw = 0) const {
    return ((in * cblocks + ic / block) * spatial() + ih * w + iw) * block + ic % block;
  }
};

// The layout of md (kind other when it is none of the five above).
Layout describe_layout(const dnnl::memory::desc& md);

// The f32 descriptor of `kind` for dims (rank 2 for nc, rank 4 for the others); throws ShapeError
// for other or a rank the kind does not have.
dnnl::memory::desc layout_desc(const dnnl::memory::dims& dims, LayoutKind kind);

// md's layout with the batch dimension set to n (a chunk of consecutive samples: every known
// layout stores each sample contiguously). Throws ShapeError when md's layout is not known.
dnnl::memory::desc with_batch(const dnnl::memory::desc& md, std::int64_t n);

}  // namespace bnlab
