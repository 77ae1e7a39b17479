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
// eval_batch_stats compute the same output (train also keeps what backward needs). group_size = 1 is
// instance norm, group_size = C is layer norm as Wu & He use it (LayerNorm reuses this kernel
// for 4-D inputs). C not divisible by group_size is an OptionError (the schema reports it first,
// as norm.group_size). With options.relu the output is max(y, 0) and backward applies ReLU's
// gradient first: the numbers of GN followed by a ReLU layer, one pass over the tensor fewer
// (after keep_pre_activation() a separate ReLU step, so that the pre-activation exists).
//
// The compute (statistics, affine, backward, the fused ReLU) is GroupNormKernel
// (group_norm_kernel.hpp), which LayerNorm shares.
#pragma once

#include <memory>

#include "layers/eltwise.hpp"
#include "layers/group_norm_kernel.hpp"
#include "layers/norm.hpp"

namespace bnlab {

struct GroupNormOptions {
  double eps = 1e-5;            // added to the variance before the square root
  std::int64_t group_size = 4;  // channels per group; must divide the channels
  bool relu = false;            // apply ReLU to the output (fused into the kernel's passes)
};

class GroupNorm : public Norm {
 public:
  explicit GroupNorm(std::int64_t channels, const GroupNormOptions& options = {}, Context& ctx = default_context());

  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;

  bool relu() const override { return relu_; }
  void keep_pre_activation() override;
  const Tensor* pre_activation(Mode mode) const override { return separate_relu_ ? pre_[mode] : nullptr; }

  std::int64_t groups() const { return channels_ / group_size_; }
  const GroupNormKernel& kernel() const { return kernel_; }

 private:
  std::int64_t group_size_;
  bool relu_;
  GroupNormKernel kernel_;
  std::unique_ptr<Eltwise> separate_relu_;  // after keep_pre_activation(): ReLU as its own step
  PerMode<const Tensor*> pre_{};            // the kernel's output (before that ReLU) per mode
};

}  // namespace bnlab
