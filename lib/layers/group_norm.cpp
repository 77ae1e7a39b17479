#include "layers/group_norm.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

#include "core/errors.hpp"

namespace bnlab {

namespace {
// The two elementwise passes of forward and of backward. Per-(sample, channel) values are indexed
// o·block + k, which is n·Cpad + c. nchw (block 1) vectorizes over the spatial loop, the other
// layouts over the block; blocks of 8 and 16 (what convolution picks) are compile-time sizes so
// the per-channel accumulators stay in registers.

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

// Per (o, k), over s, with m = shift[o·B + k]:
//   Forward = true:   s1 = Σ (x - m),  s2 = Σ (x - m)²     (first moments about m)
//   Forward = false:  s1 = Σ g,        s2 = Σ g·(x - m)    (backward, m = the mean)
template <std::int64_t B, bool Forward>
void pair_sums(const Layout& l, const float* __restrict x, const float* __restrict g, const float* __restrict shift,
               float* __restrict s1, float* __restrict s2) {
  const std::int64_t b = B ? B : l.block, s_n = l.spatial();
  for (std::int64_t o = 0; o < l.outer(); ++o) {
    const float* xo = x + o * s_n * b;
    const float* go = Forward ? nullptr : g + o * s_n * b;
    if constexpr (B == 1) {
      const float m = shift[o];
      float a1 = 0.0f, a2 = 0.0f;
#pragma omp simd reduction(+ : a1, a2)
      for (std::int64_t s = 0; s < s_n; ++s) {
        const float d = xo[s] - m, u = Forward ? d : go[s];
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
#pragma omp simd
        for (std::int64_t k = 0; k < b; ++k) {
          const float d = xr[k] - mk[k], u = Forward ? d : gr[k];
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

// out = a·(x - shift) + c, plus b·g with WithG (backward: dx = coef_g·g + coef_x·(x - mu) + coef_1)
template <std::int64_t B, bool WithG>
void affine(const Layout& l, const float* __restrict x, const float* __restrict g, const float* __restrict shift,
            const float* __restrict a, const float* __restrict bg, const float* __restrict c, float* __restrict out) {
  const std::int64_t blk = B ? B : l.block, s_n = l.spatial();
  for (std::int64_t o = 0; o < l.outer(); ++o) {
    const std::int64_t base = o * s_n * blk;
    if constexpr (B == 1) {
      const float m = shift[o], ao = a[o], bo = WithG ? bg[o] : 0.0f, co = c[o];
#pragma omp simd
      for (std::int64_t s = 0; s < s_n; ++s)
        out[base + s] = (WithG ? bo * g[base + s] : 0.0f) + ao * (x[base + s] - m) + co;
    } else {
      const float *m = shift + o * blk, *ao = a + o * blk, *co = c + o * blk;
      const float* bo = WithG ? bg + o * blk : nullptr;
      for (std::int64_t s = 0; s < s_n; ++s) {
        const std::int64_t r = base + s * blk;
#pragma omp simd
        for (std::int64_t k = 0; k < blk; ++k)
          out[r + k] = (WithG ? bo[k] * g[r + k] : 0.0f) + ao[k] * (x[r + k] - m[k]) + co[k];
      }
    }
  }
}
}  // namespace

GroupNormKernel::GroupNormKernel(std::string name, std::int64_t channels, std::int64_t group_size, double eps,
                                 Context& ctx)
    : name_(std::move(name)), channels_(channels), group_size_(group_size), groups_(0), eps_(eps), ctx_(ctx) {
  if (channels < 1) throw ShapeError(name_ + ": channels must be >= 1");
  if (group_size < 1 || channels % group_size != 0)
    throw ConfigError("norm.group_size: " + std::to_string(group_size) + " does not divide the width " +
                      std::to_string(channels) + " of a normalized layer (" + name_ + " needs whole groups)");
  groups_ = channels / group_size;
  dgamma_.assign(static_cast<std::size_t>(channels), 0.0);
  dbeta_.assign(static_cast<std::size_t>(channels), 0.0);
}

void GroupNormKernel::build(Plan& plan, const dnnl::memory::desc& src_md, bool training) {
  const auto dims = src_md.dims();
  if ((dims.size() != 2 && dims.size() != 4) || dims[1] != channels_)
    throw ShapeError(name_ + ": expected (N, " + std::to_string(channels_) + "[, H, W]) input, got " +
                     to_string(dims));
  plan.src_md = src_md;
  plan.layout = describe_layout(src_md);
  plan.reorder_src = !plan.layout.known();
  plan.data_md = plan.reorder_src ? layout_desc(dims, LayoutKind::nchw) : src_md;
  if (plan.reorder_src) plan.layout = describe_layout(plan.data_md);
  plan.n = dims[0];
  plan.dst = Tensor(plan.data_md, ctx_);
  const auto per_channel = static_cast<std::size_t>(plan.layout.outer() * plan.layout.block);  // N·Cpad
  const auto per_group = static_cast<std::size_t>(plan.n * groups_);
  plan.mean.assign(per_group, 0.0f);
  plan.rstd.assign(per_group, 0.0f);
  for (auto* v : {&plan.sums, &plan.sums2, &plan.shift, &plan.scale, &plan.bias}) v->assign(per_channel, 0.0f);
  if (!training) return;
  for (auto* v : {&sum_g_, &sum_gx_, &coef_g_, &coef_x_, &coef_1_}) v->assign(per_channel, 0.0f);
  diff_src_ = Tensor(plan.data_md, ctx_);
  diff_src_out_ = diff_src_;  // replaced by the reordered copy when src was reordered
}

const Tensor& GroupNormKernel::forward(const Tensor& src, Mode mode, const Tensor& gamma, const Tensor& beta) {
  Plan& plan = plan_for(mode);
  if (plan.dst.empty() || src.desc() != plan.src_md) build(plan, src.desc(), mode == Mode::train);
  plan.x = plan.reorder_src ? static_cast<const float*>(plan.to_data(src.mem(), plan.data_md, ctx_).get_data_handle())
                            : src.data();
  const Layout& l = plan.layout;
  const std::int64_t cpad = l.cblocks * l.block;
  const double m = static_cast<double>(group_size_ * l.spatial());  // values per group
  const float* gam = gamma.data();
  const float* bet = beta.data();

  // One pass for the statistics: per (sample, channel) the first two moments about a pivot, the
  // channel's first value. A value of the data lies a few std from the mean, so the group
  // variance combined from them in double does not cancel as Σx² - (Σx)²/m does when |mean| >> std.
  float* pivot = plan.shift.data();
  for (std::int64_t o = 0; o < l.outer(); ++o)
    for (std::int64_t k = 0; k < l.block; ++k) pivot[o * l.block + k] = plan.x[o * l.spatial() * l.block + k];
  with_block(l.block, [&](auto b) {
    pair_sums<decltype(b)::value, true>(l, plan.x, nullptr, pivot, plan.sums.data(), plan.sums2.data());
  });
  const double s = static_cast<double>(l.spatial());
  for (std::int64_t n = 0; n < plan.n; ++n)
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
  // Padding channels of a blocked layout have scale = bias = 0 (and shift = pivot = 0), so their
  // output stays 0.
  with_block(l.block, [&](auto b) {
    affine<decltype(b)::value, false>(l, plan.x, nullptr, plan.shift.data(), plan.scale.data(), nullptr,
                                      plan.bias.data(), plan.dst.data());
  });
  return plan.dst;
}

const Tensor& GroupNormKernel::backward(const Tensor& diff_dst, bool need_diff_src, const Tensor& gamma,
                                        Tensor& dgamma, Tensor& dbeta) {
  if (train_.dst.empty() || !train_.x) throw Error(name_ + ": backward before a training forward");
  const Plan& plan = train_;
  const float* g = static_cast<const float*>(diff_dst_to_data_(diff_dst.mem(), plan.data_md, ctx_).get_data_handle());
  const Layout& l = plan.layout;
  const std::int64_t cpad = l.cblocks * l.block;
  const double m = static_cast<double>(group_size_ * l.spatial());
  const float* gam = gamma.data();

  with_block(l.block, [&](auto b) {
    pair_sums<decltype(b)::value, false>(l, plan.x, g, plan.shift.data(), sum_g_.data(), sum_gx_.data());
  });
  std::fill(dgamma_.begin(), dgamma_.end(), 0.0);
  std::fill(dbeta_.begin(), dbeta_.end(), 0.0);
  for (std::int64_t n = 0; n < plan.n; ++n)
    for (std::int64_t j = 0; j < groups_; ++j) {
      const double rstd = plan.rstd[n * groups_ + j];
      // mean over the group of dxhat and of dxhat·xhat (dxhat = gamma·g, xhat = (x - mu)·rstd)
      double mean_dxhat = 0, mean_dxhat_xhat = 0;
      for (std::int64_t c = j * group_size_; c < (j + 1) * group_size_; ++c) {
        const double sg = sum_g_[n * cpad + c], sgx = sum_gx_[n * cpad + c] * rstd;
        dgamma_[c] += sgx;
        dbeta_[c] += sg;
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
  float* dg = dgamma.data();
  float* db = dbeta.data();
  for (std::int64_t c = 0; c < channels_; ++c) {
    dg[c] = static_cast<float>(dgamma_[c]);
    db[c] = static_cast<float>(dbeta_[c]);
  }
  if (!need_diff_src) return diff_src_out_ = Tensor();
  with_block(l.block, [&](auto b) {
    affine<decltype(b)::value, true>(l, plan.x, g, plan.shift.data(), coef_x_.data(), coef_g_.data(),
                                     coef_1_.data(), diff_src_.data());
  });
  if (plan.reorder_src) diff_src_out_ = Tensor(diff_src_back_(diff_src_.mem(), plan.src_md, ctx_));
  else diff_src_out_ = diff_src_;
  return diff_src_out_;
}

GroupNorm::GroupNorm(std::int64_t channels, const NormConfig& config, Context& ctx)
    : Layer(ctx),
      channels_(channels),
      group_size_(config.group_size),
      gamma_{"gamma", Tensor::plain({channels}, ctx), Tensor::plain({channels}, ctx), false},
      beta_{"beta", Tensor::plain({channels}, ctx), Tensor::plain({channels}, ctx), false},
      kernel_("group_norm", channels, config.group_size, config.eps, ctx) {
  gamma_.value.fill(1.0f);  // gamma = 1, beta = 0 at init
}

}  // namespace bnlab
