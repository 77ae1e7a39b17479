// What a claim can judge: runs.csv's result columns (one list, probes' results included, which a
// run writes and collect reads like final_test_acc) and relative claims, which judge the ratio
// A / B through the paired log-ratios (claims.hpp), checked against hand-computed values.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "config_test_util.hpp"
#include "experiment/collect.hpp"
#include "experiment/seed_statistics.hpp"
#include "experiment/verdict.hpp"
#include "probes/registry.hpp"
#include "results_test_util.hpp"

using namespace bnlab;
using bnlab::testing::config_with;
using bnlab::testing::csv_column;
using bnlab::testing::problems_of;
using Catch::Matchers::Contains;

namespace {

bool has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string claim_config(const std::string& claims) {
  return config_with(R"("sweep": {"model.norm": ["none", "batch"], "train.seed": [1, 2, 3]}, "claims": )" + claims);
}

std::vector<Claim> claims_of(const std::string& claims) {
  return parse_experiment(claim_config(claims), "t.json").claims;
}

// ms_per_step of three seeds: the ratios batch / none are 1.2, 1.25 and 1.1.
CsvTable timing_runs() {
  CsvTable runs;
  runs.header = {"run_id", "status", "model.norm", "train.seed", "ms_per_step"};
  runs.rows = {{"n1", "ok", "none", "1", "1.0"}, {"b1", "ok", "batch", "1", "1.2"},
               {"n2", "ok", "none", "2", "2.0"}, {"b2", "ok", "batch", "2", "2.5"},
               {"n3", "ok", "none", "3", "4.0"}, {"b3", "ok", "batch", "3", "4.4"}};
  return runs;
}

std::string timing_claim(const std::string& id, const std::string& a, const std::string& b, const std::string& expect,
                         double margin) {
  return R"({"id": ")" + id + R"(", "claim": "c", "metric": "ms_per_step", "compare": {"model.norm": [")" + a +
         R"(", ")" + b + R"("]}, "expect": ")" + expect + R"(", "margin": )" + std::to_string(margin) +
         R"(, "relative": true})";
}

}  // namespace

TEST_CASE("claim metrics, summary and compare metrics derive from runs.csv's one column list", "[claims]") {
  const auto& all = runs_summary_columns();
  const auto& results = runs_result_columns();
  const auto& claimable = claim_metrics();
  for (const auto& c : results) CHECK(has(all, c));
  for (const auto& c : claimable) CHECK(has(results, c));
  for (const char* text : {"steps_to_target_on", "threads", "error", "note", "tags"}) {
    CHECK(has(all, text));
    CHECK_FALSE(has(results, text));  // not numbers a run measured
  }
  CHECK(has(results, "best_test_acc"));
  CHECK_FALSE(has(claimable, "best_test_acc"));  // selected on the test set
  CHECK(results.size() == claimable.size() + 1);
  // every probe's results are columns, at the end, and claimable
  const auto probe_columns = probe_result_columns();
  REQUIRE(probe_columns.size() >= 5);
  CHECK(all.back() == probe_columns.back().name);
  for (const auto& c : probe_columns) CHECK(has(claimable, c.name));
  for (const char* name : {"unit_ablation_mean_spearman", "scale_invariance_batch_stats_max_rel",
                           "scale_invariance_eval_max_rel", "ics_mean_rel_diff", "ics_mean_cosine",
                           "landscape_mean_loss_variation", "landscape_mean_grad_change", "landscape_mean_beta",
                           "inference_cost_ms", "inference_cost_folded_ms"})
    CHECK(has(claimable, name));
}

TEST_CASE("a claim's metric, relative and diverged_as are checked, the valid metrics listed", "[claims]") {
  const auto problems = problems_of(claim_config(R"([{"id": "x", "claim": "c", "metric": "unit_ablation_spearman",
      "compare": {"model.norm": ["batch", "none"]}, "expect": "less", "margin": 0.2, "relative": "yes"}])"));
  REQUIRE(problems.size() == 2);
  CHECK_THAT(problems[0], Contains("claims[0].metric: 'unit_ablation_spearman' is not a runs.csv result; one of "
                                   "steps, final_train_loss") &&
                              Contains("ms_per_step, peak_rss_mb, data_s") &&
                              Contains(", unit_ablation_mean_spearman, scale_invariance_batch_stats_max_rel"));
  CHECK(problems[1] == "claims[0].relative: expected true (judge the ratio A / B) or false, got string \"yes\"");
  CHECK(problems_of(claim_config(R"([{"id": "x", "claim": "c", "metric": "ms_per_step", "relative": true,
      "compare": {"model.norm": ["batch", "none"]}, "expect": "greater", "margin": 0.05, "diverged_as": 0}])")) ==
        std::vector<std::string>{"claims[0].diverged_as: a relative claim takes ratios of values > 0, got 0"});
  const auto claims = claims_of("[" + timing_claim("t", "batch", "none", "greater", 0.05) + "]");
  REQUIRE(claims.size() == 1);
  CHECK(claims[0].relative);
  CHECK(judged_margin(claims[0]) == Approx(std::log(1.05)));
  CHECK(claims_to_json(claims)[0]["relative"] == true);  // kept in claims.json for `bnlab verdict`
}

TEST_CASE("a relative claim judges the geometric mean ratio with its interval", "[claims]") {
  // ln(1.2), ln(1.25), ln(1.1): mean 0.166925096, sd 0.065292656, half width 4.302652730 * sd / sqrt(3) =
  // 0.162195950: [0.004729146, 0.329121046]. Reported: exp(mean) = 1.65^(1/3) = 1.181665750, [1.004740346,
  // 1.389746068]; p: all three positive, 2 of 8 sign assignments as extreme.
  const auto claims = claims_of("[" + timing_claim("more_than_5pc", "batch", "none", "greater", 0.05) + ", " +
                                timing_claim("just_above", "batch", "none", "greater", 0.0047) + ", " +
                                timing_claim("inverse_just_below", "none", "batch", "less", 0.0047) + ", " +
                                timing_claim("within_50pc", "batch", "none", "similar", 0.5) + "]");
  const auto results = judge_claims(timing_runs(), claims);
  REQUIRE(results.size() == 4);
  const auto& r = results[0];
  CHECK(r.result.difference.n == 3);
  CHECK(r.result.difference.mean == Approx(0.166925096));
  CHECK(r.result.difference.ci_low == Approx(0.004729146).epsilon(1e-6));
  CHECK(r.estimate == Approx(1.181665750));
  CHECK(r.ci_low == Approx(1.004740346));
  CHECK(r.ci_high == Approx(1.389746068));
  CHECK(r.result.p == 0.25);
  CHECK(r.verdict == Verdict::Inconclusive);  // 1.0047 < 1.05 < 1.39
  // ln(1.0047) = 0.004689 < 0.004729: above the margin; the inverse ratio is below 1 / 1.0047 alike
  CHECK(results[1].verdict == Verdict::Supported);
  CHECK(results[2].verdict == Verdict::Supported);
  CHECK(results[2].estimate == Approx(1 / 1.181665750));
  CHECK(results[3].verdict == Verdict::Supported);  // [1.0047, 1.39] inside [1 / 1.5, 1.5]

  const std::string md = verdict_markdown(results);
  CHECK_THAT(md, Contains("| more_than_5pc: c | ms_per_step: batch / none |  | > 1.05 | 3 | 1.182 | [1.005, 1.39] | "
                          "0.25 | **inconclusive** |"));
  CHECK_THAT(md, Contains("| inverse_just_below: c | ms_per_step: none / batch |  | < 0.9953 |"));
  CHECK_THAT(md, Contains("| within [0.6667, 1.5] |"));
  CHECK_THAT(verdict_csv(results), Contains("more_than_5pc,c,ms_per_step,model.norm=batch,model.norm=none,,greater,"
                                            "0.05,A / B,3,1.18166575") &&
                                       Contains(",0.25,0,inconclusive,\n"));
}

TEST_CASE("a relative claim on a value <= 0 is not judged, and says which run", "[claims]") {
  auto runs = timing_runs();
  runs.rows[2][4] = "0";  // n2
  const auto results = judge_claims(runs, claims_of("[" + timing_claim("t", "batch", "none", "greater", 0.05) + "]"));
  CHECK(results[0].verdict == Verdict::Inconclusive);
  CHECK(results[0].note == "ms_per_step of run n2 is 0: a ratio needs values > 0");
  // compare's log ratio is the same code: a ConfigError there
  Comparison comparison{"ms_per_step", "model.norm", "batch", "none", std::vector<std::string>{}, std::nullopt, true};
  CHECK_THROWS_AS(compare_runs(runs, comparison), ConfigError);
}

TEST_CASE("a probe's results reach runs.csv through status.json; summary reads them, not as keys", "[claims][collect]") {
  bnlab::testing::TempDir tmp;
  const auto report = run_experiment(
      bnlab::testing::tiny_experiment(R"({"model.norm": ["none", "batch"]})",
                                      R"("probes": {"unit_ablation": {"samples": 50}})"),
      bnlab::testing::test_options(tmp.path()));
  CHECK(report.failed == 0);
  const auto dir = tmp.path() / "tiny";
  const auto spearman = csv_column(dir / "runs.csv", "unit_ablation_mean_spearman");
  REQUIRE(spearman.size() == 2);
  const auto status = nlohmann::json::parse(read_file(dir / "runs" / csv_column(dir / "runs.csv", "run_id")[0] /
                                                      "status.json"));
  for (const auto& cell : spearman) CHECK_FALSE(cell.empty());
  CHECK(std::stod(spearman[0]) == Approx(status.at("unit_ablation_mean_spearman").get<double>()));
  CHECK(csv_column(dir / "runs.csv", "inference_cost_ms") == std::vector<std::string>{"", ""});  // not enabled

  const CsvTable runs = parse_csv(read_file(dir / "runs.csv"));
  CHECK(key_columns(runs) == std::vector<std::string>{"model.norm"});
  const auto summary = summarize_runs(runs, {"unit_ablation_mean_spearman"});
  REQUIRE(summary.rows.size() == 2);
  CHECK(summary.rows[0].value.n == 1);
  CHECK(summary.rows[0].value.mean == Approx(std::stod(spearman[0])));
}

TEST_CASE("compare --where keeps some runs, --relative compares ratios", "[compare]") {
  // the timing runs with BN fused (fuse true), plus unfused BN runs that have no no-norm partner
  CsvTable runs = timing_runs();
  runs.header.insert(runs.header.begin() + 3, "model.fuse_norm_relu");
  for (auto& row : runs.rows) row.insert(row.begin() + 3, "true");
  for (const char* seed : {"1", "2", "3"})
    runs.rows.push_back({std::string("u") + seed, "ok", "batch", "false", seed, "9"});
  Comparison ratio{.metric = "ms_per_step", .key = "model.norm", .a = "batch", .b = "none", .log_ratio = true};
  CHECK_THROWS_WITH(compare_runs(runs, ratio), Contains("unpaired: no run with model.norm=none and "
                                                        "model.fuse_norm_relu=false, train.seed=1"));
  ratio.where = {{"model.fuse_norm_relu", "true"}};
  const auto table = compare_runs(runs, ratio);
  CHECK(table.facets.empty());  // a --where key is no facet
  REQUIRE(table.rows.size() == 1);
  CHECK(table.rows[0].result.difference.n == 3);
  CHECK(table.rows[0].result.difference.mean == Approx(0.166925096));  // ln of the ratios (above)
  const std::string csv = comparison_csv(table);
  CHECK_THAT(csv, Contains("metric,key,a,b,n,ratio,sd_log_ratio,ci95_low,ci95_high,p,p_method,n_excluded\n"
                           "ms_per_step,model.norm,batch,none,3,1.18166575"));
  CHECK_THAT(comparison_markdown(table), Contains("| 3 | 1.182 | 0.06529 | [1.005, 1.39] | 0.25 |"));

  ratio.where = {{"model.norm", "batch"}};
  CHECK_THROWS_WITH(compare_runs(runs, ratio), Contains("'model.norm' cannot be both the compared key and a --where"));
  ratio.where = {{"model.fuse", "true"}};
  CHECK_THROWS_WITH(compare_runs(runs, ratio), Contains("'model.fuse' is not a swept key of this experiment; swept "
                                                        "keys: model.norm, model.fuse_norm_relu, train.seed"));
}
