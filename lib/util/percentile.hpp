// Percentiles and means of samples, as the probes and precise BN report them.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace bnlab {

// The p-th percentile (p in [0, 100]) of sorted values, linear between order statistics
// (numpy's default); NaN for none.
template <class T>
double percentile_of_sorted(const std::vector<T>& sorted, double p) {
  if (sorted.empty()) return std::nan("");
  const double pos = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return static_cast<double>(sorted[lo]) + frac * (static_cast<double>(sorted[hi]) - static_cast<double>(sorted[lo]));
}

// The same on unsorted values (sorts them).
inline double percentile(std::vector<double>& values, double p) {
  std::sort(values.begin(), values.end());
  return percentile_of_sorted(values, p);
}

// The arithmetic mean; NaN for none.
inline double mean_of(const std::vector<double>& values) {
  return values.empty() ? std::nan("")
                        : std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

}  // namespace bnlab
