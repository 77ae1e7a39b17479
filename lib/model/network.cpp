#include "model/network.hpp"


#include "core/errors.hpp"

namespace bnlab {

void Network::add(std::unique_ptr<Layer> layer) {
  layers_.push_back(std::move(layer));
  train_outputs_.push_back(nullptr);
  eval_outputs_.push_back(nullptr);
}

Dims Network::input_dims(std::int64_t batch) const {
  Dims dims{batch};
  dims.insert(dims.end(), input_shape_.begin(), input_shape_.end());
  return dims;
}

// A layer builds its primitives and buffers on its first forward (and backward): a failure there
// (out of memory, a oneDNN error) is named by the layer, not only by oneDNN's "could not create
// a memory object". Our own typed errors pass unchanged.
template <class Fn>
void Network::named(std::size_t i, Fn&& fn) const {
  try {
    fn();
  } catch (const MemoryError& e) {
    throw MemoryError("layer " + std::to_string(i) + " (" + layers_[i]->kind() + "): " + e.what());
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error("layer " + std::to_string(i) + " (" + layers_[i]->kind() + "): " + e.what());
  }
}

const Tensor& Network::forward(const Tensor& input, Mode mode) {
  if (layers_.empty()) throw ShapeError("network: no layers");
  auto& outputs = mode == Mode::train ? train_outputs_ : eval_outputs_;
  const Tensor* x = &input;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    named(i, [&] { x = &layers_[i]->forward(*x, mode); });
    outputs[i] = x;
  }
  return *x;
}

void Network::backward(const Tensor& diff_logits) {
  const Tensor* diff = &diff_logits;
  for (std::size_t i = layers_.size(); i-- > 0;)
    named(i, [&] { diff = &layers_[i]->backward(*diff, /*need_diff_src=*/i > 0); });
}

const Tensor* Network::output(std::size_t i, Mode mode) const {
  return (mode == Mode::train ? train_outputs_ : eval_outputs_).at(i);
}

std::vector<Param*> Network::params() {
  std::vector<Param*> out;
  for (auto& layer : layers_)
    for (Param* p : layer->params()) out.push_back(p);
  return out;
}

std::int64_t Network::num_params() {
  std::int64_t n = 0;
  for (Param* p : params()) n += p->value.numel();
  return n;
}

}  // namespace bnlab
