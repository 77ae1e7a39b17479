#include "train/train_config.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace bnlab {

double OptimizerConfig::effective_lr(std::int64_t batch_size) const {
  if (!lr_base_batch) return lr;
  const double ratio = static_cast<double>(batch_size) / static_cast<double>(*lr_base_batch);
  return lr_scaling == "sqrt" ? lr * std::sqrt(ratio) : lr * ratio;
}

double OptimizerConfig::lr_at(std::int64_t step, std::int64_t total, std::int64_t per_epoch,
                              std::int64_t batch_size) const {
  const double base = effective_lr(batch_size);
  // min in double first: a warm-up of 1e300 epochs is "the whole run", not an overflow.
  const auto warmup = static_cast<std::int64_t>(
      std::min(static_cast<double>(total), std::round(warmup_epochs * static_cast<double>(per_epoch))));
  if (step <= warmup) return base * static_cast<double>(step) / static_cast<double>(warmup);
  if (schedule != "cosine") return base;
  const double t = static_cast<double>(step - warmup - 1) / static_cast<double>(total - warmup);
  return base * 0.5 * (1.0 + std::cos(std::numbers::pi * t));
}

std::int64_t steps_per_epoch(std::int64_t batch_size, std::int64_t train_samples) {
  return std::max<std::int64_t>(1, train_samples / std::max<std::int64_t>(1, batch_size));
}

double planned_steps_exact(const TrainConfig& train, std::int64_t train_samples) {
  if (train.steps) return static_cast<double>(*train.steps);
  return std::ceil(train.epochs.value_or(1.0) * static_cast<double>(steps_per_epoch(train.batch_size, train_samples)));
}

}  // namespace bnlab
