// The synthetic data set of the training tests, loaded once per (sizes, seed) and kept for the
// whole test binary.
#pragma once

#include <map>
#include <tuple>

#include "data/dataset.hpp"

namespace bnlab::testing {

inline const DataSplit& synthetic_split(std::int64_t train_size, std::int64_t test_size, std::uint64_t seed) {
  static std::map<std::tuple<std::int64_t, std::int64_t, std::uint64_t>, DataSplit> cache;
  const auto key = std::make_tuple(train_size, test_size, seed);
  auto it = cache.find(key);
  if (it == cache.end()) {
    DataConfig d;
    d.dataset = "synthetic";
    d.train_size = train_size;
    d.test_size = test_size;
    it = cache.emplace(key, load_data(d, seed)).first;
  }
  return it->second;
}

}  // namespace bnlab::testing
