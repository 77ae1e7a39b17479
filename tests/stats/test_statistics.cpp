// Statistics over seeds against values computed by hand: Student t quantiles (checked against the
// closed forms for 1, 2 and 4 degrees of freedom and numerical integration of the density), the 95%
// interval of a mean, and the exact sign-flip permutation p-value.
#include <catch2/catch.hpp>

#include <cmath>

#include "stats/describe.hpp"
#include "stats/paired.hpp"

using namespace bnlab::stats;
using Catch::Matchers::WithinRel;
using Catch::Matchers::WithinAbs;

TEST_CASE("Student t quantiles match the tables", "[stats]") {
  CHECK_THAT(student_t_quantile(0.975, 1), WithinRel(12.706204736174707, 1e-10));
  CHECK_THAT(student_t_quantile(0.975, 2), WithinRel(4.302652729749464, 1e-10));
  CHECK_THAT(student_t_quantile(0.975, 4), WithinRel(2.7764451051977987, 1e-10));
  CHECK_THAT(student_t_quantile(0.975, 9), WithinRel(2.2621571627409915, 1e-10));
  CHECK_THAT(student_t_quantile(0.975, 30), WithinRel(2.0422724563012373, 1e-10));
  CHECK_THAT(student_t_quantile(0.95, 5), WithinRel(2.0150483733330233, 1e-10));
  CHECK_THAT(student_t_quantile(0.025, 4), WithinRel(-2.7764451051977987, 1e-10));
  CHECK(student_t_quantile(0.5, 7) == Approx(0).margin(1e-12));
  CHECK_THAT(student_t_cdf(2.0, 3), WithinRel(0.9303370157205785, 1e-10));
  CHECK_THROWS_AS(student_t_quantile(1.0, 3), std::invalid_argument);
  CHECK_THROWS_AS(student_t_quantile(0.5, 0), std::invalid_argument);
}

TEST_CASE("describe: mean, sample sd and the 95% t interval", "[stats]") {
  // (a vector, not a braced list: schema.hpp's describe(json) would take one too in a unity build)
  const auto d = describe(std::vector<double>{1, 2, 3, 4, 5});
  CHECK(d.n == 5);
  CHECK(d.mean == 3);
  CHECK_THAT(d.sd, WithinRel(std::sqrt(2.5), 1e-14));  // sum of squares 10, over n - 1 = 4
  // half width t(0.975, 4) * sqrt(2.5) / sqrt(5) = 2.7764451051977987 * 0.7071067811865476
  CHECK_THAT(d.ci_low, WithinRel(3 - 1.9632431614775607, 1e-10));
  CHECK_THAT(d.ci_high, WithinRel(3 + 1.9632431614775607, 1e-10));
  CHECK(d.min == 1);
  CHECK(d.max == 5);

  const auto one = describe(std::vector<double>{0.7});
  CHECK(one.n == 1);
  CHECK(one.mean == 0.7);
  CHECK(std::isnan(one.sd));
  CHECK(std::isnan(one.ci_low));
  CHECK(std::isnan(describe(std::vector<double>{}).mean));
}

TEST_CASE("sign-flip p-values enumerate all 2^n sign assignments", "[stats]") {
  bool exact = false;
  // 15 is reached only by all + and all -: 2 of 32.
  CHECK(sign_flip_p_value({1, 2, 3, 4, 5}, &exact) == 0.0625);
  CHECK(exact);
  // sums of ±1 ±1 ±2 (observed 1 - 1 + 2 = 2): 4, 0, 2, -2, 2, -2, 0, -4; |s| >= 2 in 6 of 8
  CHECK(sign_flip_p_value({1, -1, 2}) == 0.75);
  // 3+1+1+1 = 6: flipping a 1 gives 4, flipping the 3 gives 0: only all + and all -
  CHECK(sign_flip_p_value({3, 1, 1, 1}) == 0.125);
  // a zero sum is matched by every assignment
  CHECK(sign_flip_p_value({1, 1, -2}) == 1.0);
  // ties with the observed sum count as extreme, also when rounding makes them differ in the last bit
  CHECK(sign_flip_p_value({0.1, 0.2, 0.3}) == sign_flip_p_value({1, 2, 3}));
  CHECK(std::isnan(sign_flip_p_value({})));
}

TEST_CASE("sign-flip p-values above the exact limit are seeded Monte Carlo estimates", "[stats]") {
  std::vector<double> d(kExactPairsMax + 1, 1.0);
  bool exact = true;
  const double p = sign_flip_p_value(d, &exact);
  CHECK_FALSE(exact);
  CHECK(p > 0);
  CHECK(p < 1e-5);  // the exact value is 2 / 2^25
  CHECK(sign_flip_p_value(d) == p);  // the same data, the same p
  // 16 ones and 9 minus ones: the sum 7 is matched when the number K of minus signs is <= 9 or >= 16,
  // K ~ Binomial(25, 1/2): p = 2 P(K <= 9) = 0.2295229434967041; 2^20 draws give it within ~0.0005.
  for (std::size_t i = 0; i < 9; ++i) d[i] = -1;
  CHECK_THAT(sign_flip_p_value(d), WithinAbs(0.2295229434967041, 0.003));
}

TEST_CASE("compare_paired: the estimate is the mean of a - b with its t interval", "[stats]") {
  const auto c = compare_paired({0.90, 0.80, 0.85}, {0.80, 0.75, 0.80});
  CHECK(c.difference.n == 3);
  CHECK_THAT(c.difference.mean, WithinAbs(0.2 / 3, 1e-12));
  // differences 0.1, 0.05, 0.05: sd = sqrt((1/30^2 + 2/60^2) / 2) = 0.028867513459481
  CHECK_THAT(c.difference.sd, WithinRel(0.028867513459481287, 1e-9));
  // half width t(0.975, 2) * sd / sqrt(3) = 4.302652729749464 / 60
  CHECK_THAT(c.difference.ci_high - c.difference.mean, WithinRel(4.302652729749464 / 60, 1e-9));
  CHECK(c.p == 0.25);  // flipping a 0.05 gives 0.1, flipping the 0.1 gives 0: 2 of 8
  CHECK_THROWS_AS(compare_paired({1, 2}, {1}), std::invalid_argument);
}
