#include "layers/noisy_batch_norm.hpp"

#include <algorithm>

#include "core/errors.hpp"

namespace bnlab {

NoisyBatchNorm::NoisyBatchNorm(std::int64_t channels, const NoisyBatchNormOptions& options, std::uint64_t seed,
                               Context& ctx)
    : BatchNorm("noisy_batch_norm", channels, {options.eps, options.momentum, false}, this, ctx),
      options_(options),
      rng_(seed),
      s_(static_cast<std::size_t>(channels), 1.0f),
      m_(static_cast<std::size_t>(channels), 0.0f) {
  const auto check = [](bool ok, const char* what, double value) {
    if (!ok) throw OptionError(std::string("noisy_batch_norm: ") + what + ", got " + std::to_string(value));
  };
  check(options.shift_range >= 0, "shift_range must be >= 0", options.shift_range);
  check(options.scale_max >= 1, "scale_max must be >= 1", options.scale_max);
  check(options.shift_spread >= 0, "shift_spread must be >= 0", options.shift_spread);
  check(options.scale_std >= 0, "scale_std must be >= 0", options.scale_std);
}

void NoisyBatchNorm::affine(Mode mode, const float*, const float*, float* scale, float* shift) {
  const float* g = gamma_.value.data();
  const float* b = beta_.value.data();
  if (mode != Mode::train) {  // no noise outside training
    std::copy_n(g, channels_, scale);
    std::copy_n(b, channels_, shift);
    return;
  }
  const double mu = rng_.uniform(-options_.shift_range, options_.shift_range);
  const double sigma = rng_.uniform(1.0, options_.scale_max);
  for (auto& m : m_) m = static_cast<float>(rng_.uniform(mu - options_.shift_spread, mu + options_.shift_spread));
  for (auto& s : s_) s = static_cast<float>(rng_.normal(sigma, options_.scale_std));
  for (std::int64_t c = 0; c < channels_; ++c) {
    scale[c] = s_[c] * g[c];
    shift[c] = s_[c] * b[c] + m_[c];
  }
}

void NoisyBatchNorm::map_grads(const float* dscale, const float* dshift, float* dgamma, float* dbeta) {
  // scale = s·gamma, shift = s·beta + m
  for (std::int64_t c = 0; c < channels_; ++c) {
    dgamma[c] = s_[c] * dscale[c];
    dbeta[c] = s_[c] * dshift[c];
  }
}

}  // namespace bnlab
