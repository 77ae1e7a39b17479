// Claims in a config and their verdicts: the judging rule at its edges, claims checked against the
// sweep with their JSON paths, claims that leave run ids alone, and verdicts from a runs.csv.
#include <catch2/catch.hpp>

#include <cmath>

#include "config_test_util.hpp"
#include "experiment/verdict.hpp"
#include "util/csv.hpp"

using namespace bnlab;
using bnlab::testing::config_with;
using bnlab::testing::problems_of;
using Catch::Matchers::Contains;

namespace {

const char* kSweep =
    R"("sweep": {"model.norm": ["none", "batch"], "optimizer.lr": [0.1, 1.0], "train.seed": [1, 2, 3]})";

std::string with_claims(const std::string& claims) {
  std::string sections = kSweep;
  sections.append(", \"claims\": ").append(claims);
  return config_with(sections);
}

const char* kGoodClaim =
    R"({"id": "bn_better", "claim": "BN ends more accurate than no norm", "metric": "final_test_acc",
        "compare": {"model.norm": ["batch", "none"]}, "where": {"optimizer.lr": 0.1},
        "expect": "greater", "margin": 0.01})";

}  // namespace

TEST_CASE("judge: the 95% interval against the margin", "[claims]") {
  using E = Expectation;
  using V = Verdict;
  CHECK(judge(E::Greater, 1, 1.5, 3) == V::Supported);
  CHECK(judge(E::Greater, 1, 0.5, 3) == V::Inconclusive);    // straddles the margin
  CHECK(judge(E::Greater, 1, -0.5, 0.9) == V::Contradicted); // inside the margin: no relevant difference
  CHECK(judge(E::Greater, 1, -3, -1.5) == V::Contradicted);  // beyond it the other way
  CHECK(judge(E::Greater, 1, -3, 0.5) == V::Inconclusive);
  CHECK(judge(E::Less, 1, -3, -1.5) == V::Supported);
  CHECK(judge(E::Less, 1, 1.5, 3) == V::Contradicted);
  CHECK(judge(E::Less, 1, -0.5, 0.5) == V::Contradicted);
  CHECK(judge(E::Less, 1, -2, -0.5) == V::Inconclusive);
  CHECK(judge(E::Similar, 1, -0.5, 0.9) == V::Supported);
  CHECK(judge(E::Similar, 1, -0.5, 1.5) == V::Inconclusive);
  CHECK(judge(E::Similar, 1, 1.5, 2) == V::Contradicted);
  CHECK(judge(E::Similar, 1, -2, -1.5) == V::Contradicted);
  CHECK(judge(E::Greater, 0, NAN, NAN) == V::Inconclusive);  // fewer than 2 pairs
}

TEST_CASE("claims are parsed with the experiment and leave run ids alone", "[claims]") {
  const auto experiment = parse_experiment(with_claims(std::string("[") + kGoodClaim + "]"), "t.json");
  REQUIRE(experiment.claims.size() == 1);
  const auto& c = experiment.claims[0];
  CHECK(c.id == "bn_better");
  CHECK(c.key == "model.norm");
  CHECK(c.a == "batch");
  CHECK(c.b == "none");
  REQUIRE(c.where.size() == 1);
  CHECK(c.where[0].first == "optimizer.lr");
  CHECK(c.expect == Expectation::Greater);
  CHECK(c.margin == 0.01);
  CHECK_FALSE(c.diverged_as.has_value());

  const auto plain = expand(parse_experiment(config_with(kSweep), "t.json"));
  const auto claimed = expand(experiment);
  REQUIRE(plain.size() == claimed.size());
  for (std::size_t i = 0; i < plain.size(); ++i) CHECK(plain[i].run_id == claimed[i].run_id);
  CHECK_FALSE(claimed[0].resolved.contains("claims"));
}

TEST_CASE("claims are checked against the sweep, each problem at its JSON path", "[claims]") {
  CHECK(problems_of(with_claims(R"([{"id": "x", "claim": "c", "metric": "final_test_acc",
      "compare": {"model.activation": ["relu", "tanh"]}, "expect": "greater", "margin": 0}])")) ==
        std::vector<std::string>{"claims[0].compare: 'model.activation' is not swept; a claim compares runs that "
                                 "differ in a swept key (model.norm, optimizer.lr, train.seed)"});
  CHECK(problems_of(with_claims(R"([{"id": "x", "claim": "c", "metric": "final_test_acc",
      "compare": {"model.norm": ["batch", "group"]}, "expect": "greater", "margin": 0}])")) ==
        std::vector<std::string>{"claims[0].compare.model.norm[1]: \"group\" is not among the swept values of "
                                 "model.norm (\"none\", \"batch\")"});
  CHECK(problems_of(with_claims(R"([{"id": "x", "claim": "c", "metric": "final_test_acc",
      "compare": {"model.norm": ["batch", "none"]}, "where": {"optimizer.lr": 0.5, "model.norm": "none"},
      "expect": "greater", "margin": 0}])")) ==
        std::vector<std::string>{"claims[0].where.model.norm: the compared key cannot also be fixed",
                                 "claims[0].where.optimizer.lr: 0.5 is not among the swept values of optimizer.lr "
                                 "(0.1, 1.0)"});
  std::string metric_list;  // its contents: test_claim_metrics.cpp
  for (const auto& m : claim_metrics()) metric_list += (metric_list.empty() ? "" : ", ") + m;
  const auto problems = problems_of(with_claims(R"([{"id": "a b", "metric": "final_acc",
      "compare": {"model.norm": "batch"}, "expect": "bigger", "margin": -1, "colour": 1}, 3])"));
  CHECK(problems == std::vector<std::string>{
                        "claims[0].colour: unknown key; a claim has id, claim, metric, compare, where, expect, margin, "
                        "relative, diverged_as",
                        "claims[0].id: 'a b' may hold only letters, digits, '_', '-' and '.'",
                        "claims[0].claim: missing; expected a non-empty string",
                        "claims[0].metric: 'final_acc' is not a runs.csv result; one of " + metric_list,
                        "claims[0].compare: expected {\"KEY\": [A, B]}: one swept key and two of its values",
                        "claims[0].expect: 'bigger' is not one of greater, less, similar (the sign of A - B)",
                        "claims[0].margin: expected a number >= 0 (the smallest difference that matters, in the "
                        "metric's units)",
                        "claims[1]: expected an object with id, claim, metric, compare, expect, margin; got number 3"});
  CHECK_THAT(problems_of(with_claims(std::string("[") + kGoodClaim + ", " + kGoodClaim + "]")).at(0),
             Contains("claims[1].id: 'bn_better' is used by an earlier claim"));
  CHECK_THAT(problems_of(with_claims("{}")).at(0), Contains("claims: expected a list of claims"));
}

TEST_CASE("verdicts from a runs.csv: where restricts, pairs by seed, notes what could not be judged", "[claims]") {
  const auto claims = parse_experiment(with_claims(std::string("[") + kGoodClaim + R"(,
      {"id": "similar_at_high_lr", "claim": "c", "metric": "final_test_acc",
       "compare": {"model.norm": ["batch", "none"]}, "where": {"optimizer.lr": 1.0}, "expect": "similar",
       "margin": 0.05}])"),
                                       "t.json")
                          .claims;
  CsvTable runs;
  runs.header = {"run_id", "status", "model.norm", "optimizer.lr", "train.seed", "final_test_acc"};
  runs.rows = {{"a1", "ok", "none", "0.1", "1", "0.80"},  {"b1", "ok", "batch", "0.1", "1", "0.85"},
               {"a2", "ok", "none", "0.1", "2", "0.81"},  {"b2", "ok", "batch", "0.1", "2", "0.87"},
               {"a3", "ok", "none", "0.1", "3", "0.79"},  {"b3", "ok", "batch", "0.1", "3", "0.86"},
               {"c1", "ok", "none", "1", "1", "0.70"},    {"d1", "ok", "batch", "1", "1", "0.71"}};
  const auto results = judge_claims(runs, claims);
  REQUIRE(results.size() == 2);
  // differences 0.05, 0.06, 0.07: mean 0.06, sd 0.01, half width 4.302652729749464 * 0.01 / sqrt(3) = 0.0248
  CHECK(results[0].result.difference.n == 3);
  CHECK(results[0].result.difference.mean == Approx(0.06));
  CHECK(results[0].result.difference.ci_low == Approx(0.06 - 0.024841377).epsilon(1e-6));
  CHECK(results[0].result.p == 0.25);
  CHECK(results[0].verdict == Verdict::Supported);  // 0.035 > 0.01
  // one seed at lr 1: one pair gives no interval, so no verdict either way
  CHECK(results[1].verdict == Verdict::Inconclusive);
  CHECK(results[1].result.difference.n == 1);
  CHECK(results[1].result.p == 1);
  CHECK_THAT(verdict_markdown(results), Contains("| bn_better: BN ends more accurate than no norm | final_test_acc: "
                                                 "batch - none | optimizer.lr=0.1 | > 0.01 | 3 | 0.06 | [0.03516, "
                                                 "0.08484] | 0.25 | **supported** |"));
  CHECK_THAT(verdict_csv(results), Contains("\nsimilar_at_high_lr,c,final_test_acc,model.norm=batch,model.norm=none,"
                                            "optimizer.lr=1,similar,0.05,A - B,1,0.01") &&
                                       Contains(",,,1,0,inconclusive,1 pairs: no interval\n"));

  // a run without its partner: not judged, and the note names it
  runs.rows.pop_back();
  runs.rows.push_back({"d2", "ok", "batch", "1", "2", "0.71"});
  const auto unpaired = judge_claims(runs, claims);
  CHECK(unpaired[1].verdict == Verdict::Inconclusive);
  CHECK_THAT(unpaired[1].note, Contains("unpaired: no run with model.norm=batch and optimizer.lr=1, train.seed=1 "
                                        "(its partner is run c1) (and 1 more)"));
}

TEST_CASE("a claim's where on an object-valued key matches the runs.csv cell as read back", "[claims]") {
  // runs.csv holds a swept object as its JSON, quoted and with doubled quotes in the file; read
  // back, the cell is the JSON text again. The where must match that text, not the escaped one.
  const auto claims = parse_experiment(config_with(R"("sweep": {"model.norm": ["none", "batch"],
      "init": [{"scheme": "normal", "std": 1.0}, {"scheme": "he"}], "train.seed": [1, 2]},
      "claims": [{"id": "big_init", "claim": "c", "metric": "final_test_acc",
                  "compare": {"model.norm": ["batch", "none"]}, "where": {"init": {"std": 1.0, "scheme": "normal"}},
                  "expect": "greater", "margin": 0.05}])"),
                                       "t.json")
                          .claims;
  const std::string big = csv_cell(nlohmann::json{{"scheme", "normal"}, {"std", 1.0}});
  const std::string he = csv_cell(nlohmann::json{{"scheme", "he"}});
  REQUIRE(big.front() == '"');  // escaped in the file
  const CsvTable runs = parse_csv("run_id,status,model.norm,init,train.seed,final_test_acc\n"
                                  "a1,ok,none," + big + ",1,0.10\n" + "b1,ok,batch," + big + ",1,0.80\n" +
                                  "a2,ok,none," + big + ",2,0.12\n" + "b2,ok,batch," + big + ",2,0.84\n" +
                                  "c1,ok,none," + he + ",1,0.85\n" + "d1,ok,batch," + he + ",1,0.86\n");
  const auto results = judge_claims(runs, claims);
  REQUIRE(results.size() == 1);
  CHECK(results[0].result.difference.n == 2);
  CHECK(results[0].result.difference.mean == Approx(0.71));
  CHECK_THAT(verdict_markdown(results), Contains(R"(| init={"scheme":"normal","std":1.0} |)"));
}
