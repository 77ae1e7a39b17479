#include "layers/norm.hpp"

#include <algorithm>
#include <utility>

#include "core/errors.hpp"

namespace bnlab {

void check_norm_input(const std::string& kind, std::int64_t channels, const dnnl::memory::desc& md) {
  const int rank = md.data.ndims;  // (not dims(), which allocates: this runs every forward)
  if ((rank != 2 && rank != 4) || md.data.dims[1] != channels)
    throw ShapeError(kind + ": expected (N, " + std::to_string(channels) + ") or (N, " + std::to_string(channels) +
                     ", H, W) input, got " + to_string(md.dims()));
}

Norm::Norm(std::string kind, std::int64_t channels, Context& ctx)
    : Layer(ctx),
      kind_(std::move(kind)),
      channels_(channels),
      gamma_{"gamma", Tensor::plain({std::max<std::int64_t>(channels, 1)}, ctx),
             Tensor::plain({std::max<std::int64_t>(channels, 1)}, ctx), false},
      beta_{"beta", Tensor::plain({std::max<std::int64_t>(channels, 1)}, ctx),
            Tensor::plain({std::max<std::int64_t>(channels, 1)}, ctx), false} {
  if (channels < 1) throw ShapeError(kind_ + ": channels must be >= 1, got " + std::to_string(channels));
  gamma_.value.fill(1.0f);  // gamma = 1, beta = 0 at init
}

}  // namespace bnlab
