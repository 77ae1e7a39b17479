// landscape: the loss landscape along the gradient, the way Santurkar, Tsipras, Ilyas & Madry
// 2018 ("How does batch normalization help optimization?", Sec. 3.1, Fig. 4) probe it.
//
// At step 1 and every `every` steps, after backward and before the update, with w all parameters
// (flattened), g = dL/dw on this batch (the loss gradient, without weight decay or momentum) and
// lr the learning rate in use, for each factor f of `factors`:
//   w_f = w - f·lr·g;  on the same batch (Mode::train forward+backward):
//   loss                     L_f = L(w_f)
//   distance                 ||w_f - w||_2 = f·lr·||g||
//   grad_change              ||g_f - g||_2, g_f = dL/dw at w_f      (gradient predictiveness)
//   grad_change_per_distance ||g_f - g|| / ||w_f - w||
// plus a row f = 0 with the step's own loss (grad_change 0, per-distance empty). Per step,
// max_f L_f - min_f L_f is the loss variation and max_f grad_change_per_distance the effective
// beta-smoothness (both computed by scripts/plot.py from the long table).
// Each factor costs one forward+backward. With layers that draw random numbers (dropout) L_0 and
// g are recomputed with the same random stream as the other points. Everything touched is
// restored (TrainingSnapshot); the trajectory does not change.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "layers/softmax_cross_entropy.hpp"
#include "probes/probe.hpp"
#include "probes/settings.hpp"

namespace bnlab {

struct LossAndGrad {
  double loss = 0;
  std::vector<double> grad;
};
using LossAndGradFn = std::function<LossAndGrad(const std::vector<double>& w)>;

struct LandscapePoint {
  double factor = 0;
  double loss = 0;
  double distance = 0;
  double grad_change = 0;
  double grad_change_per_distance = 0;  // NaN at distance 0
};

// The points f = 0 (from at_w) and each of `factors` along -g from w, g = at_w.grad.
std::vector<LandscapePoint> landscape_along_gradient(const std::vector<double>& w, const LossAndGrad& at_w,
                                                     double lr, const std::vector<double>& factors,
                                                     const LossAndGradFn& loss_and_grad);

// The run-level summary of a landscape table (runs.csv, where claims read it): per recorded step
// > 1 (step 1 is the initialization's transient), the loss variation max_f L_f - min_f L_f (f = 0
// included), the largest gradient change max_f ||g_f - g|| and the effective beta-smoothness
// max_f ||g_f - g|| / ||w_f - w||, each averaged over those steps (NaN cells left out of a max;
// NaN when no step counts). The same numbers as scripts/plot.py's landscape table.
struct LandscapeSummary {
  double mean_loss_variation = 0;
  double mean_grad_change = 0;
  double mean_beta = 0;
};
LandscapeSummary landscape_summary(const ProbeTable& table);

class Landscape : public Probe {
 public:
  static constexpr const char* kName = "landscape";
  static constexpr const char* kSummary =
      "loss and gradient change along the gradient at f x lr: loss variation, gradient predictiveness, "
      "effective beta-smoothness (Santurkar et al. 2018, Fig. 4)";
  struct Settings {
    std::vector<double> factors{0.5, 1, 2, 3, 4};
    std::int64_t every = 50;
  };
  static Settings read(SettingsReader& reader);
  static std::vector<std::string> columns() {
    return {"step", "factor", "loss", "distance", "grad_change", "grad_change_per_distance"};
  }
  static std::vector<ProbeResultColumn> result_columns() {
    return {{"landscape_mean_loss_variation",
             "max_f L_f - min_f L_f along the gradient, averaged over recorded steps > 1 (landscape probe)"},
            {"landscape_mean_grad_change",
             "max_f ||g_f - g|| (gradient predictiveness), averaged over recorded steps > 1 (landscape probe)"},
            {"landscape_mean_beta",
             "max_f ||g_f - g|| / ||w_f - w|| (effective beta-smoothness), averaged over recorded steps > 1 "
             "(landscape probe)"}};
  }

  Landscape(Network& net, Settings settings);
  std::string name() const override { return kName; }
  const ProbeTable& table() const override { return table_; }
  void after_backward(StepContext& ctx) override;
  std::vector<std::pair<std::string, double>> results() const override;

 private:
  Network& net_;
  Settings settings_;
  SoftmaxCrossEntropy loss_fn_;
  ProbeTable table_;
};

}  // namespace bnlab
