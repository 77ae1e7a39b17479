#include "layers/max_pool.hpp"

#include "core/errors.hpp"

namespace bnlab {

namespace {
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
constexpr auto pooling_max = dnnl::algorithm::pooling_max;
}  // namespace

MaxPool2d::MaxPool2d(std::int64_t kernel, std::int64_t stride, Context& ctx)
    : Layer(ctx), kernel_(kernel), stride_(stride) {
  if (kernel_ < 1 || stride_ < 1)
    throw ShapeError("max_pool: kernel and stride must be >= 1, got kernel=" + std::to_string(kernel_) +
                     " stride=" + std::to_string(stride_));
}

void MaxPool2d::build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode) {
  const auto dims = src_md.dims();
  if (dims.size() != 4 || dims[2] < kernel_ || dims[3] < kernel_)
    throw ShapeError("max_pool: expected an (N, C, H, W) input with H, W >= " + std::to_string(kernel_) +
                     ", got " + to_string(dims));
  const auto& eng = ctx_.engine();
  const Dims dst_dims{dims[0], dims[1], (dims[2] - kernel_) / stride_ + 1, (dims[3] - kernel_) / stride_ + 1};
  const dnnl::memory::desc dst_any(dst_dims, dt::f32, tag::any);
  const Dims strides{stride_, stride_}, kernel{kernel_, kernel_}, no_pad{0, 0};

  const auto kind = mode == Mode::train ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  const dnnl::pooling_forward::primitive_desc fwd_pd(
      {kind, pooling_max, src_md, dst_any, strides, kernel, no_pad, no_pad}, eng);
  plan.src_md = src_md;
  plan.src = dnnl::memory(src_md, eng, nullptr);
  plan.dst = Tensor(fwd_pd.dst_desc(), ctx_);
  plan.impl = fwd_pd.impl_info_str();
  std::unordered_map<int, dnnl::memory> fwd_args{{DNNL_ARG_SRC, plan.src}, {DNNL_ARG_DST, plan.dst.mem()}};
  if (mode == Mode::train) {
    workspace_ = Tensor(fwd_pd.workspace_desc(), ctx_);
    fwd_args[DNNL_ARG_WORKSPACE] = workspace_.mem();
  }
  plan.fwd = Step(make_primitive<dnnl::pooling_forward>(fwd_pd), std::move(fwd_args));
  if (mode != Mode::train) return;

  const dnnl::pooling_backward::primitive_desc bwd_pd(
      {pooling_max, src_md, fwd_pd.dst_desc(), strides, kernel, no_pad, no_pad}, eng, fwd_pd);
  diff_dst_ = dnnl::memory(bwd_pd.diff_dst_desc(), eng, nullptr);
  diff_src_ = Tensor(bwd_pd.diff_src_desc(), ctx_);
  bwd_ = Step(make_primitive<dnnl::pooling_backward>(bwd_pd),
              {{DNNL_ARG_DIFF_DST, diff_dst_}, {DNNL_ARG_DIFF_SRC, diff_src_.mem()},
               {DNNL_ARG_WORKSPACE, workspace_.mem()}});
}

const Tensor& MaxPool2d::forward(const Tensor& src, Mode mode) {
  Plan& plan = mode == Mode::train ? train_ : eval_;
  if (plan.fwd.empty() || src.desc() != plan.src_md) build(plan, src.desc(), mode);
  plan.src.set_data_handle(src.data());
  plan.fwd.run(ctx_);
  return plan.dst;
}

const Tensor& MaxPool2d::backward(const Tensor& diff_dst, bool need_diff_src) {
  if (bwd_.empty()) throw Error("max_pool: backward before a training forward");
  if (diff_dst.desc() != diff_dst_.get_desc())
    throw ShapeError("max_pool: diff_dst " + to_string(diff_dst.dims()) +
                     " does not have the descriptor of the dst forward returned");
  if (!need_diff_src) {  // no parameters: diff_src is all backward computes
    static const Tensor none;
    return none;
  }
  diff_dst_.set_data_handle(diff_dst.data());
  bwd_.run(ctx_);
  return diff_src_;
}

}  // namespace bnlab
