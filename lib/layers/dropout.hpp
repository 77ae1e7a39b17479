// Inverted dropout (Srivastava et al. 2014), PyTorch's convention:
//   training:  m_i = [u_i >= p] / (1 - p) with u_i uniform in [0, 1), a fresh mask every forward
//              y = x · m                      (each value kept with probability 1 - p, rescaled)
//   eval:      y = x                           (forward returns src itself)
//   backward:  dx = dy · m                     (the mask of the last training forward)
// Works elementwise on the raw buffer in any layout (dst and diff_src share src's descriptor);
// the zero padding of a blocked layout stays zero. p == 0 is a pure pass-through.
// The mask comes from bnlab::Rng, so a seed gives the same masks on every machine.
#pragma once

#include "core/random.hpp"
#include "layers/layer.hpp"

namespace bnlab {

class Dropout : public Layer {
 public:
  // p: drop probability in [0, 1) (ConfigError otherwise); seed: the mask stream.
  Dropout(double p, std::uint64_t seed, Context& ctx = default_context());

  std::string kind() const override { return "dropout"; }
  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;

  double p() const { return p_; }
  // Restart the mask stream (a gradient check re-seeds before every forward to reuse one mask).
  void reseed(std::uint64_t seed) { rng_.reseed(seed); }
  Rng* rng() override { return &rng_; }

 private:
  void build(const dnnl::memory::desc& src_md);

  double p_;
  float scale_;                 // 1 / (1 - p)
  Rng rng_;
  dnnl::memory::desc src_md_;   // of the last training forward
  std::vector<float> mask_;     // (buffer size of src_md_)  0 or scale_, the last training mask
  Tensor dst_;                  // (N, C[, H, W])  src_md_
  Tensor diff_src_;             // (N, C[, H, W])  src_md_
};

}  // namespace bnlab
