// bench, section "layers": the norms on the shapes of the study networks, alone and with ReLU
// (fused, or a separate eltwise layer), through bnlab's own layers — what a training step pays,
// layout handling included.
//   shapes: the cnn's conv outputs (N,32,28,28), (N,64,14,14) in nChw16c (what convolution picks
//           for training on AVX-512), nhwc, and nchw (plain; BN reorders it to nhwc);
//           the 2-D outputs (N,128) of the cnn's fc layer and (N,100) of the mlp, plain (nc).
//   norms:  bn (batch norm; fused ReLU = oneDNN's fuse_norm_relu), gn (group norm, groups of 4
//           channels as model.norm=group trains by default; fused ReLU in its kernel), ln (layer
//           norm: oneDNN's primitive on 2-D, the group norm kernel with one group on 4-D).
//   ops:    fwd_train, bwd, fwd_bwd (a training step's share), infer (running statistics).
// Max pooling 2x2 (what follows the norm and ReLU in the cnn) on the 4-D shapes, for comparison:
// bytes are S + S/4 forward (src in, dst out), S/4 + S backward.
// Bytes per call are the least a kernel must move: each tensor read or written once (S = tensor
// size): forward and inference 2·S (src in, dst out), backward 3·S (src, diff_dst in, diff_src
// out), both 5·S; the ReLU mask and the statistics are small and not counted. The same bytes are
// used for the fused and the separate ReLU, so their rows compare the same work.
#include <memory>

#include "bench/sections.hpp"
#include "core/random.hpp"
#include "layers/batch_norm.hpp"
#include "layers/eltwise.hpp"
#include "layers/group_norm_kernel.hpp"
#include "layers/layer_norm.hpp"
#include "layers/max_pool.hpp"

namespace bnlab::bench_detail {

namespace {

struct Shape {
  Dims dims;
  std::string layout;
};

std::vector<Shape> study_shapes(std::int64_t n) {
  std::vector<Shape> shapes;
  for (const Dims& dims : {Dims{n, 32, 28, 28}, Dims{n, 64, 14, 14}})
    for (const char* layout : {"nChw16c", "nhwc", "nchw"}) shapes.push_back({dims, layout});
  shapes.push_back({{n, 128}, "plain"});
  shapes.push_back({{n, 100}, "plain"});
  return shapes;
}

Tensor random_tensor(const dnnl::memory::desc& md, std::uint64_t seed) {
  Tensor t(md);
  Rng rng(seed);
  std::vector<float> values(static_cast<std::size_t>(t.numel()));
  for (auto& v : values) v = static_cast<float>(rng.normal());
  t.from_vector(values);
  return t;
}

// A norm ("bn", "gn", "ln"), optionally followed by ReLU: fused into the norm or a separate layer.
class NormBlock {
 public:
  NormBlock(const std::string& norm, std::int64_t channels, const std::string& relu)
      : fused_(relu == "fused"), relu_(relu == "separate" ? std::make_unique<Eltwise>("relu") : nullptr) {
    if (norm == "bn") bn_ = std::make_unique<BatchNorm>(channels, BatchNormOptions{.relu = fused_});
    if (norm == "ln") ln_ = std::make_unique<LayerNorm>(channels);
    if (norm == "gn") {
      gn_ = std::make_unique<GroupNormKernel>("group_norm", channels, GroupNormOptions{}.group_size,
                                              GroupNormOptions{}.eps);
      for (auto* t : {&gamma_, &beta_, &dgamma_, &dbeta_}) *t = Tensor::plain({channels});
      gamma_.fill(1.0f);
    }
  }
  const Tensor& forward(const Tensor& src, Mode mode) {
    const Tensor& y = bn_ ? bn_->forward(src, mode)
                      : ln_ ? ln_->forward(src, mode)
                            : gn_->forward(src, mode, gamma_, beta_, fused_);
    return relu_ ? relu_->forward(y, mode) : y;
  }
  void backward(const Tensor& diff_dst) {
    const Tensor& g = relu_ ? relu_->backward(diff_dst) : diff_dst;
    if (bn_) bn_->backward(g);
    else if (ln_) ln_->backward(g);
    else gn_->backward(g, true, gamma_, dgamma_, dbeta_);
  }

 private:
  bool fused_;
  std::unique_ptr<Eltwise> relu_;
  std::unique_ptr<BatchNorm> bn_;
  std::unique_ptr<LayerNorm> ln_;
  std::unique_ptr<GroupNormKernel> gn_;
  Tensor gamma_, beta_, dgamma_, dbeta_;  // (C) group norm's affine and its gradients
};

// Row name prefix and block set-up of each timed variant.
struct Variant {
  const char* name;
  const char* norm;
  const char* relu;  // "", "fused", "separate"
};
constexpr Variant kVariants[] = {
    {"bn", "bn", ""}, {"bn_relu_fused", "bn", "fused"}, {"bn_relu_separate", "bn", "separate"},
    {"gn", "gn", ""}, {"gn_relu_fused", "gn", "fused"}, {"gn_relu_separate", "gn", "separate"},
    {"ln", "ln", ""},
};

}  // namespace

void run_layers(const BenchOptions& o, const Emit& emit) {
  for (const int threads : o.threads) {
    set_num_threads(threads);
    for (const auto n : o.layer_batches) {
      for (const auto& shape : study_shapes(n)) {
        const Tensor src = random_tensor(layout_desc(shape.dims, shape.layout), 1);
        const double size = static_cast<double>(src.numel()) * sizeof(float);
        for (const auto& variant : kVariants) {
          NormBlock block(variant.norm, shape.dims[1], variant.relu);
          const Tensor diff_dst = random_tensor(block.forward(src, Mode::train).desc(), 2);
          BenchRow row;
          row.section = "layers";
          row.layout = shape.layout == "plain" ? "nc" : shape.layout;
          row.shape = shape_text(shape.dims);
          row.batch = n;
          row.threads = threads;
          auto time = [&](const std::string& op, double bytes, const std::function<void()>& fn) {
            row.name.assign(variant.name).append("_").append(op);  // (not operator+: GCC 12 warns falsely)
            row.bytes = bytes;
            row.timing = measure(fn, o.timing);
            emit(row);
          };
          time("fwd_train", 2 * size, [&] { block.forward(src, Mode::train); });
          time("bwd", 3 * size, [&] { block.backward(diff_dst); });
          time("fwd_bwd", 5 * size, [&] {
            block.forward(src, Mode::train);
            block.backward(diff_dst);
          });
          time("infer", 2 * size, [&] { block.forward(src, Mode::eval); });
        }
        if (shape.dims.size() == 4) {
          MaxPool2d pool(2, 2);
          const Tensor diff_dst = random_tensor(pool.forward(src, Mode::train).desc(), 3);
          BenchRow row;
          row.section = "layers";
          row.layout = shape.layout;
          row.shape = shape_text(shape.dims);
          row.batch = n;
          row.threads = threads;
          const std::pair<const char*, std::function<void()>> ops[] = {
              {"maxpool_fwd_train", [&] { pool.forward(src, Mode::train); }},
              {"maxpool_bwd", [&] { pool.backward(diff_dst); }},
              {"maxpool_infer", [&] { pool.forward(src, Mode::eval); }}};
          for (const auto& [name, fn] : ops) {
            row.name = name;
            row.bytes = 1.25 * size;
            row.timing = measure(fn, o.timing);
            emit(row);
          }
        }
      }
    }
  }
}

}  // namespace bnlab::bench_detail
