#include "probes/ics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/errors.hpp"
#include "probes/snapshot.hpp"

namespace bnlab {

namespace {
Param* weight_of(Layer& layer) {
  for (Param* p : layer.params())
    if (p->name == "weight") return p;
  return nullptr;
}
}  // namespace

IcsStats ics_stats(const std::vector<float>& g, const std::vector<float>& g_shifted) {
  if (g.size() != g_shifted.size()) throw ShapeError("ics: G and G' differ in size");
  double gg = 0, hh = 0, gh = 0, dd = 0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    const double a = g[i], b = g_shifted[i];
    gg += a * a;
    hh += b * b;
    gh += a * b;
    dd += (a - b) * (a - b);
  }
  IcsStats s;
  s.grad_norm = std::sqrt(gg);
  s.diff_norm = std::sqrt(dd);
  s.cosine = gg > 0 && hh > 0 ? gh / std::sqrt(gg * hh) : std::numeric_limits<double>::quiet_NaN();
  return s;
}

IcsSummary ics_summary(const ProbeTable& table) {
  // columns(): step, layer, net_layer, grad_norm, diff_norm, cosine
  double rel = 0, cos = 0;
  std::size_t n_rel = 0, n_cos = 0;
  for (const auto& row : table.rows) {
    if (row[0] <= 1 || row[1] <= 0) continue;
    if (row[3] > 0 && std::isfinite(row[4])) {
      rel += row[4] / row[3];
      ++n_rel;
    }
    if (std::isfinite(row[5])) {
      cos += row[5];
      ++n_cos;
    }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  return {n_rel > 0 ? rel / static_cast<double>(n_rel) : nan, n_cos > 0 ? cos / static_cast<double>(n_cos) : nan};
}

std::vector<std::pair<std::string, double>> Ics::results() const {
  const IcsSummary s = ics_summary(table_);
  return {{"ics_mean_rel_diff", s.mean_rel_diff}, {"ics_mean_cosine", s.mean_cosine}};
}

Ics::Settings Ics::read(SettingsReader& reader, const HiddenPlan& plan) {
  Settings s;
  s.layers = reader.integers("layers", {}, 0,
                             "weight layers (linear/conv, 0-based in network order, the output layer included) to "
                             "measure; default []: all");
  s.every = reader.integer("every", 50, 1, SettingsReader::kNoMax, "record at step 1 and every this many steps");
  const auto n = static_cast<std::int64_t>(plan.layers.size()) + 1;  // the hidden layers and the classifier
  for (std::size_t i = 0; i < s.layers.size() && plan.planned; ++i)
    if (s.layers[i] >= n)
      reader.problem("layers[" + std::to_string(i) + "]", "the model has " + std::to_string(n) +
                                                            " weight layers (valid: 0 .. " + std::to_string(n - 1) +
                                                            "), got " + std::to_string(s.layers[i]));
  std::sort(s.layers.begin(), s.layers.end());
  s.layers.erase(std::unique(s.layers.begin(), s.layers.end()), s.layers.end());
  return s;
}

Ics::Ics(Network& net, Settings settings) : net_(net), settings_(std::move(settings)) {
  table_.columns = columns();
  leaves_ = net.leaves();
  for (std::size_t i = 0; i < leaves_.size(); ++i)
    if (weight_of(*leaves_[i].layer)) weight_layers_.push_back(i);
  if (settings_.layers.empty())
    for (std::size_t k = 0; k < weight_layers_.size(); ++k) settings_.layers.push_back(static_cast<std::int64_t>(k));
  for (const auto k : settings_.layers)
    if (k >= static_cast<std::int64_t>(weight_layers_.size()))
      throw ConfigError("probes.ics.layers: the network has " + std::to_string(weight_layers_.size()) +
                        " weight layers, got " + std::to_string(k));
}

void Ics::after_backward(StepContext& ctx) {
  if (ctx.step != 1 && ctx.step % settings_.every != 0) return;
  Sgd& sgd = ctx.optimizer;
  // Leaf index of the layer owning each optimizer parameter (leaves run in this order).
  std::vector<std::size_t> owner(sgd.size(), leaves_.size());
  for (std::size_t i = 0; i < leaves_.size(); ++i)
    for (Param* p : leaves_[i].layer->params())
      for (std::size_t k = 0; k < sgd.size(); ++k)
        if (&sgd.param(k) == p) owner[k] = i;

  TrainingSnapshot snapshot(net_, sgd);
  const bool random = has_random_layers(net_);
  if (random) {
    // The training pass drew its masks before this probe ran; recompute G with the stream the G'
    // passes will use, so that G and G' differ by the weights only.
    training_pass(net_, loss_fn_, ctx.input, ctx.labels);
  }
  std::vector<std::vector<float>> g;  // G per chosen layer
  for (const auto k : settings_.layers)
    g.push_back(weight_of(*leaves_[weight_layers_[static_cast<std::size_t>(k)]].layer)->grad.to_vector());

  for (std::size_t c = 0; c < settings_.layers.size(); ++c) {
    const std::size_t at = weight_layers_[static_cast<std::size_t>(settings_.layers[c])];
    IcsStats stats;
    if (settings_.layers[c] == 0) {
      stats = ics_stats(g[c], g[c]);  // nothing before the first weight layer moves
    } else {
      snapshot.restore();  // grads back to this step's: step_param reads them
      for (std::size_t k = 0; k < sgd.size(); ++k)
        if (owner[k] < at) sgd.step_param(k, ctx.lr);
      training_pass(net_, loss_fn_, ctx.input, ctx.labels);
      stats = ics_stats(g[c], weight_of(*leaves_[at].layer)->grad.to_vector());
    }
    table_.rows.push_back({static_cast<double>(ctx.step), static_cast<double>(settings_.layers[c]),
                           static_cast<double>(at), stats.grad_norm, stats.diff_norm, stats.cosine});
  }
  snapshot.restore();
}

}  // namespace bnlab
