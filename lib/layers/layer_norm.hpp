// Layer Normalization (Ba et al. 2016) as Wu & He (2018) use it: each sample is normalized over
// all of its features, with the biased variance and a per-channel affine.
//
//   (N, C):        mu, var over the C features of a sample; y = gamma_c·(x - mu)/sqrt(var + eps) + beta_c
//                  (= torch.nn.LayerNorm(C))
//   (N, C, H, W):  mu, var over the C·H·W values of a sample; gamma, beta per channel
//                  (= torch.nn.GroupNorm(1, C); torch.nn.LayerNorm([C, H, W]) would have per-element
//                  gamma/beta, which Wu & He's comparison does not use)
//   backward:      dgamma_c = Σ g·xhat, dbeta_c = Σ g, dx = rstd·(dxhat - mean(dxhat) - xhat·mean(dxhat·xhat))
//                  with dxhat = gamma_c·g, means over the values of the sample.
//
// No running statistics: Mode::train, eval and eval_batch_stats give the same output.
//
// 2-D inputs run on oneDNN's layer_normalization primitive (it normalizes over the last
// dimension, which is exactly this). 4-D inputs use GroupNormKernel with one group: oneDNN's
// primitive normalizes over the last dimension with per-element scale, so it would need the
// data reordered out of the conv's blocked layout into a plain (N, C·H·W) view, plus a
// per-channel affine and its backward written here on top (dgamma needs xhat, which the
// primitive does not return) — more passes and code than the group kernel, which reads the
// blocked layout directly and is the same formula with G = 1.
#pragma once

#include "layers/group_norm.hpp"
#include "layers/norm.hpp"

namespace bnlab {

struct LayerNormOptions {
  double eps = 1e-5;  // added to the variance before the square root
};

class LayerNorm : public Norm {
 public:
  explicit LayerNorm(std::int64_t channels, const LayerNormOptions& options = {}, Context& ctx = default_context());

  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;

  // oneDNN's implementation name of the 2-D forward primitive, "" before one ran.
  const std::string& impl() const { return plans_.train.impl; }

 private:
  struct Plan {
    dnnl::memory::desc src_md;  // as the caller gave it (2-D)
    dnnl::memory src;           // handle onto the caller's src (plain), or the reordered copy
    Reorder to_plain;
    bool reorder_src = false;
    Tensor dst;                 // (N, C) plain
    Tensor mean, var;           // (N)
    Step fwd;
    std::string impl;
  };
  void build(Plan& plan, const dnnl::memory::desc& src_md, bool training);

  double eps_;
  GroupNormKernel kernel_;  // 4-D inputs: one group of all channels
  bool last_train_4d_ = false;
  PerMode<Plan> plans_;
  // 2-D backward, built with the training plan.
  dnnl::memory diff_dst_;  // handle onto the caller's diff_dst
  Reorder diff_dst_to_plain_;
  Tensor diff_src_;        // (N, C) plain
  Tensor diff_src_out_;    // in the caller's src descriptor
  Reorder diff_src_back_;
  Step bwd_;
};

}  // namespace bnlab
