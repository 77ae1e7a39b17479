// Ghost Batch Normalization (Hoffer, Hubara & Soudry 2017, "Train longer, generalize better"):
// BN whose training statistics come from consecutive virtual sub-batches ("ghost batches") of
// ghost_batch_size samples instead of the whole batch.
//
//   training:  the batch is cut into chunks of G samples in order (the last one may be smaller);
//              each chunk is normalized with its own mean/biased variance, exactly as BN on that
//              chunk alone, with the shared gamma/beta; the running statistics are updated once
//              per chunk, in order (as applying one BN module to each chunk would)
//   eval:      BN with running statistics (the whole batch at once)
//   eval_batch_stats: per-chunk statistics as in training, no state changed
//   backward:  BN's backward per chunk; dgamma, dbeta summed over chunks
//
// A batch of at most G samples is one chunk: plain BN bit for bit. A chunk with one value per
// channel (one sample of a 2-D input) cannot be normalized: ShapeError naming the batch and
// ghost sizes. Semantics of the running statistics and momentum: batch_norm.hpp.
//
// How: a chunking of the BN core. Every layout bnlab uses (plain (N, C), nchw, nhwc, nChw16c)
// stores each sample contiguously with N outermost, so a chunk is a contiguous slice with the
// same layout and N = chunk size. Each chunk has its own BN plan (batch_norm.hpp) that reads its
// slice of src where it lies, shares gamma, beta and the running statistics, and writes its own
// output, which is then copied into the dst of the whole batch (and diff_src likewise).
#pragma once

#include <vector>

#include "layers/batch_norm.hpp"

namespace bnlab {

struct GhostBatchNormOptions {
  double eps = 1e-5;
  double momentum = 0.1;
  std::int64_t ghost_batch_size = 16;  // G >= 1 samples per ghost batch
};

class GhostBatchNorm : public BatchNorm {
 public:
  explicit GhostBatchNorm(std::int64_t channels, const GhostBatchNormOptions& options = {},
                          Context& ctx = default_context());

  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;

  // Number of ghost batches of the last training forward.
  std::size_t chunks() const { return train_.chunks.size(); }

 private:
  struct Chunk {
    Plan bn;                      // BN on this chunk's slice, built for src_md
    std::size_t src_offset = 0;   // floats into src / diff_src
    std::size_t dst_offset = 0;   // floats into dst / diff_dst
    dnnl::memory::desc src_md, dst_md;
    dnnl::memory src;             // handle onto the chunk's slice of src
    dnnl::memory diff_dst;        // handle onto the chunk's slice of diff_dst
  };
  struct Chunking {
    dnnl::memory::desc src_md;
    std::vector<Chunk> chunks;
    Tensor dst;                   // the whole batch, in the chunks' dst layout
  };
  void build_chunks(Chunking& chunking, const dnnl::memory::desc& src_md, Mode mode);

  std::int64_t ghost_;
  Chunking train_, eval_batch_stats_;
  Tensor diff_src_;  // the whole batch, in src's descriptor
};

}  // namespace bnlab
