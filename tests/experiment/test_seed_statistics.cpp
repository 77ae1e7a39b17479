// bnlab summary / compare on hand-made runs.csv tables: grouping by the swept keys but the seed,
// diverged and failed runs counted apart, pairing by seed, facets, and unpaired runs as errors.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/errors.hpp"
#include "experiment/seed_statistics.hpp"

using namespace bnlab;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinAbs;

namespace {

// run_id,status,model.norm,optimizer.lr,train.seed,final_test_acc,steps_to_target
CsvTable runs_table(const std::vector<std::vector<std::string>>& rows) {
  CsvTable t;
  t.header = {"run_id", "status", "model.norm", "optimizer.lr", "train.seed", "final_test_acc", "steps_to_target"};
  t.rows = rows;
  return t;
}

const CsvTable kRuns = runs_table({
    {"b1", "ok", "batch", "0.1", "1", "0.90", "100"},
    {"n1", "ok", "none", "0.1", "1", "0.80", "300"},
    {"b2", "ok", "batch", "0.1", "2", "0.80", "200"},
    {"n2", "ok", "none", "0.1", "2", "0.75", ""},
    {"b3", "ok", "batch", "0.1", "3", "0.85", "100"},
    {"n3", "ok", "none", "0.1", "3", "0.80", "400"},
    {"b4", "ok", "batch", "1", "1", "0.70", ""},
    {"n4", "diverged", "none", "1", "1", "", ""},
    {"b5", "ok", "batch", "1", "2", "0.60", ""},
    {"n5", "failed", "none", "1", "2", "", ""},
});

// final_test_acc(key=a) - final_test_acc(key=b), faceted by default
Comparison accuracy(const std::string& key, const std::string& a, const std::string& b,
                    std::optional<std::vector<std::string>> by = std::nullopt,
                    std::optional<double> diverged_as = std::nullopt) {
  return {.metric = "final_test_acc", .key = key, .a = a, .b = b, .by = std::move(by), .diverged_as = diverged_as};
}

}  // namespace

TEST_CASE("summary groups by every swept key but the seed and counts diverged and failed runs apart",
          "[summary]") {
  CHECK(key_columns(kRuns) == std::vector<std::string>{"model.norm", "optimizer.lr", "train.seed"});
  const auto t = summarize_runs(kRuns, {"final_test_acc", "steps_to_target"});
  CHECK(t.keys == std::vector<std::string>{"model.norm", "optimizer.lr"});
  REQUIRE(t.rows.size() == 8);  // 4 groups x 2 metrics, groups in order of first appearance
  const auto& batch = t.rows[0];
  CHECK(batch.group == std::vector<std::string>{"batch", "0.1"});
  CHECK(batch.metric == "final_test_acc");
  CHECK(batch.value.n == 3);
  CHECK_THAT(batch.value.mean, WithinAbs(0.85, 1e-12));
  CHECK_THAT(batch.value.sd, WithinAbs(0.05, 1e-12));
  // t(0.975, 2) * 0.05 / sqrt(3)
  CHECK_THAT(batch.value.ci_high, WithinAbs(0.85 + 4.302652729749464 * 0.05 / std::sqrt(3.0), 1e-10));
  const auto& none_steps = t.rows[3];
  CHECK(none_steps.group == std::vector<std::string>{"none", "0.1"});
  CHECK(none_steps.metric == "steps_to_target");
  CHECK(none_steps.value.n == 2);   // the seed that never reached the target is not averaged in ...
  CHECK(none_steps.no_value == 1);  // ... but counted
  CHECK(none_steps.value.mean == 350);
  const auto& none_high = t.rows[6];
  CHECK(none_high.group == std::vector<std::string>{"none", "1"});
  CHECK(none_high.value.n == 0);
  CHECK(none_high.diverged == 1);
  CHECK(none_high.failed == 1);
  CHECK(std::isnan(none_high.value.mean));

  const auto csv = summary_csv(t);
  CHECK_THAT(csv, Contains("model.norm,optimizer.lr,metric,n,mean,sd,ci95_low,ci95_high,min,max,n_diverged,"
                           "n_failed,n_no_value\n"));
  CHECK_THAT(csv, Contains("\nnone,1,final_test_acc,0,,,,,,,1,1,0\n"));  // missing values are empty cells
  CHECK_THAT(summary_markdown(t), Contains("| batch | 0.1 | final_test_acc | 3 | 0.85 | 0.05 | [0.7258, 0.9742] |"));
}

TEST_CASE("summary --by pools the other keys; unknown keys and metrics name the valid ones", "[summary]") {
  const auto t = summarize_runs(kRuns, {"final_test_acc"}, {{"model.norm"}});
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0].value.n == 5);
  CHECK(t.rows[1].value.n == 3);
  CHECK(t.rows[1].diverged + t.rows[1].failed == 2);
  CHECK_THROWS_WITH(summarize_runs(kRuns, {"final_test_acc"}, {{"model.nrom"}}),
                    Contains("'model.nrom' is not a swept key") && Contains("model.norm"));
  CHECK_THROWS_WITH(summarize_runs(kRuns, {"final_acc"}), Contains("metric 'final_acc' is not a column"));
  CHECK_THROWS_AS(summarize_runs(kRuns, {}), ConfigError);
}

TEST_CASE("compare pairs runs by seed within each facet", "[compare]") {
  const auto t = compare_runs(kRuns, accuracy("model.norm", "batch", "none"));
  CHECK(t.facets == std::vector<std::string>{"optimizer.lr"});
  REQUIRE(t.rows.size() == 2);
  const auto& low = t.rows[0];
  CHECK(low.facet == std::vector<std::string>{"0.1"});
  // differences 0.10, 0.05, 0.05
  CHECK(low.result.difference.n == 3);
  CHECK_THAT(low.result.difference.mean, WithinAbs(0.2 / 3, 1e-12));
  CHECK(low.result.p == 0.25);
  CHECK(low.excluded == 0);
  const auto& high = t.rows[1];
  CHECK(high.result.difference.n == 0);  // the partner diverged or failed in both pairs
  CHECK(high.excluded == 2);
  CHECK_THAT(comparison_csv(t), Contains("optimizer.lr,metric,key,a,b,n,mean_diff,sd_diff,ci95_low,ci95_high,p,"
                                         "p_method,n_excluded\n0.1,final_test_acc,model.norm,batch,none,3,"));
  CHECK_THAT(comparison_markdown(t), Contains("final_test_acc (model.norm=batch minus none)"));
  // numbers typed differently still match: 0.10 is the cell 0.1 (seed 3 ran at lr 0.1 only: left out)
  auto two_seeds = kRuns;
  two_seeds.rows.erase(two_seeds.rows.begin() + 4, two_seeds.rows.begin() + 6);
  const auto by_lr =
      compare_runs(two_seeds, accuracy("optimizer.lr", "0.10", "1e0", std::vector<std::string>{"model.norm"}));
  REQUIRE(by_lr.rows.size() == 2);
  CHECK(by_lr.rows[0].result.difference.n == 2);  // batch: seeds 1 and 2 at both learning rates
  CHECK_THAT(by_lr.rows[0].result.difference.mean, WithinAbs(0.2, 1e-12));
  CHECK(by_lr.rows[1].excluded == 2);
  // pooled over the learning rates, and a diverged run counted at a given value (chance accuracy)
  const auto pooled = compare_runs(kRuns, accuracy("model.norm", "batch", "none", std::vector<std::string>{}, 0.1));
  REQUIRE(pooled.rows.size() == 1);
  CHECK(pooled.rows[0].facet.empty());
  CHECK(pooled.rows[0].result.difference.n == 4);  // 3 pairs at lr 0.1, seed 1 at lr 1 (0.7 - 0.1)
  CHECK(pooled.rows[0].excluded == 1);             // seed 2 at lr 1: the partner failed
  CHECK_THAT(pooled.rows[0].result.difference.mean, WithinAbs((0.1 + 0.05 + 0.05 + 0.6) / 4, 1e-12));
}

TEST_CASE("compare names unpaired runs, duplicates and unknown values", "[compare]") {
  auto missing = kRuns;
  missing.rows.erase(missing.rows.begin() + 5);  // n3: batch at seed 3 has no partner
  CHECK_THROWS_WITH(compare_runs(missing, accuracy("model.norm", "batch", "none")),
                    Contains("unpaired: no run with model.norm=none and optimizer.lr=0.1, train.seed=3 "
                             "(its partner is run b3)"));
  auto duplicate = kRuns;
  duplicate.rows.push_back({"b1x", "ok", "batch", "0.1", "1", "0.91", ""});
  CHECK_THROWS_WITH(compare_runs(duplicate, accuracy("model.norm", "batch", "none")),
                    Contains("runs b1 and b1x both have model.norm=batch"));
  CHECK_THROWS_WITH(compare_runs(kRuns, accuracy("model.norm", "batch", "group")),
                    Contains("no run has model.norm=group"));
  const auto key_as_facet = accuracy("model.norm", "batch", "none", std::vector<std::string>{"model.norm"});
  CHECK_THROWS_WITH(compare_runs(kRuns, key_as_facet),
                    Contains("cannot be both"));
}

TEST_CASE("compare leaves keys zipped with the compared key out of the pairing", "[compare]") {
  // train.eval_every is zipped with train.batch_size (50 at 64, 800 at 4): runs at batch 4 and 64
  // differ in it by design, so pairs agree on the norm and the seed only. model.norm is swept
  // independently (both values at both batch sizes): it stays part of a pair's identity.
  CsvTable runs;
  runs.header = {"run_id", "status", "model.norm", "train.batch_size", "train.eval_every", "train.seed",
                 "final_test_acc"};
  runs.rows = {{"a1", "ok", "batch", "64", "50", "1", "0.83"}, {"b1", "ok", "batch", "4", "800", "1", "0.10"},
               {"a2", "ok", "batch", "64", "50", "2", "0.84"}, {"b2", "ok", "batch", "4", "800", "2", "0.12"},
               {"c1", "ok", "layer", "64", "50", "1", "0.83"}, {"d1", "ok", "layer", "4", "800", "1", "0.82"},
               {"c2", "ok", "layer", "64", "50", "2", "0.84"}, {"d2", "ok", "layer", "4", "800", "2", "0.86"}};
  const auto t =
      compare_runs(runs, Comparison{.metric = "final_test_acc", .key = "train.batch_size", .a = "4", .b = "64"});
  CHECK(t.facets == std::vector<std::string>{"model.norm"});  // not train.eval_every
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0].result.difference.n == 2);
  CHECK_THAT(t.rows[0].result.difference.mean, WithinAbs((-0.73 - 0.72) / 2, 1e-12));
  CHECK_THAT(t.rows[1].result.difference.mean, WithinAbs((-0.01 + 0.02) / 2, 1e-12));

  // the same runs compared by norm: eval_every varies with the batch size, not with the norm, so it
  // is part of the identity (and batch size a facet) as before
  const auto by_norm =
      compare_runs(runs, Comparison{.metric = "final_test_acc", .key = "model.norm", .a = "batch", .b = "layer"});
  CHECK(by_norm.facets == std::vector<std::string>{"train.batch_size", "train.eval_every"});
  REQUIRE(by_norm.rows.size() == 2);
  CHECK(by_norm.rows[0].result.difference.n == 2);
}
