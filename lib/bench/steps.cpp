// bench, section "steps": the reference models' training step (forward, softmax cross-entropy,
// backward, SGD update with momentum — what Trainer times as ms_per_step, minus the batch copy)
// and inference batch (forward with running statistics), on a fixed random batch.
// FLOP per call: batch · model_flops (bench/reference_models.hpp).
#include "bench/reference_models.hpp"
#include "bench/sections.hpp"
#include "core/random.hpp"
#include "layers/softmax_cross_entropy.hpp"
#include "model/builder.hpp"
#include "train/sgd.hpp"

namespace bnlab::bench_detail {

// The update runs with learning rate 0: the same arithmetic as any rate, but the weights stay at
// their initialization, so every repeat times the same network. With a real rate, thousands of
// steps on one fixed batch memorize it (the loss and the gradients head to 0, or diverge at a
// large rate), which real training on fresh batches never sees.

void run_steps(const BenchOptions& o, const Emit& emit) {
  for (const int threads : o.threads) {
    set_num_threads(threads);
    for (const auto& model_name : o.models) {
      for (const auto& norm : o.norms) {
        const ModelConfig model = reference_model(model_name, norm);
        const ModelFlops flops = model_flops(model, kReferenceInputShape, kReferenceClasses);
        for (const auto batch : o.batches) {
          auto net = build_model(model, NormConfig{}, InitConfig{}, kReferenceInputShape, kReferenceClasses, 1);
          Tensor input = Tensor::plain(net->input_dims(batch));
          Rng rng(static_cast<std::uint64_t>(batch));
          std::vector<float> pixels(static_cast<std::size_t>(input.numel()));
          for (auto& p : pixels) p = static_cast<float>(rng.normal());
          input.from_vector(pixels);
          std::vector<std::int32_t> labels(static_cast<std::size_t>(batch));
          for (auto& l : labels) l = static_cast<std::int32_t>(rng.below(kReferenceClasses));
          Sgd sgd(net->params(), 0.9, 0.0);
          SoftmaxCrossEntropy loss;

          BenchRow row;
          row.section = "steps";
          row.model = model_name;
          row.norm = norm;
          row.shape = shape_text(input.dims());
          row.batch = batch;
          row.threads = threads;
          row.name = "train_step";
          row.flops = flops.train_step * static_cast<double>(batch);
          row.timing = measure(
              [&] {
                loss.forward(net->forward(input, Mode::train), labels.data());
                net->backward(loss.backward());
                sgd.step(0.0);  // the same work as any rate; rate 0: see above
              },
              o.timing);
          emit(row);
          row.name = "infer_batch";
          row.flops = flops.forward * static_cast<double>(batch);
          row.timing = measure([&] { net->forward(input, Mode::eval); }, o.timing);
          emit(row);
        }
      }
    }
  }
}

}  // namespace bnlab::bench_detail
