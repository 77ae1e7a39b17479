// Nothing is selected on the test set: claims and comparisons on best_test_acc, and on
// steps_to_target measured on the test set (data.val_size 0), are refused with a message that says
// why and what to use instead; the same on the validation set is judged.
#include <catch2/catch.hpp>

#include "config_test_util.hpp"
#include "experiment/seed_statistics.hpp"
#include "experiment/verdict.hpp"

using namespace bnlab;
using bnlab::testing::config_with;
using bnlab::testing::problems_of;
using Catch::Matchers::Contains;

namespace {

std::string experiment_text(const std::string& data, const std::string& sweep, const std::string& metric,
                            const std::string& where = "") {
  return config_with(R"("data": )" + data + R"(, "sweep": )" + sweep + R"(, "claims": [{"id": "x", "claim": "c",
      "metric": ")" + metric + R"(", "compare": {"model.norm": ["batch", "none"]}, )" + where +
                     R"("expect": "less", "margin": 0}])");
}

const char* kSynthetic = R"({"dataset": "synthetic"})";
const char* kWithValidation = R"({"dataset": "synthetic", "val_size": 500})";
const char* kNormSeeds = R"({"model.norm": ["none", "batch"], "train.seed": [1, 2]})";

// steps_to_target of two seeds, measured on the set `on` ("" leaves the column out: an old runs.csv).
CsvTable steps_runs(const std::string& on) {
  CsvTable runs;
  runs.header = {"run_id", "status", "model.norm", "train.seed", "steps_to_target"};
  runs.rows = {{"a1", "ok", "none", "1", "900"}, {"b1", "ok", "batch", "1", "500"},
               {"a2", "ok", "none", "2", "1000"}, {"b2", "ok", "batch", "2", "400"}};
  if (!on.empty()) {
    runs.header.push_back("steps_to_target_on");
    for (auto& row : runs.rows) row.push_back(on);
  }
  return runs;
}

}  // namespace

TEST_CASE("a claim on best_test_acc, or on steps_to_target without a validation set, is refused in the config",
          "[claims][validation]") {
  CHECK(problems_of(experiment_text(kWithValidation, kNormSeeds, "best_test_acc")) ==
        std::vector<std::string>{"claims[0].metric: best_test_acc is the best test accuracy over the evaluations, "
                                 "selected on the test set; compare best_val_acc (with data.val_size > 0) or "
                                 "final_test_acc"});
  CHECK(problems_of(experiment_text(kSynthetic, kNormSeeds, "steps_to_target")) ==
        std::vector<std::string>{"claims: 'x' compares steps_to_target of runs with data.val_size 0, where it is "
                                 "measured on the test set (test-set selection); set data.val_size > 0 so that it "
                                 "is measured on a validation set"});
  CHECK(problems_of(experiment_text(kWithValidation, kNormSeeds, "steps_to_target")).empty());
  CHECK(problems_of(experiment_text(kWithValidation, kNormSeeds, "best_val_acc")).empty());
  // val_size swept: the claim must keep to runs with a validation set.
  const char* swept = R"({"model.norm": ["none", "batch"], "data.val_size": [0, 500], "train.seed": [1, 2]})";
  CHECK(problems_of(experiment_text(kSynthetic, swept, "steps_to_target")).size() == 1);
  CHECK(problems_of(experiment_text(kSynthetic, swept, "steps_to_target", R"("where": {"data.val_size": 500}, )"))
            .empty());
}

TEST_CASE("verdict refuses steps_to_target measured on the test set and judges it on the validation set",
          "[claims][validation]") {
  const auto claims = parse_experiment(experiment_text(kWithValidation, kNormSeeds, "steps_to_target"), "t.json").claims;
  REQUIRE(claims.size() == 1);
  for (const std::string on : {"test", ""}) {
    INFO("steps_to_target_on: '" << on << "'");
    try {
      judge_claims(steps_runs(on), claims);
      FAIL("no ConfigError");
    } catch (const ConfigError& e) {
      CHECK(e.problems() == std::vector<std::string>{
                                "claim 'x': steps_to_target of 4 runs (e.g. a1) was measured on the test set "
                                "(data.val_size 0): comparing it selects on the test set; rerun with data.val_size "
                                "> 0, where it is measured on the validation set"});
    }
  }
  const auto results = judge_claims(steps_runs("val"), claims);
  REQUIRE(results.size() == 1);
  CHECK(results[0].result.difference.n == 2);
  CHECK(results[0].result.difference.mean == Approx(-500));  // (500 - 900 + 400 - 1000) / 2
  CHECK(results[0].note.empty());
}

TEST_CASE("compare refuses a metric selected on the test set", "[statistics][validation]") {
  const Comparison steps{"steps_to_target", "model.norm", "batch", "none", std::nullopt, std::nullopt, false};
  CHECK_THROWS_WITH(compare_runs(steps_runs("test"), steps),
                    Contains("compare: steps_to_target of 4 runs (e.g. a1) was measured on the test set"));
  CHECK(compare_runs(steps_runs("val"), steps).rows.at(0).result.difference.mean == Approx(-500));
  // One run on the test set is enough to refuse; a failed run measured nothing.
  auto mixed = steps_runs("val");
  mixed.rows[3][5] = "test";
  CHECK_THROWS_AS(compare_runs(mixed, steps), ConfigError);
  mixed.rows[3][1] = "failed";
  CHECK_NOTHROW(compare_runs(mixed, steps));

  CsvTable best = steps_runs("val");
  best.header[4] = "best_test_acc";
  const Comparison best_test{"best_test_acc", "model.norm", "batch", "none", std::nullopt, std::nullopt, false};
  CHECK_THROWS_WITH(compare_runs(best, best_test), Contains("compare: best_test_acc is the best test accuracy"));
}
