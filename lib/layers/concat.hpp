// Concatenation on channels of tensors that agree in N, H and W, on oneDNN's concat primitive:
//   dst[n, off_k + c, y, x] = src_k[n, c, y, x]       off_k = C_0 + ... + C_{k-1}
//   src_k (N, C_k, H, W)   dst (N, Σ C_k, H, W)
// Backward cuts diff_dst back into its pieces:
//   diff_src_k[n, c, y, x] = diff_dst[n, off_k + c, y, x]
// The join of parallel branches (an Inception module: Szegedy et al. 2015, "Going Deeper with
// Convolutions"). Not a Layer: it has several inputs.
// Layouts: the primitive chooses dst's layout (it keeps the branches' blocked layout when they
// agree). Each diff_src_k is one reorder from a window of diff_dst (oneDNN's submemory) into
// src_k's descriptor; a blocked diff_dst whose channel offsets do not fall on block boundaries is
// first reordered once to channels-last (nhwc), where any channel window is a plain strided view.
#pragma once

#include <vector>

#include "layers/layer.hpp"
#include "layers/relayout.hpp"

namespace bnlab {

class Concat {
 public:
  explicit Concat(Context& ctx = default_context()) : ctx_(ctx) {}
  Concat(const Concat&) = delete;
  Concat& operator=(const Concat&) = delete;

  // dst, owned by this Concat, valid until the next forward in the same mode.
  const Tensor& forward(const std::vector<const Tensor*>& srcs, Mode mode);
  // After a Mode::train forward: diff_src of each input, in that input's descriptor.
  const std::vector<Tensor>& backward(const Tensor& diff_dst);
  const std::string& impl(Mode mode) const { return (mode == Mode::train ? train_ : eval_).impl; }

 private:
  struct Plan {
    std::vector<dnnl::memory::desc> src_mds;  // as the caller gave them
    std::vector<dnnl::memory> srcs;           // (N, C_k, H, W)  handles onto the caller's srcs
    Tensor dst;                               // (N, ΣC_k, H, W) the primitive's layout
    Step fwd;
    std::string impl;
  };
  void build(Plan& plan, const std::vector<const Tensor*>& srcs, Mode mode);

  Context& ctx_;
  Plan train_, eval_;
  // Backward, built with the training plan.
  dnnl::memory diff_dst_;           // (N, ΣC_k, H, W)  handle onto the caller's diff_dst
  Relayout channels_last_;          // diff_dst as nhwc, when dst's blocks do not fit the pieces
  std::vector<dnnl::memory> windows_;  // (N, C_k, H, W) windows onto channels_last_.mem()
  std::vector<Tensor> diff_srcs_;   // (N, C_k, H, W)   in src_k's descriptor
  std::vector<Step> cuts_;          // window k of diff_dst -> diff_srcs_[k]
};

}  // namespace bnlab
