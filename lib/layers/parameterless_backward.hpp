// The backward of a layer without parameters whose oneDNN backward primitive reads diff_dst
// through a memory handle (eltwise activations, average pooling): one place for its checks.
#pragma once

#include <string>

#include "core/errors.hpp"
#include "core/tensor.hpp"

namespace bnlab {

// Runs `bwd` on diff_dst (seen through `diff_dst_handle`, which has forward's dst descriptor) and
// returns `diff_src`; without need_diff_src returns an empty tensor (a layer without parameters
// has nothing else to compute). Throws Error before a training forward built `bwd`, ShapeError
// for a diff_dst of another descriptor; `name` starts the messages.
inline const Tensor& run_parameterless_backward(const std::string& name, const Step& bwd,
                                                dnnl::memory& diff_dst_handle, const Tensor& diff_dst,
                                                bool need_diff_src, const Tensor& diff_src, Context& ctx) {
  if (bwd.empty()) throw Error(name + ": backward before a training forward");
  if (diff_dst.desc() != diff_dst_handle.get_desc())
    throw ShapeError(name + ": diff_dst " + to_string(diff_dst.dims()) +
                     " does not have the descriptor of the dst forward returned");
  if (!need_diff_src) {
    static const Tensor none;
    return none;
  }
  diff_dst_handle.set_data_handle(diff_dst.data());
  bwd.run(ctx);
  return diff_src;
}

}  // namespace bnlab
