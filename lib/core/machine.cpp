#include "core/machine.hpp"

#include <omp.h>

#include <cstring>

namespace bnlab {

MatmulProbe::MatmulProbe(std::int64_t n, Context& ctx)
    : ctx_(ctx), n_(n), a_(Tensor::plain({n, n}, ctx)), b_(Tensor::plain({n, n}, ctx)), c_(Tensor::plain({n, n}, ctx)) {
  // Values that keep every product normal (denormals would slow the FMA units down).
  a_.fill(0.5f);
  b_.fill(0.25f);
  const auto md = plain_desc({n, n});
  const dnnl::matmul::primitive_desc pd({md, md, md}, ctx.engine());
  step_ = Step(make_primitive<dnnl::matmul>(pd),
               {{DNNL_ARG_SRC, a_.mem()}, {DNNL_ARG_WEIGHTS, b_.mem()}, {DNNL_ARG_DST, c_.mem()}});
}

void MatmulProbe::run() {
  step_.run(ctx_);
  ctx_.wait();
}

CopyProbe::CopyProbe(std::int64_t bytes) {
  const auto n = static_cast<std::int64_t>(bytes / static_cast<std::int64_t>(sizeof(float)));
  src_.resize(static_cast<std::size_t>(n));
  dst_.resize(static_cast<std::size_t>(n));
  // First touch by the threads that copy, so the pages sit where they are used.
  float* s = src_.data();
  float* d = dst_.data();
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    s[i] = static_cast<float>(i & 1023);
    d[i] = 0.0f;
  }
}

void CopyProbe::run() {
  // One contiguous chunk per thread, copied with memcpy: the C library's copy uses non-temporal
  // stores for large blocks (no read-for-ownership of the destination), as a streaming kernel can.
  const auto n = static_cast<std::int64_t>(src_.size());
  const float* s = src_.data();
  float* d = dst_.data();
#pragma omp parallel
  {
    const std::int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
    const std::int64_t begin = n * t / threads, end = n * (t + 1) / threads;
    std::memcpy(d + begin, s + begin, static_cast<std::size_t>(end - begin) * sizeof(float));
  }
}

}  // namespace bnlab
