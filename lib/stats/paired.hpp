// A paired comparison over seeds: runs that differ only in the compared key share their
// initialization and data order, so the effect is estimated from the per-seed differences
// d_i = a_i - b_i (scipy.stats.ttest_rel's convention, a minus b).
//
// - estimate: mean of d, with its 95% Student t interval (describe());
// - p: two-sided sign-flip permutation test of "d is symmetric around 0". Under that null every
//   d_i is as likely to be -d_i, so the p-value is the share of the 2^n sign assignments whose
//   |sum| is at least the observed |sum|. Exact (all 2^n) for n <= kExactPairsMax; above that a
//   Monte Carlo estimate from kMonteCarloDraws seeded draws (p_exact says which). With n pairs the
//   smallest possible exact p is 2 / 2^n: 0.0625 for 5 seeds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "stats/describe.hpp"

namespace bnlab::stats {

inline constexpr std::size_t kExactPairsMax = 24;
inline constexpr std::uint64_t kMonteCarloDraws = std::uint64_t{1} << 20;

struct PairedComparison {
  Description difference;  // of a_i - b_i: n, mean (the estimate), sd, 95% interval, min, max
  double p = 0;            // two-sided sign-flip permutation p-value (NaN when n == 0)
  bool p_exact = true;
};

// Two-sided sign-flip p-value of the differences (see above).
double sign_flip_p_value(const std::vector<double>& differences, bool* exact = nullptr);

// a[i] and b[i] are one pair; the sizes must match.
PairedComparison compare_paired(const std::vector<double>& a, const std::vector<double>& b,
                                double confidence = 0.95);

}  // namespace bnlab::stats
