// Reads each sample as a sequence for a recurrent layer: (N, ...) plain, P = steps·width values per
// sample, -> time-major (T, N, D) with T = steps, D = width:
//   dst[t, n, d] = src[n, order[t·D + d]]
// order is the identity (row by row: T = 28 rows of D = 28 pixels; or pixel by pixel: T = 784,
// D = 1) or a fixed permutation drawn from a seed (permuted pixel-by-pixel MNIST, Le et al. 2015),
// the same for every sample and every step of training and evaluation.
// Backward scatters back: diff_src[n, order[t·D + d]] = diff_dst[t, n, d].
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "layers/layer.hpp"

namespace bnlab {

struct ImageSequenceOptions {
  std::int64_t steps = 28;                      // T
  std::int64_t width = 28;                      // D: values per step
  std::optional<std::uint64_t> permutation_seed;  // none: the values in their stored order
};

class ImageSequence : public Layer {
 public:
  explicit ImageSequence(const ImageSequenceOptions& options, Context& ctx = default_context());

  std::string kind() const override { return "image_sequence"; }
  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;
  const std::vector<std::int64_t>& order() const { return order_; }

 private:
  ImageSequenceOptions options_;
  std::vector<std::int64_t> order_;  // (T·D) source index of each sequence position
  dnnl::memory::desc train_md_, eval_md_;
  Tensor train_dst_, eval_dst_;      // (T, N, D)
  Tensor diff_src_;                  // as the training src
  std::int64_t train_batch_ = 0, eval_batch_ = 0;
};

}  // namespace bnlab
