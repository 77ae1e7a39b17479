// What the compute runtime is, for code that must not see oneDNN (lib/experiment, cli/): the
// OpenMP thread count that oneDNN and bnlab's own loops share, and oneDNN's version and ISA.
// Implemented in context.cpp.
#pragma once

#include <cstdint>
#include <string>

namespace bnlab {

// OpenMP threads of oneDNN's primitives and of bnlab's parallel loops. 0 leaves the runtime default.
void set_num_threads(int threads);
int num_threads();

// The threads a parallel region of bnlab's own loops gets now: num_threads() where the build
// compiles OpenMP's parallel regions (GCC), 1 where it compiles only `omp simd` (clang).
int threads_in_parallel_region();

// bnlab's own parallel loops (group norm, max pooling) run on one thread below this many floats:
// waking the OpenMP team costs more.
inline constexpr std::int64_t kParallelFloats = std::int64_t{1} << 14;

// Versions and the CPU ISA oneDNN dispatches to (for `bnlab info` and status.json).
std::string dnnl_version();
std::string dnnl_isa();

}  // namespace bnlab
