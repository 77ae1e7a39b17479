// inference_cost: after training (at the final evaluation of a run that completed its planned
// steps), the time of one eval-mode forward of a batch of `batch_size` test images, for the
// trained network as it is ("unfolded": BN layers with running statistics) and, when its norm is
// pre-activation batch norm, for the same network with every BN folded into the linear/conv layer
// before it ("folded", model/fold.hpp), which has the layers of the network without BN. Timed like
// `bnlab bench` (util/timing.hpp): a warm-up, then `repeats` repeats of at least `min_time_ms`
// each; median and minimum per forward. The folded row also has the largest |logit difference|
// folded vs unfolded over the first `samples` test images, next to the largest |logit| for scale.
// A test set smaller than one batch is repeated to fill it. Runs after the last training step, so
// the trajectory cannot move; the time is probe time, not ms_per_step. A diverged run (which stops
// before its planned steps) gets no rows.
//
// runs.csv gets inference_cost_ms (ms_median of the trained network) and inference_cost_folded_ms
// (ms_median of the folded network; for a network without norm layers, which folding leaves as it
// is, the trained network's; empty for norms that do not fold), so that a claim can compare the
// folded BN network with the network without BN across runs.
#pragma once

#include <cstdint>

#include "data/dataset.hpp"
#include "model/model_config.hpp"
#include "probes/probe.hpp"
#include "probes/settings.hpp"
#include "train/train_config.hpp"

namespace bnlab {

class InferenceCost : public Probe {
 public:
  static constexpr const char* kName = "inference_cost";
  static constexpr const char* kSummary =
      "after training, ms per eval-mode forward of one test batch, for the trained net and (pre-activation BN) the "
      "net with BN folded into the preceding linear/conv, and the largest logit difference between the two";
  struct Settings {
    std::int64_t batch_size = 0;  // resolved: train.batch_size when 0
    std::int64_t repeats = 30;
    std::int64_t min_time_ms = 5;
    std::int64_t samples = 1000;
  };
  static Settings read(SettingsReader& reader, const TrainConfig& train);
  // folded: 0 for the trained network, 1 for the folded one. max_abs_diff is empty (NaN) on the
  // unfolded row.
  static std::vector<std::string> columns() {
    return {"step",    "folded",  "batch_size",   "repeats",      "ms_median",
            "ms_min",  "samples", "max_abs_diff", "max_abs_logit"};
  }
  static std::vector<ProbeResultColumn> result_columns() {
    return {{"inference_cost_ms", "ms_median of the trained network"},
            {"inference_cost_folded_ms",
             "ms_median of the folded network (without norm layers the trained network's: nothing to fold; empty "
             "when its norm does not fold)"}};
  }

  InferenceCost(Network& net, const Dataset& train, const Dataset& test, const ModelConfig& model,
                const TrainConfig& train_config, Settings settings);
  std::string name() const override { return kName; }
  const ProbeTable& table() const override { return table_; }
  void on_eval(const EvalPoint& point) override;
  std::vector<std::pair<std::string, double>> results() const override {
    return {{"inference_cost_ms", unfolded_ms_}, {"inference_cost_folded_ms", folded_ms_}};
  }

 private:
  Network& net_;
  const Dataset& test_;
  ModelConfig model_;
  Settings settings_;
  std::int64_t final_step_;
  std::int64_t limit_;  // samples compared: a multiple of batch_size
  double unfolded_ms_, folded_ms_;  // results(); NaN until measured
  ProbeTable table_;
};

}  // namespace bnlab
