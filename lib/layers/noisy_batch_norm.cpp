#include "layers/noisy_batch_norm.hpp"

#include <algorithm>

#include "core/errors.hpp"

namespace bnlab {

NoisyBatchNorm::NoisyBatchNorm(std::int64_t channels, const NormConfig& config, std::uint64_t seed, Context& ctx)
    : Layer(ctx),
      channels_(channels),
      shift_range_(config.noise_shift_range),
      scale_max_(config.noise_scale_max),
      shift_spread_(config.noise_shift_spread),
      scale_std_(config.noise_scale_std),
      bn_(channels, config, /*fuse_relu=*/false, ctx),
      gamma_{"gamma", Tensor::plain({channels}, ctx), Tensor::plain({channels}, ctx), false},
      beta_{"beta", Tensor::plain({channels}, ctx), Tensor::plain({channels}, ctx), false},
      rng_(seed),
      s_(channels, 1.0f),
      m_(channels, 0.0f) {
  if (!(shift_range_ >= 0))
    throw ConfigError("norm.noise_shift_range: must be >= 0, got " + std::to_string(shift_range_));
  if (!(scale_max_ >= 1))
    throw ConfigError("norm.noise_scale_max: must be >= 1, got " + std::to_string(scale_max_));
  if (!(shift_spread_ >= 0))
    throw ConfigError("norm.noise_shift_spread: must be >= 0, got " + std::to_string(shift_spread_));
  if (!(scale_std_ >= 0))
    throw ConfigError("norm.noise_scale_std: must be >= 0, got " + std::to_string(scale_std_));
  gamma_.value.fill(1.0f);
}

void NoisyBatchNorm::draw_noise() {
  const double mu = rng_.uniform(-shift_range_, shift_range_);
  const double sigma = rng_.uniform(1.0, scale_max_);
  for (auto& m : m_) m = static_cast<float>(rng_.uniform(mu - shift_spread_, mu + shift_spread_));
  for (auto& s : s_) s = static_cast<float>(rng_.normal(sigma, scale_std_));
}

void NoisyBatchNorm::set_inner_affine(bool noisy) {
  const float* g = gamma_.value.data();
  const float* b = beta_.value.data();
  float* scale = bn_.gamma().value.data();
  float* shift = bn_.beta().value.data();
  if (!noisy) {
    std::copy_n(g, channels_, scale);
    std::copy_n(b, channels_, shift);
    return;
  }
  for (std::int64_t c = 0; c < channels_; ++c) {
    scale[c] = s_[c] * g[c];
    shift[c] = s_[c] * b[c] + m_[c];
  }
}

const Tensor& NoisyBatchNorm::forward(const Tensor& src, Mode mode) {
  const bool train = mode == Mode::train;
  if (train) draw_noise();
  set_inner_affine(train);
  return bn_.forward(src, mode);
}

const Tensor& NoisyBatchNorm::backward(const Tensor& diff_dst, bool need_diff_src) {
  // An eval or batch_stats forward since the training one reset the inner affine: restore it
  // (gamma and beta do not change between a forward and its backward).
  set_inner_affine(true);
  const Tensor& diff_src = bn_.backward(diff_dst, need_diff_src);
  // The inner BN's grads are w.r.t. its scale s·gamma and shift s·beta + m.
  const float* gs = bn_.gamma().grad.data();
  const float* gb = bn_.beta().grad.data();
  float* dgamma = gamma_.grad.data();
  float* dbeta = beta_.grad.data();
  for (std::int64_t c = 0; c < channels_; ++c) {
    dgamma[c] = s_[c] * gs[c];
    dbeta[c] = s_[c] * gb[c];
  }
  return diff_src;
}

}  // namespace bnlab
