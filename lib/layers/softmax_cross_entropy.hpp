// Softmax cross-entropy over K classes: the classifier's loss (PyTorch's CrossEntropyLoss with
// mean reduction). Not a Layer: it takes the labels.
//   log p[n,k] = z[n,k] - log Σ_j exp(z[n,j])     (oneDNN logsoftmax along axis 1, stable)
//   loss       = -(1/N) Σ_n log p[n, label_n]
//   backward:  dL/dz[n,k] = (p[n,k] - [k == label_n]) / N
// correct() counts the rows whose argmax (the first maximum, like torch.argmax) is the label.
// Shapes: logits (N, K) plain row-major; labels N int32 in [0, K).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/tensor.hpp"

namespace bnlab {

class SoftmaxCrossEntropy {
 public:
  explicit SoftmaxCrossEntropy(Context& ctx = default_context());
  SoftmaxCrossEntropy(const SoftmaxCrossEntropy&) = delete;
  SoftmaxCrossEntropy& operator=(const SoftmaxCrossEntropy&) = delete;

  // Mean loss over the batch; keeps log p and the labels for backward(). A label outside
  // [0, K) throws ShapeError naming it.
  double forward(const Tensor& logits, const std::int32_t* labels);
  // Like forward, but returns `sum` plus this batch's summed loss Σ_n -log p[n, label_n], added row
  // by row: a sum continued across batches has the same bits however the rows are split into them.
  double add_loss(const Tensor& logits, const std::int32_t* labels, double sum);
  // Rows of the last forward whose argmax equals the label.
  std::int64_t correct() const { return correct_; }
  // dL/dlogits of the last forward, (N, K) plain; owned, valid until the next backward.
  const Tensor& backward();
  const Tensor& log_probs() const { return log_probs_; }

 private:
  void build(const dnnl::memory::desc& logits_md);

  Context& ctx_;
  dnnl::memory::desc logits_md_;
  std::int64_t n_ = 0, k_ = 0;       // batch size, classes
  dnnl::memory logits_;              // (N, K)  handle onto the caller's logits
  Tensor log_probs_;                 // (N, K)  log-softmax of the last forward
  Tensor diff_logits_;               // (N, K)
  std::vector<std::int32_t> labels_; // (N)     labels of the last forward
  std::int64_t correct_ = 0;
  bool has_forward_ = false;
  Step fwd_;
};

}  // namespace bnlab
