#include "probes/snapshot.hpp"

#include <algorithm>

#include "core/errors.hpp"

namespace bnlab {

void TrainingSnapshot::save(std::vector<Saved>& into, const Tensor& t) {
  // Plain tensors only: the raw buffer is then exactly the numel values (no layout padding).
  if (!t.is_plain()) throw ShapeError("training snapshot: a parameter or buffer is not plain row-major");
  const float* p = t.data();
  into.push_back({t.data(), std::vector<float>(p, p + t.numel())});
}

TrainingSnapshot::TrainingSnapshot(Network& net, Sgd& optimizer) : optimizer_(optimizer) {
  for (std::size_t k = 0; k < optimizer.size(); ++k) {
    save(params_, optimizer.param(k).value);
    save(params_, optimizer.param(k).grad);
    velocities_.push_back(optimizer.velocity(k));
  }
  for (const Leaf& leaf : net.leaves()) {
    for (const Buffer& b : leaf.layer->buffers()) save(buffers_, *b.value);
    if (Rng* rng = leaf.layer->rng()) rngs_.emplace_back(rng, *rng);
  }
}

void TrainingSnapshot::restore_state() {
  for (const auto& s : buffers_) std::copy(s.values.begin(), s.values.end(), s.target);
  for (const auto& [rng, saved] : rngs_) *rng = saved;
}

void TrainingSnapshot::restore() {
  for (const auto& s : params_) std::copy(s.values.begin(), s.values.end(), s.target);
  for (std::size_t k = 0; k < velocities_.size(); ++k)
    std::copy(velocities_[k].begin(), velocities_[k].end(), optimizer_.velocity(k).begin());
  restore_state();
}

double training_pass(Network& net, SoftmaxCrossEntropy& loss_fn, const Tensor& input, const std::int32_t* labels) {
  const double loss = loss_fn.forward(net.forward(input, Mode::train), labels);
  net.backward(loss_fn.backward());
  return loss;
}

bool has_random_layers(Network& net) {
  for (const Leaf& leaf : net.leaves())
    if (leaf.layer->rng()) return true;
  return false;
}

}  // namespace bnlab
