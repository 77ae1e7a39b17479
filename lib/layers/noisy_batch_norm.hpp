// Noisy Batch Normalization (Santurkar et al. 2018, "How does BN help optimization?", Sec. 2.1):
// BN followed by a per-channel random affine that moves the distribution of every activation
// from step to step ("internal covariate shift" injected on purpose):
//
//   Mode::train:  a = BN(x) (batch statistics, running statistics updated as BN does)
//                 per layer and step:  mu_t ~ U(-A, A),  sigma_t ~ U(1, S)
//                 per channel c:       m_c ~ U(mu_t - w, mu_t + w),  s_c ~ N(sigma_t, v)
//                 y = s_c · a + m_c    (the same s, m for every sample and position of the batch)
//   eval, batch_stats: plain BN (no noise): the noise is a training-time perturbation only.
//   backward:     chain rule through the noise: da = s_c · dy, then BN's backward, so
//                 dgamma = s_c · Σ dy·xhat, dbeta = s_c · Σ dy.
//
// A = norm.noise_shift_range, S = norm.noise_scale_max, w = norm.noise_shift_spread,
// v = norm.noise_scale_std. Draws per training forward, in this order: mu_t, sigma_t, m_0..m_{C-1},
// s_0..s_{C-1}, from the layer's own bnlab::Rng (rng(): probes that run extra training forwards
// save and restore it). Zero noise (A = 0, S = 1, w = 0, v = 0) is BN bit for bit.
//
// How: s·(gamma·xhat + beta) + m = (s·gamma)·xhat + (s·beta + m), so an inner BatchNorm with that
// effective scale/shift does the forward and backward in one oneDNN primitive each.
#pragma once

#include <vector>

#include "core/random.hpp"
#include "layers/batch_norm.hpp"
#include "layers/layer.hpp"
#include "model/model_config.hpp"

namespace bnlab {

class NoisyBatchNorm : public Layer {
 public:
  // seed: the noise stream.
  NoisyBatchNorm(std::int64_t channels, const NormConfig& config, std::uint64_t seed,
                 Context& ctx = default_context());

  std::string kind() const override { return "noisy_batch_norm"; }
  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;
  std::vector<Param*> params() override { return {&gamma_, &beta_}; }
  std::vector<Buffer> buffers() override {
    return {{"running_mean", &bn_.running_mean()}, {"running_var", &bn_.running_var()}};
  }
  bool is_norm() const override { return true; }
  Rng* rng() override { return &rng_; }

  Param& gamma() { return gamma_; }
  Param& beta() { return beta_; }
  Tensor& running_mean() { return bn_.running_mean(); }
  Tensor& running_var() { return bn_.running_var(); }
  // The noise of the last training forward, (C): y = scale · BN(x) + shift.
  const std::vector<float>& noise_scale() const { return s_; }
  const std::vector<float>& noise_shift() const { return m_; }

 private:
  void draw_noise();
  // The inner BN's scale/shift: s·gamma and s·beta + m (noisy) or gamma and beta.
  void set_inner_affine(bool noisy);

  std::int64_t channels_;
  double shift_range_, scale_max_, shift_spread_, scale_std_;
  BatchNorm bn_;          // owns running statistics; its gamma/beta hold the effective affine
  Param gamma_, beta_;    // (C) the learned ones
  Rng rng_;
  std::vector<float> s_, m_;  // (C) the noise of the last training forward
};

}  // namespace bnlab
