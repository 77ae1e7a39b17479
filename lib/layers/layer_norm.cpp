#include "layers/layer_norm.hpp"

#include "core/errors.hpp"

namespace bnlab {

namespace {
using flags = dnnl::normalization_flags;
}  // namespace

LayerNorm::LayerNorm(std::int64_t channels, const LayerNormOptions& options, Context& ctx)
    : Norm("layer_norm", channels, ctx), eps_(options.eps), kernel_("layer_norm", channels, channels, options.eps, ctx) {}

void LayerNorm::build(Plan& plan, const dnnl::memory::desc& src_md, bool training) {
  check_input(src_md);  // (4-D inputs go to the group kernel before this)
  const auto dims = src_md.dims();
  const auto& eng = ctx_.engine();
  const auto data_md = plain_desc(dims);
  const auto stat_md = plain_desc({dims[0]});
  const auto scale_shift = flags::use_scale | flags::use_shift;
  plan.src_md = src_md;
  plan.reorder_src = src_md != data_md;
  plan.src = dnnl::memory(data_md, eng, nullptr);
  plan.dst = Tensor(data_md, ctx_);
  plan.mean = Tensor(stat_md, ctx_);
  plan.var = Tensor(stat_md, ctx_);
  // forward_training in every mode, each with its own statistics: the modes give bit-identical
  // outputs, and eval / eval_batch_stats never touch what backward reads.
  const dnnl::layer_normalization_forward::primitive_desc fwd_pd(
      {dnnl::prop_kind::forward_training, data_md, stat_md, static_cast<float>(eps_), scale_shift}, eng);
  plan.impl = fwd_pd.impl_info_str();
  plan.fwd = Step(make_primitive<dnnl::layer_normalization_forward>(fwd_pd),
                  {{DNNL_ARG_SRC, plan.src}, {DNNL_ARG_DST, plan.dst.mem()}, {DNNL_ARG_SCALE, gamma_.value.mem()},
                   {DNNL_ARG_SHIFT, beta_.value.mem()}, {DNNL_ARG_MEAN, plan.mean.mem()},
                   {DNNL_ARG_VARIANCE, plan.var.mem()}});
  if (!training) return;

  const dnnl::layer_normalization_backward::primitive_desc bwd_pd(
      {dnnl::prop_kind::backward, data_md, data_md, stat_md, static_cast<float>(eps_), scale_shift}, eng, fwd_pd);
  diff_dst_ = dnnl::memory(data_md, eng, nullptr);
  diff_src_ = Tensor(data_md, ctx_);
  diff_src_out_ = diff_src_;
  bwd_ = Step(make_primitive<dnnl::layer_normalization_backward>(bwd_pd),
              {{DNNL_ARG_SRC, plan.src}, {DNNL_ARG_DIFF_DST, diff_dst_}, {DNNL_ARG_MEAN, plan.mean.mem()},
               {DNNL_ARG_VARIANCE, plan.var.mem()}, {DNNL_ARG_SCALE, gamma_.value.mem()},
               {DNNL_ARG_SHIFT, beta_.value.mem()}, {DNNL_ARG_DIFF_SRC, diff_src_.mem()},
               {DNNL_ARG_DIFF_SCALE, gamma_.grad.mem()}, {DNNL_ARG_DIFF_SHIFT, beta_.grad.mem()}});
}

const Tensor& LayerNorm::forward(const Tensor& src, Mode mode) {
  if (src.desc().data.ndims == 4) {  // (not dims(), which allocates a vector)
    if (mode == Mode::train) last_train_4d_ = true;
    return kernel_.forward(src, mode, gamma_.value, beta_.value);
  }
  Plan& plan = plans_[mode];
  if (plan.fwd.empty() || src.desc() != plan.src_md) build(plan, src.desc(), mode == Mode::train);
  if (mode == Mode::train) last_train_4d_ = false;
  if (plan.reorder_src)
    plan.src.set_data_handle(plan.to_plain(src.mem(), plan.src.get_desc(), ctx_).get_data_handle());
  else
    plan.src.set_data_handle(src.data());
  plan.fwd.run(ctx_);
  return plan.dst;
}

const Tensor& LayerNorm::backward(const Tensor& diff_dst, bool need_diff_src) {
  if (last_train_4d_) return kernel_.backward(diff_dst, need_diff_src, gamma_.value, gamma_.grad, beta_.grad);
  // The primitive computes diff_src together with dgamma/dbeta, so need_diff_src saves nothing.
  if (bwd_.empty()) throw Error("layer_norm: backward before a training forward");
  diff_dst_.set_data_handle(diff_dst_to_plain_(diff_dst.mem(), diff_dst_.get_desc(), ctx_).get_data_handle());
  bwd_.run(ctx_);
  if (plans_.train.reorder_src) diff_src_out_ = Tensor(diff_src_back_(diff_src_.mem(), plans_.train.src_md, ctx_));
  return diff_src_out_;
}

}  // namespace bnlab
