// 2-D max pooling on oneDNN's pooling primitives (no padding; output sizes floor, like PyTorch):
//   dst[n,c,y,x] = max_{0 <= ky,kx < k} src[n, c, y·s + ky, x·s + kx]
//   src (N, C, H, W)   dst (N, C, (H - k) / s + 1, (W - k) / s + 1)
// Backward routes each diff_dst value to the position that held the window's max:
//   diff_src[n,c,i,j] = Σ over windows whose argmax is (i,j) of diff_dst[n,c,y,x]
// The training forward keeps oneDNN's workspace (the argmax positions) for backward. dst keeps
// src's layout (dst is format_tag::any, and pooling picks src's); nothing is reordered.
// Speed: oneDNN 2.6's training pooling (forward with workspace, and backward) runs at ~0.2 of
// copy bandwidth on the cnn's shapes, 5x slower than its inference pooling (bnlab bench, layers
// maxpool_*), and was a quarter of the cnn's training step. So the common case — 2x2 windows,
// stride 2, on nChw16c, nChw8c or nhwc with C % 4 == 0 (core/layout.hpp) — trains through two
// streaming loops here instead (Pool2x2 in the .cpp: an argmax index per output, the first max
// of the window in row-major order wins, as in oneDNN); other windows and layouts use oneDNN's
// primitives. The two loops run on the --threads OpenMP threads (GCC builds; one thread in the
// clang sanitizer build), each output row on one thread: the same results for any count. Inference always
// uses oneDNN's (fast) primitive.
#pragma once

#include "layers/layer.hpp"

namespace bnlab {

class MaxPool2d : public Layer {
 public:
  explicit MaxPool2d(std::int64_t kernel = 2, std::int64_t stride = 2, Context& ctx = default_context());

  std::string kind() const override { return "max_pool"; }
  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;

  std::int64_t kernel() const { return kernel_; }
  std::int64_t stride() const { return stride_; }
  const std::string& impl(Mode mode) const { return (mode == Mode::train ? train_ : eval_).impl; }

 private:
  struct Plan {
    dnnl::memory::desc src_md;  // as the caller gave it
    dnnl::memory src;           // (N, C, H, W)    handle onto the caller's src
    Tensor dst;                 // (N, C, OH, OW)  src's layout
    Step fwd;
    std::string impl;
  };
  void build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode);

  // The hand-written 2x2/stride-2 training path: memory seen as [outer][H][W][block].
  struct Pool2x2 {
    bool on = false;
    std::int64_t outer = 0, block = 0, h = 0, w = 0, oh = 0, ow = 0;
    std::vector<std::int32_t> argmax;  // (outer, OH, OW, block): 0..3 = window position of the max (int32: the
                                       // compare-and-select loops vectorize on plain x86-64, uint8 did not)
  };
  void forward_2x2(const float* src, float* dst);
  void backward_2x2(const float* diff_dst, float* diff_src) const;

  std::int64_t kernel_, stride_;
  Plan train_, eval_;
  Pool2x2 pool2x2_;
  // Backward, built with the training plan.
  Tensor workspace_;            // argmax positions of the last training forward (oneDNN's layout)
  dnnl::memory diff_dst_;       // (N, C, OH, OW)  handle onto the caller's diff_dst
  Tensor diff_src_;             // (N, C, H, W)    in the caller's src descriptor
  Step bwd_;
};

}  // namespace bnlab
