#include "probes/batch_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/errors.hpp"
#include "util/percentile.hpp"

namespace bnlab {

namespace {

constexpr std::int64_t kChunk = 1000;  // samples per eval forward

// Per-sample, per-channel sums of one norm input: sum[i*C + c] = Σ_hw x, sq = Σ_hw x².
struct ChannelSums {
  Leaf norm;  // the norm layer
  std::int64_t channels = 0, spatial = 0;
  std::vector<double> sum, sq;
};

Tensor* buffer_named(Layer& layer, const std::string& name) {
  for (const Buffer& b : layer.buffers())
    if (b.name == name) return b.value;
  return nullptr;
}

}  // namespace

BatchStats::Settings BatchStats::read(SettingsReader& reader, const TrainConfig& train) {
  Settings s;
  s.every = reader.integer("every", 500, 1, SettingsReader::kNoMax,
                           "measure after the update of every this many steps, and after the last step");
  s.samples = reader.integer("samples", 10000, 2, SettingsReader::kNoMax,
                             "population: the first this many training images (at most the training set)");
  s.batch_sizes = reader.integers("batch_sizes", {0}, 0, "mini-batch sizes to draw (0: train.batch_size)");
  s.draws = reader.integer("draws", 200, 1, SettingsReader::kNoMax, "random mini-batches drawn per batch size");
  s.seed = static_cast<std::uint64_t>(train.seed);
  for (std::size_t i = 0; i < s.batch_sizes.size(); ++i) {
    if (s.batch_sizes[i] == 0) s.batch_sizes[i] = train.batch_size;
    if (s.batch_sizes[i] > s.samples)
      reader.problem("batch_sizes[" + std::to_string(i) + "]",
                     "must be at most samples (" + std::to_string(s.samples) + "), got " + std::to_string(s.batch_sizes[i]));
  }
  return s;
}

BatchStats::BatchStats(Network& net, const Dataset& train, Settings settings)
    : net_(net),
      data_(train),
      settings_(std::move(settings)),
      samples_(std::min(settings_.samples, train.n)),
      rng_(derive_seed(settings_.seed, 0xba7c5)) {
  const auto largest = *std::max_element(settings_.batch_sizes.begin(), settings_.batch_sizes.end());
  if (largest > samples_)
    throw ConfigError("probes.batch_stats.batch_sizes: the training set has " + std::to_string(train.n) +
                      " samples, fewer than the batch size " + std::to_string(largest));
  order_.resize(static_cast<std::size_t>(samples_));
  std::iota(order_.begin(), order_.end(), std::int64_t{0});
  table_.columns = columns();
}

void BatchStats::after_update(StepContext& ctx) {
  if (ctx.step % settings_.every == 0 || ctx.step == ctx.total_steps) measure(ctx.step);
}

void BatchStats::measure(std::int64_t step) {
  std::vector<ChannelSums> norms;
  for (const Leaf& leaf : net_.leaves())
    if (leaf.layer->is_norm()) norms.push_back({leaf, 0, 0, {}, {}});
  if (norms.empty()) return;

  // Population pass: eval forwards change no state (running statistics are only read).
  const auto n = samples_;
  Tensor input;
  for (std::int64_t begin = 0; begin < n; begin += kChunk) {
    const std::int64_t size = std::min(kChunk, n - begin);
    if (input.empty() || input.dims()[0] != size) input = Tensor::plain(net_.input_dims(size));
    std::memcpy(input.data(), data_.image(begin), static_cast<std::size_t>(size * data_.sample_size()) * sizeof(float));
    net_.forward(input, Mode::eval);
    for (auto& s : norms) {
      const Tensor* x = s.norm.input(Mode::eval);  // (size, C[, H, W])
      const std::vector<float> v = x->to_vector();            // row-major whatever the layout
      if (s.channels == 0) {
        s.channels = x->dims()[1];
        s.spatial = static_cast<std::int64_t>(v.size()) / (size * s.channels);
        s.sum.assign(static_cast<std::size_t>(n * s.channels), 0.0);
        s.sq.assign(s.sum.size(), 0.0);
      }
      for (std::int64_t i = 0; i < size; ++i)
        for (std::int64_t c = 0; c < s.channels; ++c) {
          const float* p = v.data() + (i * s.channels + c) * s.spatial;
          double a = 0, b = 0;
          for (std::int64_t k = 0; k < s.spatial; ++k) {
            a += p[k];
            b += static_cast<double>(p[k]) * p[k];
          }
          const auto at = static_cast<std::size_t>((begin + i) * s.channels + c);
          s.sum[at] = a;
          s.sq[at] = b;
        }
    }
  }

  std::vector<double> mean_errors, var_errors;
  for (std::size_t k = 0; k < norms.size(); ++k) {
    const auto& s = norms[k];
    const auto C = static_cast<std::size_t>(s.channels);
    std::vector<double> mu(C, 0.0), var(C, 0.0);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::size_t c = 0; c < C; ++c) {
        mu[c] += s.sum[static_cast<std::size_t>(i) * C + c];
        var[c] += s.sq[static_cast<std::size_t>(i) * C + c];
      }
    const double values = static_cast<double>(n * s.spatial);
    for (std::size_t c = 0; c < C; ++c) {
      mu[c] /= values;
      var[c] = std::max(0.0, var[c] / values - mu[c] * mu[c]);
    }
    // One row: errors of estimates (mu_hat, var_hat) from `mean_errors`/`var_errors` collected below.
    auto add_errors = [&](const std::vector<double>& mu_hat, const std::vector<double>& var_hat) {
      for (std::size_t c = 0; c < C; ++c) {
        mean_errors.push_back(std::abs(mu_hat[c] - mu[c]) / std::sqrt(var[c] + kEps));
        if (var[c] > 0) var_errors.push_back(std::abs(var_hat[c] / var[c] - 1.0));
      }
    };
    auto emit = [&](double batch_size, double draws) {
      table_.rows.push_back({static_cast<double>(step), static_cast<double>(k), batch_size, draws, mean_of(mean_errors),
                             percentile(mean_errors, 90), mean_of(var_errors), percentile(var_errors, 90)});
      mean_errors.clear();
      var_errors.clear();
    };

    for (const std::int64_t B : settings_.batch_sizes) {
      std::vector<double> mu_b(C), var_b(C);
      const double batch_values = static_cast<double>(B * s.spatial);
      for (std::int64_t d = 0; d < settings_.draws; ++d) {
        // B distinct samples: a partial Fisher-Yates shuffle of the first B positions.
        for (std::int64_t i = 0; i < B; ++i) {
          const auto j = i + static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(n - i)));
          std::swap(order_[static_cast<std::size_t>(i)], order_[static_cast<std::size_t>(j)]);
        }
        std::fill(mu_b.begin(), mu_b.end(), 0.0);
        std::fill(var_b.begin(), var_b.end(), 0.0);
        for (std::int64_t i = 0; i < B; ++i) {
          const auto row = static_cast<std::size_t>(order_[static_cast<std::size_t>(i)]) * C;
          for (std::size_t c = 0; c < C; ++c) {
            mu_b[c] += s.sum[row + c];
            var_b[c] += s.sq[row + c];
          }
        }
        for (std::size_t c = 0; c < C; ++c) {
          mu_b[c] /= batch_values;
          var_b[c] = std::max(0.0, var_b[c] / batch_values - mu_b[c] * mu_b[c]);
        }
        add_errors(mu_b, var_b);
      }
      emit(static_cast<double>(B), static_cast<double>(settings_.draws));
    }

    Layer& layer = *s.norm.layer;
    const Tensor* running_mean = buffer_named(layer, "running_mean");
    const Tensor* running_var = buffer_named(layer, "running_var");
    if (running_mean && running_var) {
      const auto rm = running_mean->to_vector(), rv = running_var->to_vector();
      add_errors(std::vector<double>(rm.begin(), rm.end()), std::vector<double>(rv.begin(), rv.end()));
      emit(std::nan(""), std::nan(""));
    }
  }
}

}  // namespace bnlab
