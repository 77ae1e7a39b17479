#include "layers/ghost_batch_norm.hpp"

#include <algorithm>
#include <cstring>

#include "core/errors.hpp"
#include "core/layout.hpp"

namespace bnlab {

GhostBatchNorm::GhostBatchNorm(std::int64_t channels, const GhostBatchNormOptions& options, Context& ctx)
    : BatchNorm("ghost_batch_norm", channels, {options.eps, options.momentum, false}, nullptr, ctx),
      ghost_(options.ghost_batch_size) {
  if (ghost_ < 1) throw OptionError("ghost_batch_norm: ghost_batch_size must be >= 1, got " + std::to_string(ghost_));
}

void GhostBatchNorm::build_chunks(Chunking& chunking, const dnnl::memory::desc& src_md, Mode mode) {
  check_input(src_md);
  const auto dims = src_md.dims();
  const std::int64_t n = dims[0];
  const std::int64_t spatial = dims.size() == 4 ? dims[2] * dims[3] : 1;
  const std::int64_t last = n % ghost_ == 0 ? std::min(n, ghost_) : n % ghost_;
  if (last * spatial < 2)
    throw ShapeError("ghost_batch_norm: a batch of " + std::to_string(n) + " with ghost_batch_size " +
                     std::to_string(ghost_) + " leaves a last ghost batch of " + std::to_string(last) +
                     " sample(s), one value per channel: its statistics are undefined (the batch size modulo "
                     "the ghost batch size must not be 1)");
  chunking = Chunking{};
  chunking.src_md = src_md;
  const auto& eng = ctx_.engine();
  const Layout layout = describe_layout(src_md);
  if (!layout.known())  // a chunk of samples must be one contiguous block
    throw ShapeError("ghost_batch_norm: input layout must be nc, nchw, nhwc, nChw8c or nChw16c, got dims " +
                     to_string(dims));
  const auto per_sample = static_cast<std::size_t>(layout.floats_per_sample());
  std::size_t dst_offset = 0;
  for (std::int64_t first = 0; first < n; first += ghost_) {
    Chunk chunk;
    const std::int64_t samples = std::min(ghost_, n - first);
    chunk.src_offset = static_cast<std::size_t>(first) * per_sample;
    chunk.src_md = samples == n ? src_md : with_batch(src_md, samples);
    chunk.src = dnnl::memory(chunk.src_md, eng, nullptr);
    BatchNorm::build(chunk.bn, chunk.src_md, mode, /*separate_grads=*/true);  // gamma's grad sums the chunks'
    chunk.dst_md = chunk.bn.dst_out.desc();
    chunk.dst_offset = dst_offset;
    dst_offset += chunk.dst_md.get_size() / sizeof(float);
    chunking.chunks.push_back(std::move(chunk));
  }
  chunking.dst = Tensor(with_batch(chunking.chunks.front().dst_md, n), ctx_);
}

const Tensor& GhostBatchNorm::forward(const Tensor& src, Mode mode) {
  if (mode == Mode::eval) return BatchNorm::forward(src, Mode::eval);
  Chunking& chunking = mode == Mode::train ? train_ : eval_batch_stats_;
  if (chunking.chunks.empty() || src.desc() != chunking.src_md) build_chunks(chunking, src.desc(), mode);
  float* x = src.data();
  for (auto& chunk : chunking.chunks) {
    chunk.src.set_data_handle(x + chunk.src_offset);
    // Each chunk updates the shared running statistics in place, one after the other.
    const Tensor& y = run_forward(chunk.bn, Tensor(chunk.src), mode);
    std::memcpy(chunking.dst.data() + chunk.dst_offset, y.data(), chunk.dst_md.get_size());
  }
  return chunking.dst;
}

const Tensor& GhostBatchNorm::backward(const Tensor& diff_dst, bool need_diff_src) {
  (void)need_diff_src;  // as BN: never first
  if (train_.chunks.empty()) throw Error("ghost_batch_norm: backward before a training forward");
  if (diff_dst.desc() != train_.dst.desc())
    throw ShapeError("ghost_batch_norm: diff_dst " + to_string(diff_dst.dims()) +
                     " does not have the descriptor of the dst forward returned");
  if (diff_src_.empty() || diff_src_.desc() != train_.src_md) diff_src_ = Tensor(train_.src_md, ctx_);
  const auto& eng = ctx_.engine();
  float* dgamma = gamma_.grad.data();
  float* dbeta = beta_.grad.data();
  std::fill_n(dgamma, channels_, 0.0f);
  std::fill_n(dbeta, channels_, 0.0f);
  for (auto& chunk : train_.chunks) {
    if (!chunk.diff_dst) chunk.diff_dst = dnnl::memory(chunk.dst_md, eng, nullptr);
    chunk.diff_dst.set_data_handle(diff_dst.data() + chunk.dst_offset);
    const Tensor& dx = run_backward(chunk.bn, Tensor(chunk.diff_dst));
    std::memcpy(diff_src_.data() + chunk.src_offset, dx.data(), chunk.src_md.get_size());
    const float* gs = chunk.bn.dscale.data();
    const float* gb = chunk.bn.dshift.data();
    for (std::int64_t c = 0; c < channels_; ++c) {
      dgamma[c] += gs[c];
      dbeta[c] += gb[c];
    }
  }
  return diff_src_;
}

}  // namespace bnlab
