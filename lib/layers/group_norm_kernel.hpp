// The compute of Group Normalization (Wu & He 2018; the formulas are in group_norm.hpp), shared by
// GroupNorm and LayerNorm (the G = 1 case on 4-D inputs): per sample and group of `group_size`
// consecutive channels, mean and rstd = 1/sqrt(biased var + eps), y = gamma_c·xhat + beta_c.
// With relu (fused ReLU): the output is max(y, 0), and backward first sets g to 0 where the
// output is not positive (ReLU's gradient), then proceeds as above — the numbers of GN followed
// by a separate ReLU layer, without that layer's extra pass over the tensor (forward and
// backward each).
//
// oneDNN 2.6 has no group norm primitive, and its batch_normalization on a re-described tensor
// would need the plain nchw layout, where it runs a slow reference kernel. So the kernel is
// plain loops (vectorized with `omp simd`) working directly in the layouts a network produces
// (core/layout.hpp: [N][C / block][H·W][block]): one pass for per-(sample, channel) sums, then
// one elementwise pass with per-(sample, channel) coefficients (forward and backward alike), both
// on one sample before the next, so the second pass reads the sample from the cache and memory
// sees each tensor once: forward reads x and writes y, backward reads x and dy and writes dx.
// Other layouts are reordered to nchw (and diff_src back). All buffers are sized when the input
// descriptor changes; a training step allocates nothing.
//
// Threads: the loops are parallel over samples with OpenMP (the thread count of --threads; a
// batch smaller than the thread count leaves threads idle). Each group's reduction stays in one thread and in the order of the
// one-thread loop, so results are bit for bit the same for every thread count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/layout.hpp"
#include "core/tensor.hpp"
#include "layers/layer.hpp"
#include "layers/norm.hpp"

namespace bnlab {

class GroupNormKernel {
 public:
  // `name` prefixes error messages. Throws ShapeError for channels < 1, OptionError when
  // group_size does not divide channels.
  GroupNormKernel(std::string name, std::int64_t channels, std::int64_t group_size, double eps,
                  Context& ctx = default_context());

  // y (relu: max(y, 0)) in src's layout, or in nchw when src's layout is not one the kernel reads.
  const Tensor& forward(const Tensor& src, Mode mode, const Tensor& gamma, const Tensor& beta, bool relu = false);
  // Overwrites dgamma, dbeta; returns diff_src in src's descriptor (empty if !need_diff_src).
  // Applies ReLU's gradient first when the training forward fused it.
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src, const Tensor& gamma, Tensor& dgamma,
                         Tensor& dbeta);

  std::int64_t groups() const { return groups_; }
  // Statistics of the last training forward, (N, G) row-major: mean and 1/sqrt(var + eps).
  const std::vector<float>& mean() const { return plans_.train.mean; }
  const std::vector<float>& rstd() const { return plans_.train.rstd; }

 private:
  struct Plan {
    dnnl::memory::desc src_md;        // as the caller gave it
    dnnl::memory::desc data_md;       // as the kernel reads it (src_md, or nchw when reordered)
    bool reorder_src = false;
    Reorder to_data;
    Layout layout;                    // data_md's
    bool relu = false;                // the last forward fused ReLU
    const float* x = nullptr;         // the data normalized by the last forward (train: for backward)
    Tensor dst;                       // data_md
    std::vector<float> mean, rstd;    // (N, G)
    std::vector<float> sums, sums2;   // (N, Cpad) per-(sample, channel) moments, Cpad = cblocks·block
    std::vector<float> shift, scale, bias;  // (N, Cpad): y = scale·(x - shift) + bias
  };

  void build(Plan& plan, const dnnl::memory::desc& src_md, bool training);

  std::string name_;
  std::int64_t channels_, group_size_, groups_;
  double eps_;
  Context& ctx_;
  PerMode<Plan> plans_;
  // Backward, sized with the training plan.
  std::vector<float> sum_g_, sum_gx_;    // (N, Cpad) Σ g and Σ g·(x - mu) per (sample, channel)
  std::vector<float> coef_g_, coef_x_, coef_1_;  // (N, Cpad): dx = coef_g·g + coef_x·(x - mu) + coef_1
  Tensor diff_src_;                      // data_md
  Tensor diff_src_out_;                  // src_md
  Reorder diff_dst_to_data_, diff_src_back_;
};

}  // namespace bnlab
