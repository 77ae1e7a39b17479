#include "layers/add.hpp"

#include "core/errors.hpp"

namespace bnlab {

namespace {
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using alg = dnnl::algorithm;
}  // namespace

Add::Add(bool relu, Context& ctx) : ctx_(ctx), relu_(relu) {}

void Add::build(Plan& plan, const Tensor& a, const Tensor& b, Mode mode) {
  const auto a_dims = a.dims(), b_dims = b.dims();
  if (a_dims != b_dims)
    throw ShapeError("add: the summands differ in shape, " + to_string(a_dims) + " and " + to_string(b_dims));
  const auto& eng = ctx_.engine();
  const dnnl::memory::desc dst_any(a_dims, dt::f32, tag::any);
  dnnl::primitive_attr attr;
  if (relu_) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, alg::eltwise_relu, 0.0f, 0.0f);  // scale 1, alpha 0: plain ReLU
    attr.set_post_ops(ops);
  }
  const dnnl::binary::primitive_desc fwd_pd({alg::binary_add, a.desc(), b.desc(), dst_any}, attr, eng);
  plan.a_md = a.desc();
  plan.b_md = b.desc();
  plan.a = dnnl::memory(plan.a_md, eng, nullptr);
  plan.b = dnnl::memory(plan.b_md, eng, nullptr);
  plan.dst = Tensor(fwd_pd.dst_desc(), ctx_);
  plan.impl = fwd_pd.impl_info_str();
  plan.fwd = Step(make_primitive<dnnl::binary>(fwd_pd),
                  {{DNNL_ARG_SRC_0, plan.a}, {DNNL_ARG_SRC_1, plan.b}, {DNNL_ARG_DST, plan.dst.mem()}});
  if (mode != Mode::train) return;

  const auto dst_md = fwd_pd.dst_desc();
  diff_dst_ = dnnl::memory(dst_md, eng, nullptr);
  if (relu_) {
    // The eltwise forward pd is only the hint the backward pd needs; no forward primitive runs.
    const auto relu = alg::eltwise_relu_use_dst_for_bwd;
    const dnnl::eltwise_forward::primitive_desc hint({dnnl::prop_kind::forward_training, relu, dst_md, 0.0f, 0.0f},
                                                     eng);
    const dnnl::eltwise_backward::primitive_desc bwd_pd({relu, dst_md, dst_md, 0.0f, 0.0f}, eng, hint);
    diff_sum_ = Tensor(bwd_pd.diff_src_desc(), ctx_);
    relu_bwd_ = Step(make_primitive<dnnl::eltwise_backward>(bwd_pd),
                     {{DNNL_ARG_DST, plan.dst.mem()}, {DNNL_ARG_DIFF_DST, diff_dst_},
                      {DNNL_ARG_DIFF_SRC, diff_sum_.mem()}});
  } else {
    diff_sum_ = Tensor();
    relu_bwd_ = Step();
  }
  build_share(share_a_, dst_md, plan.a_md);
  build_share(share_b_, dst_md, plan.b_md);
}

void Add::build_share(Share& share, const dnnl::memory::desc& dst_md, const dnnl::memory::desc& summand_md) {
  share.copy = dst_md != summand_md;
  if (!share.copy) {
    share = Share{};
    return;
  }
  share.from = dnnl::memory(dst_md, ctx_.engine(), nullptr);
  share.diff = Tensor(summand_md, ctx_);
  share.step = reorder_step(share.from, share.diff.mem(), ctx_);
}

const Tensor* Add::share(Share& share, const Tensor& diff) {
  if (!share.copy) return &diff;
  share.from.set_data_handle(diff.data());
  share.step.run(ctx_);
  return &share.diff;
}

const Tensor& Add::forward(const Tensor& a, const Tensor& b, Mode mode) {
  Plan& plan = mode == Mode::train ? train_ : eval_;
  if (plan.fwd.empty() || a.desc() != plan.a_md || b.desc() != plan.b_md) build(plan, a, b, mode);
  plan.a.set_data_handle(a.data());
  plan.b.set_data_handle(b.data());
  plan.fwd.run(ctx_);
  return plan.dst;
}

std::pair<const Tensor*, const Tensor*> Add::backward(const Tensor& diff_dst) {
  if (train_.fwd.empty()) throw Error("add: backward before a training forward");
  if (diff_dst.desc() != diff_dst_.get_desc())
    throw ShapeError("add: diff_dst " + to_string(diff_dst.dims()) +
                     " does not have the descriptor of the dst forward returned");
  const Tensor* diff = &diff_dst;
  if (relu_) {
    diff_dst_.set_data_handle(diff_dst.data());
    relu_bwd_.run(ctx_);
    diff = &diff_sum_;
  }
  return {share(share_a_, *diff), share(share_b_, *diff)};
}

}  // namespace bnlab
