// ics: internal covariate shift measured the way Santurkar, Tsipras, Ilyas & Madry 2018 ("How
// does batch normalization help optimization?", Sec. 2.2, Fig. 3) define it: how much the
// gradient of a layer's weights changes because the layers before it moved.
//
// At step 1 and every `every` steps, after backward and before the update, for each chosen weight
// layer i (linear/conv, counted 0-based in network order):
//   G  = gradient of the loss w.r.t. layer i's weights on this batch (what training computed),
//   G' = the same gradient on the same batch after every layer before i (all its params: weights,
//        biases, norm gamma/beta) has taken exactly this step's optimizer update (Sgd::step_param:
//        momentum and weight decay included), layer i and later unchanged;
//   rows: ||G||_2, ||G - G'||_2 and cos(G, G') = <G, G'> / (||G|| ||G'||).
// Layer 0 has no layer before it, so G' = G (diff 0, cosine 1) without an extra pass.
// Each G' costs one training forward+backward in Mode::train (batch statistics for BN). With a
// layer that draws random numbers (dropout), G is recomputed with the same random stream as the
// G' passes, so both see the same masks and only the weights differ. Everything touched is
// restored (TrainingSnapshot); the trajectory does not change.
#pragma once

#include <cstdint>
#include <vector>

#include "layers/softmax_cross_entropy.hpp"
#include "model/model_config.hpp"
#include "probes/probe.hpp"
#include "probes/settings.hpp"
#include "probes/unit_tools.hpp"

namespace bnlab {

// ||G||, ||G - G'|| and cos(G, G') (NaN when either is zero), accumulated in double.
struct IcsStats {
  double grad_norm = 0;
  double diff_norm = 0;
  double cosine = 0;
};
IcsStats ics_stats(const std::vector<float>& g, const std::vector<float>& g_shifted);

// The run-level summary of an ics table (runs.csv, where claims read it): over the rows of weight
// layers > 0 (layer 0 has nothing before it: G' = G) at recorded steps > 1 (step 1 is the
// initialization's transient), the mean of ||G - G'|| / ||G|| and the mean of cos(G, G'); rows
// where a value is undefined (||G|| = 0, NaN cosine) are left out of that mean. NaN when no row
// counts. The same numbers as the diff/grad and cosine columns of scripts/plot.py's ics table.
struct IcsSummary {
  double mean_rel_diff = 0;
  double mean_cosine = 0;
};
IcsSummary ics_summary(const ProbeTable& table);


class Ics : public Probe {
 public:
  static constexpr const char* kName = "ics";
  static constexpr const char* kSummary =
      "internal covariate shift per weight layer: ||G - G'|| and cos(G, G'), G' the gradient after the "
      "earlier layers took this step's update (Santurkar et al. 2018, Fig. 3)";
  struct Settings {
    std::vector<std::int64_t> layers;  // weight layers, 0-based; empty: all
    std::int64_t every = 50;
  };
  // The layers are checked against the planned network's weight layers (its hidden layers and the
  // classifier: unit_tools.hpp), any arch.
  static Settings read(SettingsReader& reader, const HiddenPlan& plan);
  static std::vector<std::string> columns() {
    return {"step", "layer", "net_layer", "grad_norm", "diff_norm", "cosine"};
  }
  static std::vector<ProbeResultColumn> result_columns() {
    return {{"ics_mean_rel_diff",
             "||G - G'|| / ||G|| averaged over weight layers > 0 (0-based) and recorded steps > 1 (ics probe)"},
            {"ics_mean_cosine", "cos(G, G') averaged over weight layers > 0 and recorded steps > 1 (ics probe)"}};
  }

  Ics(Network& net, Settings settings);
  std::string name() const override { return kName; }
  const ProbeTable& table() const override { return table_; }
  void after_backward(StepContext& ctx) override;
  std::vector<std::pair<std::string, double>> results() const override;

 private:
  Network& net_;
  Settings settings_;
  std::vector<Leaf> leaves_;                // the network's leaf layers, in forward order
  std::vector<std::size_t> weight_layers_;  // leaf index of each weight layer (net_layer)
  SoftmaxCrossEntropy loss_fn_;
  ProbeTable table_;
};

}  // namespace bnlab
