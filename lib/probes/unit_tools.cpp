#include "probes/unit_tools.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/errors.hpp"
#include "model/builder.hpp"
#include "model/presets.hpp"

namespace bnlab {

namespace {
bool is_weight_layer(const Layer& layer) { return layer.kind() == "linear" || layer.kind() == "conv2d"; }
Param* param_named(Layer& layer, const std::string& name) {
  for (Param* p : layer.params())
    if (p->name == name) return p;
  return nullptr;
}
}  // namespace

std::vector<HiddenLayer> hidden_layers(Network& net) {
  auto weights = hidden_leaves(net);
  const auto all = net.leaves();
  std::vector<HiddenLayer> out;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    HiddenLayer h;
    h.leaf = weights[k];
    Layer& layer = *h.leaf.layer;
    h.conv = layer.kind() == "conv2d";
    h.weight = param_named(layer, "weight");
    h.bias = param_named(layer, "bias");
    // Its norm: the first after it in its Sequence, before the next weight layer or block.
    for (std::size_t i = h.leaf.index + 1; i < h.leaf.parent->size() && !h.norm; ++i) {
      Layer& after = h.leaf.parent->layer(i);
      if (is_weight_layer(after) || dynamic_cast<Block*>(&after)) break;
      if (after.is_norm()) h.norm = &after;
    }
    // The next weight layer: the next hidden one, or the classifier (the last weight leaf).
    if (k + 1 < weights.size()) {
      h.next = weights[k + 1];
    } else {
      for (const Leaf& leaf : all)
        if (is_weight_layer(*leaf.layer)) h.next = leaf;
    }
    out.push_back(h);
  }
  return out;
}

HiddenPlan plan_hidden_layers(const ModelConfig& model, const NormConfig& norm, const Dims& input,
                              std::int64_t num_classes) {
  HiddenPlan plan;
  plan.show_paths = is_layers_arch(model.arch);
  if (model.arch == "lstm") return plan;  // no conv2d or linear before its classifier
  std::vector<LayerRow> weights;
  try {
    for (const auto& row : model_rows(model, norm, input, num_classes))
      if (row.kind == "conv2d" || row.kind == "linear") weights.push_back(row);
  } catch (const ConfigError&) {
    plan.planned = false;
    return plan;
  }
  const auto top_level = [](const LayerRow& row) { return row.path.find('.') == std::string::npos; };
  for (std::size_t k = 0; k + 1 < weights.size(); ++k) {  // the last one is the classifier
    const LayerRow& row = weights[k];
    const bool linear = row.kind == "linear";
    const bool next_linear = weights[k + 1].kind == "linear";
    plan.layers.push_back({row.path, !linear, row.shape.at(0),
                           linear && next_linear && top_level(row) && top_level(weights[k + 1])});
  }
  return plan;
}

std::optional<std::size_t> resolve_hidden_layer(SettingsReader& reader, const std::string& key, const LayerRef& ref,
                                                const HiddenPlan& plan, bool negative_from_end) {
  const auto n = static_cast<std::int64_t>(plan.layers.size());
  if (ref.path.empty()) {
    const std::int64_t lowest = negative_from_end ? -n : 0;
    if (ref.index < lowest || ref.index >= n) {
      reader.problem(key, "the model has " + std::to_string(n) + " hidden layers (valid: " + std::to_string(lowest) +
                              " .. " + std::to_string(n - 1) + "), got " + std::to_string(ref.index));
      return std::nullopt;
    }
    return static_cast<std::size_t>(ref.index < 0 ? ref.index + n : ref.index);
  }
  for (std::size_t k = 0; k < plan.layers.size(); ++k)
    if (plan.layers[k].path == ref.path) return k;
  constexpr std::size_t kShown = 6;
  std::string valid;
  for (std::size_t k = 0; k < plan.layers.size() && k < kShown; ++k) valid += (valid.empty() ? "" : ", ") + plan.layers[k].path;
  if (plan.layers.size() > kShown) valid += ", ... (" + std::to_string(plan.layers.size() - kShown) + " more)";
  reader.problem(key, "'" + ref.path + "' is not a hidden layer of this network (a conv2d or linear other than the "
                          "classifier, by its path in `bnlab model`; valid: " + (valid.empty() ? "none" : valid) + ")");
  return std::nullopt;
}

double gamma_of(Layer* norm, std::int64_t c) {
  if (!norm) return std::nan("");
  Param* gamma = param_named(*norm, "gamma");
  if (!gamma) return std::nan("");
  return gamma->value.to_vector().at(static_cast<std::size_t>(c));
}

Scores score(Network& net, const Dataset& data, Mode mode, std::int64_t n, std::int64_t chunk,
             SoftmaxCrossEntropy& loss_fn) {
  n = std::min(n, data.n);
  if (n < 1 || chunk < 1) throw ShapeError("score: no samples to evaluate");
  Scores out;
  out.logits.reserve(static_cast<std::size_t>(n * data.num_classes));
  Tensor input;
  double loss_sum = 0;
  std::int64_t correct = 0;
  for (std::int64_t begin = 0; begin < n; begin += chunk) {
    const std::int64_t size = std::min(chunk, n - begin);
    if (input.empty() || input.dims()[0] != size) input = Tensor::plain(net.input_dims(size));
    std::memcpy(input.data(), data.image(begin), static_cast<std::size_t>(size * data.sample_size()) * sizeof(float));
    const Tensor& logits = net.forward(input, mode);
    loss_sum += loss_fn.forward(logits, data.labels.data() + begin) * static_cast<double>(size);
    correct += loss_fn.correct();
    const auto values = logits.to_vector();
    out.logits.insert(out.logits.end(), values.begin(), values.end());
  }
  out.loss = loss_sum / static_cast<double>(n);
  out.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  return out;
}

std::vector<double> average_ranks(const std::vector<double>& values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    const double rank = 0.5 * static_cast<double>(i + j) + 1.0;  // mean of ranks i+1 .. j+1
    for (std::size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) throw ShapeError("spearman: the two lists differ in length");
  const auto nan = std::nan("");
  if (x.size() < 2) return nan;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (std::isnan(x[i]) || std::isnan(y[i])) return nan;
  const auto rx = average_ranks(x), ry = average_ranks(y);
  const double mean = 0.5 * static_cast<double>(x.size() + 1);  // the mean rank, ties or not
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  if (sxx == 0 || syy == 0) return nan;
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace bnlab
