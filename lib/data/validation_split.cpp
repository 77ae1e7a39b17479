#include "data/validation_split.hpp"

#include <algorithm>
#include <string>

#include "core/errors.hpp"
#include "core/random.hpp"

namespace bnlab {

std::vector<std::int64_t> validation_indices(const std::vector<std::int32_t>& labels, std::int64_t num_classes,
                                             std::int64_t val_size) {
  const auto n = static_cast<std::int64_t>(labels.size());
  std::vector<std::vector<std::int64_t>> by_class(static_cast<std::size_t>(num_classes));
  for (std::int64_t i = 0; i < n; ++i) by_class.at(static_cast<std::size_t>(labels[static_cast<std::size_t>(i)])).push_back(i);

  // Largest-remainder quotas: val_size * n_c / n, rounded so that they sum to val_size.
  std::vector<std::int64_t> quota(by_class.size());
  std::vector<std::pair<std::int64_t, std::size_t>> remainders;  // (val_size * n_c mod n, class)
  std::int64_t given = 0;
  for (std::size_t c = 0; c < by_class.size(); ++c) {
    const std::int64_t scaled = val_size * static_cast<std::int64_t>(by_class[c].size());
    quota[c] = n > 0 ? scaled / n : 0;
    given += quota[c];
    remainders.emplace_back(n > 0 ? scaled % n : 0, c);
  }
  std::stable_sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < val_size && k < remainders.size(); ++k, ++given) ++quota[remainders[k].second];

  // Per class, a partial Fisher-Yates shuffle picks quota[c] of its images.
  Rng rng(kValidationSeed);
  std::vector<std::int64_t> chosen;
  chosen.reserve(static_cast<std::size_t>(val_size));
  for (std::size_t c = 0; c < by_class.size(); ++c) {
    auto& members = by_class[c];
    const auto take = std::min<std::int64_t>(quota[c], static_cast<std::int64_t>(members.size()));
    for (std::int64_t k = 0; k < take; ++k) {
      const auto j = k + static_cast<std::int64_t>(rng.below(members.size() - static_cast<std::size_t>(k)));
      std::swap(members[static_cast<std::size_t>(k)], members[static_cast<std::size_t>(j)]);
      chosen.push_back(members[static_cast<std::size_t>(k)]);
    }
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

namespace {

Dataset empty_like(const Dataset& pool) {
  Dataset d;
  d.channels = pool.channels;
  d.height = pool.height;
  d.width = pool.width;
  d.num_classes = pool.num_classes;
  return d;
}

void append(Dataset& to, const Dataset& from, std::int64_t i) {
  const float* image = from.image(i);
  to.images.insert(to.images.end(), image, image + from.sample_size());
  to.labels.push_back(from.labels[static_cast<std::size_t>(i)]);
  ++to.n;
}

}  // namespace

TrainValidation split_validation(const Dataset& pool, std::int64_t val_size,
                                 const std::optional<std::int64_t>& train_size) {
  if (val_size < 0) throw ConfigError("data.val_size must be at least 0 (got " + std::to_string(val_size) + ")");
  if (val_size >= pool.n)
    throw ConfigError("data.val_size = " + std::to_string(val_size) + " leaves no training images (the training set has " +
                      std::to_string(pool.n) + "); hold out fewer");
  const std::int64_t left = pool.n - val_size;
  if (train_size && *train_size > left)
    throw ConfigError("data.train_size = " + std::to_string(*train_size) + " is larger than the " + std::to_string(left) +
                      " training images left after data.val_size = " + std::to_string(val_size) + " of " +
                      std::to_string(pool.n));
  const std::vector<std::int64_t> held_out = validation_indices(pool.labels, pool.num_classes, val_size);
  TrainValidation out{empty_like(pool), empty_like(pool)};
  const std::int64_t keep = train_size.value_or(left);
  out.train.images.reserve(static_cast<std::size_t>(keep * pool.sample_size()));
  out.validation.images.reserve(static_cast<std::size_t>(val_size * pool.sample_size()));
  std::size_t next_held = 0;
  for (std::int64_t i = 0; i < pool.n; ++i) {
    if (next_held < held_out.size() && held_out[next_held] == i) {
      append(out.validation, pool, i);
      ++next_held;
    } else if (out.train.n < keep) {
      append(out.train, pool, i);
    }
  }
  return out;
}

}  // namespace bnlab
