#include "layers/linear.hpp"

#include "core/errors.hpp"
#include "core/output_buffer.hpp"

namespace bnlab {

namespace {
using prop = dnnl::prop_kind;
namespace ip = dnnl;  // inner_product_* live in dnnl::
}  // namespace

Linear::Linear(std::int64_t in, std::int64_t out, bool bias, Context& ctx)
    : Layer(ctx), in_(in), out_(out), has_bias_(bias) {
  if (in < 1 || out < 1) throw ShapeError("linear: sizes must be >= 1");
  weight_ = {"weight", Tensor::plain({out, in}, ctx), Tensor::plain({out, in}, ctx), true};
  bias_ = {"bias", Tensor::plain({out}, ctx), Tensor::plain({out}, ctx), false};
}

std::vector<Param*> Linear::params() {
  if (has_bias_) return {&weight_, &bias_};
  return {&weight_};
}

void Linear::build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode) {
  const auto dims = src_md.dims();
  if (dims.size() != 2 || dims[1] != in_ || src_md != plain_desc(dims))
    throw ShapeError("linear: expected a plain (N, " + std::to_string(in_) + ") input, got " + to_string(dims));
  const auto& eng = ctx_.engine();
  const auto n = dims[0];
  const auto dst_md = plain_desc({n, out_});
  const auto w_md = weight_.value.desc();
  const auto b_md = bias_.value.desc();

  const auto kind = mode == Mode::train ? prop::forward_training : prop::forward_inference;
  const auto fwd_desc = has_bias_ ? ip::inner_product_forward::desc(kind, src_md, w_md, b_md, dst_md)
                                  : ip::inner_product_forward::desc(kind, src_md, w_md, dst_md);
  const ip::inner_product_forward::primitive_desc fwd_pd(fwd_desc, eng);
  plan.src_md = src_md;
  plan.src = dnnl::memory(src_md, eng, nullptr);
  plan.dst = output_buffer(dst_md, ctx_);
  std::unordered_map<int, dnnl::memory> fwd_args{
      {DNNL_ARG_SRC, plan.src}, {DNNL_ARG_WEIGHTS, weight_.value.mem()}, {DNNL_ARG_DST, plan.dst.mem()}};
  if (has_bias_) fwd_args[DNNL_ARG_BIAS] = bias_.value.mem();
  plan.fwd = Step(make_primitive<ip::inner_product_forward>(fwd_pd), std::move(fwd_args));
  if (mode != Mode::train) return;

  diff_dst_ = dnnl::memory(dst_md, eng, nullptr);
  diff_src_ = output_buffer(src_md, ctx_);
  const ip::inner_product_backward_data::primitive_desc data_pd({src_md, w_md, dst_md}, eng, fwd_pd);
  bwd_data_ = Step(make_primitive<ip::inner_product_backward_data>(data_pd),
                   {{DNNL_ARG_DIFF_DST, diff_dst_}, {DNNL_ARG_WEIGHTS, weight_.value.mem()},
                    {DNNL_ARG_DIFF_SRC, diff_src_.mem()}});
  const auto weights_desc = has_bias_ ? ip::inner_product_backward_weights::desc(src_md, w_md, b_md, dst_md)
                                      : ip::inner_product_backward_weights::desc(src_md, w_md, dst_md);
  const ip::inner_product_backward_weights::primitive_desc weights_pd(weights_desc, eng, fwd_pd);
  std::unordered_map<int, dnnl::memory> weights_args{
      {DNNL_ARG_SRC, plan.src}, {DNNL_ARG_DIFF_DST, diff_dst_}, {DNNL_ARG_DIFF_WEIGHTS, weight_.grad.mem()}};
  if (has_bias_) weights_args[DNNL_ARG_DIFF_BIAS] = bias_.grad.mem();
  bwd_weights_ = Step(make_primitive<ip::inner_product_backward_weights>(weights_pd), std::move(weights_args));
}

const Tensor& Linear::forward(const Tensor& src, Mode mode) {
  Plan& plan = mode == Mode::train ? train_ : eval_;
  if (plan.fwd.empty() || src.desc() != plan.src_md) build(plan, src.desc(), mode);
  plan.src.set_data_handle(src.data());
  plan.fwd.run(ctx_);
  return plan.dst;
}

const Tensor& Linear::backward(const Tensor& diff_dst, bool need_diff_src) {
  if (bwd_weights_.empty()) throw Error("linear: backward before a training forward");
  diff_dst_.set_data_handle(diff_dst.data());
  bwd_weights_.run(ctx_);
  if (!need_diff_src) {
    static const Tensor none;
    return none;
  }
  bwd_data_.run(ctx_);
  return diff_src_;
}

}  // namespace bnlab
