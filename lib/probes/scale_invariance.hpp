// scale_invariance: BN(aWu) = BN(Wu) for a > 0 — a pre-BN layer's weight scale does not change
// what the network computes when norms use batch statistics. At the end of training (the
// evaluation after the last planned step; a diverged run gets no rows), for each selected hidden
// layer (conv or linear, anywhere in the network: unit_tools.hpp) and each factor a, the layer's weight (and bias, if any) is multiplied
// by a, the logits on the first `samples` test images (rounded down to whole batches of
// `batch_size`) are computed, and the weights restored exactly (saved copies written back). Two
// modes, one row per (layer, factor):
//   batch_stats_*  Mode::eval_batch_stats: norms normalize each batch by its own statistics — the
//                  regime of the identity; with BN the change is ~0 (not exactly: eps), without large
//   eval_*         Mode::eval: norms use running statistics, which were collected at the old scale,
//                  so with BN the outputs change too
//   *_max_abs      max |z' - z| over all logits;  *_max_rel: that divided by max |z|
//   *_acc_change   accuracy(scaled) - accuracy(unscaled)
// runs.csv gets scale_invariance_batch_stats_max_rel and scale_invariance_eval_max_rel: the largest
// *_max_rel over the rescaled layers and factors (empty when nothing was measured, or a row's
// value is undefined).
#pragma once

#include <cstdint>
#include <vector>

#include "data/dataset.hpp"
#include "layers/softmax_cross_entropy.hpp"
#include "model/model_config.hpp"
#include "probes/probe.hpp"
#include "probes/settings.hpp"
#include "probes/unit_tools.hpp"
#include "train/train_config.hpp"

namespace bnlab {

class ScaleInvariance : public Probe {
 public:
  static constexpr const char* kName = "scale_invariance";
  static constexpr const char* kSummary =
      "at the end of training, how much the logits change when one hidden layer's incoming weights are multiplied by "
      "a factor, with batch statistics and with running statistics";
  struct Settings {
    std::vector<std::int64_t> layers;  // hidden layer indices (unit_tools.hpp), resolved from indices or paths
    std::vector<double> factors;
    std::int64_t samples = 2000;
    std::int64_t batch_size = 0;       // resolved: train.batch_size when 0
  };
  static Settings read(SettingsReader& reader, const HiddenPlan& plan, const TrainConfig& train);
  static std::vector<std::string> columns() {
    return {"layer",           "factor",        "batch_stats_max_abs", "batch_stats_max_rel", "batch_stats_acc_change",
            "eval_max_abs",    "eval_max_rel",  "eval_acc_change"};
  }
  static std::vector<ProbeResultColumn> result_columns() {
    return {{"scale_invariance_batch_stats_max_rel", "the largest batch_stats_max_rel over the layers and factors"},
            {"scale_invariance_eval_max_rel", "the largest eval_max_rel over the layers and factors"}};
  }

  ScaleInvariance(Network& net, const Dataset& train, const Dataset& test, const TrainConfig& train_config,
                  Settings settings);
  std::string name() const override { return kName; }
  const ProbeTable& table() const override { return table_; }
  void on_eval(const EvalPoint& point) override;
  std::vector<std::pair<std::string, double>> results() const override;
  // Measures at the current weights and appends the rows (what on_eval does after the last step).
  void measure();

 private:
  Network& net_;
  const Dataset& test_;
  Settings settings_;
  std::int64_t limit_;  // samples used: a multiple of batch_size
  std::int64_t total_steps_;
  SoftmaxCrossEntropy loss_fn_;
  ProbeTable table_;
};

}  // namespace bnlab
