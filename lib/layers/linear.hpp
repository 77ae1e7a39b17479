// Fully connected layer on oneDNN inner_product:  dst = src · Wᵀ + b
//   src (N, in)   weight (out, in)   bias (out)   dst (N, out)
// Backward:  diff_src = diff_dst · W,  dW = diff_dstᵀ · src,  db = Σ_n diff_dst.
// A linear layer followed by a norm has no bias (the norm's beta replaces it).
#pragma once

#include "layers/layer.hpp"

namespace bnlab {

class Linear : public Layer {
 public:
  Linear(std::int64_t in, std::int64_t out, bool bias, Context& ctx = default_context());

  std::string kind() const override { return "linear"; }
  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;
  std::vector<Param*> params() override;

  Param& weight() { return weight_; }
  Param* bias() { return has_bias_ ? &bias_ : nullptr; }
  std::int64_t in_features() const { return in_; }
  std::int64_t out_features() const { return out_; }

 private:
  struct Plan {
    dnnl::memory::desc src_md;
    dnnl::memory src;      // (N, in)  our handle onto the caller's src buffer
    Tensor dst;            // (N, out)
    Step fwd;
  };
  void build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode);

  std::int64_t in_, out_;
  bool has_bias_;
  Param weight_;           // (out, in)
  Param bias_;             // (out)
  Plan train_, eval_;
  // Backward, built with the training plan.
  dnnl::memory diff_dst_;  // (N, out)  handle onto the caller's diff_dst
  Tensor diff_src_;        // (N, in)
  Step bwd_data_, bwd_weights_;
};

}  // namespace bnlab
