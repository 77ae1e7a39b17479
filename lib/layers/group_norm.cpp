#include "layers/group_norm.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/errors.hpp"

namespace bnlab {

namespace {
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using Layout = GroupNormKernel::Layout;

// The [outer][spatial][block] split of md, or block 0 when the kernel cannot read md directly.
Layout layout_of(const dnnl::memory::desc& md) {
  const auto d = md.dims();
  if (d.size() == 2) {
    if (md == plain_desc(d)) return {d[0], 1, d[1], 1};
    return {};
  }
  const std::int64_t hw = d[2] * d[3];
  if (md == dnnl::memory::desc(d, dt::f32, tag::nchw)) return {d[0] * d[1], d[1], 1, hw};
  if (md == dnnl::memory::desc(d, dt::f32, tag::nhwc)) return {d[0], 1, d[1], hw};
  for (const auto& [blocked, b] : {std::pair{tag::nChw16c, std::int64_t{16}}, std::pair{tag::nChw8c, std::int64_t{8}}})
    if (md == dnnl::memory::desc(d, dt::f32, blocked)) return {d[0] * ((d[1] + b - 1) / b), (d[1] + b - 1) / b, b, hw};
  return {};
}

// The elementwise passes. Per-(sample, channel) values are indexed o·block + k, which is
// n·Cpad + c. Block 1 (nchw) vectorizes over the spatial loop, other layouts over the block.

// sum[o·B + k] = Σ_s (x - shift)   (shift == nullptr: 0)
void channel_sums(const Layout& l, const float* x, const float* shift, float* sum) {
  const std::int64_t s_n = l.spatial, b = l.block;
  for (std::int64_t o = 0; o < l.outer; ++o) {
    const float* xo = x + o * s_n * b;
    if (b == 1) {
      const float m = shift ? shift[o] : 0.0f;
      float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
      for (std::int64_t s = 0; s < s_n; ++s) acc += xo[s] - m;
      sum[o] = acc;
      continue;
    }
    float* acc = sum + o * b;
    const float* m = shift ? shift + o * b : nullptr;
    for (std::int64_t k = 0; k < b; ++k) acc[k] = 0.0f;
    for (std::int64_t s = 0; s < s_n; ++s) {
      const float* row = xo + s * b;
      if (m) {
#pragma omp simd
        for (std::int64_t k = 0; k < b; ++k) acc[k] += row[k] - m[k];
      } else {
#pragma omp simd
        for (std::int64_t k = 0; k < b; ++k) acc[k] += row[k];
      }
    }
  }
}

// sq[o·B + k] = Σ_s (x - shift)²
void centered_squares(const Layout& l, const float* x, const float* shift, float* sq) {
  const std::int64_t s_n = l.spatial, b = l.block;
  for (std::int64_t o = 0; o < l.outer; ++o) {
    const float* xo = x + o * s_n * b;
    if (b == 1) {
      const float m = shift[o];
      float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
      for (std::int64_t s = 0; s < s_n; ++s) acc += (xo[s] - m) * (xo[s] - m);
      sq[o] = acc;
      continue;
    }
    float* acc = sq + o * b;
    const float* m = shift + o * b;
    for (std::int64_t k = 0; k < b; ++k) acc[k] = 0.0f;
    for (std::int64_t s = 0; s < s_n; ++s) {
      const float* row = xo + s * b;
#pragma omp simd
      for (std::int64_t k = 0; k < b; ++k) acc[k] += (row[k] - m[k]) * (row[k] - m[k]);
    }
  }
}

// sum_g = Σ_s g,  sum_gx = Σ_s g·(x - shift)
void grad_sums(const Layout& l, const float* g, const float* x, const float* shift, float* sum_g, float* sum_gx) {
  const std::int64_t s_n = l.spatial, b = l.block;
  for (std::int64_t o = 0; o < l.outer; ++o) {
    const float* xo = x + o * s_n * b;
    const float* go = g + o * s_n * b;
    if (b == 1) {
      const float m = shift[o];
      float acc_g = 0.0f, acc_gx = 0.0f;
#pragma omp simd reduction(+ : acc_g, acc_gx)
      for (std::int64_t s = 0; s < s_n; ++s) {
        acc_g += go[s];
        acc_gx += go[s] * (xo[s] - m);
      }
      sum_g[o] = acc_g;
      sum_gx[o] = acc_gx;
      continue;
    }
    float* ag = sum_g + o * b;
    float* agx = sum_gx + o * b;
    const float* m = shift + o * b;
    for (std::int64_t k = 0; k < b; ++k) ag[k] = agx[k] = 0.0f;
    for (std::int64_t s = 0; s < s_n; ++s) {
      const float* xr = xo + s * b;
      const float* gr = go + s * b;
#pragma omp simd
      for (std::int64_t k = 0; k < b; ++k) {
        ag[k] += gr[k];
        agx[k] += gr[k] * (xr[k] - m[k]);
      }
    }
  }
}

// out = a·(x - shift) + c, plus b·g when g != nullptr (backward: dx = b·g + a·(x - mu) + c)
void affine(const Layout& l, const float* x, const float* g, const float* shift, const float* a, const float* b,
            const float* c, float* out) {
  const std::int64_t s_n = l.spatial, blk = l.block;
  for (std::int64_t o = 0; o < l.outer; ++o) {
    const std::int64_t base = o * s_n * blk;
    if (blk == 1) {
      const float m = shift[o], ao = a[o], bo = g ? b[o] : 0.0f, co = c[o];
      if (g) {
#pragma omp simd
        for (std::int64_t s = 0; s < s_n; ++s) out[base + s] = bo * g[base + s] + ao * (x[base + s] - m) + co;
      } else {
#pragma omp simd
        for (std::int64_t s = 0; s < s_n; ++s) out[base + s] = ao * (x[base + s] - m) + co;
      }
      continue;
    }
    const float *m = shift + o * blk, *ao = a + o * blk, *co = c + o * blk;
    const float* bo = g ? b + o * blk : nullptr;
    for (std::int64_t s = 0; s < s_n; ++s) {
      const std::int64_t r = base + s * blk;
      if (g) {
#pragma omp simd
        for (std::int64_t k = 0; k < blk; ++k) out[r + k] = bo[k] * g[r + k] + ao[k] * (x[r + k] - m[k]) + co[k];
      } else {
#pragma omp simd
        for (std::int64_t k = 0; k < blk; ++k) out[r + k] = ao[k] * (x[r + k] - m[k]) + co[k];
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
  plan.layout = layout_of(src_md);
  plan.reorder_src = plan.layout.block == 0;
  plan.data_md = plan.reorder_src ? dnnl::memory::desc(dims, dt::f32, tag::nchw) : src_md;
  if (plan.reorder_src) plan.layout = layout_of(plan.data_md);
  plan.n = dims[0];
  plan.dst = Tensor(plan.data_md, ctx_);
  const auto per_channel = static_cast<std::size_t>(plan.layout.outer * plan.layout.block);  // N·Cpad
  const auto per_group = static_cast<std::size_t>(plan.n * groups_);
  plan.mean.assign(per_group, 0.0f);
  plan.rstd.assign(per_group, 0.0f);
  for (auto* v : {&plan.sums, &plan.shift, &plan.scale, &plan.bias}) v->assign(per_channel, 0.0f);
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
  const double m = static_cast<double>(group_size_ * l.spatial);  // values per group
  const float* gam = gamma.data();
  const float* bet = beta.data();

  // Two passes for the variance (mean first, then centered squares): exact enough in float even
  // when |mean| >> std, which one pass of Σx² - (Σx)²/m is not.
  channel_sums(l, plan.x, nullptr, plan.sums.data());
  for (std::int64_t n = 0; n < plan.n; ++n)
    for (std::int64_t j = 0; j < groups_; ++j) {
      double sum = 0;
      for (std::int64_t c = j * group_size_; c < (j + 1) * group_size_; ++c) sum += plan.sums[n * cpad + c];
      const auto mu = static_cast<float>(sum / m);
      plan.mean[n * groups_ + j] = mu;
      for (std::int64_t c = j * group_size_; c < (j + 1) * group_size_; ++c) plan.shift[n * cpad + c] = mu;
    }
  centered_squares(l, plan.x, plan.shift.data(), plan.sums.data());
  for (std::int64_t n = 0; n < plan.n; ++n)
    for (std::int64_t j = 0; j < groups_; ++j) {
      double sq = 0;
      for (std::int64_t c = j * group_size_; c < (j + 1) * group_size_; ++c) sq += plan.sums[n * cpad + c];
      const auto rstd = static_cast<float>(1.0 / std::sqrt(sq / m + eps_));
      plan.rstd[n * groups_ + j] = rstd;
      for (std::int64_t c = j * group_size_; c < (j + 1) * group_size_; ++c) {
        plan.scale[n * cpad + c] = gam[c] * rstd;
        plan.bias[n * cpad + c] = bet[c];
      }
    }
  // Padding channels of a blocked layout keep shift = scale = bias = 0, so their output stays 0.
  affine(l, plan.x, nullptr, plan.shift.data(), plan.scale.data(), nullptr, plan.bias.data(), plan.dst.data());
  return plan.dst;
}

const Tensor& GroupNormKernel::backward(const Tensor& diff_dst, bool need_diff_src, const Tensor& gamma,
                                        Tensor& dgamma, Tensor& dbeta) {
  if (train_.dst.empty() || !train_.x) throw Error(name_ + ": backward before a training forward");
  const Plan& plan = train_;
  const float* g = static_cast<const float*>(diff_dst_to_data_(diff_dst.mem(), plan.data_md, ctx_).get_data_handle());
  const Layout& l = plan.layout;
  const std::int64_t cpad = l.cblocks * l.block;
  const double m = static_cast<double>(group_size_ * l.spatial);
  const float* gam = gamma.data();

  grad_sums(l, g, plan.x, plan.shift.data(), sum_g_.data(), sum_gx_.data());
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
  affine(l, plan.x, g, plan.shift.data(), coef_x_.data(), coef_g_.data(), coef_1_.data(), diff_src_.data());
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
