// What this CPU can do, measured with the same runtime the layers use, so every other timing can
// be given as a fraction of it (bnlab bench, docs/performance.md "Performance"):
//   MatmulProbe: one large f32 oneDNN matmul C(n,n) = A(n,n) · B(n,n), 2·n³ FLOP a run — the
//                FP32 peak a GEMM-bound layer can reach;
//   CopyProbe:   a STREAM-like copy b[i] = a[i] over OpenMP threads, counted as read + write
//                (2 · bytes a run) — the memory bandwidth a layer that streams its tensors can reach.
// Both use the oneDNN/OpenMP thread count in force when they are constructed and run (set_num_threads).
// run() does one complete, synchronous execution; timing is the caller's business.
#pragma once

#include <cstdint>
#include <vector>

#include "core/context.hpp"
#include "core/tensor.hpp"

namespace bnlab {

class MatmulProbe {
 public:
  explicit MatmulProbe(std::int64_t n, Context& ctx = default_context());
  void run();
  double flops() const { return 2.0 * static_cast<double>(n_) * static_cast<double>(n_) * static_cast<double>(n_); }
  std::int64_t n() const { return n_; }

 private:
  Context& ctx_;
  std::int64_t n_;
  Tensor a_, b_, c_;  // (n, n) each, plain
  Step step_;
};

class CopyProbe {
 public:
  explicit CopyProbe(std::int64_t bytes);
  void run();
  double bytes_moved() const { return 2.0 * static_cast<double>(src_.size() * sizeof(float)); }

 private:
  std::vector<float> src_, dst_;
};

}  // namespace bnlab
