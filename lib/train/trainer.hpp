// The training loop: seeded mini-batches, forward, softmax cross-entropy, backward, SGD update;
// evaluation every eval_every steps and at the end (test set, validation set if any and a fixed
// training subset, all in eval mode); divergence detection; steps_to_target.
//
// Nothing is selected on the test set when there is a validation set: best_val_acc and
// steps_to_target are then measured on it. Without one, steps_to_target falls back to the test set
// (steps_to_target_on says which), and best_test_acc is always the best test accuracy over the
// evaluations: values for exploring a run, not for a claim (claims.hpp refuses them).
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "model/network.hpp"
#include "train/loss.hpp"
#include "train/observer.hpp"
#include "train/train_config.hpp"

namespace bnlab {

// Size of the fixed training subset evaluated for train_loss / train_acc (the first samples).
inline constexpr std::int64_t kTrainEvalSamples = 10000;

struct TrainResult {
  std::string status = "ok";                    // ok | diverged
  std::int64_t steps = 0;                       // steps taken
  std::int64_t total_steps = 0;                 // steps planned
  std::optional<std::int64_t> diverged_at_step; // first step whose loss was non-finite or too large
  std::optional<std::int64_t> steps_to_target;  // first evaluated step with accuracy >= target on
  std::string steps_to_target_on = "test";      // "val" (with a validation set) or "test"
  double best_test_acc = 0;
  double best_val_acc = std::numeric_limits<double>::quiet_NaN();  // NaN without a validation set
  EvalPoint final;                              // the last evaluation
  std::vector<EvalPoint> history;               // every evaluation, in order
  double wall_s = 0;                            // whole training, evaluation included
  double ms_per_step = 0;                       // mean of forward+backward+update (+batch copy)
  // Where wall_s went (seconds): the training steps and the evaluations, each without the tensor
  // allocation they triggered (setup_s: core/setup_clock.hpp's setup_seconds() inside them).
  double train_s = 0;
  double eval_s = 0;
  double setup_s = 0;
  double probe_s = 0;                           // time spent in observers
  std::vector<double> observer_s;               // probe_s split by observer, in the order added
};

// Steps a run takes: train.steps, or ceil(epochs * steps per epoch).
std::int64_t planned_steps(const TrainConfig& train, std::int64_t train_samples);

class Trainer {
 public:
  // `validation`: null or empty for none (data.val_size 0).
  Trainer(Network& net, const Dataset& train, const Dataset& test, const TrainConfig& train_config,
          const OptimizerConfig& optimizer_config, std::string batching = "shuffled",
          const Dataset* validation = nullptr);
  void add_observer(TrainObserver* observer) { observers_.push_back(observer); }
  TrainResult run();

 private:
  EvalPoint evaluate(std::int64_t step, double epoch, double lr, double wall_s);

  Network& net_;
  const Dataset& train_;
  const Dataset& test_;
  const Dataset* validation_;  // null without a validation set
  TrainConfig config_;
  OptimizerConfig optimizer_config_;
  std::string batching_;
  std::vector<TrainObserver*> observers_;
  Evaluator evaluator_;
};

}  // namespace bnlab
