// Layout changes at a primitive's edge, built once per descriptor and run without allocating.
// A primitive that chose its own layouts (format_tag::any) reads its inputs and writes its
// outputs in those layouts; a Relayout sits between it and the layer's caller:
//   input side  (read_as):   the primitive reads `mem()`, which is `from` itself when the layouts
//                            match, else a layer-owned copy that run() refreshes from `from`;
//   output side (write_as):  the primitive writes `mem()`, which is `to` itself when the layouts
//                            match, else a layer-owned buffer that run() copies into `to`.
// `from`/`to` may be handle-only memories (null buffer, set_data_handle per call): the reorder is
// bound to the memory object, so a new handle is picked up by the next run().
#pragma once

#include "core/context.hpp"
#include "core/tensor.hpp"

namespace bnlab {

// A reorder step from one memory into another (counted by make_primitive).
Step reorder_step(const dnnl::memory& from, const dnnl::memory& to, Context& ctx);

class Relayout {
 public:
  void read_as(const dnnl::memory& from, const dnnl::memory::desc& md, Context& ctx);
  void write_as(const dnnl::memory::desc& md, const dnnl::memory& to, Context& ctx);

  const dnnl::memory& mem() const { return mem_; }  // what the primitive reads or writes
  bool reorders() const { return !step_.empty(); }
  void run(Context& ctx) const {
    if (!step_.empty()) step_.run(ctx);
  }

 private:
  Tensor owned_;      // the copy in the primitive's layout (empty when aliasing)
  dnnl::memory mem_;
  Step step_;
};

}  // namespace bnlab
