// unit_ablation: does a hidden unit's incoming weight norm say how important it is? (The
// interpretability limitation: BN makes a unit's output invariant to the scale of its incoming
// weights, BN(aWu) = BN(Wu), so weight magnitude need not mean importance.)
//
// At the end of training (the evaluation after the last planned step; a diverged run gets no
// rows), for each selected fully connected hidden layer (unit_tools.hpp: by index or path name; a
// linear layer at the top level of the network followed, there, by the next linear) and each unit j:
//   weight_norm   ||W[j, :]||_2, the unit's incoming weights (row j of the linear weight)
//   gamma         gamma[j] of the layer's norm (empty without a norm or without a gamma)
//   base_acc      test accuracy on the first `samples` test images, Mode::eval
//   ablated_acc   the same with the unit's output forced to 0: column j of the NEXT linear
//                 layer's weight set to 0 (then restored exactly; nothing else changes)
//   drop          base_acc - ablated_acc;  loss_increase: the same for the test cross-entropy
//   spearman      per layer (repeated on each of its rows): Spearman's rank correlation between
//                 weight_norm and drop over the layer's units (average ranks for ties)
// runs.csv gets unit_ablation_mean_spearman: the mean of the layers' spearman, each layer once
// (empty when the probe measured nothing or a layer's correlation is undefined: all drops equal).
// Only the layers after the ablated unit are re-run (on the cached input of the next linear
// layer), so ablating every unit of a 100-wide layer costs about one evaluation of the tail.
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

class UnitAblation : public Probe {
 public:
  static constexpr const char* kName = "unit_ablation";
  static constexpr const char* kSummary =
      "at the end of training, per fully connected hidden unit: incoming weight norm, norm gamma, and the drop in test "
      "accuracy when the unit is ablated; Spearman(weight norm, drop) per layer";
  struct Settings {
    std::vector<std::int64_t> layers;  // hidden layer indices (unit_tools.hpp), resolved from indices or paths
    std::int64_t samples = 10000;
  };
  static Settings read(SettingsReader& reader, const HiddenPlan& plan);
  static std::vector<std::string> columns() {
    return {"layer", "unit", "weight_norm", "gamma", "base_acc", "ablated_acc", "drop", "loss_increase", "spearman"};
  }
  static std::vector<ProbeResultColumn> result_columns() {
    return {{"unit_ablation_mean_spearman",
             "Spearman(weight_norm, drop) averaged over the ablated hidden layers, each layer once (empty when a "
             "layer's is undefined)"}};
  }

  UnitAblation(Network& net, const Dataset& train, const Dataset& test, const TrainConfig& train_config,
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
  std::int64_t total_steps_;
  SoftmaxCrossEntropy loss_fn_;
  ProbeTable table_;
};

// The settings' hidden-layer list (indices or path names) checked against the planned network and
// resolved to indices (shared with scale_invariance): every entry a hidden layer, and for
// fc_only, one an ablation can silence (PlannedHidden::feeds_linear). Empty `layers` = every
// eligible hidden layer, which must exist. Nothing is checked when the network does not plan.
std::vector<std::int64_t> read_hidden_layers(SettingsReader& reader, const HiddenPlan& plan, bool fc_only,
                                             const std::string& description);

}  // namespace bnlab
