// `bnlab bench`: how fast bnlab's layers and training steps run, against what this CPU can do
// (issue 4; docs/performance.md "Performance"). One run measures, for each thread count:
//   machine  FP32 peak (a large oneDNN matmul) and copy bandwidth (STREAM-like copy);
//   layers   BN, group norm and layer norm forward (training), backward, both, and inference;
//            the same for BN+ReLU and GN+ReLU fused and followed by a separate ReLU; 2x2 max
//            pooling; on the study networks' shapes and layouts (bench/layers.cpp);
//   steps    a training step (forward, loss, backward, SGD update) and an inference batch of the
//            reference models (bench/reference_models.hpp: mlp, cnn, lstm, resnet20), with and
//            without BN (or any norm kind), per batch size.
// Each measurement is one row of a fixed CSV schema (bench_columns()), written as it is measured.
// Derived columns compare a row with the machine rows of the same thread count: memory-bound rows
// (layers) with copy bandwidth, compute-bound rows (steps) with the matmul peak.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "util/timing.hpp"

namespace bnlab {

struct BenchOptions {
  std::vector<std::string> sections{"machine", "layers", "steps"};
  std::vector<int> threads{1, 2};                      // oneDNN/OpenMP threads, each measured
  std::vector<std::string> models{"mlp", "cnn"};       // reference models (steps)
  std::vector<std::string> norms{"batch", "none"};     // model.norm kinds of the steps (any kind)
  std::vector<std::int64_t> batches{2, 4, 8, 16, 32, 60, 64, 128, 256};  // steps (60: the studies' default)
  std::vector<std::int64_t> layer_batches{256};        // layers: batch of the BN shapes
  TimingOptions timing;                                // repeats, min time per repeat, warm-up
  std::int64_t matmul_size = 1024;                     // machine: n of the n x n x n matmul
  std::int64_t copy_mib = 64;                          // machine: MiB per copied array (well above L3)
};

const std::vector<std::string>& bench_sections();  // machine, layers, steps

// Throws ConfigError listing every problem (unknown section/model/norm, batch < 2, threads < 1, ...).
void validate(const BenchOptions& options);

// One measurement. bytes / flops are per call (0: not that kind of row); peak_gflops / copy_gbps
// come from the machine rows of the same thread count (0: not measured in this run).
struct BenchRow {
  std::string section, name, model, norm, layout, shape;
  std::int64_t batch = 0;
  int threads = 0;
  Timing timing;
  double bytes = 0;
  double flops = 0;
  double peak_gflops = 0;
  double copy_gbps = 0;
};

// The fixed CSV columns, in order:
//   section, name, model, norm, layout, shape, batch, threads, repeats,
//   ms_median, ms_min           per call (one layer call, one step, one matmul/copy)
//   samples_per_s               batch / ms_median
//   gb_per_s, frac_copy_bw      bytes / ms_median, and that over the copy bandwidth
//   gflop_per_s, frac_peak      flops / ms_median, and that over the matmul peak
//   floor_ms, x_floor           the time at peak (flops) or at copy bandwidth (bytes), and
//                               ms_median over it (1 = as fast as the machine allows)
// Empty cells where a column does not apply.
const std::vector<std::string>& bench_columns();
std::string bench_csv_header();
std::string bench_csv_row(const BenchRow& row);

// Plain decimal with 4 significant digits ("" for NaN/inf), as the bench CSV writes numbers.
std::string bench_number(double value);

// Runs the selected sections in order (machine first: the others need its figures), handing
// each row to emit as soon as it is measured. Progress goes to the log (stderr).
void run_bench(const BenchOptions& options, const std::function<void(const BenchRow&)>& emit);

}  // namespace bnlab
