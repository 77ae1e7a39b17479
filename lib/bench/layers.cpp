// bench, section "layers": batch norm on the shapes of the study networks, alone and with ReLU
// (fused into the BN primitive, or a separate eltwise layer), through bnlab's own layers — what
// a training step pays, layout handling included.
//   shapes: the cnn's conv outputs (N,32,28,28), (N,64,14,14) in nChw16c (what convolution picks
//           for training on AVX-512), nhwc, and nchw (plain; the layer reorders it to nhwc);
//           the 2-D outputs (N,128) of the cnn's fc layer and (N,100) of the mlp, plain (nc).
//   ops:    fwd_train, bwd, fwd_bwd (a training step's share), infer (running statistics).
// Max pooling 2x2 (what follows BN+ReLU in the cnn) on the 4-D shapes, for comparison: bytes
// are S + S/4 forward (src in, dst out), S/4 + S backward.
// Bytes per call are the least a kernel must move: each tensor read or written once (S = tensor
// size): forward and inference 2·S (src in, dst out), backward 3·S (src, diff_dst in, diff_src
// out), both 5·S; the ReLU mask and the statistics are small and not counted. The same bytes are
// used for the fused and the separate ReLU, so their rows compare the same work.
#include <memory>

#include "bench/sections.hpp"
#include "core/random.hpp"
#include "layers/batch_norm.hpp"
#include "layers/eltwise.hpp"
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

// BN, optionally followed by ReLU: fused into BN or a separate layer.
struct NormBlock {
  std::unique_ptr<BatchNorm> bn;
  std::unique_ptr<Eltwise> relu;  // separate ReLU, or null

  NormBlock(std::int64_t channels, const std::string& variant)
      : bn(std::make_unique<BatchNorm>(channels, BatchNormOptions{.relu = variant == "bn_relu_fused"})),
        relu(variant == "bn_relu_separate" ? std::make_unique<Eltwise>("relu") : nullptr) {}
  const Tensor& forward(const Tensor& src, Mode mode) {
    const Tensor& y = bn->forward(src, mode);
    return relu ? relu->forward(y, mode) : y;
  }
  void backward(const Tensor& diff_dst) { bn->backward(relu ? relu->backward(diff_dst) : diff_dst); }
};

}  // namespace

void run_layers(const BenchOptions& o, const Emit& emit) {
  for (const int threads : o.threads) {
    set_num_threads(threads);
    for (const auto n : o.layer_batches) {
      for (const auto& shape : study_shapes(n)) {
        const Tensor src = random_tensor(layout_desc(shape.dims, shape.layout), 1);
        const double size = static_cast<double>(src.numel()) * sizeof(float);
        for (const char* variant : {"bn", "bn_relu_fused", "bn_relu_separate"}) {
          NormBlock block(shape.dims[1], variant);
          const Tensor diff_dst = random_tensor(block.forward(src, Mode::train).desc(), 2);
          BenchRow row;
          row.section = "layers";
          row.layout = shape.layout == "plain" ? "nc" : shape.layout;
          row.shape = shape_text(shape.dims);
          row.batch = n;
          row.threads = threads;
          auto time = [&](const std::string& op, double bytes, const std::function<void()>& fn) {
            row.name.assign(variant).append("_").append(op);  // (not operator+: GCC 12 warns falsely)
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
