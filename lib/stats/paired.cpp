#include "stats/paired.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

namespace bnlab::stats {

double sign_flip_p_value(const std::vector<double>& differences, bool* exact) {
  const std::size_t n = differences.size();
  if (exact) *exact = n <= kExactPairsMax;
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  double observed = 0, scale = 0;
  for (double d : differences) {
    observed += d;
    scale += std::fabs(d);
  }
  observed = std::fabs(observed);
  // Sums that equal the observed one up to rounding count as "at least as extreme".
  const double threshold = observed - 1e-12 * std::max(scale, 1e-300);

  if (n <= kExactPairsMax) {
    // Walk all 2^n sign assignments in Gray-code order: each step flips one sign, so the sum
    // changes by ±2 d_i and the walk costs O(2^n).
    const std::uint64_t count = std::uint64_t{1} << n;
    double sum = 0;
    for (double d : differences) sum += d;  // start: all signs +
    std::uint64_t extreme = std::fabs(sum) >= threshold ? 1 : 0;
    std::vector<int> sign(n, 1);
    for (std::uint64_t k = 1; k < count; ++k) {
      const int bit = __builtin_ctzll(k);  // the bit that changes between gray(k-1) and gray(k)
      sum -= 2.0 * sign[bit] * differences[bit];
      sign[bit] = -sign[bit];
      if (std::fabs(sum) >= threshold) ++extreme;
    }
    return static_cast<double>(extreme) / static_cast<double>(count);
  }
  std::mt19937_64 rng(20180101);  // fixed: the same data always give the same p
  std::uint64_t extreme = 1;       // the observed assignment itself (keeps p > 0, as is usual)
  for (std::uint64_t draw = 0; draw < kMonteCarloDraws; ++draw) {
    double sum = 0;
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (i % 64 == 0) bits = rng();
      sum += (bits & 1) ? differences[i] : -differences[i];
      bits >>= 1;
    }
    if (std::fabs(sum) >= threshold) ++extreme;
  }
  return static_cast<double>(extreme) / static_cast<double>(kMonteCarloDraws + 1);
}

PairedComparison compare_paired(const std::vector<double>& a, const std::vector<double>& b, double confidence) {
  if (a.size() != b.size()) throw std::invalid_argument("compare_paired: a and b must have one value per pair");
  std::vector<double> d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  PairedComparison result;
  result.difference = describe(d, confidence);
  result.p = sign_flip_p_value(d, &result.p_exact);
  return result;
}

}  // namespace bnlab::stats
