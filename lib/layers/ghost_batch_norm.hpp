// Ghost Batch Normalization (Hoffer, Hubara & Soudry 2017, "Train longer, generalize better"):
// BN whose training statistics come from consecutive virtual sub-batches ("ghost batches") of
// norm.ghost_batch_size samples instead of the whole batch.
//
//   training:  the batch is cut into chunks of G samples in order (the last one may be smaller);
//              each chunk is normalized with its own mean/biased variance, exactly as BN on that
//              chunk alone, with the shared gamma/beta; the running statistics are updated once
//              per chunk, in order (as applying one BN module to each chunk would)
//   eval:      BN with running statistics (the whole batch at once)
//   batch_stats: per-chunk statistics as in training, no state changed
//   backward:  BN's backward per chunk; dgamma, dbeta summed over chunks
//
// A batch of at most G samples is one chunk: plain BN bit for bit. A chunk with one value per
// channel (one sample of a 2-D input) cannot be normalized: ShapeError naming the batch and
// ghost sizes. Semantics of the running statistics and momentum: batch_norm.hpp.
//
// How: every layout bnlab uses (plain (N, C), nchw, nhwc, nChw16c) stores each sample
// contiguously with N outermost, so a chunk is a contiguous slice with the same layout and
// N = chunk size. One BatchNorm per chunk runs on that slice in place; all of them share the
// buffers of gamma, beta and the running statistics (only their grads are separate), so the
// running statistics are updated in place chunk after chunk. Chunk outputs are copied into one
// dst of the whole batch.
#pragma once

#include <memory>
#include <vector>

#include "layers/batch_norm.hpp"
#include "layers/layer.hpp"
#include "model/model_config.hpp"

namespace bnlab {

class GhostBatchNorm : public Layer {
 public:
  GhostBatchNorm(std::int64_t channels, const NormConfig& config, Context& ctx = default_context());

  std::string kind() const override { return "ghost_batch_norm"; }
  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;
  std::vector<Param*> params() override { return {&full_.gamma(), &full_.beta()}; }
  std::vector<Buffer> buffers() override {
    return {{"running_mean", &full_.running_mean()}, {"running_var", &full_.running_var()}};
  }
  bool is_norm() const override { return true; }

  Param& gamma() { return full_.gamma(); }
  Param& beta() { return full_.beta(); }
  Tensor& running_mean() { return full_.running_mean(); }
  Tensor& running_var() { return full_.running_var(); }
  std::int64_t ghost_batch_size() const { return ghost_; }
  // Number of ghost batches of the last training forward.
  std::size_t chunks() const { return train_.chunks.size(); }

 private:
  struct Chunk {
    std::unique_ptr<BatchNorm> bn;
    std::int64_t samples = 0;
    std::size_t src_offset = 0;   // floats into src / diff_src
    std::size_t dst_offset = 0;   // floats into dst / diff_dst
    dnnl::memory::desc src_md, dst_md;
    dnnl::memory src;             // handle onto the chunk's slice of src
    dnnl::memory diff_dst;        // handle onto the chunk's slice of diff_dst
  };
  struct Plan {
    dnnl::memory::desc src_md;
    std::vector<Chunk> chunks;
    Tensor dst;                   // the whole batch, in the chunks' dst layout
  };
  void build(Plan& plan, const dnnl::memory::desc& src_md);
  std::unique_ptr<BatchNorm> make_chunk_bn();

  std::int64_t channels_;
  std::int64_t ghost_;
  NormConfig config_;
  BatchNorm full_;        // owns gamma/beta/running statistics; runs eval on the whole batch
  Plan train_, batch_stats_;
  Tensor diff_src_;       // the whole batch, in src's descriptor
};

}  // namespace bnlab
