// What every norm layer shares: the channel count, the learned per-channel affine gamma/beta
// (gamma = 1, beta = 0 at init, no weight decay), the input shape check and one plan per forward
// mode. A norm is `y = gamma_c · xhat + beta_c` where the layers differ only in the statistics
// that make xhat: the batch (batch_norm and its variants), or each sample (group_norm, layer_norm).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layers/layer.hpp"

namespace bnlab {

// One plan per forward mode: train and eval keep separate primitives and buffers (layer.hpp),
// and Mode::eval_batch_stats its own, so a probe's forward between a training forward and its
// backward disturbs neither.
template <class Plan>
struct PerMode {
  Plan train, eval, eval_batch_stats;
  Plan& operator[](Mode mode) { return mode == Mode::train ? train : mode == Mode::eval ? eval : eval_batch_stats; }
  const Plan& operator[](Mode mode) const {
    return mode == Mode::train ? train : mode == Mode::eval ? eval : eval_batch_stats;
  }
};

// Throws ShapeError naming `kind` unless md is (N, channels) or (N, channels, H, W).
void check_norm_input(const std::string& kind, std::int64_t channels, const dnnl::memory::desc& md);

class Norm : public Layer {
 public:
  // kind: the layer's name ("batch_norm", ...), also the prefix of its error messages.
  Norm(std::string kind, std::int64_t channels, Context& ctx);

  std::string kind() const override { return kind_; }
  std::vector<Param*> params() override { return {&gamma_, &beta_}; }
  bool is_norm() const final { return true; }

  // ReLU applied by the norm to its output (its options asked for it): the network has no
  // separate ReLU layer after it. batch_norm and group_norm can; the others never do.
  virtual bool relu() const { return false; }
  // With ReLU: from now on (call before the first forward) keep the output before the ReLU so that
  // pre_activation() exists; a fused kernel never writes it. Same numbers. Without ReLU: nothing.
  virtual void keep_pre_activation() {}
  // With relu() and keep_pre_activation(): the output before the ReLU of the last forward in
  // `mode`; nullptr before one (and for a norm without ReLU, whose output is the pre-activation).
  // The one way a probe reads a pre-activation inside a norm (model/builder.hpp).
  virtual const Tensor* pre_activation(Mode /*mode*/) const { return nullptr; }

  Param& gamma() { return gamma_; }
  Param& beta() { return beta_; }
  std::int64_t channels() const { return channels_; }

 protected:
  void check_input(const dnnl::memory::desc& md) const { check_norm_input(kind_, channels_, md); }

  std::string kind_;
  std::int64_t channels_;
  Param gamma_, beta_;  // (C)
};

}  // namespace bnlab
