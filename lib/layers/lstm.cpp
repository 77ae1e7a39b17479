#include "layers/lstm.hpp"

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"
#include "layers/lstm_math.hpp"

namespace bnlab {

namespace {
using prop = dnnl::prop_kind;
using lstm_math::sz;

LstmNormKind gate_kind(LstmVariant v, bool input_path) {
  switch (v) {
    case LstmVariant::plain: return LstmNormKind::none;
    case LstmVariant::batch_input: return input_path ? LstmNormKind::batch_over_steps : LstmNormKind::none;
    case LstmVariant::batch: return LstmNormKind::batch_per_step;
    case LstmVariant::layer: return LstmNormKind::layer;
  }
  return LstmNormKind::none;
}

LstmNormOptions norm_options(const LstmOptions& o, LstmNormKind kind, std::int64_t width, bool beta) {
  const double gamma = o.variant == LstmVariant::batch ? o.batch_gamma_init : 1.0;
  return {kind, width, o.steps, beta, gamma, o.eps, o.momentum};
}

// A memory of `dims` (plain) onto someone else's buffer.
dnnl::memory view(const Dims& dims, float* data, const dnnl::engine& eng) {
  return dnnl::memory(plain_desc(dims), eng, data);
}
}  // namespace

struct Lstm::Plan {
  std::int64_t steps = 0, batch = 0;
  dnnl::memory::desc src_md;
  dnnl::memory x;            // (T·N, D)  handle onto the caller's src
  Tensor zx;                 // (T·N, 4H) W_x·x_t for every step, then Nx of it (in place)
  Tensor zh;                 // (N, 4H)   W_h·h_{t-1} of the current step, then Nh of it
  dnnl::memory h_prev;       // (N, H)    handle onto slot t of hs
  Tensor hs;                 // (T+1, N, H) slot t holds h_{t-1}; slot 0 stays 0
  std::vector<float> gates;  // (T or 1, N, 4H) i, f, g, o after their nonlinearities
  std::vector<float> cs;     // (T+1 or 2, N, H) slot t holds c_{t-1}; slot 0 starts at 0
  std::vector<float> tanh_c; // (T or 1, N, H) tanh(Nc(c_t))
  Tensor dst;                // a view of hs: h_{T-1} (N, H) or h_0..h_{T-1} (T, N, H)
  Step fwd_x, fwd_h;
  // Training only: what backward through time writes.
  dnnl::memory diff_dst;     // handle onto the caller's diff_dst
  Tensor d_gates;            // (T·N, 4H) dL/da_t, then dL/d(W_x·x_t) after Nx's backward (in place)
  Tensor d_zh;               // (T·N, 4H) dL/d(W_h·h_{t-1}) (used only when Nh is active)
  dnnl::memory d_zh_step;    // (N, 4H) handle onto slot t of d_zh or d_gates
  Tensor dh_rec;             // (N, H) dL/dh_{t-1} through W_h
  std::vector<float> dh, dc_next, dcn;  // (N, H)
  Tensor diff_src;           // (T, N, D)
  Step bwd_h_data, bwd_h_weights, bwd_x_data, bwd_x_weights;
};

Lstm::Lstm(const LstmOptions& o, Context& ctx)
    : Layer(ctx),
      options_(o),
      norm_x_("ih", norm_options(o, gate_kind(o.variant, true), 4 * o.hidden, false), ctx),
      norm_h_("hh", norm_options(o, gate_kind(o.variant, false), 4 * o.hidden, false), ctx),
      norm_c_("cell", norm_options(o, gate_kind(o.variant, false), o.hidden, true), ctx) {
  if (o.input < 1 || o.hidden < 1 || o.steps < 1) throw ShapeError("lstm: input, hidden and steps must be >= 1");
  const auto h4 = 4 * o.hidden;
  w_x_ = {"weight_ih", Tensor::plain({h4, o.input}, ctx), Tensor::plain({h4, o.input}, ctx), true};
  w_h_ = {"weight_hh", Tensor::plain({h4, o.hidden}, ctx), Tensor::plain({h4, o.hidden}, ctx), true};
  bias_ = {"bias", Tensor::plain({h4}, ctx), Tensor::plain({h4}, ctx), false};
  Rng rng(derive_seed(o.seed, 0x157));
  const double a = 1.0 / std::sqrt(static_cast<double>(o.hidden));
  for (Param* p : {&w_x_, &w_h_}) {
    std::vector<float> w(sz(p->value.numel()));
    for (auto& v : w) v = static_cast<float>(rng.uniform(-a, a));
    p->value.from_vector(w);
  }
  std::vector<float> b(sz(h4), 0.0f);
  std::fill(b.begin() + o.hidden, b.begin() + 2 * o.hidden, 1.0f);  // forget gate
  bias_.value.from_vector(b);
}

Lstm::~Lstm() = default;

std::vector<Param*> Lstm::params() {
  std::vector<Param*> out{&w_x_, &w_h_, &bias_};
  for (LstmNorm* n : {&norm_x_, &norm_h_, &norm_c_})
    for (Param* p : n->params()) out.push_back(p);
  return out;
}

std::vector<Buffer> Lstm::buffers() {
  std::vector<Buffer> out;
  for (LstmNorm* n : {&norm_x_, &norm_h_, &norm_c_})
    for (const Buffer& b : n->buffers()) out.push_back(b);
  return out;
}

void Lstm::build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode) {
  const auto dims = src_md.dims();
  if (dims.size() != 3 || dims[2] != options_.input || src_md != plain_desc(dims))
    throw ShapeError("lstm: expected a plain time-major (T, N, " + std::to_string(options_.input) + ") input, got " +
                     to_string(dims));
  const bool train = mode == Mode::train;
  const auto t_len = dims[0], n = dims[1], d = options_.input, h = options_.hidden, h4 = 4 * h;
  if (train && options_.variant == LstmVariant::batch && t_len > options_.steps)
    throw ShapeError("lstm: a training sequence of " + std::to_string(t_len) + " steps is longer than the " +
                     std::to_string(options_.steps) + " steps BN-LSTM keeps statistics for");
  const auto& eng = ctx_.engine();
  const auto kind = train ? prop::forward_training : prop::forward_inference;
  plan = Plan{};
  plan.steps = t_len;
  plan.batch = n;
  plan.src_md = src_md;
  plan.x = dnnl::memory(plain_desc({t_len * n, d}), eng, nullptr);
  plan.zx = Tensor::plain({t_len * n, h4}, ctx_);
  plan.zh = Tensor::plain({n, h4}, ctx_);
  plan.hs = Tensor::plain({t_len + 1, n, h}, ctx_);
  plan.h_prev = dnnl::memory(plain_desc({n, h}), eng, nullptr);
  const auto slots = train ? t_len : 1;
  plan.gates.assign(sz(slots * n * h4), 0.0f);
  plan.cs.assign(sz((train ? t_len + 1 : 2) * n * h), 0.0f);
  plan.tanh_c.assign(sz(slots * n * h), 0.0f);
  plan.dst = options_.return_sequence ? Tensor(view({t_len, n, h}, plan.hs.data() + n * h, eng))
                                      : Tensor(view({n, h}, plan.hs.data() + t_len * n * h, eng));

  const dnnl::inner_product_forward::primitive_desc x_pd({kind, plan.x.get_desc(), w_x_.value.desc(), plan.zx.desc()},
                                                         eng);
  plan.fwd_x = Step(make_primitive<dnnl::inner_product_forward>(x_pd),
                    {{DNNL_ARG_SRC, plan.x}, {DNNL_ARG_WEIGHTS, w_x_.value.mem()}, {DNNL_ARG_DST, plan.zx.mem()}});
  const dnnl::inner_product_forward::primitive_desc h_pd(
      {kind, plan.h_prev.get_desc(), w_h_.value.desc(), plan.zh.desc()}, eng);
  plan.fwd_h = Step(make_primitive<dnnl::inner_product_forward>(h_pd),
                    {{DNNL_ARG_SRC, plan.h_prev}, {DNNL_ARG_WEIGHTS, w_h_.value.mem()}, {DNNL_ARG_DST, plan.zh.mem()}});
  if (!train) return;

  norm_x_.reserve(norm_x_.kind() == LstmNormKind::batch_per_step ? t_len : 1,
                  norm_x_.kind() == LstmNormKind::batch_per_step ? n : t_len * n);
  norm_h_.reserve(t_len, n);
  norm_c_.reserve(t_len, n);
  plan.diff_dst = dnnl::memory(plan.dst.desc(), eng, nullptr);
  plan.d_gates = Tensor::plain({t_len * n, h4}, ctx_);
  if (norm_h_.active()) plan.d_zh = Tensor::plain({t_len * n, h4}, ctx_);
  const Tensor& d_zh = norm_h_.active() ? plan.d_zh : plan.d_gates;
  plan.d_zh_step = dnnl::memory(plain_desc({n, h4}), eng, nullptr);
  plan.dh_rec = Tensor::plain({n, h}, ctx_);
  plan.dh.assign(sz(n * h), 0.0f);
  plan.dc_next.assign(sz(n * h), 0.0f);
  plan.dcn.assign(sz(n * h), 0.0f);
  plan.diff_src = Tensor(src_md, ctx_);

  const dnnl::inner_product_backward_data::primitive_desc h_data_pd(
      {plan.h_prev.get_desc(), w_h_.value.desc(), plan.zh.desc()}, eng, h_pd);
  plan.bwd_h_data = Step(make_primitive<dnnl::inner_product_backward_data>(h_data_pd),
                         {{DNNL_ARG_DIFF_DST, plan.d_zh_step}, {DNNL_ARG_WEIGHTS, w_h_.value.mem()},
                          {DNNL_ARG_DIFF_SRC, plan.dh_rec.mem()}});
  // dW_h = Σ_t dzh_tᵀ·h_{t-1}: one product over the T·N rows of hs slots 0..T-1.
  const auto hs_prev = view({t_len * n, h}, plan.hs.data(), eng);
  const dnnl::inner_product_forward::primitive_desc h_all_pd(
      {kind, hs_prev.get_desc(), w_h_.value.desc(), d_zh.desc()}, eng);
  const dnnl::inner_product_backward_weights::primitive_desc h_weights_pd(
      {hs_prev.get_desc(), w_h_.value.desc(), d_zh.desc()}, eng, h_all_pd);
  plan.bwd_h_weights = Step(make_primitive<dnnl::inner_product_backward_weights>(h_weights_pd),
                            {{DNNL_ARG_SRC, hs_prev}, {DNNL_ARG_DIFF_DST, d_zh.mem()},
                             {DNNL_ARG_DIFF_WEIGHTS, w_h_.grad.mem()}});
  const dnnl::inner_product_backward_weights::primitive_desc x_weights_pd(
      {plan.x.get_desc(), w_x_.value.desc(), plan.d_gates.desc()}, eng, x_pd);
  plan.bwd_x_weights = Step(make_primitive<dnnl::inner_product_backward_weights>(x_weights_pd),
                            {{DNNL_ARG_SRC, plan.x}, {DNNL_ARG_DIFF_DST, plan.d_gates.mem()},
                             {DNNL_ARG_DIFF_WEIGHTS, w_x_.grad.mem()}});
  const dnnl::inner_product_backward_data::primitive_desc x_data_pd(
      {plan.x.get_desc(), w_x_.value.desc(), plan.d_gates.desc()}, eng, x_pd);
  plan.bwd_x_data = Step(make_primitive<dnnl::inner_product_backward_data>(x_data_pd),
                         {{DNNL_ARG_DIFF_DST, plan.d_gates.mem()}, {DNNL_ARG_WEIGHTS, w_x_.value.mem()},
                          {DNNL_ARG_DIFF_SRC, view({t_len * n, d}, plan.diff_src.data(), eng)}});
}

const Tensor& Lstm::forward(const Tensor& src, Mode mode) {
  auto& slot = mode == Mode::train ? train_ : eval_;
  if (!slot) slot = std::make_unique<Plan>();
  Plan& plan = *slot;
  if (plan.fwd_x.empty() || src.desc() != plan.src_md) build(plan, src.desc(), mode);
  const auto t_len = plan.steps, n = plan.batch, h4 = 4 * options_.hidden;
  plan.x.set_data_handle(src.data());
  std::fill(plan.cs.begin(), plan.cs.begin() + n * options_.hidden, 0.0f);  // c_{-1} (eval reuses slot 0)
  plan.fwd_x.run(ctx_);
  float* zx = plan.zx.data();
  if (norm_x_.kind() == LstmNormKind::batch_per_step) {
    for (std::int64_t t = 0; t < t_len; ++t) norm_x_.forward(zx + t * n * h4, zx + t * n * h4, n, t, t, mode);
  } else {
    norm_x_.forward(zx, zx, t_len * n, 0, 0, mode);
  }
  for (std::int64_t t = 0; t < t_len; ++t) step_forward(plan, t, mode);
  return plan.dst;
}

// One step of the recurrence: zh = W_h·h_{t-1}, the gates, c_t and h_t.
void Lstm::step_forward(Plan& plan, std::int64_t t, Mode mode) {
  const bool train = mode == Mode::train;
  const auto n = plan.batch, h = options_.hidden, h4 = 4 * h;
  float* h_prev = plan.hs.data() + t * n * h;
  plan.h_prev.set_data_handle(h_prev);
  plan.fwd_h.run(ctx_);
  float* zh = plan.zh.data();
  norm_h_.forward(zh, zh, n, t, t, mode);
  const float* zx = plan.zx.data() + t * n * h4;
  const float* b = bias_.value.data();
  float* gates = plan.gates.data() + (train ? t : 0) * n * h4;
  const float* c_prev = plan.cs.data() + (train ? t : t % 2) * n * h;
  float* c = plan.cs.data() + (train ? t + 1 : (t + 1) % 2) * n * h;
  float* tanh_c = plan.tanh_c.data() + (train ? t : 0) * n * h;
  for (std::int64_t r = 0; r < n; ++r) {
    const float* ax = zx + r * h4;
    const float* ah = zh + r * h4;
    float* g = gates + r * h4;
    const float* cp = c_prev + r * h;
    float* cr = c + r * h;
#pragma omp simd
    for (std::int64_t j = 0; j < h; ++j) {
      const float i_gate = lstm_math::sigmoid(ax[j] + ah[j] + b[j]);
      const float f_gate = lstm_math::sigmoid(ax[h + j] + ah[h + j] + b[h + j]);
      const float g_cand = lstm_math::tanh(ax[2 * h + j] + ah[2 * h + j] + b[2 * h + j]);
      const float o_gate = lstm_math::sigmoid(ax[3 * h + j] + ah[3 * h + j] + b[3 * h + j]);
      g[j] = i_gate;
      g[h + j] = f_gate;
      g[2 * h + j] = g_cand;
      g[3 * h + j] = o_gate;
      cr[j] = f_gate * cp[j] + i_gate * g_cand;
    }
  }
  norm_c_.forward(c, tanh_c, n, t, t, mode);
  float* h_next = plan.hs.data() + (t + 1) * n * h;
  for (std::int64_t r = 0; r < n; ++r) {
    float* tc = tanh_c + r * h;
    const float* o_gate = gates + r * h4 + 3 * h;
    float* hr = h_next + r * h;
#pragma omp simd
    for (std::int64_t j = 0; j < h; ++j) {
      tc[j] = lstm_math::tanh(tc[j]);
      hr[j] = o_gate[j] * tc[j];
    }
  }
}

const Tensor& Lstm::backward(const Tensor& diff_dst, bool need_diff_src) {
  if (!train_ || train_->bwd_x_weights.empty()) throw Error("lstm: backward before a training forward");
  Plan& plan = *train_;
  const auto t_len = plan.steps, n = plan.batch, h4 = 4 * options_.hidden;
  std::fill(bias_.grad.data(), bias_.grad.data() + h4, 0.0f);  // (Tensor::fill allocates)
  for (LstmNorm* norm : {&norm_x_, &norm_h_, &norm_c_}) norm->zero_grads();
  std::fill(plan.dh_rec.data(), plan.dh_rec.data() + n * options_.hidden, 0.0f);
  std::fill(plan.dc_next.begin(), plan.dc_next.end(), 0.0f);
  for (std::int64_t t = t_len - 1; t >= 0; --t) step_backward(t, diff_dst.data());

  plan.bwd_h_weights.run(ctx_);
  float* dzx = plan.d_gates.data();
  if (norm_x_.kind() == LstmNormKind::batch_per_step) {
    for (std::int64_t t = 0; t < t_len; ++t) norm_x_.backward(dzx + t * n * h4, dzx + t * n * h4, n, t);
  } else {
    norm_x_.backward(dzx, dzx, t_len * n, 0);
  }
  plan.bwd_x_weights.run(ctx_);
  if (!need_diff_src) {
    static const Tensor none;
    return none;
  }
  plan.bwd_x_data.run(ctx_);
  return plan.diff_src;
}

// Step t of backpropagation through time: from dL/dh_t (diff_dst's share plus what flowed back
// from step t+1) and dL/dc_t (from step t+1) to dL/da_t, dL/dh_{t-1} and dL/dc_{t-1}.
void Lstm::step_backward(std::int64_t t, const float* diff_dst) {
  Plan& plan = *train_;
  const auto t_len = plan.steps, n = plan.batch, h = options_.hidden, h4 = 4 * h;
  const float* gates = plan.gates.data() + t * n * h4;
  const float* tanh_c = plan.tanh_c.data() + t * n * h;
  const float* c_prev = plan.cs.data() + t * n * h;
  const float* dh_rec = plan.dh_rec.data();
  const float* dh_out = options_.return_sequence ? diff_dst + t * n * h : (t == t_len - 1 ? diff_dst : nullptr);
  float* dh = plan.dh.data();
  float* dcn = plan.dcn.data();
  for (std::int64_t r = 0; r < n; ++r) {
    const float* o_gate = gates + r * h4 + 3 * h;
    const std::int64_t row = r * h;
#pragma omp simd
    for (std::int64_t j = 0; j < h; ++j) {
      const std::int64_t k = row + j;
      dh[k] = dh_rec[k] + (dh_out ? dh_out[k] : 0.0f);
      dcn[k] = dh[k] * o_gate[j] * (1.0f - tanh_c[k] * tanh_c[k]);
    }
  }
  norm_c_.backward(dcn, dcn, n, t);
  float* da = plan.d_gates.data() + t * n * h4;
  float* db = bias_.grad.data();
  float* dc_next = plan.dc_next.data();
  for (std::int64_t r = 0; r < n; ++r) {
    const float* g = gates + r * h4;
    float* d = da + r * h4;
#pragma omp simd
    for (std::int64_t j = 0; j < h; ++j) {
      const std::int64_t k = r * h + j;
      const float i_gate = g[j], f_gate = g[h + j], g_cand = g[2 * h + j], o_gate = g[3 * h + j];
      const float dc = dcn[k] + dc_next[k];
      d[j] = dc * g_cand * i_gate * (1.0f - i_gate);
      d[h + j] = dc * c_prev[k] * f_gate * (1.0f - f_gate);
      d[2 * h + j] = dc * i_gate * (1.0f - g_cand * g_cand);
      d[3 * h + j] = dh[k] * tanh_c[k] * o_gate * (1.0f - o_gate);
      dc_next[k] = dc * f_gate;
    }
    for (std::int64_t j = 0; j < h4; ++j) db[j] += d[j];
  }
  float* dzh = da;
  if (norm_h_.active()) {
    dzh = plan.d_zh.data() + t * n * h4;
    norm_h_.backward(da, dzh, n, t);
  }
  if (t == 0) return;  // h_{-1} is a constant
  plan.d_zh_step.set_data_handle(dzh);
  plan.bwd_h_data.run(ctx_);
}

}  // namespace bnlab
