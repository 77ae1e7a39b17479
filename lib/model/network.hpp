// A network: a root Sequence of layers and blocks (sequence.hpp), the last producing logits
// (N, classes). It owns the layers and knows nothing of optimizers, losses or data; the trainer
// and the probes reach layers, their params and their last outputs through it: the top-level
// layers by index (layer(i), output(i)), and every leaf layer, nested in blocks or not, with its
// path name through leaves() — the one walk that code looking for a kind of layer uses.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "layers/layer.hpp"
#include "model/sequence.hpp"

namespace bnlab {

class Network {
 public:
  // input_shape: one sample's dims, e.g. {784} for an MLP or {1, 28, 28} for a CNN.
  explicit Network(Dims input_shape) : input_shape_(std::move(input_shape)) {}

  // name: its path name (empty: kind + count, "conv2d2").
  void add(std::unique_ptr<Layer> layer, std::string name = {});

  // Runs every layer; returns the logits (N, classes), plain.
  const Tensor& forward(const Tensor& input, Mode mode);
  // Backpropagates diff_logits through every layer, filling each param's grad.
  void backward(const Tensor& diff_logits);

  const Dims& input_shape() const { return input_shape_; }
  Dims input_dims(std::int64_t batch) const;
  // Top-level layers (a block counts as one).
  std::size_t size() const { return root_.size(); }
  Layer& layer(std::size_t i) { return root_.layer(i); }
  const Layer& layer(std::size_t i) const { return root_.layer(i); }
  const std::string& name(std::size_t i) const { return root_.name(i); }
  // The output of top-level layer i from the last forward in `mode` (nullptr before one).
  const Tensor* output(std::size_t i, Mode mode) const { return root_.output(i, mode); }
  // Every leaf layer in forward order, with its path name.
  std::vector<Leaf> leaves() { return bnlab::leaves(root_); }
  std::vector<Param*> params() { return root_.params(); }
  std::int64_t num_params();

 private:
  Dims input_shape_;
  Sequence root_;
};

}  // namespace bnlab
