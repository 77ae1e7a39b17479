#include "train/train_config.hpp"

#include <algorithm>
#include <cmath>

namespace bnlab {

double OptimizerConfig::effective_lr(std::int64_t batch_size) const {
  if (!lr_base_batch) return lr;
  const double ratio = static_cast<double>(batch_size) / static_cast<double>(*lr_base_batch);
  return lr_scaling == "sqrt" ? lr * std::sqrt(ratio) : lr * ratio;
}

double planned_steps_exact(const TrainConfig& train, std::int64_t train_samples) {
  if (train.steps) return static_cast<double>(*train.steps);
  const std::int64_t per_epoch = std::max<std::int64_t>(1, train_samples / std::max<std::int64_t>(1, train.batch_size));
  return std::ceil(train.epochs.value_or(1.0) * static_cast<double>(per_epoch));
}

}  // namespace bnlab
