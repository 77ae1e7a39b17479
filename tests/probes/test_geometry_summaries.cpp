// The run-level summaries of the ics and landscape probes (runs.csv columns that claims judge),
// against hand-computed means of small tables.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "probes/ics.hpp"
#include "probes/landscape.hpp"

using namespace bnlab;

namespace {
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
}

TEST_CASE("ics summary: mean ||G-G'||/||G|| and cosine over layers > 0 at steps > 1", "[ics][results]") {
  ProbeTable t;
  t.columns = Ics::columns();  // step, layer, net_layer, grad_norm, diff_norm, cosine
  t.rows = {
      {1, 0, 0, 2.0, 0.0, 1.0},   // step 1: left out
      {1, 1, 2, 2.0, 2.0, 0.1},   // step 1: left out
      {50, 0, 0, 4.0, 0.0, 1.0},  // layer 0: left out
      {50, 1, 2, 4.0, 1.0, 0.9},  // 0.25, 0.9
      {50, 2, 4, 2.0, 1.0, 0.7},  // 0.5, 0.7
      {100, 1, 2, 0.0, 0.0, kNan},  // ||G|| = 0: neither mean
      {100, 2, 4, 5.0, 4.0, 0.2},  // 0.8, 0.2
  };
  const IcsSummary s = ics_summary(t);
  CHECK(s.mean_rel_diff == Approx((0.25 + 0.5 + 0.8) / 3));
  CHECK(s.mean_cosine == Approx((0.9 + 0.7 + 0.2) / 3));

  t.rows.resize(3);  // only step 1 and layer 0: nothing counts
  CHECK(std::isnan(ics_summary(t).mean_rel_diff));
  CHECK(std::isnan(ics_summary(t).mean_cosine));
}

TEST_CASE("landscape summary: per step max-min loss, max gradient change and beta, averaged over steps > 1",
          "[landscape][results]") {
  ProbeTable t;
  t.columns = Landscape::columns();  // step, factor, loss, distance, grad_change, grad_change_per_distance
  t.rows = {
      {1, 0, 2.3, 0, 0, kNan},  // step 1: left out whatever it holds
      {1, 1, 9.0, 1, 50, 50},
      {25, 0, 1.0, 0, 0, kNan},  // loss range 1.6 - 0.9 = 0.7, max change 3, beta max(2, 1.5) = 2
      {25, 0.5, 0.9, 0.5, 1, 2},
      {25, 1, 1.6, 1.0, 3, 1.5},
      {50, 0, 0.5, 0, 0, kNan},  // loss range 0.1, max change 0.4, beta 0.4
      {50, 1, 0.6, 1.0, 0.4, 0.4},
  };
  const LandscapeSummary s = landscape_summary(t);
  CHECK(s.mean_loss_variation == Approx((0.7 + 0.1) / 2));
  CHECK(s.mean_grad_change == Approx((3 + 0.4) / 2));
  CHECK(s.mean_beta == Approx((2 + 0.4) / 2));

  t.rows.resize(2);
  CHECK(std::isnan(landscape_summary(t).mean_loss_variation));
  CHECK(std::isnan(landscape_summary(t).mean_beta));
}
