#include "probes/unit_tools.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/errors.hpp"
#include "model/presets.hpp"
#include "probes/settings.hpp"

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
  std::vector<std::size_t> weights;
  for (std::size_t i = 0; i < net.size(); ++i)
    if (is_weight_layer(net.layer(i))) weights.push_back(i);
  std::vector<HiddenLayer> out;
  for (std::size_t k = 0; k + 1 < weights.size(); ++k) {  // the last one is the classifier
    HiddenLayer h;
    h.index = weights[k];
    h.next = weights[k + 1];
    Layer& layer = net.layer(h.index);
    h.conv = layer.kind() == "conv2d";
    h.weight = param_named(layer, "weight");
    h.bias = param_named(layer, "bias");
    for (std::size_t i = h.index + 1; i < h.next && !h.norm; ++i)
      if (net.layer(i).is_norm()) h.norm = &net.layer(i);
    out.push_back(h);
  }
  return out;
}

std::vector<bool> hidden_layers_are_conv(const ModelConfig& model) {
  if (model.arch == "mlp") return std::vector<bool>(model.hidden.size(), false);
  std::vector<bool> out(model.channels.size(), true);
  out.insert(out.end(), model.fc.size(), false);
  return out;
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

bool refuse_layers_network(SettingsReader& reader, const ModelConfig& model, const std::string& key) {
  if (!is_layers_arch(model.arch)) return false;
  reader.problem(key, "this probe numbers the hidden layers of model.arch 'mlp' and 'cnn' only, not of a '" + model.arch +
                          "' network (probes that walk the layers by path, like ics and batch_stats, take any network)");
  return true;
}

}  // namespace bnlab
