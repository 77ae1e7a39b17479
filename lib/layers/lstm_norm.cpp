#include "layers/lstm_norm.hpp"

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"
#include "layers/lstm_math.hpp"

namespace bnlab {

using lstm_math::sz;

LstmNorm::LstmNorm(std::string name, const LstmNormOptions& options, Context& ctx)
    : name_(std::move(name)), options_(options) {
  if (options.width < 1 || options.steps < 1) throw ShapeError("lstm norm: width and steps must be >= 1");
  if (!(options.eps > 0)) throw OptionError("lstm norm: eps must be > 0");
  if (!(options.momentum >= 0 && options.momentum <= 1)) throw OptionError("lstm norm: momentum must be in [0, 1]");
  if (!active()) return;
  const auto c = options.width;
  gamma_ = {"gamma_" + name_, Tensor::plain({c}, ctx), Tensor::plain({c}, ctx), false};
  gamma_.value.fill(static_cast<float>(options.gamma_init));
  if (options.beta) beta_ = {"beta_" + name_, Tensor::plain({c}, ctx), Tensor::plain({c}, ctx), false};
  const bool batch = options.kind == LstmNormKind::batch_per_step || options.kind == LstmNormKind::batch_over_steps;
  if (batch) {
    const std::int64_t stat_steps = options.kind == LstmNormKind::batch_per_step ? options.steps : 1;
    running_mean_ = Tensor::plain({stat_steps, c}, ctx);
    running_var_ = Tensor::plain({stat_steps, c}, ctx);
    running_var_.fill(1.0f);
  }
  sum_.assign(sz(c), 0.0);
  sum2_.assign(sz(c), 0.0);
}

std::vector<Param*> LstmNorm::params() {
  std::vector<Param*> out;
  if (active()) out.push_back(&gamma_);
  if (active() && options_.beta) out.push_back(&beta_);
  return out;
}

std::vector<Buffer> LstmNorm::buffers() {
  if (running_mean_.empty()) return {};
  return {{"running_mean_" + name_, &running_mean_}, {"running_var_" + name_, &running_var_}};
}

void LstmNorm::zero_grads() {  // no Tensor::fill or params(): both allocate, and this runs every step
  if (!active()) return;
  std::fill(gamma_.grad.data(), gamma_.grad.data() + options_.width, 0.0f);
  if (options_.beta) std::fill(beta_.grad.data(), beta_.grad.data() + options_.width, 0.0f);
}

std::vector<float> LstmNorm::running_mean(std::int64_t step) const {
  const auto all = running_mean_.to_vector();
  const auto c = options_.width;
  return {all.begin() + step * c, all.begin() + (step + 1) * c};
}

std::vector<float> LstmNorm::running_var(std::int64_t step) const {
  const auto all = running_var_.to_vector();
  const auto c = options_.width;
  return {all.begin() + step * c, all.begin() + (step + 1) * c};
}

void LstmNorm::reserve(std::int64_t slots, std::int64_t rows) {
  if (!active()) return;
  rows_ = rows;
  xhat_.assign(sz(slots * rows * options_.width), 0.0f);
  const auto per_slot = options_.kind == LstmNormKind::layer ? rows : options_.width;
  rstd_.assign(sz(slots * per_slot), 0.0f);
}

void LstmNorm::forward(const float* x, float* y, std::int64_t rows, std::int64_t step, std::int64_t slot, Mode mode) {
  if (active() && mode == Mode::train && (rows > rows_ || sz((slot + 1) * rows * options_.width) > xhat_.size()))
    throw ShapeError("lstm norm " + name_ + ": training forward beyond the reserved save buffers");
  switch (options_.kind) {
    case LstmNormKind::none:
      if (y != x) std::copy(x, x + rows * options_.width, y);
      return;
    case LstmNormKind::layer:
      return layer_forward(x, y, rows, slot, mode);
    case LstmNormKind::batch_over_steps:
      return batch_forward(x, y, rows, 0, slot, mode);
    case LstmNormKind::batch_per_step: {
      if (mode == Mode::train && step >= options_.steps)
        throw ShapeError("lstm norm " + name_ + ": training step " + std::to_string(step) + " past the " +
                         std::to_string(options_.steps) + " steps with running statistics");
      return batch_forward(x, y, rows, std::min(step, options_.steps - 1), slot, mode);
    }
  }
}

// Statistics of each column over `rows` rows; eval uses running row `stats` instead.
void LstmNorm::batch_forward(const float* x, float* y, std::int64_t rows, std::int64_t stats, std::int64_t slot,
                             Mode mode) {
  const auto c = options_.width;
  const float* gamma = gamma_.value.data();
  const float* beta = options_.beta ? beta_.value.data() : nullptr;
  float* run_mean = running_mean_.data() + stats * c;
  float* run_var = running_var_.data() + stats * c;
  const bool batch_stats = mode != Mode::eval;
  float* rstd = mode == Mode::train ? rstd_.data() + slot * c : nullptr;
  float* xhat = mode == Mode::train ? xhat_.data() + slot * rows_ * c : nullptr;
  // The scale and shift of each column: y = x·scale + shift.  Reuse sum_/sum2_ for them.
  if (batch_stats) {
    std::fill(sum_.begin(), sum_.end(), 0.0);
    std::fill(sum2_.begin(), sum2_.end(), 0.0);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < c; ++j) sum_[sz(j)] += x[r * c + j];
    for (std::int64_t j = 0; j < c; ++j) sum_[sz(j)] /= static_cast<double>(rows);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < c; ++j) {
        const double d = x[r * c + j] - sum_[sz(j)];
        sum2_[sz(j)] += d * d;
      }
    for (std::int64_t j = 0; j < c; ++j) sum2_[sz(j)] /= static_cast<double>(rows);  // biased variance
    if (mode == Mode::train) {
      const double m = options_.momentum;
      const double unbias = rows > 1 ? static_cast<double>(rows) / static_cast<double>(rows - 1) : 1.0;
      for (std::int64_t j = 0; j < c; ++j) {
        run_mean[j] = static_cast<float>((1 - m) * run_mean[j] + m * sum_[sz(j)]);
        run_var[j] = static_cast<float>((1 - m) * run_var[j] + m * sum2_[sz(j)] * unbias);
      }
    }
  } else {
    for (std::int64_t j = 0; j < c; ++j) {
      sum_[sz(j)] = run_mean[j];
      sum2_[sz(j)] = run_var[j];
    }
  }
  for (std::int64_t j = 0; j < c; ++j) {
    const double r = 1.0 / std::sqrt(sum2_[sz(j)] + options_.eps);
    if (rstd) rstd[j] = static_cast<float>(r);
    sum2_[sz(j)] = r;
  }
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < c; ++j) {
      const float xh = static_cast<float>((x[r * c + j] - sum_[sz(j)]) * sum2_[sz(j)]);
      if (xhat) xhat[r * c + j] = xh;
      y[r * c + j] = gamma[j] * xh + (beta ? beta[j] : 0.0f);
    }
}

void LstmNorm::layer_forward(const float* x, float* y, std::int64_t rows, std::int64_t slot, Mode mode) {
  const auto c = options_.width;
  const float* gamma = gamma_.value.data();
  const float* beta = options_.beta ? beta_.value.data() : nullptr;
  float* rstd = mode == Mode::train ? rstd_.data() + slot * rows_ : nullptr;
  float* xhat = mode == Mode::train ? xhat_.data() + slot * rows_ * c : nullptr;
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * c;
    double mean = 0, var = 0;
    for (std::int64_t j = 0; j < c; ++j) mean += xr[j];
    mean /= static_cast<double>(c);
    for (std::int64_t j = 0; j < c; ++j) var += (xr[j] - mean) * (xr[j] - mean);
    const double rs = 1.0 / std::sqrt(var / static_cast<double>(c) + options_.eps);
    if (rstd) rstd[r] = static_cast<float>(rs);
    for (std::int64_t j = 0; j < c; ++j) {
      const float xh = static_cast<float>((xr[j] - mean) * rs);
      if (xhat) xhat[r * c + j] = xh;
      y[r * c + j] = gamma[j] * xh + (beta ? beta[j] : 0.0f);
    }
  }
}

void LstmNorm::backward(const float* dy, float* dx, std::int64_t rows, std::int64_t slot) {
  const auto c = options_.width;
  if (!active()) {
    if (dx != dy) std::copy(dy, dy + rows * c, dx);
    return;
  }
  const float* gamma = gamma_.value.data();
  float* dgamma = gamma_.grad.data();
  float* dbeta = options_.beta ? beta_.grad.data() : nullptr;
  const float* xhat = xhat_.data() + slot * rows_ * c;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < c; ++j) {
      dgamma[j] += dy[r * c + j] * xhat[r * c + j];
      if (dbeta) dbeta[j] += dy[r * c + j];
    }
  if (options_.kind == LstmNormKind::layer) {
    const float* rstd = rstd_.data() + slot * rows_;
    for (std::int64_t r = 0; r < rows; ++r) {
      double mean_d = 0, mean_dx = 0;  // mean(dxhat), mean(dxhat·xhat) over the row
      for (std::int64_t j = 0; j < c; ++j) {
        const double d = static_cast<double>(gamma[j]) * dy[r * c + j];
        mean_d += d;
        mean_dx += d * xhat[r * c + j];
      }
      mean_d /= static_cast<double>(c);
      mean_dx /= static_cast<double>(c);
      for (std::int64_t j = 0; j < c; ++j) {
        const double d = static_cast<double>(gamma[j]) * dy[r * c + j];
        dx[r * c + j] = static_cast<float>(rstd[r] * (d - mean_d - xhat[r * c + j] * mean_dx));
      }
    }
    return;
  }
  const float* rstd = rstd_.data() + slot * c;
  std::fill(sum_.begin(), sum_.end(), 0.0);
  std::fill(sum2_.begin(), sum2_.end(), 0.0);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < c; ++j) {
      sum_[sz(j)] += dy[r * c + j];
      sum2_[sz(j)] += static_cast<double>(dy[r * c + j]) * xhat[r * c + j];
    }
  const double inv_m = 1.0 / static_cast<double>(rows);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < c; ++j) {
      const double g = static_cast<double>(gamma[j]) * rstd[j];
      dx[r * c + j] = static_cast<float>(
          g * (dy[r * c + j] - sum_[sz(j)] * inv_m - xhat[r * c + j] * sum2_[sz(j)] * inv_m));
    }
}

}  // namespace bnlab
