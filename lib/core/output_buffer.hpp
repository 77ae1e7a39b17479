// Buffers that a primitive (or a kernel of ours) writes completely before anything reads them:
// layer outputs, diff_src, reorder targets, the input batch. Zero-filling them on creation, as
// Tensor's constructor does, cost a one-step run 39% of its time and made every page resident
// before use (issue 18).
#pragma once

#include "core/tensor.hpp"

namespace bnlab {

// A tensor for `md` whose buffer is left as the allocator gives it. A descriptor with padding (a
// blocked layout whose channels are not a multiple of the block) is still zero-filled: oneDNN
// reads the padding of its inputs as zeros.
Tensor output_buffer(const dnnl::memory::desc& md, Context& ctx = default_context());

}  // namespace bnlab
