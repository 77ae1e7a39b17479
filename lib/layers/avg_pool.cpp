#include "layers/avg_pool.hpp"

#include "core/errors.hpp"
#include "layers/parameterless_backward.hpp"

namespace bnlab {

namespace {
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
// No padding, so excluding or including it gives the same average; exclude is oneDNN's default.
constexpr auto pooling_avg = dnnl::algorithm::pooling_avg_exclude_padding;
}  // namespace

AvgPool2d::AvgPool2d(std::int64_t kernel, std::int64_t stride, Context& ctx)
    : Layer(ctx), kernel_(kernel), stride_(stride) {
  if (kernel_ < 1 || stride_ < 1)
    throw ShapeError("avg_pool: kernel and stride must be >= 1, got kernel=" + std::to_string(kernel_) +
                     " stride=" + std::to_string(stride_));
}

AvgPool2d::AvgPool2d(Global, Context& ctx) : Layer(ctx), kernel_(0), stride_(0) {}

std::unique_ptr<AvgPool2d> AvgPool2d::global(Context& ctx) {
  return std::unique_ptr<AvgPool2d>(new AvgPool2d(Global{}, ctx));
}

void AvgPool2d::build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode) {
  const auto dims = src_md.dims();
  if (dims.size() != 4 || dims[2] < kernel_ || dims[3] < kernel_)
    throw ShapeError(kind() + ": expected an (N, C, H, W) input with H, W >= " + std::to_string(kernel_) +
                     ", got " + to_string(dims));
  const auto& eng = ctx_.engine();
  // Global: one window of H x W (its stride never matters: there is one output position).
  const Dims kernel = is_global() ? Dims{dims[2], dims[3]} : Dims{kernel_, kernel_};
  const Dims strides = is_global() ? Dims{1, 1} : Dims{stride_, stride_}, no_pad{0, 0};
  const Dims dst_dims{dims[0], dims[1], (dims[2] - kernel[0]) / strides[0] + 1, (dims[3] - kernel[1]) / strides[1] + 1};
  const dnnl::memory::desc dst_any(dst_dims, dt::f32, tag::any);

  const auto kind = mode == Mode::train ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  const dnnl::pooling_forward::primitive_desc fwd_pd(
      {kind, pooling_avg, src_md, dst_any, strides, kernel, no_pad, no_pad}, eng);
  plan.src_md = src_md;
  plan.src = dnnl::memory(src_md, eng, nullptr);
  plan.dst = Tensor(fwd_pd.dst_desc(), ctx_);
  plan.impl = fwd_pd.impl_info_str();
  plan.fwd = Step(make_primitive<dnnl::pooling_forward>(fwd_pd), {{DNNL_ARG_SRC, plan.src}, {DNNL_ARG_DST, plan.dst.mem()}});
  if (mode != Mode::train) return;

  const dnnl::pooling_backward::primitive_desc bwd_pd(
      {pooling_avg, src_md, fwd_pd.dst_desc(), strides, kernel, no_pad, no_pad}, eng, fwd_pd);
  diff_dst_ = dnnl::memory(bwd_pd.diff_dst_desc(), eng, nullptr);
  diff_src_ = Tensor(bwd_pd.diff_src_desc(), ctx_);
  bwd_ = Step(make_primitive<dnnl::pooling_backward>(bwd_pd),
              {{DNNL_ARG_DIFF_DST, diff_dst_}, {DNNL_ARG_DIFF_SRC, diff_src_.mem()}});
}

const Tensor& AvgPool2d::forward(const Tensor& src, Mode mode) {
  Plan& plan = mode == Mode::train ? train_ : eval_;
  if (plan.fwd.empty() || src.desc() != plan.src_md) build(plan, src.desc(), mode);
  plan.src.set_data_handle(src.data());
  plan.fwd.run(ctx_);
  return plan.dst;
}

const Tensor& AvgPool2d::backward(const Tensor& diff_dst, bool need_diff_src) {
  return run_parameterless_backward(kind(), bwd_, diff_dst_, diff_dst, need_diff_src, diff_src_, ctx_);
}

}  // namespace bnlab
