#include "probes/scale_invariance.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/errors.hpp"
#include "probes/unit_ablation.hpp"
#include "probes/unit_tools.hpp"
#include "train/trainer.hpp"

namespace bnlab {

ScaleInvariance::Settings ScaleInvariance::read(SettingsReader& reader, const HiddenPlan& plan,
                                                const TrainConfig& train) {
  Settings s;
  s.layers = read_hidden_layers(reader, plan, /*fc_only=*/false,
                                "hidden layers to rescale: 0-based indices (cnn: conv blocks count first) or path "
                                "names; [] = all");
  s.factors = reader.numbers("factors", {0.1, 2, 10}, 0, 1e6, "factors a > 0 the layer's weight and bias are multiplied by");
  for (std::size_t i = 0; i < s.factors.size(); ++i)
    if (s.factors[i] == 0) reader.problem("factors[" + std::to_string(i) + "]", "must be > 0, got 0");
  s.samples = reader.integer("samples", 2000, 1, SettingsReader::kNoMax,
                             "test images scored (the first ones, rounded down to a multiple of batch_size)");
  s.batch_size = reader.integer("batch_size", 0, 0, SettingsReader::kNoMax,
                                "batch size of the batch-statistics pass (0: train.batch_size)");
  if (s.batch_size == 0) s.batch_size = train.batch_size;
  if (s.batch_size < 2)
    reader.problem("batch_size", "batch statistics need a batch of at least 2, got " + std::to_string(s.batch_size));
  else if (s.samples < s.batch_size)
    reader.problem("samples", "must be at least the batch size " + std::to_string(s.batch_size) + ", got " +
                                  std::to_string(s.samples));
  return s;
}

ScaleInvariance::ScaleInvariance(Network& net, const Dataset& train, const Dataset& test,
                                 const TrainConfig& train_config, Settings settings)
    : net_(net),
      test_(test),
      settings_(std::move(settings)),
      limit_(std::min(settings_.samples, test.n) / settings_.batch_size * settings_.batch_size),
      total_steps_(planned_steps(train_config, train.n)) {
  if (limit_ < settings_.batch_size)
    throw ConfigError("probes.scale_invariance: the test set has " + std::to_string(test.n) +
                      " samples, fewer than one batch of " + std::to_string(settings_.batch_size));
  table_.columns = columns();
}

void ScaleInvariance::on_eval(const EvalPoint& point) {
  if (point.step == total_steps_) measure();
}

std::vector<std::pair<std::string, double>> ScaleInvariance::results() const {
  // columns 3 and 6: batch_stats_max_rel and eval_max_rel (columns())
  auto largest = [&](std::size_t column) {
    if (table_.rows.empty()) return std::nan("");  // not measured (a diverged run)
    double out = -std::numeric_limits<double>::infinity();
    for (const auto& row : table_.rows) {
      if (std::isnan(row[column])) return std::nan("");  // undefined in one row: no largest
      out = std::max(out, row[column]);
    }
    return out;
  };
  return {{"scale_invariance_batch_stats_max_rel", largest(3)}, {"scale_invariance_eval_max_rel", largest(6)}};
}

void ScaleInvariance::measure() {
  const auto hidden = hidden_layers(net_);
  const auto chunk = settings_.batch_size;
  const Scores base_batch = score(net_, test_, Mode::eval_batch_stats, limit_, chunk, loss_fn_);
  const Scores base_eval = score(net_, test_, Mode::eval, limit_, chunk, loss_fn_);
  // max |z' - z|, that over max |z|, and the accuracy change.
  auto compare = [](const Scores& scaled, const Scores& base) {
    double diff = 0, size = 0;
    for (std::size_t i = 0; i < base.logits.size(); ++i) {
      diff = std::max(diff, std::abs(static_cast<double>(scaled.logits[i]) - base.logits[i]));
      size = std::max(size, std::abs(static_cast<double>(base.logits[i])));
    }
    return std::vector<double>{diff, size > 0 ? diff / size : std::nan(""), scaled.accuracy - base.accuracy};
  };
  for (const std::int64_t k : settings_.layers) {
    const HiddenLayer& h = hidden.at(static_cast<std::size_t>(k));
    std::vector<Param*> scaled{h.weight};
    if (h.bias) scaled.push_back(h.bias);
    std::vector<std::vector<float>> saved;
    for (Param* p : scaled) saved.push_back(p->value.to_vector());
    for (const double a : settings_.factors) {
      for (std::size_t p = 0; p < scaled.size(); ++p) {
        std::vector<float> v = saved[p];
        for (float& x : v) x = static_cast<float>(a * x);
        scaled[p]->value.from_vector(v);
      }
      const auto batch = compare(score(net_, test_, Mode::eval_batch_stats, limit_, chunk, loss_fn_), base_batch);
      const auto eval = compare(score(net_, test_, Mode::eval, limit_, chunk, loss_fn_), base_eval);
      for (std::size_t p = 0; p < scaled.size(); ++p) scaled[p]->value.from_vector(saved[p]);  // exact restore
      table_.rows.push_back({static_cast<double>(k), a, batch[0], batch[1], batch[2], eval[0], eval[1], eval[2]});
    }
  }
}

}  // namespace bnlab
