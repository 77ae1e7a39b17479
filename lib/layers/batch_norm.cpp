#include "layers/batch_norm.hpp"

#include "core/errors.hpp"

namespace bnlab {

namespace {
using flags = dnnl::normalization_flags;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

// How oneDNN should see a src of this descriptor: (N,C) -> (N,C,1,1) nhwc; plain nchw -> nhwc;
// anything else (nhwc, blocked from convolution) as it is.
dnnl::memory::desc data_desc_for(const dnnl::memory::desc& src_md) {
  const auto dims = src_md.dims();
  if (dims.size() == 2) return dnnl::memory::desc({dims[0], dims[1], 1, 1}, dt::f32, tag::nhwc);
  if (src_md == plain_desc(dims)) return dnnl::memory::desc(dims, dt::f32, tag::nhwc);
  return src_md;
}
}  // namespace

BatchNorm::BatchNorm(std::int64_t channels, const NormConfig& config, bool fuse_relu, Context& ctx)
    : Layer(ctx),
      channels_(channels),
      eps_(config.eps),
      momentum_(config.momentum),
      fuse_relu_(fuse_relu),
      gamma_{"gamma", Tensor::plain({channels}, ctx), Tensor::plain({channels}, ctx), false},
      beta_{"beta", Tensor::plain({channels}, ctx), Tensor::plain({channels}, ctx), false},
      running_mean_(Tensor::plain({channels}, ctx)),
      running_var_(Tensor::plain({channels}, ctx)),
      mean_(Tensor::plain({channels}, ctx)),
      var_(Tensor::plain({channels}, ctx)),
      probe_mean_(Tensor::plain({channels}, ctx)),
      probe_var_(Tensor::plain({channels}, ctx)) {
  if (channels < 1) throw ShapeError("batch_norm: channels must be >= 1");
  gamma_.value.fill(1.0f);   // gamma = 1, beta = 0 at init
  running_var_.fill(1.0f);   // running_mean = 0, running_var = 1 (PyTorch)
}

void BatchNorm::build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode) {
  const auto dims = src_md.dims();
  if ((dims.size() != 2 && dims.size() != 4) || dims[1] != channels_)
    throw ShapeError("batch_norm: expected (N, " + std::to_string(channels_) + "[, H, W]) input, got " +
                     to_string(dims));
  const auto& eng = ctx_.engine();
  const auto data_md = data_desc_for(src_md);
  const auto relu = fuse_relu_ ? flags::fuse_norm_relu : flags::none;
  const auto scale_shift = flags::use_scale | flags::use_shift | relu;

  plan.src_md = src_md;
  plan.data_md = data_md;
  plan.reorder_src = dims.size() == 4 && data_md != src_md;
  plan.values_per_channel = dims.size() == 2 ? dims[0] : dims[0] * dims[2] * dims[3];
  plan.src = dnnl::memory(data_md, eng, nullptr);
  plan.dst = Tensor(data_md, ctx_);
  plan.dst_out = dims.size() == 2 ? plan.dst.view(src_md) : plan.dst;

  if (mode == Mode::eval) {
    const dnnl::batch_normalization_forward::primitive_desc pd(
        {dnnl::prop_kind::forward_inference, data_md, static_cast<float>(eps_), scale_shift | flags::use_global_stats},
        eng);
    plan.impl = pd.impl_info_str();
    plan.fwd = Step(make_primitive<dnnl::batch_normalization_forward>(pd),
                    {{DNNL_ARG_SRC, plan.src}, {DNNL_ARG_DST, plan.dst.mem()},
                     {DNNL_ARG_SCALE, gamma_.value.mem()}, {DNNL_ARG_SHIFT, beta_.value.mem()},
                     {DNNL_ARG_MEAN, running_mean_.mem()}, {DNNL_ARG_VARIANCE, running_var_.mem()}});
    return;
  }

  const dnnl::batch_normalization_forward::primitive_desc fwd_pd(
      {dnnl::prop_kind::forward_training, data_md, static_cast<float>(eps_), scale_shift}, eng);
  const bool training = mode == Mode::train;
  Tensor& workspace = training ? workspace_ : probe_workspace_;
  std::unordered_map<int, dnnl::memory> fwd_args{
      {DNNL_ARG_SRC, plan.src}, {DNNL_ARG_DST, plan.dst.mem()}, {DNNL_ARG_SCALE, gamma_.value.mem()},
      {DNNL_ARG_SHIFT, beta_.value.mem()}, {DNNL_ARG_MEAN, (training ? mean_ : probe_mean_).mem()},
      {DNNL_ARG_VARIANCE, (training ? var_ : probe_var_).mem()}};
  if (fuse_relu_) {
    workspace = Tensor(fwd_pd.workspace_desc(), ctx_);
    fwd_args[DNNL_ARG_WORKSPACE] = workspace.mem();
  }
  plan.impl = fwd_pd.impl_info_str();
  plan.fwd = Step(make_primitive<dnnl::batch_normalization_forward>(fwd_pd), std::move(fwd_args));
  if (!training) return;  // Mode::batch_stats: no backward

  const dnnl::batch_normalization_backward::primitive_desc bwd_pd(
      {dnnl::prop_kind::backward, data_md, data_md, static_cast<float>(eps_), scale_shift}, eng, fwd_pd);
  diff_dst_ = dnnl::memory(data_md, eng, nullptr);
  diff_src_ = Tensor(data_md, ctx_);
  diff_src_out_ = dims.size() == 2 ? diff_src_.view(src_md) : diff_src_;  // replaced when reordered
  std::unordered_map<int, dnnl::memory> bwd_args{
      {DNNL_ARG_SRC, plan.src}, {DNNL_ARG_DIFF_DST, diff_dst_}, {DNNL_ARG_MEAN, mean_.mem()},
      {DNNL_ARG_VARIANCE, var_.mem()}, {DNNL_ARG_SCALE, gamma_.value.mem()}, {DNNL_ARG_SHIFT, beta_.value.mem()},
      {DNNL_ARG_DIFF_SRC, diff_src_.mem()}, {DNNL_ARG_DIFF_SCALE, gamma_.grad.mem()},
      {DNNL_ARG_DIFF_SHIFT, beta_.grad.mem()}};
  if (fuse_relu_) bwd_args[DNNL_ARG_WORKSPACE] = workspace_.mem();
  bwd_ = Step(make_primitive<dnnl::batch_normalization_backward>(bwd_pd), std::move(bwd_args));
}

const Tensor& BatchNorm::forward(const Tensor& src, Mode mode) {
  Plan& plan = plan_for(mode);
  if (plan.fwd.empty() || src.desc() != plan.src_md) build(plan, src.desc(), mode);
  if (mode != Mode::eval && plan.values_per_channel < 2)
    throw ShapeError("batch_norm: batch statistics need more than 1 value per channel, got input " +
                     to_string(plan.src_md.dims()));
  if (plan.reorder_src)
    plan.src.set_data_handle(plan.to_data(src.mem(), plan.data_md, ctx_).get_data_handle());
  else
    plan.src.set_data_handle(src.data());
  plan.fwd.run(ctx_);
  if (mode == Mode::train) update_running_stats(plan.values_per_channel);
  return plan.dst_out;
}

void BatchNorm::update_running_stats(std::int64_t m) {
  const float mom = static_cast<float>(momentum_);
  const float unbias = static_cast<float>(m) / static_cast<float>(m - 1);
  const float* mean = mean_.data();
  const float* var = var_.data();
  float* rmean = running_mean_.data();
  float* rvar = running_var_.data();
  for (std::int64_t c = 0; c < channels_; ++c) {
    rmean[c] = (1.0f - mom) * rmean[c] + mom * mean[c];
    rvar[c] = (1.0f - mom) * rvar[c] + mom * var[c] * unbias;
  }
}

const Tensor& BatchNorm::backward(const Tensor& diff_dst, bool need_diff_src) {
  (void)need_diff_src;  // BN is never first; dgamma/dbeta come from the same primitive anyway
  if (bwd_.empty()) throw Error("batch_norm: backward before a training forward");
  diff_dst_.set_data_handle(diff_dst.data());
  bwd_.run(ctx_);
  if (train_.reorder_src) diff_src_out_ = Tensor(diff_src_back_(diff_src_.mem(), train_.src_md, ctx_));
  return diff_src_out_;
}

}  // namespace bnlab
