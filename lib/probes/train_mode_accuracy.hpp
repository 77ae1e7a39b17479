// train_mode_accuracy: at every evaluation, loss and accuracy on the same samples with the
// network in eval mode (norms use their running statistics) and in batch-statistics mode (norms
// normalize each batch by its own statistics, as in training, without updating anything;
// Mode::eval_batch_stats). The gap shows how far the running statistics are from the statistics the
// network was trained with: large at tiny batches or with non-iid batches (Ioffe 2017), and the
// reason BN's test accuracy can differ from its training behaviour. Without norm layers the two
// agree exactly.
#pragma once

#include <cstdint>

#include "data/dataset.hpp"
#include "model/model_config.hpp"
#include "probes/probe.hpp"
#include "probes/settings.hpp"
#include "train/loss.hpp"
#include "train/train_config.hpp"

namespace bnlab {

class TrainModeAccuracy : public Probe {
 public:
  static constexpr const char* kName = "train_mode_accuracy";
  static constexpr const char* kSummary =
      "accuracy with running statistics (eval) vs batch statistics (train-mode norms) on the same samples, at every evaluation";
  struct Settings {
    std::string split = "test";
    std::int64_t samples = 2000;
    std::int64_t batch_size = 0;  // resolved: train.batch_size when 0
  };
  static Settings read(SettingsReader& reader, const TrainConfig& train);
  static std::vector<std::string> columns() {
    return {"step", "batch_size", "samples", "eval_loss", "eval_acc", "batch_stats_loss", "batch_stats_acc"};
  }

  TrainModeAccuracy(Network& net, const Dataset& train, const Dataset& test, Settings settings);
  std::string name() const override { return kName; }
  const ProbeTable& table() const override { return table_; }
  void on_eval(const EvalPoint& point) override;

 private:
  Network& net_;
  const Dataset& data_;
  Settings settings_;
  std::int64_t limit_;  // samples used: a multiple of batch_size
  Evaluator evaluator_;
  ProbeTable table_;
};

}  // namespace bnlab
