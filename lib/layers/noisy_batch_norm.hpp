// Noisy Batch Normalization (Santurkar et al. 2018, "How does BN help optimization?", Sec. 2.1):
// BN followed by a per-channel random affine that moves the distribution of every activation
// from step to step ("internal covariate shift" injected on purpose):
//
//   Mode::train:  a = BN(x) (batch statistics, running statistics updated as BN does)
//                 per layer and step:  mu_t ~ U(-A, A),  sigma_t ~ U(1, S)
//                 per channel c:       m_c ~ U(mu_t - w, mu_t + w),  s_c ~ N(sigma_t, v)
//                 y = s_c · a + m_c    (the same s, m for every sample and position of the batch)
//   eval, eval_batch_stats: plain BN (no noise): the noise is a training-time perturbation only.
//   backward:     chain rule through the noise: da = s_c · dy, then BN's backward, so
//                 dgamma = s_c · Σ dy·xhat, dbeta = s_c · Σ dy.
//
// A = shift_range, S = scale_max, w = shift_spread, v = scale_std (the norm.noise_* keys). Draws
// per training forward, in this order: mu_t, sigma_t, m_0..m_{C-1}, s_0..s_{C-1}, from the layer's
// own bnlab::Rng (rng(): probes that run extra training forwards save and restore it). Zero noise
// (A = 0, S = 1, w = 0, v = 0) is BN bit for bit.
//
// How: s·(gamma·xhat + beta) + m = (s·gamma)·xhat + (s·beta + m), an affine policy on the BN
// core (batch_norm.hpp): one oneDNN primitive each for forward and backward.
#pragma once

#include <cstdint>
#include <vector>

#include "core/random.hpp"
#include "layers/batch_norm.hpp"

namespace bnlab {

struct NoisyBatchNormOptions {
  double eps = 1e-5;
  double momentum = 0.1;
  double shift_range = 0.5;   // A >= 0
  double scale_max = 1.25;    // S >= 1
  double shift_spread = 0.1;  // w >= 0
  double scale_std = 0.1;     // v >= 0
};

class NoisyBatchNorm : private BatchNormAffinePolicy, public BatchNorm {
 public:
  // seed: the noise stream.
  NoisyBatchNorm(std::int64_t channels, const NoisyBatchNormOptions& options, std::uint64_t seed,
                 Context& ctx = default_context());

  Rng* rng() override { return &rng_; }
  // The noise of the last training forward, (C): y = scale · BN(x) + shift.
  const std::vector<float>& noise_scale() const { return s_; }
  const std::vector<float>& noise_shift() const { return m_; }

 private:
  void affine(Mode mode, const float* mean, const float* var, float* scale, float* shift) override;
  void map_grads(const float* dscale, const float* dshift, float* dgamma, float* dbeta) override;

  NoisyBatchNormOptions options_;
  Rng rng_;
  std::vector<float> s_, m_;  // (C) the noise of the last training forward
};

}  // namespace bnlab
