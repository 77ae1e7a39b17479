#include "layers/image_sequence.hpp"

#include <numeric>
#include <utility>

#include "core/errors.hpp"

namespace bnlab {

ImageSequence::ImageSequence(const ImageSequenceOptions& options, Context& ctx) : Layer(ctx), options_(options) {
  if (options.steps < 1 || options.width < 1) throw ShapeError("image_sequence: steps and width must be >= 1");
  order_.resize(static_cast<std::size_t>(options.steps * options.width));
  std::iota(order_.begin(), order_.end(), std::int64_t{0});
  if (options.permutation_seed) {  // Fisher-Yates with bnlab's portable generator
    Rng rng(derive_seed(*options.permutation_seed, 0x9e7));
    for (std::size_t i = order_.size() - 1; i > 0; --i) std::swap(order_[i], order_[rng.below(i + 1)]);
  }
}

const Tensor& ImageSequence::forward(const Tensor& src, Mode mode) {
  const auto t_len = options_.steps, d = options_.width;
  auto& md = mode == Mode::train ? train_md_ : eval_md_;
  auto& dst = mode == Mode::train ? train_dst_ : eval_dst_;
  auto& n = mode == Mode::train ? train_batch_ : eval_batch_;
  if (dst.empty() || src.desc() != md) {  // (dims() allocates: only on a new shape)
    const auto dims = src.dims();
    if (dims.size() < 2 || product(dims) / dims[0] != t_len * d || !src.is_plain())
      throw ShapeError("image_sequence: expected a plain (N, ...) input of " + std::to_string(t_len * d) +
                       " values per sample, got " + to_string(dims));
    md = src.desc();
    n = dims[0];
    dst = Tensor::plain({t_len, n, d}, ctx_);
    if (mode == Mode::train) diff_src_ = Tensor(md, ctx_);
  }
  const float* in = src.data();
  float* out = dst.data();
  const auto per_sample = t_len * d;
  for (std::int64_t t = 0; t < t_len; ++t)
    for (std::int64_t s = 0; s < n; ++s)
      for (std::int64_t k = 0; k < d; ++k)
        out[(t * n + s) * d + k] = in[s * per_sample + order_[static_cast<std::size_t>(t * d + k)]];
  return dst;
}

const Tensor& ImageSequence::backward(const Tensor& diff_dst, bool need_diff_src) {
  if (diff_src_.empty()) throw Error("image_sequence: backward before a training forward");
  if (!need_diff_src) {
    static const Tensor none;
    return none;
  }
  const auto t_len = options_.steps, d = options_.width, n = train_batch_;
  const float* in = diff_dst.data();
  float* out = diff_src_.data();
  const auto per_sample = t_len * d;
  for (std::int64_t t = 0; t < t_len; ++t)
    for (std::int64_t s = 0; s < n; ++s)
      for (std::int64_t k = 0; k < d; ++k)
        out[s * per_sample + order_[static_cast<std::size_t>(t * d + k)]] = in[(t * n + s) * d + k];
  return diff_src_;
}

}  // namespace bnlab
