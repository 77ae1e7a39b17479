// TrainingSnapshot: everything a probe may disturb when it runs extra training passes in the
// middle of a step, saved once and put back exactly (bit for bit):
//   - every parameter's value and grad (the optimizer update after the probe reads both),
//   - the optimizer's momentum velocities (Sgd::step_param moves them),
//   - every layer's buffers (running statistics; Mode::train forwards update them),
//   - every layer's random stream (Layer::rng(): dropout masks, noisy_batch noise).
// restore() copies into the existing buffers (oneDNN primitives hold handles onto them), so it can
// run many times, e.g. before each of a probe's extra passes so that all of them start from the
// state the trainer left and draw the same random numbers.
// What a snapshot does not keep: the outputs and the saved forward state of the last training
// pass (Network::output(i, Mode::train)). An extra training forward overwrites them, which only
// matters to an observer that reads them later in the same step.
#pragma once

#include <vector>

#include "core/random.hpp"
#include "layers/softmax_cross_entropy.hpp"
#include "model/network.hpp"
#include "train/sgd.hpp"

namespace bnlab {

class TrainingSnapshot {
 public:
  // Takes the snapshot. The optimizer must be the one training `net` (its params are net's).
  TrainingSnapshot(Network& net, Sgd& optimizer);

  void restore();
  // Put back only the buffers and random streams (params, grads and velocities untouched).
  void restore_state();

 private:
  struct Saved {
    float* target;
    std::vector<float> values;
  };
  static void save(std::vector<Saved>& into, const Tensor& t);

  std::vector<Saved> params_;      // value and grad of every param
  std::vector<std::vector<float>> velocities_;
  Sgd& optimizer_;
  std::vector<Saved> buffers_;     // running statistics and other per-layer state
  std::vector<std::pair<Rng*, Rng>> rngs_;
};

// One extra training pass on a batch: forward in Mode::train, softmax cross-entropy, backward
// (every param's grad overwritten). Returns the batch loss.
double training_pass(Network& net, SoftmaxCrossEntropy& loss_fn, const Tensor& input, const std::int32_t* labels);

// True when some layer draws random numbers in training forwards (Layer::rng()).
bool has_random_layers(Network& net);

}  // namespace bnlab
