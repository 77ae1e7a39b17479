#include "layers/group_norm.hpp"

namespace bnlab {

GroupNorm::GroupNorm(std::int64_t channels, const GroupNormOptions& options, Context& ctx)
    : Norm("group_norm", channels, ctx),
      group_size_(options.group_size),
      relu_(options.relu),
      kernel_("group_norm", channels, options.group_size, options.eps, ctx) {}

void GroupNorm::keep_pre_activation() {
  if (relu_ && !separate_relu_) separate_relu_ = std::make_unique<Eltwise>("relu", ctx_);
}

const Tensor& GroupNorm::forward(const Tensor& src, Mode mode) {
  if (!separate_relu_) return kernel_.forward(src, mode, gamma_.value, beta_.value, relu_);
  const Tensor& pre = kernel_.forward(src, mode, gamma_.value, beta_.value, false);
  pre_[mode] = &pre;
  return separate_relu_->forward(pre, mode);
}

const Tensor& GroupNorm::backward(const Tensor& diff_dst, bool need_diff_src) {
  const Tensor& g = separate_relu_ ? separate_relu_->backward(diff_dst) : diff_dst;
  return kernel_.backward(g, need_diff_src, gamma_.value, gamma_.grad, beta_.grad);
}

}  // namespace bnlab
