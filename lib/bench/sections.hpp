// The sections of `bnlab bench` (bench.cpp runs them in order). Internal to lib/bench.
#pragma once

#include <map>

#include "bench/bench.hpp"
#include "core/tensor.hpp"

namespace bnlab::bench_detail {

// Machine figures per thread count, from the machine section (empty when it did not run).
struct MachineFigures {
  double peak_gflops = 0;
  double copy_gbps = 0;
};
using Machine = std::map<int, MachineFigures>;

// Dims as the shape cell writes them: 256x32x28x28 (no commas, so never quoted).
inline std::string shape_text(const Dims& dims) {
  std::string out;
  for (const auto d : dims) {
    if (!out.empty()) out += 'x';
    out += std::to_string(d);
  }
  return out;
}

using Emit = std::function<void(BenchRow)>;  // completes the row (machine figures) and writes it

void run_machine(const BenchOptions& options, Machine& machine, const Emit& emit);
void run_layers(const BenchOptions& options, const Emit& emit);
void run_steps(const BenchOptions& options, const Emit& emit);

}  // namespace bnlab::bench_detail
