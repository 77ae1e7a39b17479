// A sequential network: layers in order, the last producing logits (N, classes).
// It owns the layers and knows nothing of optimizers, losses or data; the trainer and the
// probes reach layers, their params and their last outputs through it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "layers/layer.hpp"

namespace bnlab {

class Network {
 public:
  // input_shape: one sample's dims, e.g. {784} for an MLP or {1, 28, 28} for a CNN.
  explicit Network(Dims input_shape) : input_shape_(std::move(input_shape)) {}

  void add(std::unique_ptr<Layer> layer);

  // Runs every layer; returns the logits (N, classes), plain.
  const Tensor& forward(const Tensor& input, Mode mode);
  // Backpropagates diff_logits through every layer, filling each param's grad.
  void backward(const Tensor& diff_logits);

  const Dims& input_shape() const { return input_shape_; }
  Dims input_dims(std::int64_t batch) const;
  std::size_t size() const { return layers_.size(); }
  Layer& layer(std::size_t i) { return *layers_[i]; }
  const Layer& layer(std::size_t i) const { return *layers_[i]; }
  // The output of layer i from the last forward in `mode` (nullptr before one).
  const Tensor* output(std::size_t i, Mode mode) const;
  std::vector<Param*> params();
  std::int64_t num_params();

 private:
  template <class Fn>
  void named(std::size_t i, Fn&& fn) const;  // runs fn, naming layer i in the errors it throws

  Dims input_shape_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<const Tensor*> train_outputs_, eval_outputs_;
};

}  // namespace bnlab
