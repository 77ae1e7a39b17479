// Batch Normalization (Ioffe & Szegedy 2015) on oneDNN's batch_normalization primitive, with
// PyTorch's semantics so results compare (DESIGN.md, "BatchNorm semantics"):
//
//   training:  mu_c = mean over (N,H,W) of x,  var_c = biased variance (divide by m = N*H*W)
//              y = gamma_c * (x - mu_c) / sqrt(var_c + eps) + beta_c
//              running_mean = (1 - momentum) * running_mean + momentum * mu_c
//              running_var  = (1 - momentum) * running_var  + momentum * var_c * m / (m - 1)
//   eval:      the same formula with running_mean / running_var (oneDNN's use_global_stats)
//   eval_batch_stats: the training formula on the batch given, without touching running statistics or
//              what backward needs (probes compare it with eval)
//   backward:  with xhat = (x - mu) / sqrt(var + eps) and g = dL/dy,
//              dgamma = Σ g·xhat,  dbeta = Σ g,
//              dx = gamma / sqrt(var + eps) · (g - mean(g) - xhat · mean(g·xhat))
//
// Shapes: src/dst (N, C) or (N, C, H, W); gamma, beta, running_mean, running_var (C).
// oneDNN 2.6 runs BN on plain nchw/nc with a slow reference kernel, so a 2-D (N, C) tensor is
// described to oneDNN as (N, C, 1, 1) nhwc (same bytes) and a plain nchw input is reordered to
// nhwc; blocked layouts chosen by convolution are kept. oneDNN keeps no running statistics: this
// layer does. Training needs m > 1 values per channel.
//
// ReLU (options.relu): the layer outputs max(0, y). Where oneDNN has a JIT kernel for BN with
// fused ReLU (fuse_norm_relu) the primitive applies it; where its fused primitive falls to a
// reference (plain C++) kernel while the unfused one is JIT (oneDNN 2.6: training on (N, C) data
// whose C is not a multiple of 16 gets nspc_bnorm), the layer runs BN and then a separate ReLU
// step, which gives the same numbers. The layer asks oneDNN which kernel it got (impl_info_str)
// whenever it builds a plan, so the rule is the kernel's, not a width rule kept here.
//
// The BN core of the variants (batch_renorm, noisy_batch_norm, ghost_batch_norm): a variant
// either applies another affine than gamma/beta (a BatchNormAffinePolicy: y = scale_c·xhat +
// shift_c with scale/shift made from gamma, beta and, for renorm, the batch statistics) and maps
// the gradients of scale/shift back onto gamma/beta, or runs the core's plans on chunks of the
// batch (ghost).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "layers/eltwise.hpp"
#include "layers/norm.hpp"

namespace bnlab {

struct BatchNormOptions {
  double eps = 1e-5;      // added to the variance before the square root
  double momentum = 0.1;  // running = (1 - momentum)·running + momentum·batch (PyTorch's meaning)
  bool relu = false;      // apply ReLU to the output (fused into the primitive where that is fast)
};

// What a BN variant changes about the affine the BN core applies: y = scale_c·xhat + shift_c.
class BatchNormAffinePolicy {
 public:
  virtual ~BatchNormAffinePolicy() = default;
  // True when the affine depends on the batch statistics (renorm): the core then computes them
  // first with a statistics-only primitive and normalizes with them, once per forward.
  virtual bool needs_batch_stats() const { return false; }
  // Fills scale, shift (C) for a forward in `mode`; mean, var (C) are the batch's statistics
  // when needs_batch_stats() and mode != eval, else nullptr.
  virtual void affine(Mode mode, const float* mean, const float* var, float* scale, float* shift) = 0;
  // Overwrites dgamma, dbeta (C) from the gradients of the training forward's scale, shift.
  virtual void map_grads(const float* dscale, const float* dshift, float* dgamma, float* dbeta) = 0;
};

class BatchNorm : public Norm {
 public:
  explicit BatchNorm(std::int64_t channels, const BatchNormOptions& options = {}, Context& ctx = default_context());

  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;
  std::vector<Buffer> buffers() override {
    return {{"running_mean", &running_mean_}, {"running_var", &running_var_}};
  }

  Tensor& running_mean() { return running_mean_; }
  Tensor& running_var() { return running_var_; }
  double eps() const { return options_.eps; }
  // Whether the output has ReLU applied (options.relu), fused or as a separate step.
  bool relu() const override { return options_.relu; }
  // Statistics of the last training batch (biased variance), (C).
  const Tensor& batch_mean() const { return plans_.train.mean; }
  const Tensor& batch_var() const { return plans_.train.var; }
  // oneDNN's implementation name of the forward primitive ("bnorm_jit:avx512_core", ...).
  const std::string& impl(Mode mode) const { return plans_[mode].impl; }
  // Whether the last plan built for `mode` runs ReLU inside the BN primitive.
  bool relu_fused(Mode mode) const { return plans_[mode].relu_fused; }

  // Population statistics of this layer's input, gathered over Mode::eval_batch_stats forwards
  // (precise BN, Wu & Johnson 2021; train/precise_bn.hpp): per channel the count, mean and sum of
  // squared deviations m2 (population variance = m2 / count), in double, each batch merged with
  // Chan et al.'s pairwise update, so the result is exact whatever the batch size and stable
  // when the mean is large against the spread. A ghost BN adds each chunk.
  struct PopulationStats {
    std::int64_t count = 0;
    std::vector<double> mean, m2;  // (C)
  };
  // From now on, every eval_batch_stats forward adds its batch statistics to `into`; nullptr stops.
  void collect_population_stats(PopulationStats* into) { population_ = into; }

  // With ReLU: BN and ReLU run as separate steps from now on (norm.hpp).
  void keep_pre_activation() override { keep_pre_activation_ = true; }
  const Tensor* pre_activation(Mode mode) const override {
    return plans_[mode].dst_out.empty() ? nullptr : &plans_[mode].dst_out;
  }

 protected:
  // One BN execution on one input descriptor: its primitives, what it keeps for backward.
  struct Plan {
    dnnl::memory::desc src_md;     // as the caller gave it
    dnnl::memory::desc data_md;    // as oneDNN sees it (4-D, nhwc or blocked)
    dnnl::memory src;              // handle onto the caller's src, seen as data_md
    bool reorder_src = false;      // plain nchw src: reordered to nhwc (and diff_src back)
    Reorder to_data;
    std::int64_t values_per_channel = 0;  // m = N*H*W
    Tensor scale, shift;           // (C) the applied affine: gamma/beta themselves without a policy
    Tensor dscale, dshift;         // (C) their gradients: gamma/beta's grads unless separate
    Tensor mean, var;              // (C) the batch statistics (train, eval_batch_stats)
    Tensor dst;                    // data_md
    Tensor dst_out;                // dst seen with the caller's rank (2-D view or the 4-D tensor)
    Step stats;                    // statistics only (a policy that needs them first)
    Step fwd;
    std::string impl;
    bool relu_fused = false;
    std::unique_ptr<Eltwise> relu; // the separate ReLU step when not fused
    // Backward (Mode::train).
    Tensor workspace;              // ReLU mask when fused
    dnnl::memory diff_dst;         // handle onto diff_dst, seen as data_md
    Tensor diff_src;               // data_md
    Tensor diff_src_out;           // in the caller's src descriptor
    Reorder diff_src_back;         // data_md -> caller's plain nchw
    Step bwd;
  };

  // For variants: their kind and policy (nullptr: gamma/beta), ReLU never.
  BatchNorm(std::string kind, std::int64_t channels, const BatchNormOptions& options, BatchNormAffinePolicy* policy,
            Context& ctx);

  // (Re)builds `plan` for src_md. separate_grads: dscale/dshift get their own buffers even
  // without a policy (ghost sums them over chunks).
  void build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode, bool separate_grads = false);
  // Normalizes src with `plan` (built for src's descriptor) and, in Mode::train, updates the
  // running statistics; returns the output (ReLU applied when asked).
  const Tensor& run_forward(Plan& plan, const Tensor& src, Mode mode);
  // BN's backward of `plan`'s training forward; fills plan.dscale/dshift, returns diff_src.
  const Tensor& run_backward(Plan& plan, const Tensor& diff_dst);
  PerMode<Plan>& plans() { return plans_; }

 private:
  void update_running_stats(const Plan& plan);
  void add_to_population(const Plan& plan);

  BatchNormOptions options_;
  BatchNormAffinePolicy* policy_ = nullptr;  // owned by the variant (this object's subclass)
  bool keep_pre_activation_ = false;
  PopulationStats* population_ = nullptr;  // collect_population_stats
  Tensor running_mean_, running_var_;   // (C)
  Tensor ones_, zeros_;                 // (C) identity affine of the statistics-only primitive
  PerMode<Plan> plans_;
};

}  // namespace bnlab
