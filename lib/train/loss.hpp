// Loss and accuracy of a network over a whole data set in fixed order (evaluation).
#pragma once

#include <algorithm>
#include <cstdint>

#include "data/dataset.hpp"
#include "layers/softmax_cross_entropy.hpp"
#include "model/memory_estimate.hpp"
#include "model/network.hpp"

namespace bnlab {

struct Evaluation {
  double loss = 0;      // mean cross-entropy
  double accuracy = 0;  // fraction of argmax hits
};

// Evaluates the first `limit` samples (all when limit <= 0) in chunks of `chunk` (the last may be
// short), in `mode` (Mode::eval uses running statistics, Mode::eval_batch_stats the statistics of each
// chunk; Mode::train would also move the running statistics and apply dropout).
// The loss is the mean over chunks of each chunk's mean loss weighted by its size; a chunk runs
// through the network in forwards of at most `batch` samples (kEvalChunk: activations that fit
// in a few MB, not hundreds), its loss summed across them row by row. In Mode::eval the numbers do
// not depend on `batch`; with batch statistics they are those of each forward, so the probes that
// use them pass batch == chunk.
class Evaluator {
 public:
  explicit Evaluator(std::int64_t chunk = 1000, std::int64_t batch = kEvalChunk)
      : chunk_(chunk), batch_(std::min(batch, chunk)) {}
  Evaluation operator()(Network& net, const Dataset& data, Mode mode, std::int64_t limit = 0);

 private:
  std::int64_t chunk_;
  std::int64_t batch_;
  Tensor input_;  // (batch, ...) reused between calls
  SoftmaxCrossEntropy loss_;
};

}  // namespace bnlab
