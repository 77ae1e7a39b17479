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
// oneDNN 2.6 has no group norm primitive, and its batch_normalization on a re-described tensor
// would need the plain nchw layout, where it runs a slow reference kernel. So the kernel is
// plain loops (vectorized with `omp simd`) working directly in the layouts a network produces:
// every layout whose memory is [outer][H·W][block] — (N, C) plain, nchw, nhwc, nChw8c, nChw16c —
// needs one pass for per-(sample, channel) sums, then one elementwise pass with per-(sample,
// channel) coefficients (forward and backward alike). Other layouts are reordered to nchw (and
// diff_src back). All buffers are sized when the input descriptor changes; a training step
// allocates nothing.
#pragma once

#include <vector>

#include "core/layout.hpp"
#include "layers/layer.hpp"
#include "model/model_config.hpp"

namespace bnlab {

// The per-(sample, group) normalization with per-channel affine, shared by GroupNorm and
// LayerNorm. `name` prefixes error messages. gamma/beta live in the owning layer.
class GroupNormKernel {
 public:
  GroupNormKernel(std::string name, std::int64_t channels, std::int64_t group_size, double eps, Context& ctx);

  const Tensor& forward(const Tensor& src, Mode mode, const Tensor& gamma, const Tensor& beta);
  // Overwrites dgamma, dbeta; returns diff_src in src's descriptor (empty if !need_diff_src).
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src, const Tensor& gamma, Tensor& dgamma,
                         Tensor& dbeta);

  // Statistics of the last training forward, (N, G) row-major: mean and 1/sqrt(var + eps).
  const std::vector<float>& mean() const { return train_.mean; }
  const std::vector<float>& rstd() const { return train_.rstd; }

 private:
  struct Plan {
    dnnl::memory::desc src_md;        // as the caller gave it
    dnnl::memory::desc data_md;       // as the kernel reads it (src_md, or nchw when reordered)
    bool reorder_src = false;
    Reorder to_data;
    Layout layout;                    // data_md's
    std::int64_t n = 0;
    const float* x = nullptr;         // the data normalized by the last forward (train: for backward)
    Tensor dst;                       // data_md
    std::vector<float> mean, rstd;    // (N, G)
    std::vector<float> sums, sums2;   // (N, Cpad) per-(sample, channel) moments, Cpad = cblocks·block
    std::vector<float> shift, scale, bias;  // (N, Cpad): y = scale·(x - shift) + bias
  };
  Plan& plan_for(Mode mode) { return mode == Mode::train ? train_ : mode == Mode::eval ? eval_ : batch_stats_; }
  void build(Plan& plan, const dnnl::memory::desc& src_md, bool training);

  std::string name_;
  std::int64_t channels_, group_size_, groups_;
  double eps_;
  Context& ctx_;
  Plan train_, eval_, batch_stats_;
  // Backward, sized with the training plan.
  std::vector<float> sum_g_, sum_gx_;    // (N, Cpad) Σ g and Σ g·(x - mu) per (sample, channel)
  std::vector<float> coef_g_, coef_x_, coef_1_;  // (N, Cpad): dx = coef_g·g + coef_x·(x - mu) + coef_1
  std::vector<double> dgamma_, dbeta_;   // (C) accumulated in double
  Tensor diff_src_;                      // data_md
  Tensor diff_src_out_;                  // src_md
  Reorder diff_dst_to_data_, diff_src_back_;
};

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
