#include "core/context.hpp"

#include <omp.h>

#include <atomic>

namespace bnlab {

Context::Context() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}

Context& default_context() {
  static Context ctx;
  return ctx;
}

namespace {
std::atomic<std::uint64_t> g_primitive_creations{0};
}

std::uint64_t primitive_creations() { return g_primitive_creations.load(); }
void count_primitive_creation() { ++g_primitive_creations; }

void set_num_threads(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
}
int num_threads() { return omp_get_max_threads(); }

int threads_in_parallel_region() {
  int threads = 1;
#pragma omp parallel
  {
#pragma omp single
    threads = omp_get_num_threads();
  }
  return threads;
}

std::string dnnl_version() {
  const dnnl_version_t* v = ::dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

std::string dnnl_isa() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx512_mic: return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    default: return "unknown";
  }
}

}  // namespace bnlab
