#include "layers/conv2d.hpp"

#include "core/errors.hpp"
#include "core/output_buffer.hpp"

namespace bnlab {

namespace {
using prop = dnnl::prop_kind;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
constexpr auto direct = dnnl::algorithm::convolution_direct;

dnnl::memory::desc any_desc(const Dims& dims) { return dnnl::memory::desc(dims, dt::f32, tag::any); }
}  // namespace

Conv2d::Conv2d(std::int64_t in_channels, std::int64_t out_channels, const Conv2dOptions& options, Context& ctx)
    : Layer(ctx),
      in_(in_channels),
      out_(out_channels),
      kernel_(options.kernel),
      stride_(options.stride),
      padding_(options.padding),
      has_bias_(options.bias) {
  if (in_ < 1 || out_ < 1 || kernel_ < 1 || stride_ < 1 || padding_ < 0)
    throw ShapeError("conv2d: channels, kernel and stride must be >= 1 and padding >= 0, got in=" +
                     std::to_string(in_) + " out=" + std::to_string(out_) + " kernel=" + std::to_string(kernel_) +
                     " stride=" + std::to_string(stride_) + " padding=" + std::to_string(padding_));
  const Dims w_dims{out_, in_, kernel_, kernel_};
  weight_ = {"weight", Tensor::plain(w_dims, ctx), Tensor::plain(w_dims, ctx), true};
  bias_ = {"bias", Tensor::plain({out_}, ctx), Tensor::plain({out_}, ctx), false};
}

std::vector<Param*> Conv2d::params() {
  if (has_bias_) return {&weight_, &bias_};
  return {&weight_};
}

void Conv2d::build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode) {
  const auto dims = src_md.dims();
  if (dims.size() != 4 || dims[1] != in_)
    throw ShapeError("conv2d: expected an (N, " + std::to_string(in_) + ", H, W) input, got " + to_string(dims));
  const std::int64_t span_h = dims[2] + 2 * padding_ - kernel_, span_w = dims[3] + 2 * padding_ - kernel_;
  if (span_h < 0 || span_w < 0)
    throw ShapeError("conv2d: a " + std::to_string(kernel_) + "x" + std::to_string(kernel_) +
                     " kernel with padding " + std::to_string(padding_) + " does not fit input " + to_string(dims));
  const auto& eng = ctx_.engine();
  const Dims w_dims{out_, in_, kernel_, kernel_};
  const Dims dst_dims{dims[0], out_, span_h / stride_ + 1, span_w / stride_ + 1};
  const Dims strides{stride_, stride_}, pad{padding_, padding_};
  const auto src_any = any_desc(dims), w_any = any_desc(w_dims), dst_any = any_desc(dst_dims);
  const auto b_md = bias_.value.desc();

  const auto kind = mode == Mode::train ? prop::forward_training : prop::forward_inference;
  const auto fwd_desc =
      has_bias_ ? dnnl::convolution_forward::desc(kind, direct, src_any, w_any, b_md, dst_any, strides, pad, pad)
                : dnnl::convolution_forward::desc(kind, direct, src_any, w_any, dst_any, strides, pad, pad);
  const dnnl::convolution_forward::primitive_desc fwd_pd(fwd_desc, eng);
  plan.src_md = src_md;
  plan.src = dnnl::memory(src_md, eng, nullptr);
  plan.conv_src.read_as(plan.src, fwd_pd.src_desc(), ctx_);
  plan.conv_weights.read_as(weight_.value.mem(), fwd_pd.weights_desc(), ctx_);
  plan.dst = output_buffer(fwd_pd.dst_desc(), ctx_);
  plan.impl = fwd_pd.impl_info_str();
  std::unordered_map<int, dnnl::memory> fwd_args{{DNNL_ARG_SRC, plan.conv_src.mem()},
                                                 {DNNL_ARG_WEIGHTS, plan.conv_weights.mem()},
                                                 {DNNL_ARG_DST, plan.dst.mem()}};
  if (has_bias_) fwd_args[DNNL_ARG_BIAS] = bias_.value.mem();
  plan.fwd = Step(make_primitive<dnnl::convolution_forward>(fwd_pd), std::move(fwd_args));
  if (mode != Mode::train) return;

  diff_dst_ = dnnl::memory(fwd_pd.dst_desc(), eng, nullptr);
  diff_src_ = output_buffer(src_md, ctx_);
  const dnnl::convolution_backward_data::primitive_desc data_pd(
      {direct, src_any, w_any, dst_any, strides, pad, pad}, eng, fwd_pd);
  data_diff_dst_.read_as(diff_dst_, data_pd.diff_dst_desc(), ctx_);
  data_weights_.read_as(plan.conv_weights.mem(), data_pd.weights_desc(), ctx_);
  diff_src_conv_.write_as(data_pd.diff_src_desc(), diff_src_.mem(), ctx_);
  bwd_data_ = Step(make_primitive<dnnl::convolution_backward_data>(data_pd),
                   {{DNNL_ARG_DIFF_DST, data_diff_dst_.mem()}, {DNNL_ARG_WEIGHTS, data_weights_.mem()},
                    {DNNL_ARG_DIFF_SRC, diff_src_conv_.mem()}});

  const auto weights_desc =
      has_bias_ ? dnnl::convolution_backward_weights::desc(direct, src_any, w_any, b_md, dst_any, strides, pad, pad)
                : dnnl::convolution_backward_weights::desc(direct, src_any, w_any, dst_any, strides, pad, pad);
  const dnnl::convolution_backward_weights::primitive_desc weights_pd(weights_desc, eng, fwd_pd);
  weights_diff_dst_.read_as(diff_dst_, weights_pd.diff_dst_desc(), ctx_);
  weights_src_.read_as(plan.conv_src.mem(), weights_pd.src_desc(), ctx_);
  diff_weights_.write_as(weights_pd.diff_weights_desc(), weight_.grad.mem(), ctx_);
  std::unordered_map<int, dnnl::memory> weights_args{{DNNL_ARG_SRC, weights_src_.mem()},
                                                     {DNNL_ARG_DIFF_DST, weights_diff_dst_.mem()},
                                                     {DNNL_ARG_DIFF_WEIGHTS, diff_weights_.mem()}};
  if (has_bias_) weights_args[DNNL_ARG_DIFF_BIAS] = bias_.grad.mem();
  bwd_weights_ = Step(make_primitive<dnnl::convolution_backward_weights>(weights_pd), std::move(weights_args));
}

const Tensor& Conv2d::forward(const Tensor& src, Mode mode) {
  Plan& plan = mode == Mode::train ? train_ : eval_;
  if (plan.fwd.empty() || src.desc() != plan.src_md) build(plan, src.desc(), mode);
  plan.src.set_data_handle(src.data());
  plan.conv_src.run(ctx_);
  plan.conv_weights.run(ctx_);  // the optimizer updated the plain weights since the last forward
  plan.fwd.run(ctx_);
  return plan.dst;
}

const Tensor& Conv2d::backward(const Tensor& diff_dst, bool need_diff_src) {
  if (bwd_weights_.empty()) throw Error("conv2d: backward before a training forward");
  if (diff_dst.desc() != diff_dst_.get_desc())
    throw ShapeError("conv2d: diff_dst " + to_string(diff_dst.dims()) +
                     " does not have the descriptor of the dst forward returned");
  diff_dst_.set_data_handle(diff_dst.data());
  weights_diff_dst_.run(ctx_);
  weights_src_.run(ctx_);
  bwd_weights_.run(ctx_);
  diff_weights_.run(ctx_);
  if (!need_diff_src) {
    static const Tensor none;
    return none;
  }
  data_diff_dst_.run(ctx_);
  data_weights_.run(ctx_);
  bwd_data_.run(ctx_);
  diff_src_conv_.run(ctx_);
  return diff_src_;
}

}  // namespace bnlab
