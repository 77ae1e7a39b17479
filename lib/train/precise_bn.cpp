#include "train/precise_bn.hpp"

#include <cmath>
#include <cstring>

#include "core/errors.hpp"
#include "util/percentile.hpp"

namespace bnlab {

namespace {

constexpr double kEps = 1e-5;  // the scale of the mean gap, as the batch_stats probe's

struct BnLayer {
  std::string path;
  BatchNorm* bn;
};

std::vector<BnLayer> bn_layers(Network& net) {
  std::vector<BnLayer> found;
  for (const Leaf& leaf : net.leaves())
    if (auto* bn = dynamic_cast<BatchNorm*>(leaf.layer)) found.push_back({leaf.path, bn});
  return found;
}

// Saves a layer's running statistics and puts them back when it goes out of scope, so that the
// network leaves evaluate_precise_bn as it came in even when an evaluation throws.
class RunningStatsGuard {
 public:
  explicit RunningStatsGuard(const std::vector<BnLayer>& layers) : layers_(layers) {
    for (const auto& l : layers_) {
      saved_.push_back(copy(l.bn->running_mean()));
      saved_.push_back(copy(l.bn->running_var()));
    }
  }
  ~RunningStatsGuard() {
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      restore(layers_[i].bn->running_mean(), saved_[2 * i]);
      restore(layers_[i].bn->running_var(), saved_[2 * i + 1]);
    }
  }
  RunningStatsGuard(const RunningStatsGuard&) = delete;
  RunningStatsGuard& operator=(const RunningStatsGuard&) = delete;
  // The saved (EMA) statistics of layer i.
  const std::vector<float>& mean(std::size_t i) const { return saved_[2 * i]; }
  const std::vector<float>& var(std::size_t i) const { return saved_[2 * i + 1]; }

 private:
  static std::vector<float> copy(const Tensor& t) { return {t.data(), t.data() + t.numel()}; }
  static void restore(Tensor& t, const std::vector<float>& v) { std::memcpy(t.data(), v.data(), v.size() * sizeof(float)); }

  const std::vector<BnLayer>& layers_;
  std::vector<std::vector<float>> saved_;
};

PreciseBnLayer gaps(const std::string& path, const std::vector<float>& ema_mean, const std::vector<float>& ema_var,
                    const Tensor& mean, const Tensor& var) {
  std::vector<double> mean_gaps, var_gaps;
  for (std::size_t c = 0; c < ema_mean.size(); ++c) {
    const double v = var.data()[c];
    mean_gaps.push_back(std::abs(static_cast<double>(ema_mean[c]) - mean.data()[c]) / std::sqrt(v + kEps));
    if (v > 0) var_gaps.push_back(std::abs(static_cast<double>(ema_var[c]) / v - 1.0));
  }
  PreciseBnLayer layer;
  layer.path = path;
  layer.channels = static_cast<std::int64_t>(ema_mean.size());
  layer.mean_gap = mean_of(mean_gaps);
  layer.mean_gap_p90 = percentile(mean_gaps, 90);
  layer.var_gap = mean_of(var_gaps);
  layer.var_gap_p90 = percentile(var_gaps, 90);
  return layer;
}

}  // namespace

bool has_running_statistics(Network& net) { return !bn_layers(net).empty(); }

std::vector<BatchNorm::PopulationStats> population_statistics(Network& net, const Dataset& train, std::int64_t samples,
                                                              std::int64_t batch_size) {
  const auto layers = bn_layers(net);
  std::vector<BatchNorm::PopulationStats> population(layers.size());
  struct Detach {  // stop collecting even when a forward throws
    const std::vector<BnLayer>& layers;
    ~Detach() {
      for (const auto& l : layers) l.bn->collect_population_stats(nullptr);
    }
  } detach{layers};
  for (std::size_t i = 0; i < layers.size(); ++i) layers[i].bn->collect_population_stats(&population[i]);
  Evaluator pass(batch_size);
  pass(net, train, Mode::eval_batch_stats, samples);
  return population;
}

PreciseBnResult evaluate_precise_bn(Network& net, const Dataset& train, const Dataset& test, const Dataset* validation,
                                    const PreciseBnConfig& config, std::int64_t batch_stats_batch) {
  const auto layers = bn_layers(net);
  if (layers.empty()) throw ConfigError("precise BN: the network has no batch_norm layer whose statistics it could recompute");
  const std::int64_t batch = config.batch_size;
  if (batch < 2 || batch_stats_batch < 2)
    throw ConfigError("precise BN: batch statistics need batches of at least 2 images, got " +
                      std::to_string(std::min(batch, batch_stats_batch)));
  const std::int64_t samples = std::min(config.samples, train.n) / batch * batch;
  if (samples < batch)
    throw ConfigError("precise BN: " + std::to_string(std::min(config.samples, train.n)) +
                      " training images are fewer than one batch of " + std::to_string(batch));
  if (test.n < batch_stats_batch)
    throw ConfigError("precise BN: the test set has " + std::to_string(test.n) + " images, fewer than one batch of " +
                      std::to_string(batch_stats_batch));

  PreciseBnResult result;
  result.samples = samples;
  {
    RunningStatsGuard ema(layers);
    const auto population = population_statistics(net, train, samples, batch);
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const auto& pop = population[i];
      const double count = static_cast<double>(pop.count);
      Tensor& mean = layers[i].bn->running_mean();
      Tensor& var = layers[i].bn->running_var();
      for (std::size_t c = 0; c < pop.mean.size(); ++c) {
        mean.data()[c] = static_cast<float>(pop.mean[c]);
        var.data()[c] = static_cast<float>(pop.m2[c] / (count - 1.0));
      }
      result.layers.push_back(gaps(layers[i].path, ema.mean(i), ema.var(i), mean, var));
    }
    Evaluator evaluator;
    result.test_precise = evaluator(net, test, Mode::eval);
    if (validation && validation->n > 0)
      result.val_precise = evaluator(net, *validation, Mode::eval);
    else
      result.val_precise = {std::nan(""), std::nan("")};
  }  // EMA statistics back
  result.batch_stats_samples = test.n / batch_stats_batch * batch_stats_batch;
  result.test_batch_stats = Evaluator(batch_stats_batch)(net, test, Mode::eval_batch_stats, result.batch_stats_samples);
  return result;
}

}  // namespace bnlab
