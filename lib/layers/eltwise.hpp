// Elementwise activations on oneDNN's eltwise primitives, in whatever layout src has
// (no reorder; dst and diff_src share src's descriptor):
//   relu:     y = max(x, 0)            dx = dy · [x > 0]          (backward reads src)
//   sigmoid:  y = 1 / (1 + exp(-x))    dx = dy · y · (1 - y)      (backward reads dst)
//   tanh:     y = tanh(x)              dx = dy · (1 - y²)         (backward reads dst)
// Sigmoid and tanh use oneDNN's *_use_dst_for_bwd algorithms, so a training forward keeps only
// its own dst; relu keeps a handle on the caller's src.
#pragma once

#include "layers/layer.hpp"

namespace bnlab {

// Valid activation names, in the order error messages list them.
const std::vector<std::string>& activation_kinds();

class Eltwise : public Layer {
 public:
  // activation: "relu" | "sigmoid" | "tanh"; anything else throws ConfigError.
  explicit Eltwise(std::string activation, Context& ctx = default_context());

  std::string kind() const override { return activation_; }
  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;
  const std::string& impl(Mode mode) const { return (mode == Mode::train ? train_ : eval_).impl; }

 private:
  struct Plan {
    dnnl::memory::desc src_md;  // as the caller gave it; dst has the same
    dnnl::memory src;           // (N, C[, H, W])  handle onto the caller's src
    Tensor dst;                 // (N, C[, H, W])
    Step fwd;
    std::string impl;
  };
  void build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode);

  std::string activation_;
  dnnl::algorithm algorithm_;
  Plan train_, eval_;
  // Backward, built with the training plan.
  dnnl::memory diff_dst_;       // (N, C[, H, W])  handle onto the caller's diff_dst
  Tensor diff_src_;             // (N, C[, H, W])
  Step bwd_;
};

}  // namespace bnlab
