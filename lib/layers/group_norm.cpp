#include "layers/group_norm.hpp"

namespace bnlab {

GroupNorm::GroupNorm(std::int64_t channels, const GroupNormOptions& options, Context& ctx)
    : Norm("group_norm", channels, ctx),
      group_size_(options.group_size),
      relu_(options.relu),
      kernel_("group_norm", channels, options.group_size, options.eps, ctx) {}

}  // namespace bnlab
