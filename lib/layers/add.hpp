// The residual add of two same-shaped tensors, with an optional ReLU after it, on oneDNN's binary
// primitive (the ReLU as its eltwise post-op, so the sum is written once):
//   dst = a + b                  or   dst = max(a + b, 0)           a, b, dst (N, C, H, W)
// Backward hands the same gradient to both summands:
//   diff_a = diff_b = diff_dst   or   diff_a = diff_b = diff_dst · [dst > 0]
// (the ReLU's backward reads dst: oneDNN's eltwise_relu_use_dst_for_bwd, since a + b is never
// stored). This is the `y = F(x) + x` of a residual block (He et al. 2016, "Deep Residual
// Learning for Image Recognition"), and also sums the two gradients that reach a block's input.
//
// Not a Layer: it has two inputs. dst takes a's layout (binary's dst is format_tag::any, which
// follows src0); b may be in another layout (oneDNN reads it as it is). diff_a and diff_b come
// back in a's and b's descriptors: diff_dst itself (or the ReLU's output) when the layouts agree,
// else a copy reordered once per step.
#pragma once

#include <utility>

#include "layers/layer.hpp"
#include "layers/relayout.hpp"

namespace bnlab {

class Add {
 public:
  explicit Add(bool relu = false, Context& ctx = default_context());
  Add(const Add&) = delete;
  Add& operator=(const Add&) = delete;

  bool relu() const { return relu_; }
  // dst, owned by this Add, valid until the next forward in the same mode (train and eval keep
  // separate buffers, as layers do). a and b must have the same dims.
  const Tensor& forward(const Tensor& a, const Tensor& b, Mode mode);
  // After a Mode::train forward: {diff_a, diff_b}, valid until the next backward.
  std::pair<const Tensor*, const Tensor*> backward(const Tensor& diff_dst);
  const std::string& impl(Mode mode) const { return (mode == Mode::train ? train_ : eval_).impl; }

 private:
  struct Plan {
    dnnl::memory::desc a_md, b_md;  // as the caller gave them
    dnnl::memory a, b;              // (N, C, H, W)  handles onto the caller's a and b
    Tensor dst;                     // (N, C, H, W)  a's layout
    Step fwd;
    std::string impl;
  };
  // The gradient of one summand: diff (the sum's gradient) as it is, or reordered to its layout.
  struct Share {
    bool copy = false;
    dnnl::memory from;  // handle onto diff, in dst's layout
    Tensor diff;        // (N, C, H, W) in the summand's descriptor, when copy
    Step step;
  };
  void build(Plan& plan, const Tensor& a, const Tensor& b, Mode mode);
  void build_share(Share& share, const dnnl::memory::desc& dst_md, const dnnl::memory::desc& summand_md);
  const Tensor* share(Share& share, const Tensor& diff);

  Context& ctx_;
  bool relu_;
  Plan train_, eval_;
  // Backward, built with the training plan.
  dnnl::memory diff_dst_;  // (N, C, H, W)  handle onto the caller's diff_dst (dst's layout)
  Tensor diff_sum_;        // (N, C, H, W)  diff_dst · [dst > 0], when relu
  Step relu_bwd_;
  Share share_a_, share_b_;
};

}  // namespace bnlab
