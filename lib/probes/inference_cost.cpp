#include "probes/inference_cost.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/timing.hpp"
#include "core/errors.hpp"
#include "core/tensor.hpp"
#include "layers/norm.hpp"
#include "model/fold.hpp"
#include "train/trainer.hpp"

namespace bnlab {

namespace {

bool has_norm_layer(Network& net, const ModelConfig& model) {
  if (model.norm != "none") return true;
  for (const auto& leaf : net.leaves())
    if (dynamic_cast<const Norm*>(leaf.layer)) return true;
  return false;
}

}  // namespace

InferenceCost::Settings InferenceCost::read(SettingsReader& reader, const TrainConfig& train) {
  Settings s;
  s.batch_size = reader.integer("batch_size", 0, 0, SettingsReader::kNoMax,
                                "test images per timed forward (0: train.batch_size)");
  s.repeats = reader.integer("repeats", 30, 1, 100000, "timed repeats per network (median and min over them)");
  s.min_time_ms = reader.integer("min_time_ms", 5, 0, 60000,
                                 "each repeat runs forwards back to back for at least this long (ms)");
  s.samples = reader.integer("samples", 1000, 1, SettingsReader::kNoMax,
                             "test images on which folded and unfolded logits are compared (rounded down to whole "
                             "batches; at least one batch)");
  if (s.batch_size == 0) s.batch_size = train.batch_size;
  return s;
}

InferenceCost::InferenceCost(Network& net, const Dataset& train, const Dataset& test, const ModelConfig& model,
                             const TrainConfig& train_config, Settings settings)
    : net_(net),
      test_(test),
      model_(model),
      settings_(settings),
      final_step_(planned_steps(train_config, train.n)),
      limit_(std::max(settings_.batch_size,
                      std::min(settings_.samples, test.n) / settings_.batch_size * settings_.batch_size)),
      unfolded_ms_(std::nan("")),
      folded_ms_(std::nan("")) {
  if (test.n < 1) throw ConfigError("probes.inference_cost: the test set is empty");
  table_.columns = columns();
}

void InferenceCost::on_eval(const EvalPoint& point) {
  if (point.step != final_step_) return;
  const std::int64_t batch = settings_.batch_size;
  Tensor input = Tensor::plain(net_.input_dims(batch));
  // Test images first..first+batch-1, wrapping around a test set smaller than one batch.
  std::vector<float> pixels(static_cast<std::size_t>(input.numel()));
  auto load = [&](std::int64_t first) {
    const auto size = static_cast<std::size_t>(test_.sample_size());
    for (std::int64_t k = 0; k < batch; ++k)
      std::copy_n(test_.image((first + k) % test_.n), size, pixels.begin() + static_cast<std::ptrdiff_t>(k * size));
    input.from_vector(pixels);
  };
  TimingOptions timing;
  timing.repeats = static_cast<int>(settings_.repeats);
  timing.min_repeat_ms = static_cast<double>(settings_.min_time_ms);

  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto row = [&](double folded, const Timing& t, double samples, double diff, double logit) {
    table_.rows.push_back({static_cast<double>(point.step), folded, static_cast<double>(batch),
                           static_cast<double>(settings_.repeats), t.median_ms, t.min_ms, samples, diff, logit});
  };

  load(0);
  const Timing unfolded = measure([&] { net_.forward(input, Mode::eval); }, timing);
  unfolded_ms_ = unfolded.median_ms;
  if (!foldable(model_)) {
    row(0, unfolded, nan, nan, nan);
    if (!has_norm_layer(net_, model_)) folded_ms_ = unfolded.median_ms;  // folding would change nothing
    return;
  }
  auto folded = fold_batch_norm(net_, model_);
  double diff = 0, scale = 0;
  for (std::int64_t first = 0; first + batch <= limit_; first += batch) {
    load(first);
    const auto a = net_.forward(input, Mode::eval).to_vector();
    const auto b = folded->forward(input, Mode::eval).to_vector();
    for (std::size_t i = 0; i < a.size(); ++i) {
      diff = std::max(diff, static_cast<double>(std::abs(a[i] - b[i])));
      scale = std::max(scale, static_cast<double>(std::abs(a[i])));
    }
  }
  load(0);
  const Timing folded_timing = measure([&] { folded->forward(input, Mode::eval); }, timing);
  folded_ms_ = folded_timing.median_ms;
  row(0, unfolded, static_cast<double>(limit_), nan, scale);
  row(1, folded_timing, static_cast<double>(limit_), diff, scale);
}

}  // namespace bnlab
