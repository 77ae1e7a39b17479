#include "probes/unit_ablation.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/errors.hpp"
#include "probes/unit_tools.hpp"
#include "train/trainer.hpp"

namespace bnlab {

namespace {
constexpr std::int64_t kChunk = 1000;  // samples per full forward
}  // namespace

std::vector<std::int64_t> read_hidden_layers(SettingsReader& reader, const HiddenPlan& plan, bool fc_only,
                                             const std::string& description) {
  const auto refs = reader.layers("layers", {}, 0, description);
  std::vector<std::int64_t> layers;
  if (!plan.planned) return layers;
  const auto eligible = [&](std::size_t k) { return !fc_only || plan.layers[k].feeds_linear; };
  if (refs.empty()) {
    for (std::size_t k = 0; k < plan.layers.size(); ++k)
      if (eligible(k)) layers.push_back(static_cast<std::int64_t>(k));
    if (layers.empty())
      reader.problem("layers", fc_only ? "the model has no fully connected hidden layer" : "the model has no hidden layer");
    return layers;
  }
  for (std::size_t i = 0; i < refs.size(); ++i) {
    const std::string key = "layers[" + std::to_string(i) + "]";
    const auto k = resolve_hidden_layer(reader, key, refs[i], plan, /*negative_from_end=*/false);
    if (!k) continue;
    const PlannedHidden& h = plan.layers[*k];
    const std::string named = "hidden layer " + std::to_string(*k) + (plan.show_paths ? " (" + h.path + ")" : "");
    if (!eligible(*k) && h.conv)
      reader.problem(key, named + " is a conv block; only fully connected units can be ablated");
    else if (!eligible(*k))
      reader.problem(key, named + " does not feed a linear layer directly at the top level of the network (an "
                              "ablation zeroes the unit's column of that layer's weight)");
    else
      layers.push_back(static_cast<std::int64_t>(*k));
  }
  return layers;
}

UnitAblation::Settings UnitAblation::read(SettingsReader& reader, const HiddenPlan& plan) {
  Settings s;
  s.layers = read_hidden_layers(reader, plan, /*fc_only=*/true,
                                "hidden layers to ablate: 0-based indices (cnn: conv blocks count first) or path "
                                "names; [] = every fully connected hidden layer");
  s.samples = reader.integer("samples", 10000, 1, SettingsReader::kNoMax,
                             "test images scored (the first ones; at most the test set)");
  return s;
}

UnitAblation::UnitAblation(Network& net, const Dataset& train, const Dataset& test, const TrainConfig& train_config,
                           Settings settings)
    : net_(net), test_(test), settings_(std::move(settings)), total_steps_(planned_steps(train_config, train.n)) {
  table_.columns = columns();
}

void UnitAblation::on_eval(const EvalPoint& point) {
  if (point.step == total_steps_) measure();
}

std::vector<std::pair<std::string, double>> UnitAblation::results() const {
  // Every row of a layer repeats its spearman: take it from the layer's first row.
  double sum = 0;
  std::size_t layers = 0;
  for (std::size_t r = 0; r < table_.rows.size(); ++r) {
    const auto& row = table_.rows[r];
    if (r > 0 && table_.rows[r - 1].front() == row.front()) continue;
    sum += row.back();  // a NaN (undefined correlation) makes the mean NaN: an empty cell
    ++layers;
  }
  return {{"unit_ablation_mean_spearman", layers > 0 ? sum / static_cast<double>(layers) : std::nan("")}};
}

void UnitAblation::measure() {
  const auto hidden = hidden_layers(net_);
  const std::int64_t n = std::min(settings_.samples, test_.n);
  const std::int32_t* labels = test_.labels.data();
  for (const std::int64_t k : settings_.layers) {
    const HiddenLayer& h = hidden.at(static_cast<std::size_t>(k));
    if (h.conv) throw ConfigError("probes.unit_ablation: hidden layer " + std::to_string(k) + " is a conv block");
    const bool top_level = h.leaf.path.find('.') == std::string::npos && h.next.path.find('.') == std::string::npos;
    if (!top_level || h.next.parent != h.leaf.parent || h.next.layer->kind() != "linear")
      throw ConfigError("probes.unit_ablation: hidden layer " + std::to_string(k) + " (" + h.leaf.path +
                        ") does not feed a linear layer directly at the top level of the network");

    // The next linear layer's input over the n test images, (n, width) plain: the tail of the
    // network after the unit is all that an ablation changes.
    Tensor input;
    std::vector<float> cached;
    for (std::int64_t begin = 0; begin < n; begin += kChunk) {
      const std::int64_t size = std::min(kChunk, n - begin);
      if (input.empty() || input.dims()[0] != size) input = Tensor::plain(net_.input_dims(size));
      std::memcpy(input.data(), test_.image(begin), static_cast<std::size_t>(size * test_.sample_size()) * sizeof(float));
      net_.forward(input, Mode::eval);
      const auto v = h.next.input(Mode::eval)->to_vector();
      cached.insert(cached.end(), v.begin(), v.end());
    }
    const std::int64_t width = static_cast<std::int64_t>(cached.size()) / n;
    Tensor tail_input = Tensor::plain({n, width});
    tail_input.from_vector(cached);
    auto run_tail = [&]() {
      const Tensor* x = &tail_input;
      for (std::size_t i = h.next.index; i < net_.size(); ++i) x = &net_.layer(i).forward(*x, Mode::eval);
      const double loss = loss_fn_.forward(*x, labels);
      return std::make_pair(static_cast<double>(loss_fn_.correct()) / static_cast<double>(n), loss);
    };
    const auto [base_acc, base_loss] = run_tail();

    // Next layer's weight (out2, width): unit j feeds column j.
    Param* next_weight = nullptr;
    for (Param* p : h.next.layer->params())
      if (p->name == "weight") next_weight = p;
    if (!next_weight || next_weight->value.dims() != Dims{next_weight->value.dims()[0], width})
      throw ShapeError("unit_ablation: the layer after hidden layer " + std::to_string(k) + " is not a linear layer of width " +
                       std::to_string(width));
    float* w_next = next_weight->value.data();  // plain row-major
    const std::int64_t out2 = next_weight->value.dims()[0];
    const auto w = h.weight->value.to_vector();  // (width, in)
    const std::int64_t in = static_cast<std::int64_t>(w.size()) / width;

    std::vector<double> norms, drops;
    const std::size_t first_row = table_.rows.size();
    std::vector<float> column(static_cast<std::size_t>(out2));
    for (std::int64_t j = 0; j < width; ++j) {
      double sq = 0;
      for (std::int64_t i = 0; i < in; ++i) sq += static_cast<double>(w[static_cast<std::size_t>(j * in + i)]) * w[static_cast<std::size_t>(j * in + i)];
      for (std::int64_t o = 0; o < out2; ++o) {
        column[static_cast<std::size_t>(o)] = w_next[o * width + j];
        w_next[o * width + j] = 0.0f;
      }
      const auto [acc, loss] = run_tail();
      for (std::int64_t o = 0; o < out2; ++o) w_next[o * width + j] = column[static_cast<std::size_t>(o)];
      norms.push_back(std::sqrt(sq));
      drops.push_back(base_acc - acc);
      table_.rows.push_back({static_cast<double>(k), static_cast<double>(j), norms.back(), gamma_of(h.norm, j), base_acc,
                             acc, drops.back(), loss - base_loss, 0.0});
    }
    const double rho = spearman(norms, drops);
    for (std::size_t r = first_row; r < table_.rows.size(); ++r) table_.rows[r].back() = rho;
  }
}

}  // namespace bnlab
