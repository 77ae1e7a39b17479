#include "layers/eltwise.hpp"

#include <utility>

#include "core/errors.hpp"
#include "core/output_buffer.hpp"
#include "layers/parameterless_backward.hpp"

namespace bnlab {

namespace {
using alg = dnnl::algorithm;

// Activation name -> the oneDNN algorithm (dst-based backward where oneDNN offers one).
const std::vector<std::pair<std::string, alg>>& algorithms() {
  static const std::vector<std::pair<std::string, alg>> table = {
      {"relu", alg::eltwise_relu},
      {"sigmoid", alg::eltwise_logistic_use_dst_for_bwd},
      {"tanh", alg::eltwise_tanh_use_dst_for_bwd},
  };
  return table;
}

alg algorithm_for(const std::string& activation) {
  for (const auto& [name, algorithm] : algorithms())
    if (name == activation) return algorithm;
  std::string valid;
  for (const auto& name : activation_kinds()) valid += (valid.empty() ? "" : ", ") + name;
  throw ConfigError("activation: unknown activation '" + activation + "' (valid: " + valid + ")");
}
}  // namespace

const std::vector<std::string>& activation_kinds() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, algorithm] : algorithms()) out.push_back(name);
    return out;
  }();
  return names;
}

Eltwise::Eltwise(std::string activation, Context& ctx)
    : Layer(ctx), activation_(std::move(activation)), algorithm_(algorithm_for(activation_)) {}

void Eltwise::build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode) {
  const auto& eng = ctx_.engine();
  const auto kind = mode == Mode::train ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  // alpha = 0: plain ReLU (a non-zero alpha is the leaky slope); unused by sigmoid and tanh.
  const dnnl::eltwise_forward::primitive_desc fwd_pd({kind, algorithm_, src_md, 0.0f, 0.0f}, eng);
  plan.src_md = src_md;
  plan.src = dnnl::memory(src_md, eng, nullptr);
  plan.dst = output_buffer(fwd_pd.dst_desc(), ctx_);
  plan.impl = fwd_pd.impl_info_str();
  plan.fwd = Step(make_primitive<dnnl::eltwise_forward>(fwd_pd), {{DNNL_ARG_SRC, plan.src}, {DNNL_ARG_DST, plan.dst.mem()}});
  if (mode != Mode::train) return;

  const bool use_dst = algorithm_ != alg::eltwise_relu;
  const dnnl::eltwise_backward::primitive_desc bwd_pd({algorithm_, src_md, src_md, 0.0f, 0.0f}, eng, fwd_pd);
  diff_dst_ = dnnl::memory(bwd_pd.diff_dst_desc(), eng, nullptr);
  diff_src_ = output_buffer(bwd_pd.diff_src_desc(), ctx_);
  bwd_ = Step(make_primitive<dnnl::eltwise_backward>(bwd_pd),
              {{use_dst ? DNNL_ARG_DST : DNNL_ARG_SRC, use_dst ? plan.dst.mem() : plan.src},
               {DNNL_ARG_DIFF_DST, diff_dst_}, {DNNL_ARG_DIFF_SRC, diff_src_.mem()}});
}

const Tensor& Eltwise::forward(const Tensor& src, Mode mode) {
  Plan& plan = mode == Mode::train ? train_ : eval_;
  if (plan.fwd.empty() || src.desc() != plan.src_md) build(plan, src.desc(), mode);
  plan.src.set_data_handle(src.data());
  plan.fwd.run(ctx_);
  return plan.dst;
}

const Tensor& Eltwise::backward(const Tensor& diff_dst, bool need_diff_src) {
  return run_parameterless_backward(activation_, bwd_, diff_dst_, diff_dst, need_diff_src, diff_src_, ctx_);
}

}  // namespace bnlab
