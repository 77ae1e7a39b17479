#include "layers/flatten.hpp"

#include "core/errors.hpp"

namespace bnlab {

Flatten::Flatten(Context& ctx) : Layer(ctx) {}

void Flatten::build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode) {
  const auto dims = src_md.dims();
  if (dims.size() < 2 || dims.size() > 5)
    throw ShapeError("flatten: expected an (N, C[, H[, W[, D]]]) input, got " + to_string(dims));
  const auto& eng = ctx_.engine();
  const auto plain_md = plain_desc(dims);
  const auto flat_md = plain_desc({dims[0], product(dims) / dims[0]});
  plan.src_md = src_md;
  plan.src = dnnl::memory(src_md, eng, nullptr);
  plan.to_plain.read_as(plan.src, plain_md, ctx_);
  plan.dst = Tensor(dnnl::memory(flat_md, eng, nullptr));
  if (mode != Mode::train) return;

  diff_dst_ = dnnl::memory(plain_md, eng, nullptr);
  to_src_layout_.read_as(diff_dst_, src_md, ctx_);
  diff_src_ = Tensor(dnnl::memory(src_md, eng, nullptr));
}

const Tensor& Flatten::forward(const Tensor& src, Mode mode) {
  Plan& plan = mode == Mode::train ? train_ : eval_;
  if (plan.dst.empty() || src.desc() != plan.src_md) build(plan, src.desc(), mode);
  plan.src.set_data_handle(src.data());
  plan.to_plain.run(ctx_);
  plan.dst.mem().set_data_handle(plan.to_plain.mem().get_data_handle());
  return plan.dst;
}

const Tensor& Flatten::backward(const Tensor& diff_dst, bool need_diff_src) {
  if (diff_src_.empty()) throw Error("flatten: backward before a training forward");
  if (diff_dst.desc() != train_.dst.desc())
    throw ShapeError("flatten: diff_dst " + to_string(diff_dst.dims()) + " is not the plain " +
                     to_string(train_.dst.dims()) + " forward returned");
  if (!need_diff_src) {
    static const Tensor none;
    return none;
  }
  diff_dst_.set_data_handle(diff_dst.data());
  to_src_layout_.run(ctx_);
  diff_src_.mem().set_data_handle(to_src_layout_.mem().get_data_handle());
  return diff_src_;
}

}  // namespace bnlab
