#include "probes/activation_percentiles.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/errors.hpp"
#include "util/percentile.hpp"
#include "model/builder.hpp"
#include "probes/unit_tools.hpp"

namespace bnlab {

ActivationPercentiles::Settings ActivationPercentiles::read(SettingsReader& reader, const HiddenPlan& plan) {
  Settings s;
  const LayerRef layer = reader.layer("layer", -1, std::numeric_limits<std::int64_t>::min(),
                                      "hidden layer to watch: 0-based index (negative counts from the end, -1: the "
                                      "last) or path name");
  s.units = reader.integers("units", {0}, 0, "units (neurons, or channels of a conv layer) of that layer");
  s.percentiles = reader.numbers("percentiles", {15, 50, 85}, 0, 100, "percentiles to record, 0..100");
  s.every = reader.integer("every", 50, 1, SettingsReader::kNoMax, "record at step 1 and every this many steps");
  s.layer = layer.index;
  if (!plan.planned) return s;
  if (plan.layers.empty()) {
    reader.problem("layer", "the model has no hidden layer to watch");
    return s;
  }
  const auto k = resolve_hidden_layer(reader, "layer", layer, plan, /*negative_from_end=*/true);
  if (!k) return s;
  s.layer = static_cast<std::int64_t>(*k);
  const std::int64_t width = plan.layers[*k].width;
  for (std::size_t i = 0; i < s.units.size(); ++i)
    if (s.units[i] >= width)
      reader.problem("units[" + std::to_string(i) + "]", "hidden layer " + std::to_string(s.layer) + " has " +
                                                            std::to_string(width) + " units, got " + std::to_string(s.units[i]));
  return s;
}

ActivationPercentiles::ActivationPercentiles(Network& net, Settings settings)
    : settings_(std::move(settings)),
      pre_activation_(net, static_cast<std::size_t>(settings_.layer)) {
  table_.columns = columns();
}

void ActivationPercentiles::after_backward(StepContext& ctx) {
  if (ctx.step != 1 && ctx.step % settings_.every != 0) return;
  const Tensor* out = pre_activation_.read(Mode::train);
  if (!out) throw Error("activation_percentiles: no training pre-activation of hidden layer " +
                        std::to_string(settings_.layer));
  const auto dims = out->dims();  // (N, C) or (N, C, H, W)
  const std::vector<float> all = out->to_vector();  // row-major
  const std::int64_t n = dims[0], c = dims[1];
  const std::int64_t spatial = static_cast<std::int64_t>(all.size()) / (n * c);
  for (const std::int64_t unit : settings_.units) {
    values_.clear();
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < spatial; ++k) values_.push_back(all[static_cast<std::size_t>((i * c + unit) * spatial + k)]);
    std::sort(values_.begin(), values_.end());
    for (const double p : settings_.percentiles)
      table_.rows.push_back({static_cast<double>(ctx.step), static_cast<double>(settings_.layer),
                             static_cast<double>(unit), p, percentile_of_sorted(values_, p)});
  }
}

}  // namespace bnlab
