// Batch Renormalization (Ioffe 2017, Algorithm 1): BN (same running statistics: PyTorch
// momentum, unbiased running variance; see batch_norm.hpp) with a correction towards them:
//
//   training:  mu_B, sigma_B = sqrt(var_B + eps) of the batch (biased var_B);
//              sigma = sqrt(running_var + eps)
//              r = clip(sigma_B / sigma, 1/rmax, rmax),  d = clip((mu_B - running_mean) / sigma, -dmax, dmax)
//              y = gamma * ((x - mu_B) / sigma_B * r + d) + beta
//              then running_mean / running_var updated exactly as BN does (r, d use the old ones)
//   eval:      BN with running statistics
//   eval_batch_stats: the training formula on the batch given, no state changed (step counter included)
//   backward:  r and d are constants (stop-gradient): dx is BN's backward with scale gamma*r,
//              dgamma = Σ g·(xhat·r + d), dbeta = Σ g
//
// Warm-up: at training step t (t = num_batches_tracked before the step, T = warmup_steps)
// rmax_t = 1 + (rmax - 1)·min(1, t/T), dmax_t = dmax·min(1, t/T); T = 0 uses the full range at
// once. With rmax_t = 1 and dmax_t = 0 (the first step) the layer is BN bit for bit.
// num_batches_tracked is a buffer (1-element tensor) so probes that save and restore buffers
// also restore the warm-up position.
//
// How: y = (gamma·r)·xhat + (gamma·d + beta), an affine policy on the BN core: the core computes
// the batch statistics once, this layer turns them into r, d and that scale/shift, and the core
// normalizes with them (batch_norm.hpp).
#pragma once

#include <vector>

#include "layers/batch_norm.hpp"

namespace bnlab {

struct BatchRenormOptions {
  double eps = 1e-5;
  double momentum = 0.1;
  double rmax = 3.0;                // r in [1/rmax, rmax], >= 1
  double dmax = 5.0;                // d in [-dmax, dmax], >= 0
  std::int64_t warmup_steps = 200;  // training steps over which rmax ramps from 1 and dmax from 0
};

class BatchRenorm : private BatchNormAffinePolicy, public BatchNorm {
 public:
  explicit BatchRenorm(std::int64_t channels, const BatchRenormOptions& options = {},
                       Context& ctx = default_context());

  const Tensor& forward(const Tensor& src, Mode mode) override;
  std::vector<Buffer> buffers() override {
    auto out = BatchNorm::buffers();
    out.push_back({"num_batches_tracked", &num_batches_tracked_});
    return out;
  }

  Tensor& num_batches_tracked() { return num_batches_tracked_; }
  // r and d of the last training forward, (C).
  const std::vector<float>& r() const { return r_; }
  const std::vector<float>& d() const { return d_; }
  // The clipping limits the next training forward uses (after warm-up: the configured ones).
  double current_rmax() const;
  double current_dmax() const;

 private:
  bool needs_batch_stats() const override { return true; }
  void affine(Mode mode, const float* mean, const float* var, float* scale, float* shift) override;
  void map_grads(const float* dscale, const float* dshift, float* dgamma, float* dbeta) override;

  BatchRenormOptions options_;
  Tensor num_batches_tracked_;                      // (1) training steps taken
  std::vector<float> r_, d_;                        // (C) of the last training forward, for backward
  std::vector<float> eval_batch_stats_r_, eval_batch_stats_d_;  // (C) of the last Mode::eval_batch_stats forward
};

}  // namespace bnlab
