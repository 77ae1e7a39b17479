// Claims: what a study expects, stated in its config before it runs, and judged by `bnlab verdict`
// from the runs (STUDIES.md, "How a claim is judged").
//
//   "claims": [{
//     "id": "bn_converges_faster",                       // unique, [A-Za-z0-9_.-]
//     "claim": "BN reaches 80% test accuracy in fewer steps than no normalization",
//     "metric": "steps_to_target",                       // a runs.csv result column, not one
//                                                        // selected on the test set (test_selection.hpp)
//     "compare": {"model.norm": ["batch", "none"]},      // one swept key and two of its values: A, B
//     "where": {"optimizer.lr": 0.1},                    // optional: only runs with these swept values
//     "expect": "less",                                  // A - B: "greater", "less" or "similar"
//     "margin": 500,                                     // practical relevance, in the metric's units
//     "relative": false,                                 // optional: judge the ratio A / B (below)
//     "diverged_as": 0.1                                 // optional: a diverged run's value (else left out)
//   }]
//
// The estimate is the mean paired difference A - B over runs that agree on every other key (the
// seed included), with its 95% Student t interval [lo, hi] and an exact sign-flip p-value, judged:
//   greater: supported when lo > margin; contradicted when hi < -margin or [lo, hi] lies inside
//            [-margin, margin] (no practically relevant difference); otherwise inconclusive.
//   less:    the mirror image (supported when hi < -margin).
//   similar: supported when [lo, hi] lies inside [-margin, margin]; contradicted when lo > margin
//            or hi < -margin; otherwise inconclusive.
// Fewer than 2 pairs give no interval: inconclusive.
//
// A relative claim ("relative": true; for times, whose size depends on the machine) compares A / B.
// Each pair gives d_i = ln(A_i / B_i) (both values must be > 0); the mean of d, its t interval and
// the sign-flip p are computed as above and judged by the same rule with margin ln(1 + margin), so
// that "margin": 0.05 means "A takes more than 5% longer than B" (greater: ratio > 1.05), "less
// than 1/1.05 of B" (less) or "within [1/1.05, 1.05] of B" (similar): a ratio and its inverse are
// judged alike. Reported are the ratio exp(mean d) (the geometric mean of A_i / B_i) and its
// interval [exp(lo), exp(hi)].
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bnlab {

struct SweepAxis;

enum class Expectation { Greater, Less, Similar };
enum class Verdict { Supported, Contradicted, Inconclusive };

const char* to_string(Expectation expectation);
const char* to_string(Verdict verdict);

struct Claim {
  std::string id, text, metric, key;
  nlohmann::json a, b;                                             // values of `key`, as swept
  std::vector<std::pair<std::string, nlohmann::json>> where;       // swept key -> value
  Expectation expect = Expectation::Greater;
  double margin = 0;
  bool relative = false;                                          // judge ln(A / B) (above)
  std::optional<double> diverged_as;
};

// The margin the interval is judged against: `margin`, or ln(1 + margin) for a relative claim.
double judged_margin(const Claim& claim);

// Parses and checks the "claims" list of an experiment against its sweep axes: the compared key
// and every `where` key must be swept, and their values among the swept values. Problems are
// appended as "claims[i].<key>: ..." lines.
std::vector<Claim> parse_claims(const nlohmann::json& claims, const std::vector<SweepAxis>& axes,
                                std::vector<std::string>& problems);

// The claims back as JSON (what `bnlab run` stores in <dir>/claims.json for `bnlab verdict`).
nlohmann::json claims_to_json(const std::vector<Claim>& claims);

// The rule above.
Verdict judge(Expectation expect, double margin, double ci_low, double ci_high);

// The runs.csv result columns a claim can name.
const std::vector<std::string>& claim_metrics();

}  // namespace bnlab
