#include "model/network.hpp"

#include "core/errors.hpp"

namespace bnlab {

void Network::add(std::unique_ptr<Layer> layer, std::string name) { root_.add(std::move(layer), std::move(name)); }

Dims Network::input_dims(std::int64_t batch) const {
  Dims dims{batch};
  dims.insert(dims.end(), input_shape_.begin(), input_shape_.end());
  return dims;
}

const Tensor& Network::forward(const Tensor& input, Mode mode) {
  if (root_.empty()) throw ShapeError("network: no layers");
  return root_.forward(input, mode);
}

void Network::backward(const Tensor& diff_logits) { root_.backward(diff_logits, /*need_diff_src=*/false); }

std::int64_t Network::num_params() {
  std::int64_t n = 0;
  for (Param* p : params()) n += p->value.numel();
  return n;
}

}  // namespace bnlab
