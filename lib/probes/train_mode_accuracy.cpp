#include "probes/train_mode_accuracy.hpp"

#include <algorithm>

#include "core/errors.hpp"

namespace bnlab {

TrainModeAccuracy::Settings TrainModeAccuracy::read(SettingsReader& reader, const TrainConfig& train) {
  Settings s;
  s.split = reader.choice("split", "test", {"test", "train"}, "data to evaluate: the first samples of the test or the training set");
  s.samples = reader.integer("samples", 2000, 1, SettingsReader::kNoMax,
                             "how many samples (rounded down to a multiple of batch_size)");
  s.batch_size = reader.integer("batch_size", 0, 0, SettingsReader::kNoMax,
                                "batch size of the batch-statistics pass (0: train.batch_size)");
  if (s.batch_size == 0) s.batch_size = train.batch_size;
  if (s.batch_size < 2) reader.problem("batch_size", "batch statistics need a batch of at least 2, got " + std::to_string(s.batch_size));
  if (s.samples < s.batch_size)
    reader.problem("samples", "must be at least the batch size " + std::to_string(s.batch_size) + ", got " +
                                  std::to_string(s.samples));
  return s;
}

TrainModeAccuracy::TrainModeAccuracy(Network& net, const Dataset& train, const Dataset& test, Settings settings)
    : net_(net),
      data_(settings.split == "train" ? train : test),
      settings_(std::move(settings)),
      limit_(std::min(settings_.samples, data_.n) / settings_.batch_size * settings_.batch_size),
      evaluator_(settings_.batch_size, settings_.batch_size) {  // batch statistics of whole batches
  if (limit_ < settings_.batch_size)
    throw ConfigError("probes.train_mode_accuracy: the " + settings_.split + " set has " + std::to_string(data_.n) +
                      " samples, fewer than one batch of " + std::to_string(settings_.batch_size));
  table_.columns = columns();
}

void TrainModeAccuracy::on_eval(const EvalPoint& point) {
  const Evaluation eval = evaluator_(net_, data_, Mode::eval, limit_);
  const Evaluation batch = evaluator_(net_, data_, Mode::eval_batch_stats, limit_);
  table_.rows.push_back({static_cast<double>(point.step), static_cast<double>(settings_.batch_size),
                         static_cast<double>(limit_), eval.loss, eval.accuracy, batch.loss, batch.accuracy});
}

}  // namespace bnlab
