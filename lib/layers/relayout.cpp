#include "layers/relayout.hpp"

#include "core/output_buffer.hpp"

namespace bnlab {

Step reorder_step(const dnnl::memory& from, const dnnl::memory& to, Context& ctx) {
  const dnnl::reorder::primitive_desc pd(ctx.engine(), from.get_desc(), ctx.engine(), to.get_desc());
  return Step(make_primitive<dnnl::reorder>(pd), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
}

void Relayout::read_as(const dnnl::memory& from, const dnnl::memory::desc& md, Context& ctx) {
  if (from.get_desc() == md) {
    owned_ = Tensor();
    mem_ = from;
    step_ = Step();
    return;
  }
  owned_ = output_buffer(md, ctx);
  mem_ = owned_.mem();
  step_ = reorder_step(from, mem_, ctx);
}

void Relayout::write_as(const dnnl::memory::desc& md, const dnnl::memory& to, Context& ctx) {
  if (to.get_desc() == md) {
    owned_ = Tensor();
    mem_ = to;
    step_ = Step();
    return;
  }
  owned_ = output_buffer(md, ctx);
  mem_ = owned_.mem();
  step_ = reorder_step(mem_, to, ctx);
}

}  // namespace bnlab
