// SGD with momentum and weight decay, PyTorch's torch.optim.SGD semantics (dampening 0,
// no Nesterov), weight decay on every parameter like PyTorch's default parameter group:
//   g = grad + weight_decay · w
//   v = momentum · v + g          (v starts at 0, so the first step uses v = g)
//   w = w - lr · v
#pragma once

#include <vector>

#include "layers/layer.hpp"

namespace bnlab {

class Sgd {
 public:
  Sgd(std::vector<Param*> params, double momentum, double weight_decay);

  void step(double lr);                         // update every parameter
  void step_param(std::size_t k, double lr);    // update parameter k only (probes)
  std::size_t size() const { return params_.size(); }
  Param& param(std::size_t k) { return *params_[k]; }
  std::vector<float>& velocity(std::size_t k) { return velocity_[k]; }

 private:
  std::vector<Param*> params_;
  std::vector<std::vector<float>> velocity_;    // one per param, its numel
  float momentum_, weight_decay_;
};

}  // namespace bnlab
