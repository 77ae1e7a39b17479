#include "layers/softmax_cross_entropy.hpp"

#include <cmath>

#include "core/errors.hpp"
#include "core/output_buffer.hpp"

namespace bnlab {

SoftmaxCrossEntropy::SoftmaxCrossEntropy(Context& ctx) : ctx_(ctx) {}

void SoftmaxCrossEntropy::build(const dnnl::memory::desc& logits_md) {
  const auto dims = logits_md.dims();
  if (dims.size() != 2 || logits_md != plain_desc(dims))
    throw ShapeError("softmax_cross_entropy: expected plain (N, K) logits, got " + to_string(dims));
  const auto& eng = ctx_.engine();
  const dnnl::logsoftmax_forward::primitive_desc pd({dnnl::prop_kind::forward_inference, logits_md, 1}, eng);
  logits_md_ = logits_md;
  n_ = dims[0];
  k_ = dims[1];
  logits_ = dnnl::memory(logits_md, eng, nullptr);
  log_probs_ = output_buffer(pd.dst_desc(), ctx_);
  diff_logits_ = output_buffer(logits_md, ctx_);
  labels_.assign(static_cast<std::size_t>(dims[0]), 0);
  fwd_ = Step(make_primitive<dnnl::logsoftmax_forward>(pd), {{DNNL_ARG_SRC, logits_}, {DNNL_ARG_DST, log_probs_.mem()}});
}

double SoftmaxCrossEntropy::forward(const Tensor& logits, const std::int32_t* labels) {
  const double sum = add_loss(logits, labels, 0.0);
  return sum / static_cast<double>(n_);  // n_: add_loss built for this batch (no dims(): it allocates)
}

double SoftmaxCrossEntropy::add_loss(const Tensor& logits, const std::int32_t* labels, double sum) {
  if (fwd_.empty() || logits.desc() != logits_md_) build(logits.desc());
  const std::int64_t n = n_, k = k_;
  for (std::int64_t i = 0; i < n; ++i)
    if (labels[i] < 0 || labels[i] >= k)
      throw ShapeError("softmax_cross_entropy: label " + std::to_string(labels[i]) + " of sample " +
                       std::to_string(i) + " is outside [0, " + std::to_string(k) + ")");
  logits_.set_data_handle(logits.data());
  fwd_.run(ctx_);

  const float* logp = log_probs_.data();
  double loss = sum;
  correct_ = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const float* row = logp + i * k;
    labels_[i] = labels[i];
    loss -= row[labels[i]];
    std::int64_t best = 0;
    for (std::int64_t j = 1; j < k; ++j)
      if (row[j] > row[best]) best = j;
    correct_ += best == labels[i];
  }
  has_forward_ = true;
  return loss;
}

const Tensor& SoftmaxCrossEntropy::backward() {
  if (!has_forward_) throw Error("softmax_cross_entropy: backward before a forward");
  const std::int64_t n = n_, k = k_;
  const float inv_n = 1.0f / static_cast<float>(n);
  const float* logp = log_probs_.data();
  float* diff = diff_logits_.data();
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < k; ++j)
      diff[i * k + j] = (std::exp(logp[i * k + j]) - (j == labels_[i] ? 1.0f : 0.0f)) * inv_n;
  return diff_logits_;
}

}  // namespace bnlab
