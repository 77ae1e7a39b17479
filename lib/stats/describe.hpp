// Descriptive statistics over seeds and Student's t interval for a mean.
//
// The conventions a user's own plotting expects (scipy.stats, seaborn's 95% bands): the standard
// deviation is the sample one (n - 1 in the denominator); the 95% interval of a mean is
// mean ± t(0.975, n-1) · sd / sqrt(n). With n < 2 there is no spread and no interval (NaN).
#pragma once

#include <cstddef>
#include <vector>

namespace bnlab::stats {

// Quantile p (0 < p < 1) of Student's t distribution with df > 0 degrees of freedom, to ~1e-12
// relative accuracy (bisection on the CDF, which is a regularized incomplete beta function).
double student_t_quantile(double p, double df);

// P(T <= t) for Student's t with df degrees of freedom.
double student_t_cdf(double t, double df);

struct Description {
  std::size_t n = 0;
  double mean = 0, sd = 0;            // sd: NaN when n < 2
  double ci_low = 0, ci_high = 0;     // 95% Student t interval of the mean; NaN when n < 2
  double min = 0, max = 0;            // NaN when n == 0 (so are mean and sd)
};

// The values must be finite (callers leave diverged and failed runs out and count them apart).
Description describe(const std::vector<double>& values, double confidence = 0.95);

}  // namespace bnlab::stats
