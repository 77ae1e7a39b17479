#include "core/tensor.hpp"

#include <cstring>
#include <numeric>
#include <sstream>

#include "core/errors.hpp"
#include "core/output_buffer.hpp"
#include "core/setup_clock.hpp"

namespace bnlab {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

std::int64_t product(const Dims& dims) {
  return std::accumulate(dims.begin(), dims.end(), std::int64_t{1}, std::multiplies<>());
}

std::string to_string(const Dims& dims) {
  std::ostringstream out;
  out << '(';
  for (size_t i = 0; i < dims.size(); ++i) out << (i ? "," : "") << dims[i];
  out << ')';
  return out.str();
}

dnnl::memory::desc plain_desc(const Dims& dims) {
  static const tag tags[] = {tag::a, tag::ab, tag::abc, tag::abcd, tag::abcde};
  if (dims.empty() || dims.size() > 5) throw ShapeError("plain_desc: unsupported rank " + to_string(dims));
  return dnnl::memory::desc(dims, dt::f32, tags[dims.size() - 1]);
}

dnnl::memory::desc layout_desc(const Dims& dims, const std::string& layout) {
  if (layout == "plain") return plain_desc(dims);
  if (dims.size() == 4) {
    if (layout == "nchw") return dnnl::memory::desc(dims, dt::f32, tag::nchw);
    if (layout == "nhwc") return dnnl::memory::desc(dims, dt::f32, tag::nhwc);
    if (layout == "nChw16c") return dnnl::memory::desc(dims, dt::f32, tag::nChw16c);
  }
  throw ShapeError("layout_desc: no layout '" + layout + "' for shape " + to_string(dims) +
                   " (plain; for 4-D also nchw, nhwc, nChw16c)");
}

namespace {

// oneDNN reports a failed allocation as "could not create a memory object": say how much, for what.
dnnl::memory allocate(const dnnl::memory::desc& md, Context& ctx) {
  try {
    return dnnl::memory(md, ctx.engine());
  } catch (const dnnl::error& e) {
    throw MemoryError("cannot allocate " + std::to_string(md.get_size() / (1024 * 1024)) + " MB for a tensor " +
                      to_string(md.dims()) + " (" + e.what() + ")");
  }
}

}  // namespace

Tensor::Tensor(const dnnl::memory::desc& md, Context& ctx) {
  const SetupClock clock;
  mem_ = allocate(md, ctx);
  zero();
}
Tensor::Tensor(dnnl::memory mem) : mem_(std::move(mem)) {}

Tensor output_buffer(const dnnl::memory::desc& md, Context& ctx) {
  const bool padded = md.get_size() != static_cast<std::size_t>(product(md.dims())) * sizeof(float) ||
                      md.data_type() != dnnl::memory::data_type::f32;
  if (padded) return Tensor(md, ctx);
  const SetupClock clock;
  return Tensor(allocate(md, ctx));
}

Tensor Tensor::plain(const Dims& dims, Context& ctx) { return Tensor(plain_desc(dims), ctx); }

Dims Tensor::dims() const { return mem_ ? mem_.get_desc().dims() : Dims{}; }
std::int64_t Tensor::numel() const { return mem_ ? product(dims()) : 0; }

bool Tensor::is_plain() const {
  if (!mem_) return false;
  return mem_.get_desc() == plain_desc(dims());
}

float* Tensor::data() const { return static_cast<float*>(mem_.get_data_handle()); }

Tensor Tensor::view(const dnnl::memory::desc& md) const {
  if (md.get_size() != mem_.get_desc().get_size())
    throw ShapeError("Tensor::view: size mismatch " + to_string(md.dims()) + " vs " + to_string(dims()));
  return Tensor(dnnl::memory(md, mem_.get_engine(), mem_.get_data_handle()));
}

std::vector<float> Tensor::to_vector() const {
  std::vector<float> out(static_cast<size_t>(numel()));
  if (out.empty()) return out;
  if (is_plain()) {
    std::memcpy(out.data(), data(), out.size() * sizeof(float));
  } else {
    dnnl::memory dst(plain_desc(dims()), mem_.get_engine(), out.data());
    copy_into(mem_, dst);
  }
  return out;
}

void Tensor::from_vector(const std::vector<float>& values) {
  if (static_cast<std::int64_t>(values.size()) != numel())
    throw ShapeError("Tensor::from_vector: " + std::to_string(values.size()) + " values for shape " +
                     to_string(dims()));
  if (is_plain()) {
    std::memcpy(data(), values.data(), values.size() * sizeof(float));
  } else {
    dnnl::memory src(plain_desc(dims()), mem_.get_engine(), const_cast<float*>(values.data()));
    copy_into(src, mem_);
  }
}

void Tensor::fill(float value) { from_vector(std::vector<float>(static_cast<size_t>(numel()), value)); }

void Tensor::zero() {
  if (mem_) std::memset(mem_.get_data_handle(), 0, mem_.get_desc().get_size());
}

void copy_into(const dnnl::memory& src, const dnnl::memory& dst, Context& ctx) {
  dnnl::reorder(src, dst).execute(ctx.stream(), const_cast<dnnl::memory&>(src),
                                  const_cast<dnnl::memory&>(dst));
  ctx.wait();
}

Step::Step(dnnl::primitive prim, std::unordered_map<int, dnnl::memory> args)
    : prim_(std::move(prim)), args_(std::move(args)) {
  c_args_.reserve(args_.size());
  for (const auto& [arg, mem] : args_) c_args_.push_back({arg, mem.get()});
}

void Step::run(Context& ctx) const {
  const auto status = dnnl_primitive_execute(prim_.get(), ctx.stream().get(),
                                             static_cast<int>(c_args_.size()), c_args_.data());
  if (status != dnnl_success) throw Error("oneDNN primitive execution failed (status " + std::to_string(status) + ")");
}

const dnnl::memory& Reorder::operator()(const dnnl::memory& src, const dnnl::memory::desc& dst_md,
                                        Context& ctx) {
  const auto src_md = src.get_desc();
  if (src_md == dst_md) return src;
  if (!dst_ || src_md != src_md_ || dst_md != dst_md_) {
    src_md_ = src_md;
    dst_md_ = dst_md;
    dst_ = dnnl::memory(dst_md, ctx.engine());
    src_in_ = dnnl::memory(src_md, ctx.engine(), nullptr);
    step_ = Step(make_primitive<dnnl::reorder>(dnnl::reorder::primitive_desc(ctx.engine(), src_md, ctx.engine(), dst_md)),
                 {{DNNL_ARG_FROM, src_in_}, {DNNL_ARG_TO, dst_}});
  }
  src_in_.set_data_handle(src.get_data_handle());
  step_.run(ctx);
  return dst_;
}

}  // namespace bnlab
