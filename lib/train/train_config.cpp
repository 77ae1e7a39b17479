#include "train/train_config.hpp"

#include <cmath>

namespace bnlab {

double OptimizerConfig::effective_lr(std::int64_t batch_size) const {
  if (!lr_base_batch) return lr;
  const double ratio = static_cast<double>(batch_size) / static_cast<double>(*lr_base_batch);
  return lr_scaling == "sqrt" ? lr * std::sqrt(ratio) : lr * ratio;
}

}  // namespace bnlab
