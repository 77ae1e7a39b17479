// `bnlab verdict`: every claim of an experiment (claims.hpp) judged on its runs.csv, written as
// <dir>/verdict.csv and <dir>/verdict.md. `bnlab run` stores the claims of its config in
// <dir>/claims.json and writes the verdict after collecting, so the files always match runs.csv.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "experiment/claims.hpp"
#include "util/csv.hpp"
#include "stats/paired.hpp"

namespace bnlab {

struct ClaimResult {
  Claim claim;
  stats::PairedComparison result;  // of metric(A) - metric(B); of ln(A / B) for a relative claim
  double estimate = 0, ci_low = 0, ci_high = 0;  // reported: the mean difference and its interval, or for
                                                 // a relative claim the ratio exp(mean) and exp(interval)
  std::size_t excluded = 0;        // pairs with a failed side, or a diverged side without diverged_as
  Verdict verdict = Verdict::Inconclusive;
  std::string note;                // why a claim could not be judged ("unpaired: ..."), else empty
};

std::vector<ClaimResult> judge_claims(const CsvTable& runs, const std::vector<Claim>& claims);

std::string verdict_csv(const std::vector<ClaimResult>& results);
std::string verdict_markdown(const std::vector<ClaimResult>& results);

// The claims stored by `bnlab run` (<dir>/claims.json); ConfigError when there are none.
std::vector<Claim> stored_claims(const std::filesystem::path& experiment_dir);
void store_claims(const std::filesystem::path& experiment_dir, const std::vector<Claim>& claims);

// Judges the claims on <dir>/runs.csv and writes verdict.csv and verdict.md there.
std::vector<ClaimResult> write_verdict(const std::filesystem::path& experiment_dir, const std::vector<Claim>& claims);

}  // namespace bnlab
