#include "layers/batch_norm.hpp"

#include <utility>

#include "core/errors.hpp"
#include "core/output_buffer.hpp"

namespace bnlab {

namespace {
using flags = dnnl::normalization_flags;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using FwdPd = dnnl::batch_normalization_forward::primitive_desc;

// How oneDNN should see a src of this descriptor: (N,C) -> (N,C,1,1) nhwc; plain nchw -> nhwc;
// anything else (nhwc, blocked from convolution) as it is.
dnnl::memory::desc data_desc_for(const dnnl::memory::desc& src_md) {
  const auto dims = src_md.dims();
  if (dims.size() == 2) return dnnl::memory::desc({dims[0], dims[1], 1, 1}, dt::f32, tag::nhwc);
  if (src_md == plain_desc(dims)) return dnnl::memory::desc(dims, dt::f32, tag::nhwc);
  return src_md;
}

// oneDNN 2.6's BN kernels are JIT-generated ("bnorm_jit:avx512_core", "bnorm_tbb_jit:sse41") or
// plain C++ ("nspc_bnorm:any", "ncsp_bnorm:any", "ref:any"), 3-10x slower; with fuse_norm_relu
// on (N, C) data whose C is not a multiple of 16 the training primitive falls to nspc_bnorm
// while the unfused one stays JIT.
bool is_reference_kernel(const std::string& impl) { return impl.find("jit") == std::string::npos; }
}  // namespace

BatchNorm::BatchNorm(std::int64_t channels, const BatchNormOptions& options, Context& ctx)
    : BatchNorm("batch_norm", channels, options, nullptr, ctx) {}

BatchNorm::BatchNorm(std::string kind, std::int64_t channels, const BatchNormOptions& options, BatchNormAffinePolicy* policy,
                     Context& ctx)
    : Norm(std::move(kind), channels, ctx),
      options_(options),
      policy_(policy),
      running_mean_(Tensor::plain({channels}, ctx)),
      running_var_(Tensor::plain({channels}, ctx)) {
  running_var_.fill(1.0f);  // running_mean = 0, running_var = 1 (PyTorch)
  if (policy_) {
    ones_ = Tensor::plain({channels}, ctx);
    zeros_ = Tensor::plain({channels}, ctx);
    ones_.fill(1.0f);
  }
}

void BatchNorm::build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode, bool separate_grads) {
  check_input(src_md);
  const auto dims = src_md.dims();
  const auto& eng = ctx_.engine();
  const auto data_md = data_desc_for(src_md);
  const auto eps = static_cast<float>(options_.eps);
  const auto scale_shift = flags::use_scale | flags::use_shift;
  const bool training = mode == Mode::train;
  const bool stats_first = policy_ && policy_->needs_batch_stats() && mode != Mode::eval;
  const auto plain_c = [&] { return Tensor::plain({channels_}, ctx_); };

  plan.src_md = src_md;
  plan.data_md = data_md;
  plan.reorder_src = dims.size() == 4 && data_md != src_md;
  plan.values_per_channel = dims.size() == 2 ? dims[0] : dims[0] * dims[2] * dims[3];
  plan.src = dnnl::memory(data_md, eng, nullptr);
  plan.dst = output_buffer(data_md, ctx_);
  plan.dst_out = dims.size() == 2 ? plan.dst.view(src_md) : plan.dst;
  if (plan.scale.empty()) {
    plan.scale = policy_ ? plain_c() : gamma_.value;
    plan.shift = policy_ ? plain_c() : beta_.value;
  }
  if (training && plan.dscale.empty()) {
    plan.dscale = policy_ || separate_grads ? plain_c() : gamma_.grad;
    plan.dshift = policy_ || separate_grads ? plain_c() : beta_.grad;
  }
  if (mode != Mode::eval && plan.mean.empty()) {
    plan.mean = plain_c();
    plan.var = plain_c();
  }

  // The normalizing primitive: eval and a policy's stats-first forward normalize with given
  // statistics (use_global_stats), train and eval_batch_stats compute them.
  const auto prop = mode == Mode::eval ? dnnl::prop_kind::forward_inference : dnnl::prop_kind::forward_training;
  const auto norm_flags = scale_shift | (mode == Mode::eval || stats_first ? flags::use_global_stats : flags::none);
  FwdPd fwd_pd({prop, data_md, eps, norm_flags}, eng);
  plan.relu_fused = false;
  if (options_.relu && !keep_pre_activation_) {
    FwdPd fused_pd({prop, data_md, eps, norm_flags | flags::fuse_norm_relu}, eng);
    if (!is_reference_kernel(fused_pd.impl_info_str()) || is_reference_kernel(fwd_pd.impl_info_str())) {
      fwd_pd = fused_pd;
      plan.relu_fused = true;
    }
  }
  plan.relu = options_.relu && !plan.relu_fused ? std::make_unique<Eltwise>("relu", ctx_) : nullptr;
  plan.impl = fwd_pd.impl_info_str();
  const Tensor& mean = mode == Mode::eval ? running_mean_ : plan.mean;
  const Tensor& var = mode == Mode::eval ? running_var_ : plan.var;
  std::unordered_map<int, dnnl::memory> fwd_args{
      {DNNL_ARG_SRC, plan.src}, {DNNL_ARG_DST, plan.dst.mem()}, {DNNL_ARG_SCALE, plan.scale.mem()},
      {DNNL_ARG_SHIFT, plan.shift.mem()}, {DNNL_ARG_MEAN, mean.mem()}, {DNNL_ARG_VARIANCE, var.mem()}};
  if (plan.relu_fused && mode != Mode::eval) {
    plan.workspace = Tensor(fwd_pd.workspace_desc(), ctx_);
    fwd_args[DNNL_ARG_WORKSPACE] = plan.workspace.mem();
  }
  plan.fwd = Step(make_primitive<dnnl::batch_normalization_forward>(fwd_pd), std::move(fwd_args));
  if (mode == Mode::eval) return;

  // The statistics of a stats-first forward: BN with the identity affine into dst, which the
  // normalizing primitive then overwrites. Backward differentiates the batch statistics, so its
  // hint is this statistics-computing primitive, not the one that takes them as given.
  const FwdPd stats_pd({dnnl::prop_kind::forward_training, data_md, eps, scale_shift}, eng);
  if (stats_first)
    plan.stats = Step(make_primitive<dnnl::batch_normalization_forward>(stats_pd),
                      {{DNNL_ARG_SRC, plan.src}, {DNNL_ARG_DST, plan.dst.mem()}, {DNNL_ARG_SCALE, ones_.mem()},
                       {DNNL_ARG_SHIFT, zeros_.mem()}, {DNNL_ARG_MEAN, plan.mean.mem()},
                       {DNNL_ARG_VARIANCE, plan.var.mem()}});
  if (!training) return;  // Mode::eval_batch_stats: no backward

  const auto bwd_flags = scale_shift | (plan.relu_fused ? flags::fuse_norm_relu : flags::none);
  const dnnl::batch_normalization_backward::primitive_desc bwd_pd(
      {dnnl::prop_kind::backward, data_md, data_md, eps, bwd_flags}, eng, stats_first ? stats_pd : fwd_pd);
  plan.diff_dst = dnnl::memory(data_md, eng, nullptr);
  plan.diff_src = output_buffer(data_md, ctx_);
  plan.diff_src_out = dims.size() == 2 ? plan.diff_src.view(src_md) : plan.diff_src;  // replaced when reordered
  std::unordered_map<int, dnnl::memory> bwd_args{
      {DNNL_ARG_SRC, plan.src}, {DNNL_ARG_DIFF_DST, plan.diff_dst}, {DNNL_ARG_MEAN, plan.mean.mem()},
      {DNNL_ARG_VARIANCE, plan.var.mem()}, {DNNL_ARG_SCALE, plan.scale.mem()}, {DNNL_ARG_SHIFT, plan.shift.mem()},
      {DNNL_ARG_DIFF_SRC, plan.diff_src.mem()}, {DNNL_ARG_DIFF_SCALE, plan.dscale.mem()},
      {DNNL_ARG_DIFF_SHIFT, plan.dshift.mem()}};
  if (plan.relu_fused) bwd_args[DNNL_ARG_WORKSPACE] = plan.workspace.mem();
  plan.bwd = Step(make_primitive<dnnl::batch_normalization_backward>(bwd_pd), std::move(bwd_args));
}

const Tensor& BatchNorm::run_forward(Plan& plan, const Tensor& src, Mode mode) {
  if (mode != Mode::eval && plan.values_per_channel < 2)
    throw ShapeError(kind_ + ": batch statistics need more than 1 value per channel, got input " +
                     to_string(plan.src_md.dims()));
  if (plan.reorder_src)
    plan.src.set_data_handle(plan.to_data(src.mem(), plan.data_md, ctx_).get_data_handle());
  else
    plan.src.set_data_handle(src.data());
  const bool stats_first = !plan.stats.empty();
  if (stats_first) plan.stats.run(ctx_);
  if (policy_)
    policy_->affine(mode, stats_first ? plan.mean.data() : nullptr, stats_first ? plan.var.data() : nullptr,
                    plan.scale.data(), plan.shift.data());
  plan.fwd.run(ctx_);
  if (mode == Mode::train) update_running_stats(plan);
  if (mode == Mode::eval_batch_stats && population_) add_to_population(plan);
  return plan.relu ? plan.relu->forward(plan.dst_out, mode) : plan.dst_out;
}

const Tensor& BatchNorm::forward(const Tensor& src, Mode mode) {
  Plan& plan = plans_[mode];
  if (plan.fwd.empty() || src.desc() != plan.src_md) build(plan, src.desc(), mode);
  return run_forward(plan, src, mode);
}

void BatchNorm::update_running_stats(const Plan& plan) {
  const float mom = static_cast<float>(options_.momentum);
  const std::int64_t m = plan.values_per_channel;
  const float unbias = static_cast<float>(m) / static_cast<float>(m - 1);
  const float* mean = plan.mean.data();
  const float* var = plan.var.data();
  float* rmean = running_mean_.data();
  float* rvar = running_var_.data();
  for (std::int64_t c = 0; c < channels_; ++c) {
    rmean[c] = (1.0f - mom) * rmean[c] + mom * mean[c];
    rvar[c] = (1.0f - mom) * rvar[c] + mom * var[c] * unbias;
  }
}

void BatchNorm::add_to_population(const Plan& plan) {
  PopulationStats& pop = *population_;
  const auto channels = static_cast<std::size_t>(channels_);
  if (pop.mean.size() != channels) {
    pop = PopulationStats{0, std::vector<double>(channels, 0.0), std::vector<double>(channels, 0.0)};
  }
  // Merging (count n, mean, m2) with a batch of m values, mean mu_b and biased variance var_b:
  //   delta = mu_b - mean;  mean += delta·m/(n+m);  m2 += var_b·m + delta²·n·m/(n+m)
  const auto n = static_cast<double>(pop.count);
  const auto m = static_cast<double>(plan.values_per_channel);
  const float* mean = plan.mean.data();
  const float* var = plan.var.data();
  for (std::size_t c = 0; c < channels; ++c) {
    const double delta = static_cast<double>(mean[c]) - pop.mean[c];
    pop.mean[c] += delta * m / (n + m);
    pop.m2[c] += static_cast<double>(var[c]) * m + delta * delta * n * m / (n + m);
  }
  pop.count += plan.values_per_channel;
}

const Tensor& BatchNorm::run_backward(Plan& plan, const Tensor& diff_dst) {
  if (plan.bwd.empty()) throw Error(kind_ + ": backward before a training forward");
  const Tensor& diff_norm = plan.relu ? plan.relu->backward(diff_dst) : diff_dst;  // masked by ReLU
  plan.diff_dst.set_data_handle(diff_norm.data());
  plan.bwd.run(ctx_);
  if (plan.reorder_src) plan.diff_src_out = Tensor(plan.diff_src_back(plan.diff_src.mem(), plan.src_md, ctx_));
  return plan.diff_src_out;
}

const Tensor& BatchNorm::backward(const Tensor& diff_dst, bool need_diff_src) {
  (void)need_diff_src;  // BN is never first; dgamma/dbeta come from the same primitive anyway
  Plan& plan = plans_.train;
  const Tensor& diff_src = run_backward(plan, diff_dst);
  if (policy_)
    policy_->map_grads(plan.dscale.data(), plan.dshift.data(), gamma_.grad.data(), beta_.grad.data());
  return diff_src;
}

}  // namespace bnlab
