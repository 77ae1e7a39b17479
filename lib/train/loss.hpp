// Loss and accuracy of a network over a whole data set in fixed order (evaluation).
#pragma once

#include <cstdint>

#include "data/dataset.hpp"
#include "layers/softmax_cross_entropy.hpp"
#include "model/network.hpp"

namespace bnlab {

struct Evaluation {
  double loss = 0;      // mean cross-entropy
  double accuracy = 0;  // fraction of argmax hits
};

// Evaluates the first `limit` samples (all when limit <= 0) in chunks of `chunk` (the last may be
// short), in `mode` (Mode::eval uses running statistics, Mode::eval_batch_stats the statistics of each
// chunk; Mode::train would also move the running statistics and apply dropout).
class Evaluator {
 public:
  explicit Evaluator(std::int64_t chunk = 1000) : chunk_(chunk) {}
  Evaluation operator()(Network& net, const Dataset& data, Mode mode, std::int64_t limit = 0);

 private:
  std::int64_t chunk_;
  Tensor input_;  // (chunk, ...) reused between calls
  SoftmaxCrossEntropy loss_;
};

}  // namespace bnlab
