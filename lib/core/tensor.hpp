// Tensor = a dnnl::memory (buffer + layout) with its logical dims. The layout may be blocked
// (what convolution picked); to_vector()/from_vector() always speak plain row-major order, so code
// outside core/ and layers/ never needs to know what layout a tensor has.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/context.hpp"

namespace bnlab {

using Dims = std::vector<std::int64_t>;  // dnnl::memory::dims

std::int64_t product(const Dims& dims);
std::string to_string(const Dims& dims);

// Plain row-major f32 descriptor for dims of rank 1..5 (a, ab, abc, abcd, abcde).
dnnl::memory::desc plain_desc(const Dims& dims);

// An f32 descriptor by layout name: "plain" (= plain_desc), and for 4-D dims "nchw", "nhwc",
// "nChw16c" (what convolution picks on AVX-512). Throws ShapeError for another name or rank.
dnnl::memory::desc layout_desc(const Dims& dims, const std::string& layout);

class Tensor {
 public:
  Tensor() = default;
  // Allocates a buffer for `md` (zero-filled).
  explicit Tensor(const dnnl::memory::desc& md, Context& ctx = default_context());
  // Wraps an existing memory (shares its buffer).
  explicit Tensor(dnnl::memory mem);
  static Tensor plain(const Dims& dims, Context& ctx = default_context());

  bool empty() const { return !mem_; }
  Dims dims() const;
  std::int64_t numel() const;
  const dnnl::memory::desc desc() const { return mem_.get_desc(); }
  bool is_plain() const;  // row-major, no padding: data() can be indexed directly

  dnnl::memory& mem() { return mem_; }
  const dnnl::memory& mem() const { return mem_; }
  float* data() const;  // the raw buffer (row-major only if is_plain())

  // The same buffer seen with another descriptor of the same byte size.
  Tensor view(const dnnl::memory::desc& md) const;

  std::vector<float> to_vector() const;         // row-major copy
  void from_vector(const std::vector<float>& values);  // from row-major
  void fill(float value);                       // every logical element
  void zero();                                  // whole buffer, padding included

 private:
  dnnl::memory mem_;
};

// Copy src into dst, converting layouts (creates a reorder primitive: not for the training step).
void copy_into(const dnnl::memory& src, const dnnl::memory& dst, Context& ctx = default_context());

// One oneDNN execution: a primitive and the arguments it runs with. The C argument array is
// built once, so run() allocates nothing (dnnl::primitive::execute(map) builds a vector per call).
// Memories passed here are kept alive by the Step; to feed a new buffer, keep the memory and call
// set_data_handle on it.
class Step {
 public:
  Step() = default;
  Step(dnnl::primitive prim, std::unordered_map<int, dnnl::memory> args);
  void run(Context& ctx) const;
  bool empty() const { return !prim_; }

 private:
  dnnl::primitive prim_;
  std::unordered_map<int, dnnl::memory> args_;
  std::vector<dnnl_exec_arg_t> c_args_;
};

// A reorder into `dst_md`, built once and reused; a no-op (returns src) when layouts already match.
class Reorder {
 public:
  // Returns the memory holding src in dst_md: src itself or an internal buffer.
  const dnnl::memory& operator()(const dnnl::memory& src, const dnnl::memory::desc& dst_md,
                                 Context& ctx);

 private:
  dnnl::memory::desc src_md_, dst_md_;
  dnnl::memory src_in_, dst_;
  Step step_;
};

}  // namespace bnlab
