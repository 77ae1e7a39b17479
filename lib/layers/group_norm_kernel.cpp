#include "layers/group_norm_kernel.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

#include "core/errors.hpp"
#include "core/runtime.hpp"

namespace bnlab {

namespace {


// The two passes over the data of forward and of backward. Per-(sample, channel) values are
// indexed o·block + k, which is n·Cpad + c. nchw (block 1) vectorizes over the spatial loop, the
// other layouts over the block; blocks of 8 and 16 (what convolution picks) are compile-time sizes
// so the per-channel accumulators stay in registers. The callers run both passes on one sample
// before the next (parallel over samples): a sample's data (100 KB for 32x28x28) is still in the
// cache when the second pass reads it again, so memory sees each tensor once per pass pair.

// Calls f(std::integral_constant<std::int64_t, B>) with B = block for 1, 8, 16, else B = 0.
template <class F>
void with_block(std::int64_t block, F&& f) {
  switch (block) {
    case 1: f(std::integral_constant<std::int64_t, 1>{}); break;
    case 8: f(std::integral_constant<std::int64_t, 8>{}); break;
    case 16: f(std::integral_constant<std::int64_t, 16>{}); break;
    default: f(std::integral_constant<std::int64_t, 0>{});
  }
}

// The gradient reaching the norm: g, or with a fused ReLU g where its output y > 0, else 0.
template <bool Relu>
inline float through_relu(float g, const float* y, std::int64_t i) {
  if constexpr (Relu) return y[i] > 0.0f ? g : 0.0f;
  return g;
}

// Per (o, k), over s, with m = shift[o·B + k]:
//   Forward = true:   s1 = Σ (x - m),  s2 = Σ (x - m)²     (first moments about m)
//   Forward = false:  s1 = Σ g,        s2 = Σ g·(x - m)    (backward, m = the mean; g through
//                                                           the fused ReLU's mask y > 0)
// over the rows o in [o0, o1).
// noinline (also affine): compiled once, so a sum does not depend on the code around the call.
// Inlined into the per-sample loop, GCC unswitched that loop on need_diff_src and vectorized the
// two copies of the `omp simd` reduction differently: dbeta differed in the last bit between a
// backward with and without diff_src (test_group_norm.cpp caught it).
template <std::int64_t B, bool Forward, bool Relu>
[[gnu::noinline]] void pair_sums(const Layout& l, std::int64_t o0, std::int64_t o1, const float* __restrict x,
               const float* __restrict g, const float* __restrict y, const float* __restrict shift,
               float* __restrict s1, float* __restrict s2) {
  const std::int64_t b = B ? B : l.block, s_n = l.spatial();
  for (std::int64_t o = o0; o < o1; ++o) {
    const std::int64_t base = o * s_n * b;
    const float* xo = x + base;
    const float* go = Forward ? nullptr : g + base;
    const float* yo = Relu ? y + base : nullptr;
    if constexpr (B == 1) {
      const float m = shift[o];
      float a1 = 0.0f, a2 = 0.0f;
#pragma omp simd reduction(+ : a1, a2)
      for (std::int64_t s = 0; s < s_n; ++s) {
        const float d = xo[s] - m, u = Forward ? d : through_relu<Relu>(go[s], yo, s);
        a1 += u;
        a2 += u * d;
      }
      s1[o] = a1;
      s2[o] = a2;
    } else {
      // Accumulators: registers for a compile-time block, else the outputs themselves.
      float r1[B ? B : 1], r2[B ? B : 1], rm[B ? B : 1];
      float* a1 = B ? r1 : s1 + o * b;
      float* a2 = B ? r2 : s2 + o * b;
      const float* m = shift + o * b;
      if constexpr (B != 0)
        for (std::int64_t k = 0; k < b; ++k) rm[k] = m[k];
      const float* mk = B ? rm : m;
      for (std::int64_t k = 0; k < b; ++k) a1[k] = a2[k] = 0.0f;
      for (std::int64_t s = 0; s < s_n; ++s) {
        const float* xr = xo + s * b;
        const float* gr = Forward ? nullptr : go + s * b;
        const float* yr = Relu ? yo + s * b : nullptr;
#pragma omp simd
        for (std::int64_t k = 0; k < b; ++k) {
          const float d = xr[k] - mk[k], u = Forward ? d : through_relu<Relu>(gr[k], yr, k);
          a1[k] += u;
          a2[k] += u * d;
        }
      }
      if constexpr (B != 0)
        for (std::int64_t k = 0; k < b; ++k) {
          s1[o * b + k] = a1[k];
          s2[o * b + k] = a2[k];
        }
    }
  }
}

// The elementwise pass over the rows o in [o0, o1), per value with per-(o, k) coefficients:
//   forward  (WithG = false):  out = a·(x - shift) + c               (Relu: max(out, 0))
//   backward (WithG = true):   out = bg·g + a·(x - shift) + c         (Relu: g through y > 0)
template <std::int64_t B, bool WithG, bool Relu>
[[gnu::noinline]] void affine(const Layout& l, std::int64_t o0, std::int64_t o1, const float* __restrict x, const float* __restrict g,
            const float* __restrict y, const float* __restrict shift, const float* __restrict a,
            const float* __restrict bg, const float* __restrict c, float* __restrict out) {
  const std::int64_t blk = B ? B : l.block, s_n = l.spatial();
  // Forward with ReLU: the activation after the normalization.
  auto act = [](float v) { return !WithG && Relu ? (v > 0.0f ? v : 0.0f) : v; };
  // Backward with ReLU: the gradient through ReLU's mask.
  auto grad = [&](std::int64_t i) { return WithG ? through_relu<Relu>(g[i], y, i) : 0.0f; };
  for (std::int64_t o = o0; o < o1; ++o) {
    const std::int64_t base = o * s_n * blk;
    if constexpr (B == 1) {
      const float m = shift[o], ao = a[o], bo = WithG ? bg[o] : 0.0f, co = c[o];
#pragma omp simd
      for (std::int64_t s = 0; s < s_n; ++s)
        out[base + s] = act((WithG ? bo * grad(base + s) : 0.0f) + ao * (x[base + s] - m) + co);
    } else {
      const float *m = shift + o * blk, *ao = a + o * blk, *co = c + o * blk;
      const float* bo = WithG ? bg + o * blk : nullptr;
      for (std::int64_t s = 0; s < s_n; ++s) {
        const std::int64_t r = base + s * blk;
#pragma omp simd
        for (std::int64_t k = 0; k < blk; ++k)
          out[r + k] = act((WithG ? bo[k] * grad(r + k) : 0.0f) + ao[k] * (x[r + k] - m[k]) + co[k]);
      }
    }
  }
}

// Calls f with the compile-time block and ReLU flag.
template <class F>
void with_block_relu(std::int64_t block, bool relu, F&& f) {
  with_block(block, [&](auto b) {
    if (relu) f(b, std::true_type{});
    else f(b, std::false_type{});
  });
}
}  // namespace

GroupNormKernel::GroupNormKernel(std::string name, std::int64_t channels, std::int64_t group_size, double eps,
                                 Context& ctx)
    : name_(std::move(name)), channels_(channels), group_size_(group_size), groups_(0), eps_(eps), ctx_(ctx) {
  if (channels < 1) throw ShapeError(name_ + ": channels must be >= 1");
  if (group_size < 1 || channels % group_size != 0)
    throw OptionError(name_ + ": group_size " + std::to_string(group_size) + " does not divide the " +
                      std::to_string(channels) + " channels (groups must be whole)");
  groups_ = channels / group_size;
}

void GroupNormKernel::build(Plan& plan, const dnnl::memory::desc& src_md, bool training) {
  check_norm_input(name_, channels_, src_md);
  const auto dims = src_md.dims();
  plan.src_md = src_md;
  plan.layout = describe_layout(src_md);
  plan.reorder_src = !plan.layout.known();
  plan.data_md = plan.reorder_src ? layout_desc(dims, LayoutKind::nchw) : src_md;
  if (plan.reorder_src) plan.layout = describe_layout(plan.data_md);
  plan.dst = Tensor(plan.data_md, ctx_);
  const auto per_channel = static_cast<std::size_t>(plan.layout.outer() * plan.layout.block);  // N·Cpad
  const auto per_group = static_cast<std::size_t>(plan.layout.n * groups_);
  plan.mean.assign(per_group, 0.0f);
  plan.rstd.assign(per_group, 0.0f);
  for (auto* v : {&plan.sums, &plan.sums2, &plan.shift, &plan.scale, &plan.bias}) v->assign(per_channel, 0.0f);
  if (!training) return;
  for (auto* v : {&sum_g_, &sum_gx_, &coef_g_, &coef_x_, &coef_1_}) v->assign(per_channel, 0.0f);
  diff_src_ = Tensor(plan.data_md, ctx_);
  diff_src_out_ = diff_src_;  // replaced by the reordered copy when src was reordered
}

const Tensor& GroupNormKernel::forward(const Tensor& src, Mode mode, const Tensor& gamma, const Tensor& beta,
                                       bool relu) {
  Plan& plan = plans_[mode];
  if (plan.dst.empty() || src.desc() != plan.src_md) build(plan, src.desc(), mode == Mode::train);
  plan.x = plan.reorder_src ? static_cast<const float*>(plan.to_data(src.mem(), plan.data_md, ctx_).get_data_handle())
                            : src.data();
  plan.relu = relu;
  const Layout& l = plan.layout;
  const std::int64_t cpad = l.padded_channels(), n_samples = l.n;
  const double m = static_cast<double>(group_size_ * l.spatial());  // values per group
  const float* gam = gamma.data();
  const float* bet = beta.data();

  // Per sample: one pass for the statistics, then the elementwise pass (pair_sums, affine).
  // Statistics: per (sample, channel) the first two moments about a pivot, the channel's first
  // value. A value of the data lies a few std from the mean, so the group variance combined from
  // them in double does not cancel as Σx² - (Σx)²/m does when |mean| >> std.
  // Padding channels of a blocked layout have scale = bias = 0 (and shift = pivot = 0), so their
  // output stays 0.
  const double s = static_cast<double>(l.spatial());
  const std::int64_t rows = l.cblocks;  // rows o of one sample: n·rows .. (n+1)·rows - 1
  float* pivot = plan.shift.data();
  with_block_relu(l.block, relu, [&](auto b, auto r) {
    constexpr std::int64_t B = decltype(b)::value;
#pragma omp parallel for schedule(static) if (l.outer() * l.spatial() * l.block >= kParallelFloats)
    for (std::int64_t n = 0; n < n_samples; ++n) {
      const std::int64_t o0 = n * rows, o1 = o0 + rows;
      for (std::int64_t o = o0; o < o1; ++o)
        for (std::int64_t k = 0; k < l.block; ++k) pivot[o * l.block + k] = plan.x[o * l.spatial() * l.block + k];
      pair_sums<B, true, false>(l, o0, o1, plan.x, nullptr, nullptr, pivot, plan.sums.data(), plan.sums2.data());
      for (std::int64_t j = 0; j < groups_; ++j) {
        const std::int64_t c0 = n * cpad + j * group_size_, c1 = c0 + group_size_;  // the group's (n, c) range
        double sum = 0;
        for (std::int64_t nc = c0; nc < c1; ++nc) sum += plan.sums[nc] + s * pivot[nc];
        const double mu = sum / m;
        double sq = 0;  // Σ (x - mu)² = Σ_c [S2 + 2 (K - mu) S1 + s (K - mu)²] with K the pivot
        for (std::int64_t nc = c0; nc < c1; ++nc) {
          const double k_mu = pivot[nc] - mu;
          sq += plan.sums2[nc] + 2.0 * k_mu * plan.sums[nc] + s * k_mu * k_mu;
        }
        const auto rstd = static_cast<float>(1.0 / std::sqrt(std::max(sq / m, 0.0) + eps_));
        plan.mean[n * groups_ + j] = static_cast<float>(mu);
        plan.rstd[n * groups_ + j] = rstd;
        for (std::int64_t nc = c0; nc < c1; ++nc) {
          const std::int64_t c = nc - n * cpad;
          plan.shift[nc] = static_cast<float>(mu);
          plan.scale[nc] = gam[c] * rstd;
          plan.bias[nc] = bet[c];
        }
      }
      affine<B, false, decltype(r)::value>(l, o0, o1, plan.x, nullptr, nullptr, plan.shift.data(), plan.scale.data(),
                                           nullptr, plan.bias.data(), plan.dst.data());
    }
  });
  return plan.dst;
}

const Tensor& GroupNormKernel::backward(const Tensor& diff_dst, bool need_diff_src, const Tensor& gamma,
                                        Tensor& dgamma, Tensor& dbeta) {
  if (plans_.train.dst.empty() || !plans_.train.x) throw Error(name_ + ": backward before a training forward");
  const Plan& plan = plans_.train;
  const float* g = static_cast<const float*>(diff_dst_to_data_(diff_dst.mem(), plan.data_md, ctx_).get_data_handle());
  const float* y = plan.dst.data();  // the fused ReLU's output: its gradient mask
  const Layout& l = plan.layout;
  const std::int64_t cpad = l.padded_channels(), n_samples = l.n;
  const double m = static_cast<double>(group_size_ * l.spatial());
  const float* gam = gamma.data();

  // Per sample: Σg and Σg·(x - mu) per channel, the coefficients of its groups, then diff_src
  // (skipped without need_diff_src); dgamma/dbeta after all samples.
  const std::int64_t rows = l.cblocks;
  with_block_relu(l.block, plan.relu, [&](auto b, auto r) {
    constexpr std::int64_t B = decltype(b)::value;
    constexpr bool R = decltype(r)::value;
#pragma omp parallel for schedule(static) if (l.outer() * l.spatial() * l.block >= kParallelFloats)
    for (std::int64_t n = 0; n < n_samples; ++n) {
      const std::int64_t o0 = n * rows, o1 = o0 + rows;
      pair_sums<B, false, R>(l, o0, o1, plan.x, g, y, plan.shift.data(), sum_g_.data(), sum_gx_.data());
      if (!need_diff_src) continue;
      for (std::int64_t j = 0; j < groups_; ++j) {
        const double rstd = plan.rstd[n * groups_ + j];
        // mean over the group of dxhat and of dxhat·xhat (dxhat = gamma·g, xhat = (x - mu)·rstd)
        double mean_dxhat = 0, mean_dxhat_xhat = 0;
        for (std::int64_t c = j * group_size_; c < (j + 1) * group_size_; ++c) {
          const double sg = sum_g_[n * cpad + c], sgx = sum_gx_[n * cpad + c] * rstd;
          mean_dxhat += gam[c] * sg;
          mean_dxhat_xhat += gam[c] * sgx;
        }
        mean_dxhat /= m;
        mean_dxhat_xhat /= m;
        // dx = rstd·(gamma·g - mean_dxhat - xhat·mean_dxhat_xhat)
        for (std::int64_t c = j * group_size_; c < (j + 1) * group_size_; ++c) {
          coef_g_[n * cpad + c] = static_cast<float>(rstd * gam[c]);
          coef_x_[n * cpad + c] = static_cast<float>(-rstd * rstd * mean_dxhat_xhat);
          coef_1_[n * cpad + c] = static_cast<float>(-rstd * mean_dxhat);
        }
      }
      affine<B, true, R>(l, o0, o1, plan.x, g, y, plan.shift.data(), coef_x_.data(), coef_g_.data(), coef_1_.data(),
                         diff_src_.data());
    }
  });
  // dgamma_c = Σ_n Σgx·rstd, dbeta_c = Σ_n Σg, accumulated over samples in order, in double.
  float* dg = dgamma.data();
  float* db = dbeta.data();
#pragma omp parallel for schedule(static) if (n_samples * channels_ >= kParallelFloats)
  for (std::int64_t c = 0; c < channels_; ++c) {
    double sum_gx = 0, sum_g = 0;
    for (std::int64_t n = 0; n < n_samples; ++n) {
      sum_gx += sum_gx_[n * cpad + c] * static_cast<double>(plan.rstd[n * groups_ + c / group_size_]);
      sum_g += sum_g_[n * cpad + c];
    }
    dg[c] = static_cast<float>(sum_gx);
    db[c] = static_cast<float>(sum_g);
  }
  if (!need_diff_src) return diff_src_out_ = Tensor();
  if (plan.reorder_src) diff_src_out_ = Tensor(diff_src_back_(diff_src_.mem(), plan.src_md, ctx_));
  else diff_src_out_ = diff_src_;
  return diff_src_out_;
}

}  // namespace bnlab
