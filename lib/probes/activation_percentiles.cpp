#include "probes/activation_percentiles.hpp"

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"
#include "util/percentile.hpp"
#include "model/builder.hpp"
#include "probes/unit_tools.hpp"

namespace bnlab {

namespace {
// Widths of the hidden layers, in order: mlp hidden, or cnn channels then fc.
std::vector<std::int64_t> hidden_widths(const ModelConfig& model) {
  if (model.arch == "mlp") return model.hidden;
  std::vector<std::int64_t> widths = model.channels;
  widths.insert(widths.end(), model.fc.begin(), model.fc.end());
  return widths;
}
}  // namespace


ActivationPercentiles::Settings ActivationPercentiles::read(SettingsReader& reader, const ModelConfig& model) {
  Settings s;
  s.layer = reader.integer("layer", -1, std::numeric_limits<std::int64_t>::min(), SettingsReader::kNoMax,
                           "hidden layer to watch, 0-based; negative counts from the end (-1: the last)");
  s.units = reader.integers("units", {0}, 0, "units (neurons, or channels of a conv layer) of that layer");
  s.percentiles = reader.numbers("percentiles", {15, 50, 85}, 0, 100, "percentiles to record, 0..100");
  s.every = reader.integer("every", 50, 1, SettingsReader::kNoMax, "record at step 1 and every this many steps");
  if (refuse_layers_network(reader, model, "layer")) return s;
  const auto widths = hidden_widths(model);
  const auto n = static_cast<std::int64_t>(widths.size());
  if (n == 0) {
    reader.problem("layer", "the model has no hidden layer to watch");
    return s;
  }
  if (s.layer < -n || s.layer >= n) {
    reader.problem("layer", "the model has " + std::to_string(n) + " hidden layers (valid: " + std::to_string(-n) +
                                " .. " + std::to_string(n - 1) + "), got " + std::to_string(s.layer));
    return s;
  }
  if (s.layer < 0) s.layer += n;
  for (std::size_t i = 0; i < s.units.size(); ++i)
    if (s.units[i] >= widths[static_cast<std::size_t>(s.layer)])
      reader.problem("units[" + std::to_string(i) + "]", "hidden layer " + std::to_string(s.layer) + " has " +
                                                            std::to_string(widths[static_cast<std::size_t>(s.layer)]) +
                                                            " units, got " + std::to_string(s.units[i]));
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
