// activation_percentiles: the distribution of one hidden layer's pre-activation (the input of its
// nonlinearity: the norm's output with pre_activation norm, else the linear/conv output) over the
// current training batch, as percentiles, every `every` steps and at step 1. Ioffe & Szegedy
// 2015, Fig. 1(b, c): the 15th/50th/85th percentiles of a last-hidden-layer sigmoid input drift
// during training without BN and stay put with it.
//
// The layer is a hidden layer by index or path name (unit_tools.hpp; its pre-activation:
// model/builder.hpp PreActivation). A unit is a neuron of a fully connected layer, or a channel
// of a conv layer (then the percentiles are over all N*H*W positions). Percentiles interpolate linearly between order
// statistics (numpy's default). The values are read after the training forward; nothing is
// changed.
#pragma once

#include <cstdint>
#include <vector>

#include "model/builder.hpp"
#include "model/model_config.hpp"
#include "probes/probe.hpp"
#include "probes/settings.hpp"
#include "probes/unit_tools.hpp"

namespace bnlab {

class ActivationPercentiles : public Probe {
 public:
  static constexpr const char* kName = "activation_percentiles";
  static constexpr const char* kSummary =
      "percentiles of one hidden layer's pre-activation over the training batch (Ioffe & Szegedy Fig. 1b/c)";
  struct Settings {
    std::int64_t layer = -1;           // hidden layer, resolved to 0-based
    std::vector<std::int64_t> units;
    std::vector<double> percentiles;
    std::int64_t every = 50;
  };
  // Reads and checks the settings against the model (problems go to `reader`).
  static Settings read(SettingsReader& reader, const HiddenPlan& plan);
  static std::vector<std::string> columns() { return {"step", "layer", "unit", "percentile", "value"}; }

  ActivationPercentiles(Network& net, Settings settings);
  std::string name() const override { return kName; }
  const ProbeTable& table() const override { return table_; }
  void after_backward(StepContext& ctx) override;

 private:
  Settings settings_;
  PreActivation pre_activation_;
  std::vector<float> values_;
  ProbeTable table_;
};

}  // namespace bnlab
