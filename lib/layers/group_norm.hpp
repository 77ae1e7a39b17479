// Group Normalization (Wu & He 2018), PyTorch's torch.nn.GroupNorm(C / group_size, C):
//
//   G = C / group_size groups of consecutive channels; for each sample n and group j, over the
//   M = group_size * H * W values of its channels (M = group_size for a 2-D (N, C) input):
//              mu = mean,  var = biased variance (divide by M),  rstd = 1 / sqrt(var + eps)
//              y = gamma_c * (x - mu) * rstd + beta_c        (gamma, beta per channel)
//   backward:  with xhat = (x - mu) * rstd, g = dL/dy and dxhat = gamma_c * g,
//              dgamma_c = Σ_(n,h,w) g·xhat,  dbeta_c = Σ_(n,h,w) g,
//              dx = rstd · (dxhat - mean_group(dxhat) - xhat · mean_group(dxhat·xhat))
//
// Statistics are per sample, so there are no running statistics: Mode::train, eval and
// batch_stats compute the same output (train also keeps what backward needs). group_size = 1 is
// instance norm, group_size = C is layer norm as Wu & He use it (LayerNorm reuses this kernel
// for 4-D inputs). C not divisible by group_size is a ConfigError naming norm.group_size.
//
// The compute (statistics, affine, backward, the fused ReLU) is GroupNormKernel
// (group_norm_kernel.hpp), which LayerNorm shares.
#pragma once

#include "layers/group_norm_kernel.hpp"
#include "layers/layer.hpp"
#include "model/model_config.hpp"

namespace bnlab {

class GroupNorm : public Layer {
 public:
  GroupNorm(std::int64_t channels, const NormConfig& config, Context& ctx = default_context());

  std::string kind() const override { return "group_norm"; }
  const Tensor& forward(const Tensor& src, Mode mode) override {
    return kernel_.forward(src, mode, gamma_.value, beta_.value);
  }
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override {
    return kernel_.backward(diff_dst, need_diff_src, gamma_.value, gamma_.grad, beta_.grad);
  }
  std::vector<Param*> params() override { return {&gamma_, &beta_}; }
  bool is_norm() const override { return true; }

  Param& gamma() { return gamma_; }
  Param& beta() { return beta_; }
  std::int64_t groups() const { return channels_ / group_size_; }
  const GroupNormKernel& kernel() const { return kernel_; }

 private:
  std::int64_t channels_, group_size_;
  Param gamma_, beta_;  // (C)
  GroupNormKernel kernel_;
};

}  // namespace bnlab
