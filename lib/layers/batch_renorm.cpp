#include "layers/batch_renorm.hpp"

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"

namespace bnlab {

BatchRenorm::BatchRenorm(std::int64_t channels, const BatchRenormOptions& options, Context& ctx)
    : BatchNorm("batch_renorm", channels, {options.eps, options.momentum, false}, this, ctx),
      options_(options),
      num_batches_tracked_(Tensor::plain({1}, ctx)),
      r_(static_cast<std::size_t>(channels), 1.0f),
      d_(static_cast<std::size_t>(channels), 0.0f),
      eval_batch_stats_r_(r_),
      eval_batch_stats_d_(d_) {
  if (!(options.rmax >= 1.0)) throw OptionError("batch_renorm: rmax must be >= 1, got " + std::to_string(options.rmax));
  if (!(options.dmax >= 0.0)) throw OptionError("batch_renorm: dmax must be >= 0, got " + std::to_string(options.dmax));
  if (options.warmup_steps < 0)
    throw OptionError("batch_renorm: warmup_steps must be >= 0, got " + std::to_string(options.warmup_steps));
}

namespace {
double warmup_fraction(double t, std::int64_t warmup) {
  return warmup <= 0 ? 1.0 : std::min(1.0, t / static_cast<double>(warmup));
}
}  // namespace

double BatchRenorm::current_rmax() const {
  return 1.0 + (options_.rmax - 1.0) * warmup_fraction(num_batches_tracked_.data()[0], options_.warmup_steps);
}
double BatchRenorm::current_dmax() const {
  return options_.dmax * warmup_fraction(num_batches_tracked_.data()[0], options_.warmup_steps);
}

void BatchRenorm::affine(Mode mode, const float* mean, const float* var, float* scale, float* shift) {
  const float* g = gamma_.value.data();
  const float* b = beta_.value.data();
  if (mode == Mode::eval) {  // plain BN with the running statistics
    std::copy_n(g, channels_, scale);
    std::copy_n(b, channels_, shift);
    return;
  }
  std::vector<float>& r = mode == Mode::train ? r_ : eval_batch_stats_r_;
  std::vector<float>& d = mode == Mode::train ? d_ : eval_batch_stats_d_;
  const float* rmean = running_mean().data();
  const float* rvar = running_var().data();
  const float rmax = static_cast<float>(current_rmax());
  const float dmax = static_cast<float>(current_dmax());
  const float eps = static_cast<float>(options_.eps);
  for (std::int64_t c = 0; c < channels_; ++c) {
    const float sigma_b = std::sqrt(var[c] + eps);
    const float sigma = std::sqrt(rvar[c] + eps);
    r[c] = std::clamp(sigma_b / sigma, 1.0f / rmax, rmax);
    d[c] = std::clamp((mean[c] - rmean[c]) / sigma, -dmax, dmax);
    scale[c] = g[c] * r[c];
    shift[c] = g[c] * d[c] + b[c];
  }
}

void BatchRenorm::map_grads(const float* dscale, const float* dshift, float* dgamma, float* dbeta) {
  // scale = gamma·r, shift = gamma·d + beta with r, d constants
  for (std::int64_t c = 0; c < channels_; ++c) {
    dgamma[c] = r_[c] * dscale[c] + d_[c] * dshift[c];
    dbeta[c] = dshift[c];
  }
}

const Tensor& BatchRenorm::forward(const Tensor& src, Mode mode) {
  const Tensor& dst = BatchNorm::forward(src, mode);  // updates running statistics as BN does
  if (mode == Mode::train) num_batches_tracked_.data()[0] += 1.0f;
  return dst;
}

}  // namespace bnlab
