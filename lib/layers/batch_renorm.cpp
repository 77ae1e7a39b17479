#include "layers/batch_renorm.hpp"

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"

namespace bnlab {

BatchRenorm::BatchRenorm(std::int64_t channels, const NormConfig& config, Context& ctx)
    : Layer(ctx),
      channels_(channels),
      eps_(config.eps),
      rmax_(config.renorm_rmax),
      dmax_(config.renorm_dmax),
      warmup_steps_(config.renorm_warmup_steps),
      bn_(channels, config, /*fuse_relu=*/false, ctx),
      gamma_{"gamma", Tensor::plain({channels}, ctx), Tensor::plain({channels}, ctx), false},
      beta_{"beta", Tensor::plain({channels}, ctx), Tensor::plain({channels}, ctx), false},
      num_batches_tracked_(Tensor::plain({1}, ctx)),
      r_(channels, 1.0f),
      d_(channels, 0.0f) {
  if (!(rmax_ >= 1.0)) throw ConfigError("norm.renorm_rmax: must be >= 1, got " + std::to_string(rmax_));
  if (!(dmax_ >= 0.0)) throw ConfigError("norm.renorm_dmax: must be >= 0, got " + std::to_string(dmax_));
  if (warmup_steps_ < 0)
    throw ConfigError("norm.renorm_warmup_steps: must be >= 0, got " + std::to_string(warmup_steps_));
  gamma_.value.fill(1.0f);
}

namespace {
double warmup_fraction(double t, std::int64_t warmup) {
  return warmup <= 0 ? 1.0 : std::min(1.0, t / static_cast<double>(warmup));
}
}  // namespace

double BatchRenorm::current_rmax() const {
  return 1.0 + (rmax_ - 1.0) * warmup_fraction(num_batches_tracked_.data()[0], warmup_steps_);
}
double BatchRenorm::current_dmax() const {
  return dmax_ * warmup_fraction(num_batches_tracked_.data()[0], warmup_steps_);
}

void BatchRenorm::set_inner_affine(const std::vector<float>& r, const std::vector<float>& d) {
  const float* g = gamma_.value.data();
  const float* b = beta_.value.data();
  float* scale = bn_.gamma().value.data();
  float* shift = bn_.beta().value.data();
  for (std::int64_t c = 0; c < channels_; ++c) {
    scale[c] = g[c] * r[c];
    shift[c] = g[c] * d[c] + b[c];
  }
}

void BatchRenorm::set_renorm_affine(const Tensor& src, std::vector<float>& r, std::vector<float>& d) {
  // The batch's statistics, from a state-free BN forward with the identity affine.
  bn_.gamma().value.fill(1.0f);
  bn_.beta().value.fill(0.0f);
  bn_.forward(src, Mode::batch_stats);
  const float* mean = bn_.probe_batch_mean().data();
  const float* var = bn_.probe_batch_var().data();
  const float* rmean = bn_.running_mean().data();
  const float* rvar = bn_.running_var().data();
  const float rmax = static_cast<float>(current_rmax());
  const float dmax = static_cast<float>(current_dmax());
  const float eps = static_cast<float>(eps_);
  r.resize(channels_);
  d.resize(channels_);
  for (std::int64_t c = 0; c < channels_; ++c) {
    const float sigma_b = std::sqrt(var[c] + eps);
    const float sigma = std::sqrt(rvar[c] + eps);
    r[c] = std::clamp(sigma_b / sigma, 1.0f / rmax, rmax);
    d[c] = std::clamp((mean[c] - rmean[c]) / sigma, -dmax, dmax);
  }
  set_inner_affine(r, d);
}

const Tensor& BatchRenorm::forward(const Tensor& src, Mode mode) {
  if (mode == Mode::eval) {
    std::copy_n(gamma_.value.data(), channels_, bn_.gamma().value.data());
    std::copy_n(beta_.value.data(), channels_, bn_.beta().value.data());
    return bn_.forward(src, Mode::eval);
  }
  if (mode == Mode::batch_stats) {
    set_renorm_affine(src, probe_r_, probe_d_);
    return bn_.forward(src, Mode::batch_stats);
  }
  set_renorm_affine(src, r_, d_);
  const Tensor& dst = bn_.forward(src, Mode::train);  // updates running statistics as BN does
  num_batches_tracked_.data()[0] += 1.0f;
  return dst;
}

const Tensor& BatchRenorm::backward(const Tensor& diff_dst, bool need_diff_src) {
  // An eval or batch_stats forward since the training one changed the inner affine: restore it
  // (gamma and beta do not change between a forward and its backward).
  set_inner_affine(r_, d_);
  const Tensor& diff_src = bn_.backward(diff_dst, need_diff_src);
  // The inner BN's grads are w.r.t. its scale gamma*r and shift gamma*d + beta.
  const float* gs = bn_.gamma().grad.data();
  const float* gb = bn_.beta().grad.data();
  float* dgamma = gamma_.grad.data();
  float* dbeta = beta_.grad.data();
  for (std::int64_t c = 0; c < channels_; ++c) {
    dgamma[c] = r_[c] * gs[c] + d_[c] * gb[c];
    dbeta[c] = gb[c];
  }
  return diff_src;
}

}  // namespace bnlab
