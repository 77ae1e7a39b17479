// Denormal floats are flushed to zero while training (as PyTorch's
// torch.set_flush_denormal(True)). A network that stops learning — a collapsed run at a too-high
// learning rate, dead units, momentum decaying toward 0 — fills gradients and momentum buffers
// with values below 1.2e-38, and every arithmetic operation on those takes ~100 cycles on x86:
// such runs became 5-20x slower than healthy ones. Flushing changes only values below the
// smallest normal float. The guard sets the calling thread's MXCSR (flush-to-zero and
// denormals-are-zero) and restores it on destruction; oneDNN runs its kernels on this thread
// with one thread per run, bnlab's default.
#pragma once

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define BNLAB_HAVE_MXCSR 1
#endif

namespace bnlab {

class FlushDenormals {
 public:
  FlushDenormals() {
#ifdef BNLAB_HAVE_MXCSR
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero);
#endif
  }
  ~FlushDenormals() {
#ifdef BNLAB_HAVE_MXCSR
    _mm_setcsr(saved_);
#endif
  }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
#ifdef BNLAB_HAVE_MXCSR
  static constexpr unsigned kFlushToZero = 0x8000;       // MXCSR.FZ
  static constexpr unsigned kDenormalsAreZero = 0x0040;  // MXCSR.DAZ
  unsigned saved_ = 0;
#endif
};

}  // namespace bnlab
