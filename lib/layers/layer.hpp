// The layer interface. A layer owns its parameters, its non-learned state (running statistics),
// its oneDNN primitives and its output buffers.
//
// Contract:
//  - forward(src, mode) returns dst, owned by the layer and valid until the next forward in the
//    same mode. src may be in any layout; a layer reorders at its input if its primitive wants
//    another. Primitives are built on the first call and rebuilt only when src's descriptor
//    changes (a new batch size); train and eval keep separate primitives and buffers, so an
//    evaluation between a training forward and its backward disturbs nothing.
//  - Mode::train keeps what backward needs (src, mean/variance, workspace) and updates running
//    statistics; Mode::eval uses running statistics and keeps nothing. Mode::eval_batch_stats is
//    inference (no dropout, nothing kept, no state changed) except that norm layers normalize with
//    the statistics of the batch itself, as in training: it measures what a network's accuracy
//    would be with batch statistics, without moving the training trajectory. Layers that do not
//    normalize treat it as eval.
//  - backward(diff_dst) runs after a Mode::train forward. diff_dst has the descriptor of the dst
//    that forward returned. It overwrites (not accumulates) every param's grad and returns
//    diff_src with the descriptor of the src forward was given. With need_diff_src == false (the
//    first layer) the layer may skip computing diff_src and return an empty tensor.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/context.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"

namespace bnlab {

enum class Mode { train, eval, eval_batch_stats };

// A learnable parameter. value and grad share one plain row-major descriptor.
struct Param {
  std::string name;  // "weight", "bias", "gamma", "beta"
  Tensor value;
  Tensor grad;
  bool decay = true;  // weight decay applies (false for biases and norm gamma/beta)
};

// Named non-learned state (running mean/var), plain row-major.
struct Buffer {
  std::string name;
  Tensor* value;
};

class Layer {
 public:
  explicit Layer(Context& ctx = default_context()) : ctx_(ctx) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  virtual std::string kind() const = 0;  // "linear", "batch_norm", ...
  virtual const Tensor& forward(const Tensor& src, Mode mode) = 0;
  virtual const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) = 0;
  virtual std::vector<Param*> params() { return {}; }
  virtual std::vector<Buffer> buffers() { return {}; }
  // True for layers that normalize (probes and the model builder look for these).
  virtual bool is_norm() const { return false; }
  // The generator of a layer that draws random numbers in training forwards (dropout masks,
  // noisy_batch noise), else nullptr. A probe that runs extra training forwards copies it first
  // and assigns the copy back afterwards, so the training trajectory does not move. Other
  // per-step state a layer keeps across steps (a step counter) must be a buffer.
  virtual Rng* rng() { return nullptr; }

 protected:
  Context& ctx_;
};

}  // namespace bnlab
