#include "layers/dropout.hpp"

#include "core/errors.hpp"

namespace bnlab {

Dropout::Dropout(double p, std::uint64_t seed, Context& ctx)
    : Layer(ctx), p_(p), scale_(static_cast<float>(1.0 / (1.0 - p))), rng_(seed) {
  if (!(p >= 0.0 && p < 1.0))
    throw ConfigError("dropout: p must be in [0, 1), got " + std::to_string(p));
}

void Dropout::build(const dnnl::memory::desc& src_md) {
  src_md_ = src_md;
  mask_.assign(src_md.get_size() / sizeof(float), 0.0f);
  dst_ = Tensor(src_md, ctx_);
  diff_src_ = Tensor(src_md, ctx_);
}

const Tensor& Dropout::forward(const Tensor& src, Mode mode) {
  if (mode != Mode::train || p_ == 0.0) return src;
  if (dst_.empty() || src.desc() != src_md_) build(src.desc());
  const std::size_t n = mask_.size();
  for (std::size_t i = 0; i < n; ++i) mask_[i] = rng_.uniform() < p_ ? 0.0f : scale_;
  const float* x = src.data();
  float* y = dst_.data();
  for (std::size_t i = 0; i < n; ++i) y[i] = x[i] * mask_[i];
  return dst_;
}

const Tensor& Dropout::backward(const Tensor& diff_dst, bool need_diff_src) {
  if (p_ == 0.0) return diff_dst;
  if (dst_.empty()) throw Error("dropout: backward before a training forward");
  if (diff_dst.desc() != src_md_)
    throw ShapeError("dropout: diff_dst " + to_string(diff_dst.dims()) +
                     " does not have the descriptor of the dst forward returned");
  if (!need_diff_src) {
    static const Tensor none;
    return none;
  }
  const std::size_t n = mask_.size();
  const float* dy = diff_dst.data();
  float* dx = diff_src_.data();
  for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * mask_[i];
  return diff_src_;
}

}  // namespace bnlab
