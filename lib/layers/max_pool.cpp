#include "layers/max_pool.hpp"

#include "core/errors.hpp"
#include "core/layout.hpp"
#include "core/output_buffer.hpp"
#include "core/runtime.hpp"

#include <algorithm>

#ifdef __SSE2__
#include <immintrin.h>
#endif

namespace bnlab {

namespace {
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
constexpr auto pooling_max = dnnl::algorithm::pooling_max;

}  // namespace

MaxPool2d::MaxPool2d(std::int64_t kernel, std::int64_t stride, Context& ctx)
    : Layer(ctx), kernel_(kernel), stride_(stride) {
  if (kernel_ < 1 || stride_ < 1)
    throw ShapeError("max_pool: kernel and stride must be >= 1, got kernel=" + std::to_string(kernel_) +
                     " stride=" + std::to_string(stride_));
}

void MaxPool2d::build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode) {
  const auto dims = src_md.dims();
  if (dims.size() != 4 || dims[2] < kernel_ || dims[3] < kernel_)
    throw ShapeError("max_pool: expected an (N, C, H, W) input with H, W >= " + std::to_string(kernel_) +
                     ", got " + to_string(dims));
  const auto& eng = ctx_.engine();
  const Dims dst_dims{dims[0], dims[1], (dims[2] - kernel_) / stride_ + 1, (dims[3] - kernel_) / stride_ + 1};
  const dnnl::memory::desc dst_any(dst_dims, dt::f32, tag::any);
  const Dims strides{stride_, stride_}, kernel{kernel_, kernel_}, no_pad{0, 0};

  if (mode == Mode::train) {
    const Layout layout = describe_layout(src_md);
    // Layouts with channel blocks of 4+ floats (nhwc, nChw8c, nChw16c) vectorize over the block;
    // nchw (block 1) was slower than oneDNN (bench: 26 ms forward against 17 at 256x32x28x28),
    // so it stays there.
    pool2x2_.on = kernel_ == 2 && stride_ == 2 && layout.known() && layout.block % 4 == 0;
    if (pool2x2_.on) {
      pool2x2_ = {true, layout.outer(), layout.block, dims[2], dims[3], dst_dims[2], dst_dims[3], {}};
      pool2x2_.argmax.assign(static_cast<std::size_t>(layout.outer() * dst_dims[2] * dst_dims[3] * layout.block), 0);
      const auto dst_md = layout_desc(dst_dims, layout.kind);  // src's layout, as oneDNN's pooling keeps it
      plan.src_md = src_md;
      plan.src = dnnl::memory(src_md, eng, nullptr);
      plan.dst = output_buffer(dst_md, ctx_);
      plan.impl = "bnlab:pool2x2";
      plan.fwd = Step();
      diff_dst_ = dnnl::memory(dst_md, eng, nullptr);
      diff_src_ = output_buffer(src_md, ctx_);
      bwd_ = Step();
      return;
    }
  }
  const auto kind = mode == Mode::train ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  const dnnl::pooling_forward::primitive_desc fwd_pd(
      {kind, pooling_max, src_md, dst_any, strides, kernel, no_pad, no_pad}, eng);
  plan.src_md = src_md;
  plan.src = dnnl::memory(src_md, eng, nullptr);
  plan.dst = output_buffer(fwd_pd.dst_desc(), ctx_);
  plan.impl = fwd_pd.impl_info_str();
  std::unordered_map<int, dnnl::memory> fwd_args{{DNNL_ARG_SRC, plan.src}, {DNNL_ARG_DST, plan.dst.mem()}};
  if (mode == Mode::train) {
    workspace_ = Tensor(fwd_pd.workspace_desc(), ctx_);
    fwd_args[DNNL_ARG_WORKSPACE] = workspace_.mem();
  }
  plan.fwd = Step(make_primitive<dnnl::pooling_forward>(fwd_pd), std::move(fwd_args));
  if (mode != Mode::train) return;

  const dnnl::pooling_backward::primitive_desc bwd_pd(
      {pooling_max, src_md, fwd_pd.dst_desc(), strides, kernel, no_pad, no_pad}, eng, fwd_pd);
  diff_dst_ = dnnl::memory(bwd_pd.diff_dst_desc(), eng, nullptr);
  diff_src_ = output_buffer(bwd_pd.diff_src_desc(), ctx_);
  bwd_ = Step(make_primitive<dnnl::pooling_backward>(bwd_pd),
              {{DNNL_ARG_DIFF_DST, diff_dst_}, {DNNL_ARG_DIFF_SRC, diff_src_.mem()},
               {DNNL_ARG_WORKSPACE, workspace_.mem()}});
}

const Tensor& MaxPool2d::forward(const Tensor& src, Mode mode) {
  Plan& plan = mode == Mode::train ? train_ : eval_;
  const bool built = mode == Mode::train && pool2x2_.on ? !plan.dst.empty() : !plan.fwd.empty();
  if (!built || src.desc() != plan.src_md) build(plan, src.desc(), mode);
  if (mode == Mode::train && pool2x2_.on) {
    forward_2x2(src.data(), plan.dst.data());
    return plan.dst;
  }
  plan.src.set_data_handle(src.data());
  plan.fwd.run(ctx_);
  return plan.dst;
}

void MaxPool2d::forward_2x2(const float* src, float* dst) {
  const Pool2x2& g = pool2x2_;
  const std::int64_t b = g.block;
  std::int32_t* argmax = pool2x2_.argmax.data();
  // Rows are independent: parallel over (outer, output row) with --threads threads (GCC builds).
#pragma omp parallel for collapse(2) schedule(static) if (g.outer * g.h * g.w * b >= kParallelFloats)
  for (std::int64_t o = 0; o < g.outer; ++o) {
    for (std::int64_t y = 0; y < g.oh; ++y) {
      const float* top = src + (o * g.h + 2 * y) * g.w * b;  // input rows 2y and 2y+1
      const float* bottom = top + g.w * b;
      float* out = dst + (o * g.oh + y) * g.ow * b;
      std::int32_t* arg = argmax + (o * g.oh + y) * g.ow * b;
      for (std::int64_t x = 0; x < g.ow; ++x) {
        const float *p0 = top + 2 * x * b, *p1 = p0 + b, *p2 = bottom + 2 * x * b, *p3 = p2 + b;
        float* d = out + x * b;
        std::int32_t* a = arg + x * b;
#pragma omp simd
        for (std::int64_t i = 0; i < b; ++i) {
          float m = p0[i];
          std::int32_t k = 0;
          if (p1[i] > m) { m = p1[i]; k = 1; }
          if (p2[i] > m) { m = p2[i]; k = 2; }
          if (p3[i] > m) { m = p3[i]; k = 3; }
          d[i] = m;
          a[i] = k;
        }
      }
    }
  }
}

void MaxPool2d::backward_2x2(const float* diff_dst, float* diff_src) const {
  const Pool2x2& g = pool2x2_;
  const std::int64_t b = g.block;
  const std::int32_t* argmax = g.argmax.data();
  [[maybe_unused]] const bool stream = b % 4 == 0 && g.outer * g.h * g.w * b * 4 > (std::int64_t{2} << 20);
  // Every diff_src element is written once: the window's max gets diff_dst, the other three 0;
  // a last odd row or column, in no window, gets 0.
#pragma omp parallel if (g.outer * g.h * g.w * b >= kParallelFloats)
  {
#pragma omp for schedule(static) nowait
  for (std::int64_t o = 0; o < g.outer; ++o) {
    for (std::int64_t y = 0; y < g.oh; ++y) {
      float* top = diff_src + (o * g.h + 2 * y) * g.w * b;
      float* bottom = top + g.w * b;
      const float* in = diff_dst + (o * g.oh + y) * g.ow * b;
      const std::int32_t* arg = argmax + (o * g.oh + y) * g.ow * b;
      for (std::int64_t x = 0; x < g.ow; ++x) {
        float *p0 = top + 2 * x * b, *p1 = p0 + b, *p2 = bottom + 2 * x * b, *p3 = p2 + b;
        const float* v = in + x * b;
        const std::int32_t* a = arg + x * b;
        std::int64_t i = 0;
#ifdef __SSE2__
        // Blocks of 4 floats with SSE2 compares (b % 4 == 0; 16-byte aligned: oneDNN buffers are
        // 64-byte aligned). Streaming stores when diff_src is larger than L2: it is written once
        // and not read again here, so skipping the read-for-ownership of its cache lines saves a
        // third of the memory traffic (halved the time at batch 256). Smaller, it stays in cache
        // for the next layer.
        if (b % 4 == 0) {
          for (; i < b; i += 4) {
            const __m128 value = _mm_loadu_ps(v + i);
            const __m128i where = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i));
            auto at = [&](int k) { return _mm_and_ps(value, _mm_castsi128_ps(_mm_cmpeq_epi32(where, _mm_set1_epi32(k)))); };
            if (stream) {
              _mm_stream_ps(p0 + i, at(0));
              _mm_stream_ps(p1 + i, at(1));
              _mm_stream_ps(p2 + i, at(2));
              _mm_stream_ps(p3 + i, at(3));
            } else {
              _mm_store_ps(p0 + i, at(0));
              _mm_store_ps(p1 + i, at(1));
              _mm_store_ps(p2 + i, at(2));
              _mm_store_ps(p3 + i, at(3));
            }
          }
        }
#endif
        for (; i < b; ++i) {  // v · [a == k], branch-free (a ternary did not vectorize)
          p0[i] = v[i] * static_cast<float>(a[i] == 0);
          p1[i] = v[i] * static_cast<float>(a[i] == 1);
          p2[i] = v[i] * static_cast<float>(a[i] == 2);
          p3[i] = v[i] * static_cast<float>(a[i] == 3);
        }
      }
      if (g.w > 2 * g.ow) {
        std::fill(top + 2 * g.ow * b, top + g.w * b, 0.0f);
        std::fill(bottom + 2 * g.ow * b, bottom + g.w * b, 0.0f);
      }
    }
    if (g.h > 2 * g.oh) {
      float* last = diff_src + (o * g.h + 2 * g.oh) * g.w * b;
      std::fill(last, last + g.w * b, 0.0f);
    }
  }
#ifdef __SSE2__
  _mm_sfence();  // each thread's streaming stores are visible before the next layer reads diff_src
#endif
  }
}

const Tensor& MaxPool2d::backward(const Tensor& diff_dst, bool need_diff_src) {
  if (bwd_.empty() && !(pool2x2_.on && !train_.dst.empty())) throw Error("max_pool: backward before a training forward");
  if (diff_dst.desc() != diff_dst_.get_desc())
    throw ShapeError("max_pool: diff_dst " + to_string(diff_dst.dims()) +
                     " does not have the descriptor of the dst forward returned");
  if (!need_diff_src) {  // no parameters: diff_src is all backward computes
    static const Tensor none;
    return none;
  }
  if (pool2x2_.on) {
    backward_2x2(diff_dst.data(), diff_src_.data());
    return diff_src_;
  }
  diff_dst_.set_data_handle(diff_dst.data());
  bwd_.run(ctx_);
  return diff_src_;
}

}  // namespace bnlab
