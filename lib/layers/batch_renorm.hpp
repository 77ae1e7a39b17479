// Batch Renormalization (Ioffe 2017, Algorithm 1) on top of BatchNorm (same interface, same
// running statistics: PyTorch momentum, unbiased running variance; see batch_norm.hpp):
//
//   training:  mu_B, sigma_B = sqrt(var_B + eps) of the batch (biased var_B);
//              sigma = sqrt(running_var + eps)
//              r = clip(sigma_B / sigma, 1/rmax, rmax),  d = clip((mu_B - running_mean) / sigma, -dmax, dmax)
//              y = gamma * ((x - mu_B) / sigma_B * r + d) + beta
//              then running_mean / running_var updated exactly as BN does (r, d use the old ones)
//   eval:      BN with running statistics
//   batch_stats: the training formula on the batch given, no state changed (step counter included)
//   backward:  r and d are constants (stop-gradient): dx is BN's backward with scale gamma*r,
//              dgamma = Σ g·(xhat·r + d), dbeta = Σ g
//
// Warm-up: at training step t (t = num_batches_tracked before the step, T = warmup_steps)
// rmax_t = 1 + (rmax - 1)·min(1, t/T), dmax_t = dmax·min(1, t/T); T = 0 uses the full range at
// once. With rmax_t = 1 and dmax_t = 0 (the first step) the layer is BN bit for bit.
// num_batches_tracked is a buffer (1-element tensor) so probes that save and restore buffers
// also restore the warm-up position.
//
// How: y = (gamma·r)·xhat + (gamma·d + beta), so an inner BatchNorm whose scale/shift are set to
// those values does the work on oneDNN. Its batch statistics are needed before r and d are known,
// so each training forward first runs the inner BN in Mode::batch_stats (no state change) to
// read them: one extra BN forward per step.
#pragma once

#include <vector>

#include "layers/batch_norm.hpp"
#include "layers/layer.hpp"
#include "model/model_config.hpp"

namespace bnlab {

class BatchRenorm : public Layer {
 public:
  BatchRenorm(std::int64_t channels, const NormConfig& config, Context& ctx = default_context());

  std::string kind() const override { return "batch_renorm"; }
  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;
  std::vector<Param*> params() override { return {&gamma_, &beta_}; }
  std::vector<Buffer> buffers() override {
    return {{"running_mean", &bn_.running_mean()},
            {"running_var", &bn_.running_var()},
            {"num_batches_tracked", &num_batches_tracked_}};
  }
  bool is_norm() const override { return true; }

  Param& gamma() { return gamma_; }
  Param& beta() { return beta_; }
  Tensor& running_mean() { return bn_.running_mean(); }
  Tensor& running_var() { return bn_.running_var(); }
  Tensor& num_batches_tracked() { return num_batches_tracked_; }
  // r and d of the last training forward, (C).
  const std::vector<float>& r() const { return r_; }
  const std::vector<float>& d() const { return d_; }
  // The clipping limits the next training forward uses (after warm-up: the configured ones).
  double current_rmax() const;
  double current_dmax() const;

 private:
  // Sets the inner BN's scale/shift to gamma*r + (gamma*d + beta) with r, d of the batch src.
  void set_renorm_affine(const Tensor& src, std::vector<float>& r, std::vector<float>& d);
  void set_inner_affine(const std::vector<float>& r, const std::vector<float>& d);

  std::int64_t channels_;
  double eps_, rmax_, dmax_;
  std::int64_t warmup_steps_;
  BatchNorm bn_;                      // owns running statistics; its gamma/beta hold the effective affine
  Param gamma_, beta_;                // (C) the learned ones
  Tensor num_batches_tracked_;        // (1) training steps taken
  std::vector<float> r_, d_;          // (C) of the last training forward, for backward
  std::vector<float> probe_r_, probe_d_;  // (C) of the last batch_stats forward
};

}  // namespace bnlab
