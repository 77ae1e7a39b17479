#include "layers/ghost_batch_norm.hpp"

#include <algorithm>
#include <cstring>

#include "core/errors.hpp"
#include "core/layout.hpp"

namespace bnlab {

GhostBatchNorm::GhostBatchNorm(std::int64_t channels, const NormConfig& config, Context& ctx)
    : Layer(ctx), channels_(channels), ghost_(config.ghost_batch_size), config_(config), full_(channels, config, false, ctx) {
  if (ghost_ < 1)
    throw ConfigError("norm.ghost_batch_size: must be >= 1, got " + std::to_string(ghost_));
}

std::unique_ptr<BatchNorm> GhostBatchNorm::make_chunk_bn() {
  auto bn = std::make_unique<BatchNorm>(channels_, config_, false, ctx_);
  // Share the buffers (Tensor copies share memory) before the chunk BN builds its primitives,
  // which bind these memories.
  bn->gamma().value = full_.gamma().value;
  bn->beta().value = full_.beta().value;
  bn->running_mean() = full_.running_mean();
  bn->running_var() = full_.running_var();
  return bn;
}

void GhostBatchNorm::build(Plan& plan, const dnnl::memory::desc& src_md) {
  const auto dims = src_md.dims();
  if ((dims.size() != 2 && dims.size() != 4) || dims[1] != channels_)
    throw ShapeError("ghost_batch_norm: expected (N, " + std::to_string(channels_) + "[, H, W]) input, got " +
                     to_string(dims));
  const std::int64_t n = dims[0];
  const std::int64_t spatial = dims.size() == 4 ? dims[2] * dims[3] : 1;
  const std::int64_t last = n % ghost_ == 0 ? std::min(n, ghost_) : n % ghost_;
  if (last * spatial < 2)
    throw ShapeError("ghost_batch_norm: batch of " + std::to_string(n) + " with norm.ghost_batch_size " +
                     std::to_string(ghost_) + " leaves a last ghost batch of " + std::to_string(last) +
                     " sample(s), one value per channel: its statistics are undefined (choose train.batch_size "
                     "and norm.ghost_batch_size so that batch_size % ghost_batch_size != 1)");
  plan = Plan{};
  plan.src_md = src_md;
  const auto& eng = ctx_.engine();
  const Layout layout = describe_layout(src_md);
  if (!layout.known())  // a chunk of samples must be one contiguous block
    throw ShapeError("ghost_batch_norm: input layout must be nc, nchw, nhwc, nChw8c or nChw16c, got dims " +
                     to_string(dims));
  const auto per_sample = static_cast<std::size_t>(layout.floats_per_sample());
  for (std::int64_t first = 0; first < n; first += ghost_) {
    Chunk chunk;
    chunk.samples = std::min(ghost_, n - first);
    chunk.src_offset = static_cast<std::size_t>(first) * per_sample;
    chunk.src_md = chunk.samples == n ? src_md : with_batch(src_md, chunk.samples);
    chunk.src = dnnl::memory(chunk.src_md, eng, nullptr);
    chunk.bn = make_chunk_bn();
    plan.chunks.push_back(std::move(chunk));
  }
}

const Tensor& GhostBatchNorm::forward(const Tensor& src, Mode mode) {
  if (mode == Mode::eval) return full_.forward(src, Mode::eval);
  Plan& plan = mode == Mode::train ? train_ : batch_stats_;
  if (plan.chunks.empty() || src.desc() != plan.src_md) build(plan, src.desc());
  float* x = src.data();
  std::size_t dst_offset = 0;
  for (auto& chunk : plan.chunks) {
    chunk.src.set_data_handle(x + chunk.src_offset);
    // Chunk BNs update the shared running statistics in place, one chunk after the other.
    const Tensor& y = chunk.bn->forward(Tensor(chunk.src), mode);
    if (plan.dst.empty()) {
      const auto full_md = with_batch(y.desc(), src.dims()[0]);
      plan.dst = Tensor(full_md, ctx_);
    }
    chunk.dst_md = y.desc();
    chunk.dst_offset = dst_offset;
    const std::size_t bytes = y.desc().get_size();
    std::memcpy(plan.dst.data() + dst_offset, y.data(), bytes);
    dst_offset += bytes / sizeof(float);
  }
  return plan.dst;
}

const Tensor& GhostBatchNorm::backward(const Tensor& diff_dst, bool need_diff_src) {
  if (train_.chunks.empty() || train_.dst.empty()) throw Error("ghost_batch_norm: backward before a training forward");
  if (diff_dst.desc() != train_.dst.desc())
    throw ShapeError("ghost_batch_norm: diff_dst " + to_string(diff_dst.dims()) +
                     " does not have the descriptor of the dst forward returned");
  if (diff_src_.empty() || diff_src_.desc() != train_.src_md) diff_src_ = Tensor(train_.src_md, ctx_);
  const auto& eng = ctx_.engine();
  float* dgamma = full_.gamma().grad.data();
  float* dbeta = full_.beta().grad.data();
  std::fill_n(dgamma, channels_, 0.0f);
  std::fill_n(dbeta, channels_, 0.0f);
  for (auto& chunk : train_.chunks) {
    if (!chunk.diff_dst || chunk.diff_dst.get_desc() != chunk.dst_md)
      chunk.diff_dst = dnnl::memory(chunk.dst_md, eng, nullptr);
    chunk.diff_dst.set_data_handle(diff_dst.data() + chunk.dst_offset);
    const Tensor& dx = chunk.bn->backward(Tensor(chunk.diff_dst), need_diff_src);
    std::memcpy(diff_src_.data() + chunk.src_offset, dx.data(), chunk.src_md.get_size());
    const float* gs = chunk.bn->gamma().grad.data();
    const float* gb = chunk.bn->beta().grad.data();
    for (std::int64_t c = 0; c < channels_; ++c) {
      dgamma[c] += gs[c];
      dbeta[c] += gb[c];
    }
  }
  return diff_src_;
}

}  // namespace bnlab
