// The trainer's observer interface: probes (lib/probes/) and progress reporting plug in here.
// An observer sees the network, the current batch and the optimizer at fixed points of each
// step. It must leave the training trajectory unchanged: anything it perturbs (weights,
// velocities, running statistics) it restores exactly before returning.
#pragma once

#include <cstdint>
#include <limits>

#include "layers/softmax_cross_entropy.hpp"
#include "model/network.hpp"
#include "train/sgd.hpp"

namespace bnlab {

struct EvalPoint {
  std::int64_t step = 0;      // training steps done
  double epoch = 0;           // epochs done (samples seen / samples per epoch)
  std::int64_t samples = 0;   // training samples seen
  double lr = 0;              // learning rate in use
  double train_loss = 0;      // on the fixed training subset, eval mode
  double train_acc = 0;
  double test_loss = 0;       // on the test set, eval mode
  double test_acc = 0;
  double val_loss = std::numeric_limits<double>::quiet_NaN();  // on the validation set, eval mode;
  double val_acc = std::numeric_limits<double>::quiet_NaN();   // NaN (an empty cell) without one
  double wall_s = 0;          // since the start of training, evaluation included
};

// Everything a probe may look at during a step. The batch input and labels stay valid for the
// whole step.
struct StepContext {
  std::int64_t step;          // 1-based index of the step being taken
  std::int64_t total_steps;
  double lr;
  double loss;                // training loss of this batch (before the update)
  Network& net;
  Sgd& optimizer;
  SoftmaxCrossEntropy& loss_fn;
  const Tensor& input;        // (B, ...)
  const std::int32_t* labels; // (B)
};

class TrainObserver {
 public:
  virtual ~TrainObserver() = default;
  // After forward and backward (grads filled), before the update.
  virtual void after_backward(StepContext&) {}
  // After the update.
  virtual void after_update(StepContext&) {}
  // After every evaluation (and the final one).
  virtual void on_eval(const EvalPoint&) {}
};

}  // namespace bnlab
