// 2-D average pooling on oneDNN's pooling primitives (no padding; output sizes floor, like PyTorch):
//   dst[n,c,y,x] = 1/k² · Σ_{0 <= ky,kx < k} src[n, c, y·s + ky, x·s + kx]
//   src (N, C, H, W)   dst (N, C, (H - k) / s + 1, (W - k) / s + 1)
// Backward spreads each diff_dst value evenly over its window:
//   diff_src[n,c,i,j] = Σ over windows containing (i,j) of diff_dst[n,c,y,x] / k²
// Global average pooling (AvgPool2d::global()) is the same with the window set to the whole
// input, H x W, at build time: dst (N, C, 1, 1), the mean of each channel of each sample, the
// head of a ResNet (He et al. 2016, "Deep Residual Learning for Image Recognition"). A Flatten
// after it gives the classifier its (N, C).
// dst keeps src's layout (dst is format_tag::any, and pooling picks src's), so a blocked layout a
// convolution chose flows through; average pooling needs no workspace.
#pragma once

#include "layers/layer.hpp"

namespace bnlab {

class AvgPool2d : public Layer {
 public:
  explicit AvgPool2d(std::int64_t kernel = 2, std::int64_t stride = 2, Context& ctx = default_context());
  // The window covers the whole input, whatever its size.
  static std::unique_ptr<AvgPool2d> global(Context& ctx = default_context());

  std::string kind() const override { return is_global() ? "global_avg_pool" : "avg_pool"; }
  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;

  bool is_global() const { return kernel_ == 0; }
  std::int64_t kernel() const { return kernel_; }  // 0 for global
  std::int64_t stride() const { return stride_; }  // 0 for global
  const std::string& impl(Mode mode) const { return (mode == Mode::train ? train_ : eval_).impl; }

 private:
  struct Plan {
    dnnl::memory::desc src_md;  // as the caller gave it
    dnnl::memory src;           // (N, C, H, W)    handle onto the caller's src
    Tensor dst;                 // (N, C, OH, OW)  src's layout
    Step fwd;
    std::string impl;
  };
  struct Global {};
  explicit AvgPool2d(Global, Context& ctx);
  void build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode);

  std::int64_t kernel_, stride_;  // both 0: global
  Plan train_, eval_;
  // Backward, built with the training plan.
  dnnl::memory diff_dst_;       // (N, C, OH, OW)  handle onto the caller's diff_dst
  Tensor diff_src_;             // (N, C, H, W)    in the caller's src descriptor
  Step bwd_;
};

}  // namespace bnlab
