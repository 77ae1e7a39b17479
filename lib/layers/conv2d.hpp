// 2-D convolution on oneDNN's convolution primitives (square kernel k, stride s, zero padding p):
//   dst[n,o,y,x] = b[o] + Σ_{i,ky,kx} W[o,i,ky,kx] · src[n, i, y·s+ky-p, x·s+kx-p]
//   src (N, in, H, W)   weight (out, in, k, k)   bias (out)
//   dst (N, out, (H+2p-k)/s+1, (W+2p-k)/s+1)     (floor, like PyTorch)
// Backward (backward_data, backward_weights):
//   diff_src[n,i,y·s+ky-p,x·s+kx-p] += Σ_o W[o,i,ky,kx] · diff_dst[n,o,y,x]
//   dW[o,i,ky,kx]      = Σ_{n,y,x} diff_dst[n,o,y,x] · src[n, i, y·s+ky-p, x·s+kx-p]
//   db[o]              = Σ_{n,y,x} diff_dst[n,o,y,x]
// Layouts: the convolution chooses src/weights/dst layouts (format_tag::any; on AVX-512 oneDNN 2.6
// picks nChw16c for training and nhwc for inference). The weight Param stays plain oihw (PyTorch's
// layout, what the optimizer and the initializers see) and is reordered to the primitive's layout
// on every forward (cheap); src is reordered only when its layout differs; dst keeps the
// primitive's layout, and the layers after the convolution keep it. The backward primitives may
// want other layouts again (backward_data's weights, backward_weights' src/diff_dst): each edge
// is a Relayout, a no-op when layouts agree. diff_src comes back in the caller's src descriptor.
// A convolution followed by a norm has no bias (the norm's beta replaces it).
#pragma once

#include "layers/layer.hpp"
#include "layers/relayout.hpp"

namespace bnlab {

struct Conv2dOptions {
  std::int64_t kernel = 3;   // k: the filter is k x k
  std::int64_t stride = 1;   // s: the filter moves s pixels at a time (2 halves H and W)
  std::int64_t padding = 1;  // p: zero rows/columns added on each side
  bool bias = true;          // false when a norm follows (its beta replaces the bias)
};

class Conv2d : public Layer {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, const Conv2dOptions& options,
         Context& ctx = default_context());

  std::string kind() const override { return "conv2d"; }
  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;
  std::vector<Param*> params() override;

  Param& weight() { return weight_; }
  Param* bias() { return has_bias_ ? &bias_ : nullptr; }
  std::int64_t in_channels() const { return in_; }
  std::int64_t out_channels() const { return out_; }
  std::int64_t kernel() const { return kernel_; }
  std::int64_t stride() const { return stride_; }
  std::int64_t padding() const { return padding_; }
  // oneDNN's implementation name of the forward primitive ("jit:avx512_common", ...).
  const std::string& impl(Mode mode) const { return (mode == Mode::train ? train_ : eval_).impl; }

 private:
  struct Plan {
    dnnl::memory::desc src_md;  // as the caller gave it
    dnnl::memory src;           // (N, in, H, W)     handle onto the caller's src
    Relayout conv_src;          // (N, in, H, W)     src in the primitive's layout
    Relayout conv_weights;      // (out, in, k, k)   weight in the primitive's layout
    Tensor dst;                 // (N, out, OH, OW)  in the primitive's layout
    Step fwd;
    std::string impl;
  };
  void build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode);

  std::int64_t in_, out_, kernel_, stride_, padding_;
  bool has_bias_;
  Param weight_;                // (out, in, k, k) plain oihw
  Param bias_;                  // (out)
  Plan train_, eval_;
  // Backward, built with the training plan.
  dnnl::memory diff_dst_;       // (N, out, OH, OW)  handle onto the caller's diff_dst (dst layout)
  Relayout data_diff_dst_;      // (N, out, OH, OW)  diff_dst as backward_data wants it
  Relayout data_weights_;       // (out, in, k, k)   weight as backward_data wants it
  Relayout diff_src_conv_;      // (N, in, H, W)     backward_data's diff_src -> diff_src_
  Tensor diff_src_;             // (N, in, H, W)     in the caller's src descriptor
  Relayout weights_diff_dst_;   // (N, out, OH, OW)  diff_dst as backward_weights wants it
  Relayout weights_src_;        // (N, in, H, W)     src as backward_weights wants it
  Relayout diff_weights_;       // (out, in, k, k)   backward_weights' layout -> plain weight grad
  Step bwd_data_, bwd_weights_;
};

}  // namespace bnlab
