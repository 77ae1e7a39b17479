// Batch Normalization (Ioffe & Szegedy 2015) on oneDNN's batch_normalization primitive, with
// PyTorch's semantics so results compare (DESIGN.md, "BatchNorm semantics"):
//
//   training:  mu_c = mean over (N,H,W) of x,  var_c = biased variance (divide by m = N*H*W)
//              y = gamma_c * (x - mu_c) / sqrt(var_c + eps) + beta_c
//              running_mean = (1 - momentum) * running_mean + momentum * mu_c
//              running_var  = (1 - momentum) * running_var  + momentum * var_c * m / (m - 1)
//   eval:      the same formula with running_mean / running_var (oneDNN's use_global_stats)
//   batch_stats: the training formula on the batch given, without touching running statistics or
//              what backward needs (probes compare it with eval)
//   backward:  with xhat = (x - mu) / sqrt(var + eps) and g = dL/dy,
//              dgamma = Σ g·xhat,  dbeta = Σ g,
//              dx = gamma / sqrt(var + eps) · (g - mean(g) - xhat · mean(g·xhat))
//
// Shapes: src/dst (N, C) or (N, C, H, W); gamma, beta, running_mean, running_var (C).
// oneDNN 2.6 runs BN on plain nchw/nc with a slow reference kernel, so a 2-D (N, C) tensor is
// described to oneDNN as (N, C, 1, 1) nhwc (same bytes) and a plain nchw input is reordered to
// nhwc; blocked layouts chosen by convolution are kept. With fuse_relu the primitive applies
// ReLU to its output (and masks the gradient) through oneDNN's fuse_norm_relu.
// oneDNN keeps no running statistics: this layer does. Training needs m > 1 values per channel.
#pragma once

#include "layers/layer.hpp"
#include "model/model_config.hpp"

namespace bnlab {

class BatchNorm : public Layer {
 public:
  BatchNorm(std::int64_t channels, const NormConfig& config, bool fuse_relu = false,
            Context& ctx = default_context());

  std::string kind() const override { return fuse_relu_ ? "batch_norm_relu" : "batch_norm"; }
  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;
  std::vector<Param*> params() override { return {&gamma_, &beta_}; }
  std::vector<Buffer> buffers() override {
    return {{"running_mean", &running_mean_}, {"running_var", &running_var_}};
  }
  bool is_norm() const override { return true; }

  Param& gamma() { return gamma_; }
  Param& beta() { return beta_; }
  Tensor& running_mean() { return running_mean_; }
  Tensor& running_var() { return running_var_; }
  double eps() const { return eps_; }
  // Statistics of the last training batch (biased variance), (C).
  const Tensor& batch_mean() const { return mean_; }
  const Tensor& batch_var() const { return var_; }
  // Statistics of the last Mode::batch_stats batch (biased variance), (C). Layers built on BN
  // (batch_renorm) read them to get a batch's statistics without touching any state.
  const Tensor& probe_batch_mean() const { return probe_mean_; }
  const Tensor& probe_batch_var() const { return probe_var_; }
  // oneDNN's implementation name of the forward primitive ("bnorm_jit:avx512_core", ...).
  const std::string& impl(Mode mode) const { return plan_for(mode).impl; }

 private:
  struct Plan {
    dnnl::memory::desc src_md;     // as the caller gave it
    dnnl::memory::desc data_md;    // as oneDNN sees it (4-D, nhwc or blocked)
    dnnl::memory src;              // handle onto the caller's src, seen as data_md
    bool reorder_src = false;      // plain nchw src: reordered to nhwc (and diff_src back)
    Reorder to_data;
    std::int64_t values_per_channel = 0;  // m = N*H*W
    Tensor dst;                    // data_md
    Tensor dst_out;                // dst seen with the caller's rank (2-D view or the 4-D tensor)
    Step fwd;
    std::string impl;
  };
  Plan& plan_for(Mode mode) { return mode == Mode::train ? train_ : mode == Mode::eval ? eval_ : batch_stats_; }
  const Plan& plan_for(Mode mode) const { return const_cast<BatchNorm*>(this)->plan_for(mode); }
  void build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode);
  void update_running_stats(std::int64_t m);

  std::int64_t channels_;
  double eps_, momentum_;
  bool fuse_relu_;
  Param gamma_, beta_;                  // (C)
  Tensor running_mean_, running_var_;   // (C)
  Tensor mean_, var_;                   // (C) saved by the training forward for backward
  Tensor probe_mean_, probe_var_;       // (C) written by Mode::batch_stats forwards
  Tensor probe_workspace_;              // ReLU mask of Mode::batch_stats (fused), unused
  Plan train_, eval_, batch_stats_;
  // Backward, built with the training plan.
  Tensor workspace_;                    // ReLU mask when fused
  dnnl::memory diff_dst_;               // handle onto the caller's diff_dst, seen as data_md
  Tensor diff_src_;                     // data_md
  Tensor diff_src_out_;                 // in the caller's src descriptor
  Reorder diff_src_back_;               // data_md -> caller's plain nchw
  Step bwd_;
};

}  // namespace bnlab
