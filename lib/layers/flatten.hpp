// Flatten: (N, C, H, W) in any layout -> plain row-major (N, C·H·W), elements in PyTorch's
// nchw order:  dst[n, (c·H + h)·W + w] = src[n, c, h, w]
// Backward is the inverse relabelling: diff_src = diff_dst seen as (N, C, H, W), in src's layout.
// A plain src is only relabelled (dst is a view of the caller's buffer, diff_src a view of
// diff_dst); a blocked or nhwc src (what convolution picked) is reordered into a layer-owned
// plain buffer, and the gradient reordered back. Any rank 2..5 works; 2-D plain passes through.
#pragma once

#include "layers/layer.hpp"
#include "layers/relayout.hpp"

namespace bnlab {

class Flatten : public Layer {
 public:
  explicit Flatten(Context& ctx = default_context());

  std::string kind() const override { return "flatten"; }
  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;

 private:
  struct Plan {
    dnnl::memory::desc src_md;  // as the caller gave it
    dnnl::memory src;           // (N, C, H, W)  handle onto the caller's src
    Relayout to_plain;          // (N, C, H, W)  src in plain nchw (src itself when already plain)
    Tensor dst;                 // (N, C*H*W)    view of to_plain's buffer
  };
  void build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode);

  Plan train_, eval_;
  // Backward, built with the training plan.
  dnnl::memory diff_dst_;       // (N, C, H, W)  plain nchw handle onto the caller's (N, C*H*W) diff_dst
  Relayout to_src_layout_;      // (N, C, H, W)  diff_dst in src's layout (diff_dst itself when plain)
  Tensor diff_src_;             // (N, C, H, W)  view of to_src_layout_'s buffer, src's descriptor
};

}  // namespace bnlab
