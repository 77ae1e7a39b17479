#include "train/sgd.hpp"

#include "core/errors.hpp"

namespace bnlab {

Sgd::Sgd(std::vector<Param*> params, double momentum, double weight_decay)
    : params_(std::move(params)),
      momentum_(static_cast<float>(momentum)),
      weight_decay_(static_cast<float>(weight_decay)) {
  for (Param* p : params_) {
    if (!p->value.is_plain() || p->grad.desc() != p->value.desc())
      throw ShapeError("sgd: parameter '" + p->name + "' must be plain with a grad of the same shape");
    velocity_.emplace_back(static_cast<std::size_t>(p->value.numel()), 0.0f);
  }
}

void Sgd::step(double lr) {
  for (std::size_t k = 0; k < params_.size(); ++k) step_param(k, lr);
}

void Sgd::step_param(std::size_t k, double lr) {
  float* w = params_[k]->value.data();
  const float* g = params_[k]->grad.data();
  float* v = velocity_[k].data();
  const auto n = static_cast<std::int64_t>(velocity_[k].size());
  const float rate = static_cast<float>(lr), mom = momentum_, wd = weight_decay_;
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) {
    v[i] = mom * v[i] + g[i] + wd * w[i];
    w[i] -= rate * v[i];
  }
}

}  // namespace bnlab
