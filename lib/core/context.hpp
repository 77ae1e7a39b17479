// The oneDNN engine and stream every layer runs on, plus a counter of primitive creations
// (a steady-state training step must create none; tests read the counter).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <string>

#include "core/runtime.hpp"  // thread count and versions, for callers that also use the context

namespace bnlab {

class Context {
 public:
  Context();
  const dnnl::engine& engine() const { return engine_; }
  dnnl::stream& stream() { return stream_; }
  void wait() { stream_.wait(); }

 private:
  dnnl::engine engine_;
  dnnl::stream stream_;
};

// One process-wide CPU context. oneDNN's CPU engine is stateless apart from its thread pool,
// so sharing it is safe; owners of layers hold a reference.
Context& default_context();

// Number of oneDNN primitives created through bnlab::make_primitive in this process.
std::uint64_t primitive_creations();
void count_primitive_creation();

// Build a primitive from its descriptor and count it.
template <typename Primitive, typename PrimitiveDesc>
Primitive make_primitive(const PrimitiveDesc& pd) {
  count_primitive_creation();
  return Primitive(pd);
}

}  // namespace bnlab
