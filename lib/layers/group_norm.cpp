#include "layers/group_norm.hpp"

namespace bnlab {

GroupNorm::GroupNorm(std::int64_t channels, const NormConfig& config, Context& ctx)
    : Layer(ctx),
      channels_(channels),
      group_size_(config.group_size),
      gamma_{"gamma", Tensor::plain({channels}, ctx), Tensor::plain({channels}, ctx), false},
      beta_{"beta", Tensor::plain({channels}, ctx), Tensor::plain({channels}, ctx), false},
      kernel_("group_norm", channels, config.group_size, config.eps, ctx) {
  gamma_.value.fill(1.0f);  // gamma = 1, beta = 0 at init
}

}  // namespace bnlab
